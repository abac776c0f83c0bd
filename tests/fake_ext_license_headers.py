"""What the licence-header tests need from the fake GitHub beyond tests/fakegithub.py.

- GraphQL answers with errors on some aliases, as GitHub gives when it cannot resolve one
  object of a query: `data` still holds the others, the failed aliases are null and
  `errors[].path` names them (gidgethub raises QueryError carrying that response).
- A repository tree too large for GitHub to list (`"truncated": true`), which the PR
  files fallback beyond 3,000 files must turn into a failing status.
"""

from __future__ import annotations

import json
import re

from aiohttp import web

from tests.fakegithub import FakeGitHub

_ALIAS = re.compile(r'(\w+)\s*:\s*object\s*\(\s*expression\s*:\s*"((?:[^"\\]|\\.)*)"')


def fail_graphql_objects(fake: FakeGitHub, paths: set[str]) -> list[str]:
    """Make every GraphQL `object(expression: "<sha>:<path>")` for these paths fail with an
    error entry; returns the list of paths that were failed (filled in as queries arrive)."""
    failed: list[str] = []

    async def handler(request: web.Request, _match, fake_: FakeGitHub) -> web.StreamResponse:
        body = await request.json()
        answer = fake_._graphql_builtin(body["query"], body.get("variables") or {})
        errors = []
        repository = ((answer or {}).get("data") or {}).get("repository") or {}
        for alias, expression in _ALIAS.findall(body["query"]):
            path = json.loads(f'"{expression}"').split(":", 1)[1]
            if path in paths:
                repository[alias] = None
                failed.append(path)
                errors.append({"type": "SERVICE_UNAVAILABLE", "path": ["repository", alias],
                               "locations": [{"line": 1, "column": 1}],
                               "message": "Something went wrong while executing your query."})
        if errors:
            answer = {"data": {"repository": repository}, "errors": errors}
        return web.json_response(answer)

    fake.override("POST", r"/graphql", handler)
    return failed


def truncate_trees(fake: FakeGitHub) -> None:
    """Every recursive tree listing comes back truncated."""

    async def handler(request: web.Request, match, fake_: FakeGitHub) -> web.StreamResponse:
        return web.json_response({"sha": "0" * 40, "url": "", "tree": [], "truncated": True})

    fake.override("GET", r"/repos/[^/]+/[^/]+/git/trees/.+", handler)


def set_files(fake: FakeGitHub, repo: str, files: dict[str, str | bytes], *, ref: str | None = None) -> None:
    """Several files on the default branch (or `ref`): a repository's REUSE layout in one call."""
    for path, content in files.items():
        fake.set_file(repo, path, content, ref=ref)


def contents_reads(fake: FakeGitHub, path: str) -> list[str]:
    """The `ref` query of every contents API read of `path`: which branch or commit it came from."""
    refs: list[str] = []
    for request in fake.requests:
        if request.method == "GET" and request.path.endswith(f"/contents/{path}"):
            refs.append(str(request.query.get("ref", "")))
    return refs
