"""GET /v/{token}: the full verdict behind a status's Details link (SPEC §4).

Rendered from what the evaluation stored (`bot.verdicts`), never by calling GitHub for the
verdict itself. A tampered, unknown or expired token is a plain 404. For a private repository
the page shows only what the status already shows (state and description) unless the viewer
is signed in and GitHub says their own token can read that repository.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote, urlsplit

from aiohttp import web

from bot import verdicts
from bot.rule import DetailLink
from bot.web import page
from bot.web.state import VIEWER_KEY, WEB_KEY

KIND_HEADINGS = {"file": "Files", "person": "People", "commit": "Commits", "import": "Imports",
                 "error": "Errors", "note": "Notes", "skipped file": "Skipped files"}


def grouped(rows) -> list[tuple[str, list]]:
    groups: dict[str, list] = {}
    for row in rows:
        groups.setdefault(row.kind, []).append(row)
    return [(KIND_HEADINGS.get(kind, kind.capitalize()), items) for kind, items in groups.items()]


def safe_links(links: list[DetailLink]) -> list[DetailLink]:
    """Only http(s) links become anchors (a rules file could hold `javascript:`)."""
    return [link for link in links if urlsplit(link.url).scheme in ("http", "https")]


async def verdict_page(request: web.Request) -> web.Response:
    web_state = request.app[WEB_KEY]
    token = request.match_info["token"]
    stored = await verdicts.load(web_state.store, token,
                                 max_age=web_state.settings.delivery_retention_days * 86400)
    if stored is None:
        return page.not_found(request, "This link is unknown or has expired. Open the pull request and follow "
                                       "the status's Details link again.")
    full = not stored.private or await web_state.auth.can_read(request, stored.repository)
    base = web_state.settings.web_url
    pr_url = f"{base}/{quote(stored.repository)}/pull/{stored.number}" if stored.number else None
    return page.render(
        request, "verdict.html", title=f"{stored.context} · {stored.repository}" if full else stored.context,
        verdict=stored, full=full,
        groups=grouped(stored.details.rows) if full else [], links=safe_links(stored.details.links) if full else [],
        pr_url=pr_url if full else None,
        commit_url=f"{base}/{quote(stored.repository)}/commit/{stored.sha}" if full else None,
        recorded=dt.datetime.fromtimestamp(stored.recorded_at, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        sign_in_url=web_state.auth.sign_in_url(request.path) if not full and not request.get(VIEWER_KEY) else None)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v/{token}", verdict_page)
