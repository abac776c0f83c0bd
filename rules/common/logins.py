"""GitHub account and team names, checked one way for every rule.

A login is letters and digits, with single hyphens between them, at most 39 characters
(GitHub's own sign-up rule): no underscore, no leading, trailing or doubled hyphen. A team
is `org/slug`. Checked by hand, so no input can make the check slow.

Allowlists are login globs (SPEC §3): only `*` and `?` are special; everything else,
brackets included, is literal, so `*[bot]` matches `dependabot[bot]`.
"""

from __future__ import annotations

import re
import string
from functools import lru_cache

__all__ = ["MAX_LOGIN_LENGTH", "allowlisted", "check_login_globs", "is_login", "is_team", "login_glob", "split_team"]

MAX_LOGIN_LENGTH = 39
MAX_TEAM_SLUG_LENGTH = 100
_ALNUM = frozenset(string.ascii_letters + string.digits)
_SLUG = _ALNUM | frozenset("_.-")


def is_login(value: str) -> bool:
    """Whether `value` can be a GitHub user or organisation login."""
    return (0 < len(value) <= MAX_LOGIN_LENGTH and value[0] != "-" and value[-1] != "-"
            and "--" not in value and all(char in _ALNUM or char == "-" for char in value))


def split_team(value: str) -> tuple[str, str] | None:
    """`org/slug` as its two parts, or None when it is not a team reference."""
    org, sep, slug = value.partition("/")
    if not sep or not is_login(org) or not 0 < len(slug) <= MAX_TEAM_SLUG_LENGTH:
        return None
    if slug[0] not in _ALNUM or not all(char in _SLUG for char in slug):
        return None
    return org, slug


def is_team(value: str) -> bool:
    return split_team(value) is not None


_LOGIN_GLOB_CHARS = frozenset(string.ascii_letters + string.digits + "-[]*?._")
MAX_GLOB_LENGTH = 100


@lru_cache(maxsize=256)
def login_glob(pattern: str) -> re.Pattern[str]:
    """A glob with only `*` and `?` as a case-insensitive regex (GitHub logins ignore case).

    Patterns come from the rules file and are matched against logins GitHub gives (at most
    39 characters and `[bot]`), so the match stays small whatever the pattern.
    """
    parts = [".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern]
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def allowlisted(login: str, patterns: list[str]) -> str | None:
    """The first pattern that matches the whole login, if any."""
    for pattern in patterns:
        if login_glob(pattern).fullmatch(login):
            return pattern
    return None


def check_login_globs(patterns: list[str]) -> list[str]:
    """A rules-file allowlist, or ValueError naming the first pattern that is not a login glob."""
    for pattern in patterns:
        if not 0 < len(pattern) <= MAX_GLOB_LENGTH or not set(pattern) <= _LOGIN_GLOB_CHARS:
            raise ValueError(f"{pattern!r} is not a login glob (letters, digits, '-', '[bot]', '*' and '?')")
        if set(pattern) <= {"*", "?"}:
            raise ValueError(f"{pattern!r} would exempt everyone; list the logins or a narrower glob")
    return patterns
