"""`governance-bot setup`: a local page that registers the GitHub App from a manifest.

GitHub's manifest flow: the page POSTs the manifest (built from the rules, `bot.manifest`) to
GitHub's "new GitHub App" page with a `state`; the user names the App and confirms; GitHub
redirects back here with a one-hour `code` and the same `state`; `POST /app-manifests/{code}/conversions`
returns the App's id, private key, webhook secret and OAuth client, which go to `.env` (mode 0600).

`state` is a random value this process handed out, accepted once and for an hour: a callback
with another or a used `state` (a forged link, a replayed one) exchanges nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import aiohttp
from aiohttp import web

from bot import manifest
from bot.github_errors import explain_unreachable, host_of
from bot.web import page

if TYPE_CHECKING:
    from bot.rule import Rule
    from bot.settings import Settings

log = logging.getLogger(__name__)

STATE_TTL = 3600.0  # GitHub's code is valid for an hour; a state older than that is no use either
DEFAULT_NAME = "governance-bot"


@dataclass
class SetupState:
    settings: "Settings"
    rules: Sequence["Rule"]
    env_path: Path
    base_url: str  # where this page is served, for GitHub's redirect back
    force: bool = False
    webhook_url: str = ""
    organization: str = ""
    name: str = DEFAULT_NAME
    issued: dict[str, tuple[float, str]] = field(default_factory=dict)  # state -> (when handed out, webhook URL)
    created: dict[str, Any] | None = None  # the App, once registered
    written_to: Path | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def new_state(self, webhook_url: str) -> str:
        """A fresh `state` for one trip to GitHub, remembering the webhook URL the manifest carried."""
        now = time.monotonic()
        self.issued = {s: v for s, v in self.issued.items() if now - v[0] < STATE_TTL}
        value = secrets.token_urlsafe(32)
        self.issued[value] = (now, webhook_url)
        return value

    def take_state(self, value: str) -> str | None:
        """The webhook URL of a state this process issued within the hour, once; None ever after."""
        issued = self.issued.pop(value, None)
        if issued is None or time.monotonic() - issued[0] >= STATE_TTL:
            return None
        return issued[1]


SETUP_KEY = web.AppKey("governance_bot_setup", SetupState)


def _headers(web_url: str) -> dict[str, str]:
    """The page base's headers, except that this one form may post to GitHub."""
    csp = page.CSP.replace("form-action 'self'", f"form-action 'self' {web_url}")
    return {**page.SECURITY_HEADERS, "Content-Security-Policy": csp}


def _render(request: web.Request, template: str, *, status: int = 200, **values: Any) -> web.Response:
    state = request.app[SETUP_KEY]
    response = page.render(request, template, status=status, home="/", title=values.pop("title", "Set up"), **values)
    response.headers.update(_headers(state.settings.web_url))
    return response


def _message(request: web.Request, title: str, message: str, status: int) -> web.Response:
    return _render(request, "message.html", status=status, title=title, message=message)


async def index(request: web.Request) -> web.Response:
    """The one page: what will be registered, and the button that sends it to GitHub."""
    state = request.app[SETUP_KEY]
    name = request.query.get("name", state.name).strip()[:34] or DEFAULT_NAME
    webhook_url = request.query.get("webhook_url", state.webhook_url).strip()
    organization = request.query.get("organization", state.organization).strip()
    problems: list[str] = []
    if webhook_url and (why := manifest.check_webhook_url(webhook_url)):
        problems.append(why)
    if organization and not manifest.is_login(organization):
        problems.append("the organisation must be a GitHub login (letters, digits and single hyphens)")
    if state.env_path.exists() and not state.force:
        problems.append(f"{state.env_path} exists already: move it away, or run `governance-bot setup --force` "
                        "to replace it")
    ready = bool(webhook_url) and not problems
    values: dict[str, Any] = dict(
        name=name, webhook_url=webhook_url, organization=organization, problems=problems, ready=ready,
        permissions=manifest.permissions(state.rules), events=manifest.events(state.rules),
        env_path=str(state.env_path), web_url=state.settings.web_url,
        rules=[rule.name for rule in state.rules])
    if ready:
        state_value = state.new_state(webhook_url)
        values["action"] = manifest.registration_url(state.settings.web_url, organization or None, state_value)
        values["manifest_json"] = json.dumps(manifest.build(state.rules, name=name, webhook_url=webhook_url,
                                                            redirect_url=f"{state.base_url}/callback"))
    return _render(request, "setup.html", title="Create the GitHub App", **values)


async def callback(request: web.Request) -> web.Response:
    """GitHub's redirect back: check `state`, exchange `code`, write `.env`, show the install link."""
    state = request.app[SETUP_KEY]
    code = request.query.get("code", "")
    webhook_url = state.take_state(request.query.get("state", ""))
    if webhook_url is None:
        log.warning("set-up callback refused: unknown, expired or already used state")
        return _message(request, "Not accepted", "This link was not issued by this set-up page, has expired, or "
                        "was used already. Nothing was exchanged. Open the set-up page and start again.", 400)
    if not code or len(code) > 200:
        return _message(request, "Not accepted", "GitHub's answer has no code. Start again from the set-up page.", 400)
    try:
        app = await exchange(state.settings.github_api_url, code)
    except ExchangeError as exc:
        log.error("set-up: %s", exc)
        return _message(request, "GitHub did not hand over the App", str(exc), 502)
    written = write_env(state.env_path, app, state.settings, force=state.force, webhook_url=webhook_url)
    state.created, state.written_to = app, written
    state.done.set()
    log.info("set-up: App %s (id %s) registered; credentials written to %s", app.get("slug"), app.get("id"), written)
    return _render(request, "setup_done.html", title="The App is registered", app_name=app.get("name", ""),
                   app_id=app.get("id"), html_url=app.get("html_url", ""),
                   install_url=install_url(app), env_path=str(written), moved=written != state.env_path)


def install_url(app: dict[str, Any]) -> str:
    return f"{app.get('html_url', '').rstrip('/')}/installations/new"


class ExchangeError(Exception):
    """The code could not be exchanged for the App's credentials."""


async def exchange(api_url: str, code: str) -> dict[str, Any]:
    """`POST /app-manifests/{code}/conversions` (no authentication: the code is the credential)."""
    url = f"{api_url}/app-manifests/{quote(code, safe='')}/conversions"
    headers = {"Accept": "application/vnd.github+json", "User-Agent": "governance-bot-setup",
               "X-GitHub-Api-Version": "2022-11-28"}
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            async with session.post(url, headers=headers) as response:
                body = await response.json(content_type=None)
                status = response.status
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise ExchangeError(explain_unreachable(exc, host_of(api_url))) from None
    except ValueError:
        raise ExchangeError(f"{host_of(api_url)} answered something that is not JSON") from None
    if status != 201 or not isinstance(body, dict):
        message = body.get("message", "") if isinstance(body, dict) else ""
        hint = " (the code is valid for one hour and once: start again)" if status == 404 else ""
        raise ExchangeError(f"{host_of(api_url)} answered {status}: {message}{hint}")
    missing = [key for key in ("id", "pem", "webhook_secret") if not body.get(key)]
    if missing:
        raise ExchangeError(f"GitHub's answer lacks {', '.join(missing)}")
    return body


def _quoted(value: str) -> str:
    """A double-quoted .env value (python-dotenv reads \\n and \\" escapes back)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def env_text(app: dict[str, Any], settings: "Settings", webhook_url: str = "") -> str:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"# Written by `governance-bot setup` on {stamp} for the GitHub App {app.get('html_url', '')}",
             "# Keep this file private (mode 0600): it holds the App's private key and secrets.",
             f"GITHUB_APP_ID={int(app['id'])}",
             f"GITHUB_PRIVATE_KEY={_quoted(app['pem'])}",
             f"GITHUB_WEBHOOK_SECRET={_quoted(app['webhook_secret'])}"]
    if app.get("client_id"):
        lines.append(f"GITHUB_CLIENT_ID={_quoted(app['client_id'])}")
    if app.get("client_secret"):
        lines.append(f"GITHUB_CLIENT_SECRET={_quoted(app['client_secret'])}")
    if webhook_url and not settings.public_url:
        lines.append(f"PUBLIC_URL={manifest.public_url(webhook_url)}")
    if settings.github_api_url != "https://api.github.com":
        lines.append(f"GITHUB_API_URL={settings.github_api_url}")
    if settings.github_web_url:
        lines.append(f"GITHUB_WEB_URL={settings.github_web_url}")
    return "\n".join(lines) + "\n"


def write_env(path: Path, app: dict[str, Any], settings: "Settings", *, force: bool, webhook_url: str = "") -> Path:
    """Write the credentials with mode 0600 from the first byte; never over an existing file unless `force`.

    If a file appeared at `path` while the user was on GitHub, the credentials go beside it
    (`.env.app-ID`) rather than being lost: the App exists now and its key is shown only once.
    """
    text = env_text(app, settings, webhook_url)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        path = path.with_name(f"{path.name}.app-{int(app['id'])}")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)  # an existing file replaced with --force keeps no looser mode
        handle.write(text)
    return path


def create_setup_app(settings: "Settings", rules: Sequence["Rule"], *, env_path: Path, base_url: str,
                     force: bool = False, webhook_url: str = "", organization: str = "",
                     name: str = DEFAULT_NAME) -> web.Application:
    app = web.Application()
    app[SETUP_KEY] = SetupState(settings=settings, rules=list(rules), env_path=env_path, base_url=base_url.rstrip("/"),
                                force=force, webhook_url=webhook_url, organization=organization, name=name)
    app.router.add_get("/", index)
    app.router.add_get("/callback", callback)
    app.router.add_get("/static/app.css", page.stylesheet)
    return app
