"""GitHub's limit on label names, for every rule that names labels in the rules file or in commands.

GitHub refuses a longer name with 422 "name is too long (maximum is 50 characters)"; checking
it when the rules file loads reports the mistake on `governance/config` instead of failing
each time the bot tries to add the label.
"""

from __future__ import annotations

__all__ = ["MAX_LABEL_LENGTH", "label_length_ok"]

#: The longest label name GitHub accepts, in characters.
MAX_LABEL_LENGTH = 50


def label_length_ok(name: str) -> bool:
    """Whether GitHub accepts a label name this long: 1 to 50 characters (strip it first if the
    rules file allows surrounding spaces)."""
    return 0 < len(name) <= MAX_LABEL_LENGTH
