"""Who is looking: sign-in with GitHub and what the viewer may see."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from bot.settings import Settings


class Auth:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def sign_in_url(self, next_path: str) -> str | None:
        if not self.settings.oauth_configured:
            return None
        return "/login?" + urlencode({"next": next_path})

    async def can_read(self, request: web.Request, repository: str) -> bool:
        return False
