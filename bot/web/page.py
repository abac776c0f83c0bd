"""The page base: templates (autoescaped), security headers on every page, the stylesheet.

Every user-controlled string reaches HTML through Jinja2's autoescaping only; nothing is
marked safe except markup the server builds itself (the SVG charts, from numbers). The
Content-Security-Policy allows no script at all, styles from this origin only, and forms
posting back to this origin; Referrer-Policy keeps verdict tokens out of other sites' logs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.web.state import CSRF_KEY, VIEWER_KEY

HERE = Path(__file__).parent
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

_env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_text(request: web.Request, template: str, **values: Any) -> str:
    """The HTML of `template`, with the viewer (if signed in) and its CSRF token available to forms."""
    values.setdefault("viewer", request.get(VIEWER_KEY))
    values.setdefault("csrf", request.get(CSRF_KEY, ""))
    return _env.get_template(template).render(**values)


def render(request: web.Request, template: str, *, status: int = 200, **values: Any) -> web.Response:
    return web.Response(text=render_text(request, template, **values), status=status, content_type="text/html",
                        charset="utf-8")


def redirect(location: str, *, status: int = 302) -> web.Response:
    """A redirect that can carry cookies (returned, not raised)."""
    return web.Response(status=status, headers={"Location": location})


def not_found(request: web.Request, message: str = "There is nothing here.") -> web.Response:
    """One answer for unknown, tampered and expired links alike: nothing tells them apart."""
    return render(request, "message.html", status=404, title="Not found", message=message)


@web.middleware
async def security_headers(request: web.Request, handler) -> web.StreamResponse:
    response = await handler(request)
    if request.path.startswith(("/v/", "/dashboard", "/login", "/logout", "/static/")) or request.path == "/":
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


async def stylesheet(_request: web.Request) -> web.Response:
    return web.Response(body=(HERE / "static" / "app.css").read_bytes(), content_type="text/css", charset="utf-8",
                        headers={"Cache-Control": "public, max-age=3600"})


def add_routes(app: web.Application) -> None:
    app.middlewares.append(security_headers)
    app.router.add_get("/static/app.css", stylesheet)
