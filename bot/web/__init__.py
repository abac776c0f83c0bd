"""Server-rendered pages: verdict pages behind the statuses' Details links, sign-in, the dashboard.

No JavaScript and no front-end build: Jinja2 templates with autoescaping, one stylesheet,
charts drawn as inline SVG on the server, and a Content-Security-Policy that allows nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from collections.abc import Sequence

    from bot.rule import Rule
    from bot.server import BotState


def add_routes(app: web.Application, state: "BotState", rules: "Sequence[Rule]") -> None:
    """Mount the pages on the bot's app (same process and port as /webhook)."""
    from bot.web import auth, dashboard, page, verdict
    from bot.web.state import WEB_KEY, WebState

    web_state = WebState(settings=state.settings, store=state.store, queue=state.queue, github=state.github,
                         auth=auth.Auth(state.settings, state.store), rules=list(rules))
    app[WEB_KEY] = web_state
    page.add_routes(app)
    auth.add_routes(app, web_state.auth)
    verdict.add_routes(app)
    dashboard.add_routes(app)
