"""Gitignore-style globs in the rules file: one validation and one compiled-spec cache for every rule.

Rules name files with gitignore globs (`ee/**`, `!docs/**`). Validating them when the rules
file loads turns a typo into a `field.path: message` line on `governance/config` instead of
a failure on every pull request; compiling them through one cache means a rule evaluated on
each event does not recompile the same globs each time.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import pathspec

__all__ = ["check_glob", "compile_globs", "validate_globs"]


def compile_globs(values: Iterable[str]) -> pathspec.GitIgnoreSpec:
    """One spec for a list of globs; later `!negations` take files back out, as in .gitignore.

    Raises what pathspec raises for a glob it cannot parse (the type varies by version).
    """
    return _compile(tuple(values))


@functools.lru_cache(maxsize=256)
def _compile(globs: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(globs)


def check_glob(glob: str) -> str:
    """One glob, or ValueError saying why it cannot be used (empty, a comment, unparsable,
    or selecting nothing)."""
    if not glob.strip() or glob.strip() == "!":
        raise ValueError("a glob cannot be empty")
    if glob.lstrip().startswith("#"):
        raise ValueError(f"{glob!r} is a comment in gitignore syntax, so it matches nothing; escape it as \\#")
    try:
        spec = compile_globs([glob])
    except Exception as exc:  # pathspec raises several types for bad patterns, varying by version
        raise ValueError(f"invalid glob: {exc}") from None
    if not any(pattern.include is not None for pattern in spec.patterns):
        raise ValueError(f"{glob!r} matches nothing")
    return glob


def validate_globs(values: Iterable[str], *, allow_empty: bool, require_positive: bool = False,
                   example: str | None = None, names: str = "files") -> list[str]:
    """The globs stripped of surrounding spaces, or ValueError with a message for the rules file.

    `allow_empty`: whether an empty list is fine (an exclusion list may be empty; a list of
    files to check may not). `require_positive`: at least one glob must not be a `!negation`,
    else the list selects nothing. `example` is suggested when the list is empty, and `names`
    says what the globs select in that message (e.g. "commercial paths").
    """
    cleaned = [value.strip() for value in values]
    if not cleaned and not allow_empty:
        raise ValueError("needs at least one glob" + (f", e.g. {example}" if example else ""))
    if any(not glob or glob == "!" for glob in cleaned):  # reported before any parse error
        raise ValueError("a glob cannot be empty")
    for glob in cleaned:
        check_glob(glob)
    if require_positive and all(glob.startswith("!") for glob in cleaned):
        raise ValueError(f"at least one glob must name {names} (not only `!` exclusions)")
    return cleaned
