"""Test helpers for the CLA rule on top of the fake GitHub (its public builders only).

- commit specs for the fake's `add_pull_request(commits=...)`;
- merge groups: GitHub compares `base_sha...head_sha` of the group's temporary branch. The
  fake answers compare for a pull request's base and head, so a merge group is registered
  as a closed pull request on a `gh-readonly-queue/...` branch holding the group's commits
  (which also makes its commits known to the fake's GraphQL);
- the `merge_group.checks_requested` payload.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
from typing import Any

from tests.harness import INSTALLATION_ID

_counter = itertools.count(1)


def sha(seed: int | str) -> str:
    """A deterministic, valid 40-hex SHA."""
    return hashlib.sha1(f"cla-test:{seed}".encode()).hexdigest()


def noreply(fake, login: str) -> str:
    user = fake.add_user(login)  # the existing account, or a new one
    return f"{user['id']}+{user['login']}@users.noreply.github.com"


def commit_by(fake, login: str, *, message: str = "Change things", committer: dict | None = None,
              sha_value: str | None = None) -> dict[str, Any]:
    """A commit authored by `login` through their noreply address (linked to the account)."""
    spec: dict[str, Any] = {"sha": sha_value or sha(next(_counter)), "message": message,
                            "author": {"name": login, "email": noreply(fake, login)}}
    if committer is not None:
        spec["committer"] = committer
    return spec


def commit_by_email(name: str, email: str, *, message: str = "Change things", sha_value: str | None = None) -> dict:
    """A commit whose author is only a git name and email (linked only if an account has the email)."""
    return {"sha": sha_value or sha(next(_counter)), "message": message, "author": {"name": name, "email": email}}


WEB_FLOW = {"name": "GitHub", "email": "noreply@github.com"}


def add_web_flow(fake) -> dict:
    """GitHub's committer for web edits and merges (id 19864447 on github.com)."""
    return fake.add_user("web-flow", id=19864447, emails=["noreply@github.com"])


def add_merge_group(fake, full_name: str, *, base_sha: str, commits: list[dict], head_sha: str,
                    number: int = 9000) -> dict[str, Any]:
    """Register a merge group's commits so `compare base_sha...head_sha` lists them."""
    fake.add_pull_request(full_name, number, author=fake.repo(full_name)["owner"]["login"], title="merge group",
                          head_sha=head_sha, base_sha=base_sha, head_ref=f"gh-readonly-queue/main/pr-{number}",
                          commits=commits, state="closed")
    return {"head_sha": head_sha, "head_ref": f"refs/heads/gh-readonly-queue/main/pr-{number}",
            "base_sha": base_sha, "base_ref": "refs/heads/main",
            "head_commit": {"id": head_sha, "tree_id": sha("tree"), "message": commits[-1].get("message", ""),
                            "timestamp": "2024-01-01T00:00:00Z", "author": commits[-1]["author"],
                            "committer": commits[-1].get("committer") or commits[-1]["author"]}}


def merge_group_event(fake, full_name: str, merge_group: dict[str, Any], *, sender: str) -> dict[str, Any]:
    repository = copy.deepcopy(fake.repo(full_name))
    payload: dict[str, Any] = {
        "action": "checks_requested", "merge_group": copy.deepcopy(merge_group), "repository": repository,
        "installation": {"id": INSTALLATION_ID}, "sender": copy.deepcopy(fake.user(sender)),
    }
    if repository["owner"].get("type") == "Organization":
        payload["organization"] = {"login": repository["owner"]["login"], "id": repository["owner"]["id"]}
    return payload
