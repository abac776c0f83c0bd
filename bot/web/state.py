"""What the web handlers share, kept apart from the webhook side's BotState."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from bot.github import GitHubApp
    from bot.queue import DeliveryQueue
    from bot.rule import Rule
    from bot.settings import Settings
    from bot.store import Store
    from bot.web.auth import Auth


@dataclass
class WebState:
    settings: "Settings"
    store: "Store"
    queue: "DeliveryQueue"
    github: "GitHubApp"
    auth: "Auth"
    rules: list["Rule"] = field(default_factory=list)


WEB_KEY = web.AppKey("governance_bot_web", WebState)
# Per-request: the signed-in viewer (or None) and their CSRF token (aiohttp < 3.12 has no RequestKey).
_request_key = getattr(web, "RequestKey", None)
VIEWER_KEY = _request_key("governance_viewer", object) if _request_key else "governance_viewer"
CSRF_KEY = _request_key("governance_csrf", str) if _request_key else "governance_csrf"
