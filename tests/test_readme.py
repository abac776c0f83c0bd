"""The README's App registration stays current with what the rules declare they need."""

from __future__ import annotations

import re
from pathlib import Path

import rules
from bot.engine import webhook_events

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
PERMISSION_NAMES = {"statuses": "Commit statuses", "pull_requests": "Pull requests", "issues": "Issues",
                    "contents": "Contents", "metadata": "Metadata", "members": "Members",
                    "merge_queues": "Merge queues"}
EVENT_NAMES = {"pull_request": "Pull request", "issue_comment": "Issue comment", "issues": "Issues",
               "merge_group": "Merge group", "push": "Push"}
LEVEL = {"read": 1, "write": 2}


def test_every_declared_permission_is_in_the_readme_at_the_highest_level_needed():
    needed: dict[str, str] = {}
    for rule in rules.RULES:
        for permission, access in rule.permissions.items():
            if LEVEL[access] > LEVEL.get(needed.get(permission, ""), 0):
                needed[permission] = access
    assert needed, "rules declare no permissions"
    for permission, access in needed.items():
        name = PERMISSION_NAMES[permission]
        if permission == "members":
            assert re.search(r"Members: read", README), "organisation Members permission missing"
            continue
        assert re.search(rf"\|\s*{name}\s*\|\s*{access}\s*\|", README), f"{name}: {access} missing from README"


def test_every_declared_webhook_event_is_subscribed_in_the_readme():
    line = next(line for line in README.splitlines() if line.startswith("- **Subscribe to events**"))
    events = webhook_events(rules.RULES)
    assert "push" in events  # the engine's own: rules-file changes
    for event in events:
        assert EVENT_NAMES[event] in line, f"the App needs {event}"


def test_every_status_context_is_listed_to_require():
    for rule in rules.RULES:
        if rule.status_context:
            assert f"`{rule.status_context}`" in README
    assert "`governance/config`" in README
