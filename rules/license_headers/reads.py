"""Reading the top of many files at a pull request's head with as few requests as possible.

One GraphQL query reads up to :data:`GRAPHQL_BATCH` files, each as an aliased
`object(expression: "<sha>:<path>")`; a file GraphQL could not give (an error on its alias,
a failed query, text withheld) is read through REST instead: the contents API, then the
git blobs API by the blob sha the files list gave (it also serves files over 1 MB).
Only the first :data:`KEEP_CHARS` characters are kept: a header lives at the top.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import gidgethub

from bot.errors import RetryLater
from bot.github import get_if_present

from .core.policy import reuse_enabled
from .core.reuse import DEP5_PATH, TOML_NAME, ReuseError, ReuseIndex, toml_paths

if TYPE_CHECKING:
    from bot.context import EventContext

__all__ = ["GRAPHQL_BATCH", "BaseReuse", "FileHead", "Wanted", "base_reuse", "blob_query", "graphql_string",
           "read_heads"]

log = logging.getLogger(__name__)

GRAPHQL_BATCH = 100  # aliases per query: one point of GraphQL rate limit whatever the count
GRAPHQL_CONCURRENCY = 3
REST_CONCURRENCY = 8
KEEP_CHARS = 64 * 1024
BINARY_SNIFF = 8192


@dataclass(frozen=True)
class Wanted:
    """A file to read: its path at the head, and its blob sha when the files list gave one."""

    path: str
    sha: str | None = None


@dataclass(frozen=True)
class FileHead:
    """The top of one file, or why there is no text: binary, or no regular file at that path."""

    text: str | None = None
    binary: bool = False
    missing: bool = False


def graphql_string(value: str) -> str:
    """`value` as a GraphQL string literal. GraphQL's escapes (\\" \\\\ \\n \\uXXXX ...) are
    JSON's, so JSON encoding is exact; non-ASCII stays literal (valid GraphQL source)."""
    return json.dumps(value, ensure_ascii=False)


def blob_query(owner: str, name: str, head: str, paths: Sequence[str]) -> str:
    """One query reading every path at `head`, aliased f0, f1, ... in order."""
    fields = "\n".join(
        f"    f{i}: object(expression: {graphql_string(f'{head}:{path}')}) "
        "{ ... on Blob { byteSize isBinary isTruncated text } }"
        for i, path in enumerate(paths))
    return (f"query {{\n  repository(owner: {graphql_string(owner)}, name: {graphql_string(name)}) {{\n"
            f"{fields}\n  }}\n}}")


def _from_node(node: Any) -> FileHead | None:
    """A GraphQL answer for one alias, or None when it must be read through REST."""
    if node is None:
        return None  # no object at that path: let REST confirm (or give a reason)
    if not isinstance(node, dict):
        return None
    if not node:
        return FileHead(missing=True)  # a tree or a submodule commit, not a blob
    if node.get("isBinary"):
        return FileHead(binary=True)
    text = node.get("text")
    if not isinstance(text, str):
        return None
    # isTruncated: GitHub cut the text (at about 512 kB); the top, which is all we read, is intact.
    return FileHead(text=text[:KEEP_CHARS])


def _is_rate_limit(exc: gidgethub.BadGraphQLRequest) -> bool:
    return int(exc.status_code) in (403, 429)


async def _graphql_batch(ctx: "EventContext", head: str, batch: Sequence[Wanted],
                         out: dict[str, FileHead]) -> list[Wanted]:
    """Read one batch; return the files that need REST."""
    query = blob_query(ctx.owner, ctx.repo_name, head, [w.path for w in batch])
    failed_aliases: set[str] = set()
    try:
        data = await ctx.gh.graphql(query)
    except gidgethub.BadGraphQLRequest as exc:
        if _is_rate_limit(exc):
            raise
        log.warning("GraphQL refused a file batch (%s); reading %d files through REST", exc, len(batch))
        return list(batch)
    except gidgethub.QueryError as exc:  # partial answer: keep what came back
        response = exc.response if isinstance(exc.response, dict) else {}
        data = response.get("data")
        for error in response.get("errors") or []:
            path = error.get("path") if isinstance(error, dict) else None
            if isinstance(path, list) and len(path) >= 2:
                failed_aliases.add(str(path[1]))
        log.info("GraphQL answered %d errors for a file batch; falling back for those",
                 len(response.get("errors") or []))
    except (gidgethub.GraphQLException, RetryLater) as exc:
        log.warning("GraphQL failed for a file batch (%s); reading %d files through REST", exc, len(batch))
        return list(batch)
    repository = (data or {}).get("repository") if isinstance(data, dict) else None
    if not isinstance(repository, dict):
        return list(batch)
    fallback: list[Wanted] = []
    for index, wanted in enumerate(batch):
        alias = f"f{index}"
        head_of_file = None if alias in failed_aliases else _from_node(repository.get(alias))
        if head_of_file is None:
            fallback.append(wanted)
        else:
            out[wanted.path] = head_of_file
    return fallback


async def _read_rest(ctx: "EventContext", head: str, wanted: Wanted) -> FileHead:
    text = await ctx.file_text(wanted.path, head)
    if text is not None:
        return FileHead(text=text[:KEEP_CHARS])
    if not wanted.sha:
        return FileHead(missing=True)
    data = await ctx.blob(wanted.sha)
    if data is None:
        return FileHead(missing=True)
    if b"\0" in data[:BINARY_SNIFF]:
        return FileHead(binary=True)
    return FileHead(text=data[: KEEP_CHARS * 4].decode("utf-8", "surrogateescape")[:KEEP_CHARS])


async def read_heads(ctx: "EventContext", head: str, wanted: Sequence[Wanted]) -> dict[str, FileHead]:
    """The top of every wanted file at `head`, keyed by path."""
    out: dict[str, FileHead] = {}
    unique = list({w.path: w for w in wanted}.values())
    batches = [unique[i:i + GRAPHQL_BATCH] for i in range(0, len(unique), GRAPHQL_BATCH)]
    graphql_slots = asyncio.Semaphore(GRAPHQL_CONCURRENCY)

    async def run_batch(batch: Sequence[Wanted]) -> list[Wanted]:
        async with graphql_slots:
            return await _graphql_batch(ctx, head, batch, out)

    fallback = [w for found in await asyncio.gather(*(run_batch(b) for b in batches)) for w in found]
    rest_slots = asyncio.Semaphore(REST_CONCURRENCY)

    async def rest(w: Wanted) -> None:
        async with rest_slots:
            out[w.path] = await _read_rest(ctx, head, w)

    await asyncio.gather(*(rest(w) for w in fallback))
    return out


@dataclass(frozen=True)
class BaseReuse:
    """The REUSE information of a pull request's base branch, and which `.license`
    sidecars exist there (a PR's own added or removed sidecars are taken from its file list)."""

    index: ReuseIndex
    base_files: frozenset[str]

    def has_sidecar(self, path: str, changed: dict[str, Any]) -> bool:
        status = changed.get(path)
        if status is not None:
            return status != "removed"
        return path in self.base_files


async def base_reuse(ctx: "EventContext", pr: dict[str, Any], configured: bool | None) -> BaseReuse | None:
    """Read REUSE.toml files and `.reuse/dep5` from the PR's base branch, so a pull request
    cannot annotate its own files away; None when REUSE is off. Raises :class:`ReuseError`
    when they do not follow the specification."""
    if configured is False:
        return None
    ref = (pr.get("base") or {}).get("ref") or ctx.repository.get("default_branch")
    if not ref:
        return None
    root_toml, dep5 = await asyncio.gather(ctx.file_text(TOML_NAME, ref), ctx.file_text(DEP5_PATH, ref))
    if not reuse_enabled(configured, root_toml is not None or dep5 is not None):
        return None
    tomls = {TOML_NAME: root_toml} if root_toml is not None else {}
    files: frozenset[str] = frozenset()
    tree = await get_if_present(ctx.gh, f"/repos/{ctx.repo_full_name}/git/trees/{ref}?recursive=1",
                                missing=frozenset({404, 409, 422}), remember=False)
    if isinstance(tree, dict):
        files = frozenset(e["path"] for e in tree.get("tree") or [] if e.get("type") == "blob" and "path" in e)
        if tree.get("truncated"):
            log.info("base tree of %s is truncated; nested REUSE.toml files beyond the root may be missed",
                     ctx.repo_full_name)
    nested = [p for p in toml_paths(files) if p != TOML_NAME and not p.startswith("LICENSES/")]
    texts = await asyncio.gather(*(ctx.file_text(p, ref) for p in nested))
    tomls.update({p: t for p, t in zip(nested, texts) if t is not None})
    try:
        return BaseReuse(ReuseIndex.parse(tomls, dep5), files)
    except ReuseError as exc:
        raise ReuseError(f"{exc} (on {ref})") from None
