"""This deployment's web host, and GitHub's noreply addresses (`ID+login@users.noreply.HOST`).

The CLA rule links to the host's pages. The DCO rule accepts a sign-off made with a noreply
address of the commit author's account, the account GitHub itself linked the commit to: the
address is only compared with that account, never trusted to name one on its own. Emails are
contributor text, so they are read by hand (no regex that could backtrack), and only
addresses of this deployment's host count.
"""

from __future__ import annotations

import string
from urllib.parse import urlsplit

__all__ = ["MAX_EMAIL_CHARS", "noreply_host", "noreply_login"]

MAX_EMAIL_CHARS = 320  # RFC 5321: 64 for the local part, 255 for the domain, and the "@"
MAX_ACCOUNT_ID_DIGITS = 19
_NOREPLY_DOMAIN = "users.noreply."
_BOT_SUFFIX = "[bot]"
_ALNUM = frozenset(string.ascii_letters + string.digits)


def noreply_host(api_url: str) -> str:
    """The web host of this deployment, which GitHub's noreply addresses use.

    GitHub Enterprise Server serves its API at `https://HOST/api/v3`; GHE.com at
    `https://api.SUBDOMAIN.ghe.com`; anything else is github.com.
    """
    parts = urlsplit(api_url)
    host = (parts.hostname or "").lower()
    if parts.path.rstrip("/").endswith("/api/v3") and host:
        return host
    if host.endswith(".ghe.com"):
        return host.removeprefix("api.")
    return "github.com"


def _is_noreply_login(login: str) -> bool:
    """Letters, digits and inner hyphens, optionally ending in `[bot]` (any case)."""
    if login.lower().endswith(_BOT_SUFFIX):
        login = login[: -len(_BOT_SUFFIX)]
    return (bool(login) and login[0] in _ALNUM and login[-1] in _ALNUM
            and all(char in _ALNUM or char == "-" for char in login))


def noreply_login(email: str, host: str) -> tuple[int | None, str] | None:
    """(account id or None, login) of a noreply address of `host`, in either of GitHub's forms:
    `ID+login@users.noreply.HOST`, or the older `login@users.noreply.HOST` (no id)."""
    email = email.strip()
    if len(email) > MAX_EMAIL_CHARS:
        return None
    local, at, domain = email.rpartition("@")
    if not at or domain.lower() != _NOREPLY_DOMAIN + host.lower():
        return None
    digits, plus, login = local.partition("+")
    if not plus:
        return (None, local) if _is_noreply_login(local) else None
    if not (0 < len(digits) <= MAX_ACCOUNT_ID_DIGITS and digits.isascii() and digits.isdigit()):
        return None
    return (int(digits), login) if _is_noreply_login(login) else None
