"""Path labels: gitignore-style globs on the files a pull request changes.

A renamed file counts under its old and its new path, so moving files out of `docs/`
still labels the pull request `area/docs`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bot.globs import compile_globs

__all__ = ["changed_paths", "path_labels"]


def changed_paths(files: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every path a change touches: the filename, and the previous one of a rename."""
    paths: list[str] = []
    for item in files:
        for key in ("filename", "previous_filename"):
            value = item.get(key)
            if isinstance(value, str) and value:
                paths.append(value)
    return paths


def path_labels(paths_config: Mapping[str, Iterable[str]], paths: Iterable[str]) -> list[str]:
    """Labels (in rules-file order) whose globs match at least one path."""
    paths = list(paths)
    labels: list[str] = []
    for label, globs in paths_config.items():
        spec = compile_globs(globs)
        if any(spec.match_file(path) for path in paths):
            labels.append(label)
    return labels
