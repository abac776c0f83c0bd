"""Pushes to a branch in the fake GitHub, and the `push` webhook payload GitHub sends for them.

The payload has the parts GitHub documents for `push` that the bot reads: `ref`
(`refs/heads/BRANCH`), `before`/`after`, `created`/`deleted`/`forced`, `commits` (each with
`added`, `modified` and `removed` paths), `head_commit`, `repository` (with `default_branch`),
`installation`, `sender`.
"""

from __future__ import annotations

import copy
import secrets
from typing import Any

from tests.fakegithub import FakeGitHub
from tests.harness import INSTALLATION_ID


def push(fake: FakeGitHub, full_name: str, files: dict[str, str | bytes | None], *, branch: str | None = None,
         sender: str = "dana", message: str = "Update files", installation_id: int = INSTALLATION_ID,
         **flags: Any) -> dict[str, Any]:
    """Write (or, with None, delete) `files` on `branch` (default: the default branch) in one commit;
    return the `push` payload. `flags` set `forced`/`created` as GitHub would."""
    repo = fake._repo(full_name)
    default = repo.data["default_branch"]
    branch = branch or default
    snapshot = repo.snapshots.setdefault(branch, dict(repo.snapshots[default]))
    added, modified, removed = [], [], []
    for path, content in files.items():
        if content is None:
            if path in snapshot:
                removed.append(path)
        else:
            (modified if path in snapshot else added).append(path)
        fake.set_file(full_name, path, content, ref=branch)
    before = repo.branch_shas.get(branch, "0" * 40)
    after = secrets.token_hex(20)
    repo.branch_shas[branch] = after
    repo.known_shas.add(after)
    author = {"name": sender, "email": f"{sender}@users.noreply.github.com", "username": sender}
    commit = {"id": after, "tree_id": secrets.token_hex(20), "distinct": True, "message": message,
              "timestamp": "2026-01-01T00:00:00Z", "author": author, "committer": author,
              "added": added, "modified": modified, "removed": removed,
              "url": f"https://github.com/{full_name}/commit/{after}"}
    payload: dict[str, Any] = {
        "ref": f"refs/heads/{branch}", "before": before, "after": after,
        "created": False, "deleted": False, "forced": False, "base_ref": None,
        "compare": f"https://github.com/{full_name}/compare/{before[:12]}...{after[:12]}",
        "commits": [commit], "head_commit": commit,
        "repository": copy.deepcopy(repo.data),
        "pusher": {"name": sender, "email": author["email"]},
        "installation": {"id": installation_id},
        "sender": copy.deepcopy(fake.add_user(sender)),
    }
    payload.update(flags)
    return payload
