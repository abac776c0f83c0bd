"""Reading files from GitHub: blobs, file contents at a commit, and the go.mod files that
say which Go module a file belongs to."""

from __future__ import annotations

import base64
import posixpath
import re
from typing import Any
from urllib.parse import quote

import gidgethub

from bot.context import EventContext


def _decode(item: dict[str, Any]) -> str:
    raw = item.get("content") or ""
    data = base64.b64decode(raw) if item.get("encoding") == "base64" else raw.encode()
    return data.decode("utf-8", "replace")


async def blob_text(ctx: EventContext, sha: str) -> str | None:
    """A blob's text by its sha; None when GitHub cannot give it."""
    data = await ctx.blob(sha)
    return None if data is None else data.decode("utf-8", "replace")


async def text_at(ctx: EventContext, path: str, ref: str) -> str | None:
    """A file's text at `ref` (a commit sha); None when it does not exist there.

    Probing folders for go.mod or tsconfig.json meets mostly 404s, which carry no ETag;
    at a fixed commit the answer cannot change, so the installation's client remembers it.
    """
    url = f"/repos/{ctx.repo_full_name}/contents/{quote(path, safe='/')}?ref={ref}"
    absent = getattr(ctx.gh, "absent_files", None)

    async def read() -> dict[str, Any] | list | None:
        if absent is not None and url in absent:
            return None
        try:
            return await ctx.gh.getitem(url)
        except gidgethub.BadRequest as exc:
            if int(exc.status_code) == 404:
                if absent is not None:
                    absent[url] = True
                return None
            raise
    item = await ctx.memo(("commercial-contents", path, ref), read)
    if not isinstance(item, dict) or item.get("type", "file") != "file":
        return None
    if item.get("encoding") == "base64":
        return _decode(item)
    return await blob_text(ctx, item["sha"])  # too large for the contents API (None: unreadable)


_GO_MODULE = re.compile(r"^\s*module\s+\"?([^\s\"/][^\s\"]*)\"?", re.MULTILINE)


async def go_modules(ctx: EventContext, path: str, ref: str) -> list[tuple[str, str]]:
    """The Go modules enclosing `path` (nearest first), from the base branch's go.mod files,
    so a pull request cannot rename its module to slip an import past the check."""
    folder = posixpath.dirname(path)
    modules: list[tuple[str, str]] = []
    while True:
        text = await text_at(ctx, posixpath.join(folder, "go.mod") if folder else "go.mod", ref)
        match = _GO_MODULE.search(text or "")
        if match:
            modules.append((match.group(1), folder))
        if not folder:
            return modules
        folder = posixpath.dirname(folder)
