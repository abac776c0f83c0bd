"""Reading the bot's command replies off the fake: each carries a hidden marker (bot/replies.py)."""

from __future__ import annotations

import re

from tests.fakegithub import BOT_USER, FakeGitHub

_MARKER = re.compile(r"\n*<!-- governance-bot:reply [0-9a-f]{20} to:[^ ]+ -->$")


def reply_bodies(fake: FakeGitHub, repo: str, number: int) -> list[str]:
    """The text of each reply the bot's own account posted on `repo#number`, without its marker."""
    return [_MARKER.sub("", c["body"]) for c in fake.comments(repo, number)
            if c["user"]["id"] == BOT_USER["id"] and _MARKER.search(c["body"])]
