"""TypeScript's own import aliases, read from `tsconfig.json` as the compiler reads them.

Open-core monorepos reach commercial code through aliases (`@/ee/billing`, `~ee/...`,
`@acme/ee`) declared in `compilerOptions.paths`, or through `baseUrl` (`import "ee/x"`).
Asking maintainers to repeat those in the rules file would leave the check blind the day
someone adds an alias; so the file's nearest `tsconfig.json` on the base branch is read,
following relative `extends`, and turned into the alias map `imports.py` resolves with.

TypeScript's rules kept here: `paths` targets resolve against `baseUrl` when one is set,
else against the folder of the file that declares `paths`; `baseUrl` itself against the
folder of the file that declares it; a child's `paths` or `baseUrl` replaces its parent's.
With `baseUrl`, a bare specifier is also looked up under it, after any `paths` mapping fails
(the `*` entry, and a `baseUrl` candidate added to every other key), so `import "ee/x"`
from `baseUrl: "."` is the repository's `ee/x`, not a package. A solution-style config
(`files: []` plus `references`, Vite's layout) contributes the aliases of the projects it
references; plain JavaScript projects use `jsconfig.json`, read the same way.

A config is read within limits (`rules.common.jsonc`), each distinct text parsed once; one
too large or too deeply nested raises `UnusableConfig`, so the check can say so and fail
rather than guess.
"""

from __future__ import annotations

import functools
import logging
import posixpath
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from rules.common.jsonc import Refused, loads_jsonc
from rules.commercial.boundary.paths import normalize_repo_path

log = logging.getLogger(__name__)

CONFIG_NAMES = ("tsconfig.json", "jsconfig.json")
MAX_EXTENDS = 8  # a longer chain is a loop or a mistake
MAX_REFERENCES = 10
Reader = Callable[[str], Awaitable[str | None]]


@dataclass
class _Options:
    """`baseUrl` and `paths` as finally in effect, each with the folder it resolves against."""

    base_url: str | None = None  # repository path of the resolved baseUrl folder
    paths: dict[str, list[str]] | None = None
    paths_dir: str = ""  # folder of the file that declared `paths`


class UnusableConfig(Exception):
    """A tsconfig the bot refuses to read (too large, nested too deeply)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@functools.lru_cache(maxsize=64)
def _parsed(text: str) -> dict[str, Any] | Refused | None:
    data = loads_jsonc(text)
    return data if isinstance(data, (dict, Refused)) else None


def parse(text: str) -> dict[str, Any] | None:
    """A tsconfig's content (comments and trailing commas allowed, as tsc allows); None if broken.
    Raises `UnusableConfig` (path unknown here: "") past the size or nesting limit."""
    data = _parsed(text)
    if isinstance(data, Refused):
        raise UnusableConfig("", data.reason)
    return data


def _parse_at(text: str, config_path: str) -> dict[str, Any] | None:
    try:
        return parse(text)
    except UnusableConfig as exc:
        raise UnusableConfig(config_path, exc.reason) from None


def _extends(data: dict[str, Any], config_path: str) -> list[str]:
    """Repository paths of the configs this one extends (relative ones only: a package's preset
    lives in node_modules, which is not in the repository)."""
    value = data.get("extends")
    entries = [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)] if isinstance(
        value, list) else []
    folder = posixpath.dirname(config_path)
    found = []
    for entry in entries:
        if not entry.startswith("."):
            continue
        path = normalize_repo_path(posixpath.join(folder, entry))
        if path:
            found.append(path if path.endswith(".json") else path + ".json")
    return found


async def _options(read: Reader, config_path: str, depth: int = 0) -> _Options:
    text = await read(config_path)
    data = _parse_at(text, config_path) if text is not None else None
    if data is None:
        if text is not None:
            log.info("commercial: %s is not valid JSON; its import aliases are not known", config_path)
        return _Options()
    options = _Options()
    if depth < MAX_EXTENDS:
        for parent in _extends(data, config_path):  # later entries override earlier ones, as in tsc
            inherited = await _options(read, parent, depth + 1)
            options.base_url = inherited.base_url if inherited.base_url is not None else options.base_url
            if inherited.paths is not None:
                options.paths, options.paths_dir = inherited.paths, inherited.paths_dir
    compiler = data.get("compilerOptions")
    if not isinstance(compiler, dict):
        return options
    folder = posixpath.dirname(config_path)
    base_url = compiler.get("baseUrl")
    if isinstance(base_url, str):
        options.base_url = normalize_repo_path(posixpath.join(folder, base_url)) or ""
    paths = compiler.get("paths")
    if isinstance(paths, dict):
        options.paths = {key: [t for t in (targets if isinstance(targets, list) else [targets]) if isinstance(t, str)]
                         for key, targets in paths.items() if isinstance(key, str)}
        options.paths_dir = folder
    return options


def aliases_from(options: _Options) -> dict[str, list[str]]:
    """The alias map for `imports.resolve_js_specifier`: repository paths, `*` kept."""
    aliases: dict[str, list[str]] = {}
    if options.paths:
        base = options.base_url if options.base_url is not None else options.paths_dir
        for key, targets in options.paths.items():
            resolved = [normalize_repo_path(posixpath.join(base, target)) for target in targets]
            if options.base_url is not None:  # tsc falls back to baseUrl when no mapping resolves
                resolved.append(normalize_repo_path(posixpath.join(options.base_url, key)))
            if kept := list(dict.fromkeys(t for t in resolved if t is not None)):
                aliases[key] = kept
    if options.base_url is not None and "*" not in aliases:
        aliases["*"] = [posixpath.join(options.base_url, "*") if options.base_url else "*"]
    return aliases


def merge_aliases(*maps: dict[str, list[str]]) -> dict[str, list[str]]:
    """Every map's targets for each key: an import is checked against all of them."""
    merged: dict[str, list[str]] = {}
    for aliases in maps:
        for key, targets in aliases.items():
            merged[key] = list(dict.fromkeys([*merged.get(key, []), *targets]))
    return merged


async def nearest_tsconfig(read: Reader, file_path: str) -> str | None:
    """The `tsconfig.json` closest above `file_path`, as tsc picks it; else the closest
    `jsconfig.json` (looked for only when there is no tsconfig, to keep probes few)."""
    for name in CONFIG_NAMES:
        folder = posixpath.dirname(file_path)
        while True:
            candidate = posixpath.join(folder, name) if folder else name
            if await read(candidate) is not None:
                return candidate
            if not folder:
                break
            folder = posixpath.dirname(folder)
    return None


def _references(data: dict[str, Any], config_path: str) -> list[str]:
    """Repository paths of the projects a solution-style config references."""
    folder = posixpath.dirname(config_path)
    found = []
    for entry in data.get("references") or []:
        target = entry.get("path") if isinstance(entry, dict) else None
        if not isinstance(target, str):
            continue
        path = normalize_repo_path(posixpath.join(folder, target))
        if path is not None:
            found.append(path if path.endswith(".json") else posixpath.join(path, "tsconfig.json"))
    return found[:MAX_REFERENCES]


async def tsconfig_aliases(read: Reader, file_path: str) -> dict[str, list[str]]:
    """The import aliases in effect for `file_path`, from its nearest tsconfig; {} if none."""
    config = await nearest_tsconfig(read, file_path)
    if config is None:
        return {}
    aliases = aliases_from(await _options(read, config))
    text = await read(config)
    data = _parse_at(text, config) if text is not None else None
    for referenced in _references(data or {}, config):
        aliases = merge_aliases(aliases, aliases_from(await _options(read, referenced)))
    return aliases
