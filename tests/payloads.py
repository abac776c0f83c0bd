"""Webhook payloads built in code, shaped like GitHub's (only the parts the bot reads, and a few more)."""

from __future__ import annotations

import copy
from typing import Any

from tests.harness import INSTALLATION_ID


def _user(fake, login: str) -> dict[str, Any]:
    return copy.deepcopy(fake.user(login)) if hasattr(fake, "user") else {"login": login, "id": 1, "type": "User"}


def _base(fake, full_name: str, sender: str, action: str | None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "repository": copy.deepcopy(fake.repo(full_name)),
        "installation": {"id": INSTALLATION_ID, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ=="},
        "sender": _user(fake, sender),
    }
    if action is not None:
        payload["action"] = action
    owner = payload["repository"]["owner"]
    if owner.get("type") == "Organization":
        payload["organization"] = {"login": owner["login"], "id": owner["id"]}
    return payload


def pull_request_event(fake, full_name: str, number: int, action: str = "opened", *, sender: str | None = None,
                       **extra: Any) -> dict[str, Any]:
    pr = copy.deepcopy(fake.pull_request(full_name, number))
    payload = _base(fake, full_name, sender or pr["user"]["login"], action)
    payload.update(number=number, pull_request=pr, **extra)
    return payload


def issues_event(fake, full_name: str, number: int, action: str = "opened", *, sender: str | None = None,
                 **extra: Any) -> dict[str, Any]:
    issue = copy.deepcopy(fake.issue(full_name, number))
    payload = _base(fake, full_name, sender or issue["user"]["login"], action)
    payload.update(issue=issue, **extra)
    return payload


def issue_comment_event(fake, full_name: str, number: int, comment: dict[str, Any], action: str = "created", *,
                        previous_body: str | None = None) -> dict[str, Any]:
    issue = copy.deepcopy(fake.issue(full_name, number))
    payload = _base(fake, full_name, comment["user"]["login"], action)
    payload.update(issue=issue, comment=copy.deepcopy(comment))
    if action == "edited" and previous_body is not None:
        payload["changes"] = {"body": {"from": previous_body}}
    return payload
