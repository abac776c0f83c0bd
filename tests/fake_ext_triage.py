"""What the triage tests need from the fake GitHub beyond tests/fakegithub.py.

- `GET /repos/{o}/{r}/issues/{n}/assignees/{user}` ("check if a user can be assigned to
  a specific issue": 204 or 404). The fake models who GitHub accepts as an assignee with
  one set (collaborators plus `set_assignable`), which its POST /assignees also uses, so
  this check answers from the same set.
- People changing labels in the UI: the label is changed on the stored issue and the
  matching `labeled`/`unlabeled` webhook payload is returned for the test to deliver.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from aiohttp import web

from tests.fakegithub import FakeGitHub
from tests.payloads import issues_event, pull_request_event

ISSUE_ASSIGNEE_CHECK = r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/issues/(?P<n>\d+)/assignees/(?P<user>[^/]+)"


def install(fake: FakeGitHub) -> None:
    async def issue_assignee_check(request: web.Request, match, fake_: FakeGitHub) -> web.StreamResponse:
        full_name = f"{unquote(match['o'])}/{unquote(match['r'])}"
        try:
            repo = fake_._repo(full_name)
        except KeyError:
            return web.json_response({"message": "Not Found"}, status=404)
        if int(match["n"]) not in repo.issues:
            return web.json_response({"message": "Not Found"}, status=404)
        if fake_._is_assignable(repo, unquote(match["user"])):
            return web.Response(status=204)
        return web.json_response({"message": "Not Found"}, status=404)

    fake.override("GET", ISSUE_ASSIGNEE_CHECK, issue_assignee_check)


def _label_object(fake: FakeGitHub, full_name: str, name: str) -> dict[str, Any]:
    existing = {key.lower(): (key, color) for key, color in fake.repo_labels(full_name).items()}
    if name.lower() in existing:
        spelled, color = existing[name.lower()]
        return fake.add_label(full_name, spelled, color)  # returns the stored label unchanged
    return fake.add_label(full_name, name)


def _event(fake: FakeGitHub, full_name: str, number: int, action: str, sender: str,
           label: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if "pull_request" in fake.issue(full_name, number):
        return "pull_request", pull_request_event(fake, full_name, number, action, sender=sender, label=dict(label))
    return "issues", issues_event(fake, full_name, number, action, sender=sender, label=dict(label))


def person_adds_label(fake: FakeGitHub, full_name: str, number: int, name: str,
                      sender: str) -> tuple[str, dict[str, Any]]:
    """`sender` adds a label in the UI; returns (event, payload) of the webhook GitHub sends."""
    label = _label_object(fake, full_name, name)
    labels = fake.issue(full_name, number)["labels"]
    if all(existing["name"].lower() != name.lower() for existing in labels):
        labels.append(label)
    return _event(fake, full_name, number, "labeled", sender, label)


def person_removes_label(fake: FakeGitHub, full_name: str, number: int, name: str,
                         sender: str) -> tuple[str, dict[str, Any]]:
    """`sender` removes a label in the UI; returns (event, payload) of the webhook GitHub sends."""
    labels = fake.issue(full_name, number)["labels"]
    removed = next(existing for existing in labels if existing["name"].lower() == name.lower())
    labels[:] = [existing for existing in labels if existing is not removed]
    return _event(fake, full_name, number, "unlabeled", sender, removed)
