"""Commercial path matching with gitignore semantics.

``CommercialPaths`` answers two questions:

* ``matches(path)``: is this repository file inside a commercial path?
* ``matches_module_dir(target)``: an import resolved to a repository path whose
  real file name is unknown (``ee/billing`` may be ``ee/billing.py``,
  ``ee/billing/__init__.py``, ``ee/billing/index.ts`` or a Go package
  directory); does any of its plausible files or the directory lie in a
  commercial path?

Pure and I/O-free.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable

from bot.globs import compile_globs

__all__ = [
    "CommercialPaths",
    "normalize_repo_path",
    "LANG_PYTHON",
    "LANG_JS",
    "LANG_GO",
]

LANG_PYTHON = "python"
LANG_JS = "js"
LANG_GO = "go"

# Name of a synthetic file placed inside a directory to ask "is this directory
# commercial?"; chosen so that ordinary globs do not single it out.
_PROBE = "__module__"

_PY_SUFFIXES = (".py", ".pyi", "/__init__.py", "/__init__.pyi")
_JS_EXTS = (
    ".ts", ".tsx", ".d.ts", ".mts", ".cts",
    ".js", ".jsx", ".mjs", ".cjs",
    ".vue", ".svelte", ".json",
)
_JS_SUFFIXES = _JS_EXTS + tuple(
    "/index" + ext for ext in (
        ".ts", ".tsx", ".d.ts", ".mts", ".cts",
        ".js", ".jsx", ".mjs", ".cjs", ".vue", ".svelte",
    )
)
# TypeScript (ESM) writes the emitted extension in imports: ``./x.js`` is ``x.ts``.
_JS_EXT_SWAPS = {
    ".js": (".ts", ".tsx", ".d.ts"),
    ".jsx": (".tsx",),
    ".mjs": (".mts", ".d.mts"),
    ".cjs": (".cts", ".d.cts"),
}

_CACHE_LIMIT = 4096


def normalize_repo_path(path: str) -> str | None:
    """Normalise a repository-relative POSIX path.

    Strips leading ``./`` and ``/``, collapses ``.``/``..`` segments and
    duplicate slashes. Returns ``""`` for the repository root and ``None``
    when the path climbs above the root.
    """
    if path is None:
        return None
    p = path.replace("\\", "/").strip()
    if not p:
        return ""
    p = p.lstrip("/")
    if not p:
        return ""
    norm = posixpath.normpath(p)
    if norm == ".":
        return ""
    if norm == ".." or norm.startswith("../"):
        return None
    return norm


def _last_segment_has_dot(path: str) -> bool:
    return "." in path.rsplit("/", 1)[-1]


class CommercialPaths:
    """Gitignore-style set of commercial path globs (``**`` crosses folders)."""

    def __init__(self, globs: Iterable[str] | None):
        self.globs: list[str] = [g for g in (globs or []) if isinstance(g, str) and g.strip()]
        self._spec = compile_globs(self.globs)
        self._cache: dict[str, bool] = {}

    def __bool__(self) -> bool:
        return bool(self.globs)

    def __repr__(self) -> str:
        return f"CommercialPaths({self.globs!r})"

    # -- plain files -------------------------------------------------------

    def _match_normalized(self, path: str) -> bool:
        hit = self._cache.get(path)
        if hit is None:
            hit = bool(self._spec.match_file(path))
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[path] = hit
        return hit

    def matches(self, path: str) -> bool:
        """True if the repository file ``path`` lies in a commercial path."""
        if not self.globs:
            return False
        norm = normalize_repo_path(path)
        if not norm:
            return False
        return self._match_normalized(norm)

    # -- import targets ----------------------------------------------------

    def candidates(self, path_without_ext: str, language: str | None = None) -> list[str]:
        """Plausible repository paths for an import target, most specific first.

        ``language`` is ``"python"``, ``"js"``, ``"go"`` or ``None`` (all of
        them). Directory candidates are ``path/`` and a file inside it.
        """
        base = normalize_repo_path(path_without_ext)
        if not base:
            return []
        out: list[str] = []
        if language == LANG_PYTHON:
            out.extend(base + s for s in _PY_SUFFIXES)
        elif language == LANG_GO:
            out.append(base + "/" + _PROBE + ".go")
        elif language == LANG_JS:
            if _last_segment_has_dot(base):
                out.append(base)
                for ext, repl in _JS_EXT_SWAPS.items():
                    if base.endswith(ext):
                        stem = base[: -len(ext)]
                        out.extend(stem + r for r in repl)
            out.extend(base + s for s in _JS_SUFFIXES)
        else:
            out.append(base)
            out.extend(base + s for s in _PY_SUFFIXES)
            out.extend(base + s for s in _JS_SUFFIXES)
            out.append(base + "/" + _PROBE + ".go")
        out.append(base + "/")
        out.append(base + "/" + _PROBE)
        # de-duplicate, keep order
        seen: set[str] = set()
        uniq = []
        for c in out:
            if c not in seen:
                seen.add(c)
                uniq.append(c)
        return uniq

    def matching_candidate(self, path_without_ext: str, language: str | None = None) -> str | None:
        """The first candidate of :meth:`candidates` that is commercial, or None."""
        if not self.globs:
            return None
        for cand in self.candidates(path_without_ext, language):
            if self._match_normalized(cand):
                return cand
        return None

    def matches_module_dir(self, path_without_ext: str, language: str | None = None) -> bool:
        """True if an import target (file of unknown extension, or directory)
        lies in a commercial path.

        Tries the path itself (when it can be a complete file name), the path
        as a directory (``path/`` and a file inside it) and the path with the
        candidate extensions/index files of ``language``.
        """
        return self.matching_candidate(path_without_ext, language) is not None
