"""GitHub's limit on label names, for every rule that names labels in the rules file or in commands.

GitHub refuses a longer name with 422 "name is too long (maximum is 50 characters)"; checking
it when the rules file loads reports the mistake on `governance/config` instead of failing
each time the bot tries to add the label.
"""

from __future__ import annotations

__all__ = ["MAX_LABEL_LENGTH", "label_length_ok", "stripped_label_name"]

#: The longest label name GitHub accepts, in characters.
MAX_LABEL_LENGTH = 50


def label_length_ok(name: str) -> bool:
    """Whether GitHub accepts a label name this long: 1 to 50 characters (strip it first if the
    rules file allows surrounding spaces)."""
    return 0 < len(name) <= MAX_LABEL_LENGTH


def stripped_label_name(value: str) -> str:
    """A rules-file label name without surrounding spaces; ValueError (a `governance/config`
    message) when GitHub would refuse it."""
    value = value.strip()
    if not label_length_ok(value):
        raise ValueError(f"a label name has 1 to {MAX_LABEL_LENGTH} characters (GitHub's limit)")
    return value
