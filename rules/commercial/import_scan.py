"""The import check: added lines of open files that import commercial code.

When GitHub gives no diff for a file (diff too large, PR over 3,000 files), the added
lines are rebuilt from the file's old and new contents; past a read budget the check
fails closed and names the files it could not read.
"""

from __future__ import annotations

import asyncio
import functools
import posixpath
from dataclasses import dataclass, field
from typing import Any

from bot.context import EventContext
from rules.commercial.boundary import (
    CommercialPaths,
    ForbiddenImport,
    find_forbidden_imports,
    find_imports,
    language_for,
    patch_from_contents,
)
from rules.commercial.boundary.paths import LANG_JS
from rules.commercial.boundary.tsconfig import UnusableConfig, merge_aliases, tsconfig_aliases

from .config import CommercialConfig
from .reads import blob_text, go_modules, text_at

# Files GitHub gives no patch for are read whole (two reads each); past this many the
# import check fails closed instead of spending the installation's rate limit.
MAX_UNPATCHED_FILES = 300
MAX_UNPATCHED_BYTES = 10 * 1024 * 1024
READ_CONCURRENCY = 8
REMOVED = "removed"


@dataclass
class ImportScan:
    found: list[ForbiddenImport] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    unusable_configs: dict[str, str] = field(default_factory=dict)  # tsconfig path -> why it was not read


def _needs_import_check(f: dict[str, Any], commercial: CommercialPaths) -> bool:
    name = f.get("filename") or ""
    return f.get("status") != REMOVED and language_for(name) is not None and not commercial.matches(name)


def _has_patch(f: dict[str, Any]) -> bool:
    """Whether the file's added lines are known without reading it (a patch, or nothing added)."""
    return f.get("patch") is not None or f.get("additions") == 0


async def scan_imports(ctx: EventContext, config: CommercialConfig, files: list[dict[str, Any]],
                       commercial: CommercialPaths) -> ImportScan:
    scan = ImportScan()
    checked = [f for f in files if _needs_import_check(f, commercial)]
    unpatched = [f for f in checked if not _has_patch(f)]
    too_large = [f for f in unpatched if int(f.get("size") or 0) > MAX_UNPATCHED_BYTES]
    if len(unpatched) > MAX_UNPATCHED_FILES:
        scan.unreadable = sorted(f["filename"] for f in unpatched)
        unpatched = []
    elif too_large:
        scan.unreadable = sorted(f["filename"] for f in too_large)
        unpatched = [f for f in unpatched if f not in too_large]
    patches: dict[str, str] = {f["filename"]: f["patch"] for f in checked if f.get("patch") is not None}
    if unpatched:
        patches.update(await rebuild_patches(ctx, unpatched, scan))
    pr = await ctx.pull_request()
    # A PR that edits JSON may be adding a tsconfig alias for its own import: read its head too.
    refs = AliasRefs(pr["base"]["sha"], pr["head"]["sha"] if any(_is_json(f) for f in files) else None)
    for name in sorted(patches):
        try:
            scan.found.extend(await _forbidden_in(ctx, config, commercial, name, patches[name], refs))
        except UnusableConfig as exc:  # its aliases are unknown: the check fails and says why
            scan.unusable_configs[exc.path] = exc.reason
    scan.found.sort(key=lambda i: (i.file, i.line))
    return scan


async def rebuild_patches(ctx: EventContext, files: list[dict[str, Any]], scan: ImportScan) -> dict[str, str]:
    """Patches rebuilt from old and new contents for files GitHub gave no patch for."""
    base = await ctx.merge_base()
    limit = asyncio.Semaphore(READ_CONCURRENCY)

    async def one(f: dict[str, Any]) -> tuple[str, str | None]:
        async with limit:
            head = await blob_text(ctx, f["sha"])
            if head is None or len(head) > MAX_UNPATCHED_BYTES:
                return f["filename"], None
            old = None
            if f.get("status") != "added":
                old = await text_at(ctx, f.get("previous_filename") or f["filename"], base)
            return f["filename"], patch_from_contents(old, head)

    patches: dict[str, str] = {}
    for name, patch in await asyncio.gather(*(one(f) for f in files)):
        if patch is None:
            scan.unreadable.append(name)
        else:
            patches[name] = patch
    scan.unreadable.sort()
    return patches


@dataclass(frozen=True)
class AliasRefs:
    """Where tsconfig aliases are read: the base commit, and the head when the PR edits JSON."""

    base: str
    head: str | None = None


def _is_json(f: dict[str, Any]) -> bool:
    names = (f.get("filename") or "", f.get("previous_filename") or "")
    return any(name.lower().endswith((".json", ".jsonc")) for name in names)


async def _forbidden_in(ctx: EventContext, config: CommercialConfig, commercial: CommercialPaths, path: str,
                        patch: str, refs: AliasRefs) -> list[ForbiddenImport]:
    modules: list[tuple[str, str]] = []
    if language_for(path) == "go":
        if not find_imports(path, patch):
            return []  # no import added: no need to look for go.mod
        modules = await go_modules(ctx, path, refs.base)
    aliases: dict[str, Any] = dict(config.import_aliases)
    if language_for(path) == LANG_JS and _has_bare_js_import(path, patch):
        # The repository's own aliases first; the rules file's override them key by key.
        found = await js_aliases(ctx, path, refs.base)
        if refs.head is not None:
            # Base and head together: an alias the PR adds or changes can only catch more.
            found = merge_aliases(found, await js_aliases(ctx, path, refs.head))
        aliases = {**found, **aliases}
    return await ctx.offload(scan_patch, path, patch, tuple(config.paths), aliases, tuple(config.python_roots),
                             tuple(modules))


@functools.lru_cache(maxsize=16)
def _commercial(globs: tuple[str, ...]) -> CommercialPaths:
    return CommercialPaths(list(globs))


def scan_patch(path: str, patch: str, globs: tuple[str, ...], aliases: dict[str, Any],
               python_roots: tuple[str, ...], go_modules: tuple[tuple[str, str], ...]) -> list[ForbiddenImport]:
    """The forbidden imports on a patch's added lines: run in the framework's worker processes
    (`EventContext.offload`), so a large patch never holds the event loop."""
    return find_forbidden_imports(path, patch, _commercial(globs), aliases=aliases,
                                  python_roots=python_roots, go_modules=go_modules)


def _has_bare_js_import(path: str, patch: str) -> bool:
    """An added import that is neither relative nor rooted: only those can go through an alias."""
    return any(not ref.specifier.startswith((".", "/"))
               for ref in find_imports(path, patch, aliases={"*": "*"}))  # `*`: keep bare ones


async def js_aliases(ctx: EventContext, path: str, ref: str) -> dict[str, list[str]]:
    """tsconfig aliases in effect for `path` at commit `ref`, read once per folder, commit and event."""
    folder = posixpath.dirname(path)
    return await ctx.memo(("commercial-tsconfig", folder, ref), lambda: tsconfig_aliases(
        lambda config_path: text_at(ctx, config_path, ref), path))
