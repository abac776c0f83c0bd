"""Reading files from GitHub: blobs, file contents at a commit, and the go.mod files that
say which Go module a file belongs to."""

from __future__ import annotations

import posixpath

from bot.context import EventContext
from rules.common.linear import compile_linear


async def blob_text(ctx: EventContext, sha: str) -> str | None:
    """A blob's text by its sha; None when GitHub cannot give it."""
    data = await ctx.blob(sha)
    return None if data is None else data.decode("utf-8", "replace")


async def text_at(ctx: EventContext, path: str, ref: str) -> str | None:
    """A file's text at `ref` (a commit sha), undecodable bytes replaced; None when absent."""
    data = await ctx.file_bytes(path, ref)
    return None if data is None else data.decode("utf-8", "replace")


_GO_MODULE = compile_linear(r"(?m)^[ \t]*module\s+\"?([^\s\"/][^\s\"]*)\"?")


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
