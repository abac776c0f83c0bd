"""GitHub account and team names, checked one way for every rule.

A login is letters and digits, with single hyphens between them, at most 39 characters
(GitHub's own sign-up rule): no underscore, no leading, trailing or doubled hyphen. A team
is `org/slug`. Checked by hand, so no input can make the check slow.
"""

from __future__ import annotations

import string

__all__ = ["MAX_LOGIN_LENGTH", "is_login", "is_team", "split_team"]

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
