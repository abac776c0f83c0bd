"""The App key is parsed once, by the settings check `serve` runs before it accepts connections.

A parse left to the first installation token would cost ~35 ms on the event loop while the first
webhooks wait for their answers; a second parse at start-up costs the same CPU for nothing.
"""

from __future__ import annotations

import jwt
from cryptography.hazmat.primitives import serialization

from bot.server import STATE_KEY, create_app
from bot.settings import load_settings
from tests.harness import WEBHOOK_SECRET, new_app_key


def serve_settings(pem: str, tmp_path):
    return load_settings(for_serve=True, github_app_id="12345", github_private_key=pem,
                         github_webhook_secret=WEBHOOK_SECRET, database_url=f"sqlite+aiosqlite:///{tmp_path}/bot.db")


async def test_the_server_signs_with_the_key_its_settings_check_parsed(tmp_path, monkeypatch) -> None:
    pem, public = new_app_key()
    settings = serve_settings(pem, tmp_path)
    parses: list[bytes] = []
    original = serialization.load_pem_private_key

    def counted(data: bytes, *args, **kwargs):
        parses.append(data)
        return original(data, *args, **kwargs)

    monkeypatch.setattr(serialization, "load_pem_private_key", counted)
    app = create_app(settings, [], start_workers=False)
    github = app[STATE_KEY].github
    try:
        token = github.app_jwt()
        assert parses == []  # signed with the parse the settings check made
        assert jwt.decode(token, public, algorithms=["RS256"])["iss"] == "12345"
    finally:
        await github.close()
        await app[STATE_KEY].store.close()

