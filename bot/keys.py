"""Keys for the web side, derived from the webhook secret so there is nothing new to configure.

HKDF (RFC 5869) with a distinct `info` per purpose: a verdict link's HMAC key, the session
cookie's key and the key that encrypts users' GitHub tokens at rest are independent, and none
reveals the webhook secret. Rotating GITHUB_WEBHOOK_SECRET invalidates links and sessions.
"""

from __future__ import annotations

import functools

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.settings import Settings

VERDICT_LINKS = b"governance-bot/verdict-links/v1"
SESSIONS = b"governance-bot/sessions/v1"
USER_TOKENS = b"governance-bot/user-tokens/v1"


def derive(settings: Settings, purpose: bytes, length: int = 32) -> bytes | None:
    """A key for `purpose`, or None when no webhook secret is set (no links, no sign-in)."""
    if settings.github_webhook_secret is None:
        return None
    secret = settings.github_webhook_secret.get_secret_value().encode()
    if not secret:
        return None
    return _hkdf(secret, purpose, length)


@functools.lru_cache(maxsize=32)
def _hkdf(secret: bytes, purpose: bytes, length: int) -> bytes:
    """Derived once per (secret, purpose): the web pages and verdict links ask on every request."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=purpose).derive(secret)
