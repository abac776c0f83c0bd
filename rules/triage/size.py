"""The size label: one of size/XS … size/XXL by lines added plus lines deleted.

Generated files do not count: a regenerated lock file or protobuf stub says nothing about
how much there is to review. A file is generated when the default branch's
`.gitattributes` marks it `linguist-generated` (what GitHub itself uses to collapse such
diffs), when the first lines of the new file, as far as the patch shows them, carry a
generator marker (`@generated`, `DO NOT EDIT`, …, the same markers the licence-header
rule skips), or when it matches the rules file's `size_exclude` globs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from rules.common.diff import new_file_head
from rules.common.generated import GENERATED_SCAN_LINES, is_generated

SIZE_PREFIX = "size/"
SIZE_NAMES = ("XS", "S", "M", "L", "XL", "XXL")
#: Colours for size labels the bot creates (green to red), unless `colors` says otherwise.
SIZE_COLORS = {"XS": "3cbf00", "S": "5d9801", "M": "7f7203", "L": "a14c05", "XL": "c32607", "XXL": "e50009"}



class GeneratedCheck(Protocol):
    def is_linguist_generated(self, path: str) -> bool: ...


class PathFilter(Protocol):
    def match_file(self, path: str) -> bool: ...


def size_name(lines: int, limits: Sequence[tuple[str, int]]) -> str:
    """The first size whose upper bound (exclusive) exceeds `lines`; XXL beyond the last."""
    for name, limit in limits:
        if lines < limit:
            return name
    return SIZE_NAMES[-1]


def size_label(lines: int, limits: Sequence[tuple[str, int]]) -> str:
    return SIZE_PREFIX + size_name(lines, limits)


def is_size_label(name: str) -> bool:
    """One of the six size labels (case-insensitive, as GitHub compares label names)."""
    lowered = name.lower()
    return lowered.startswith(SIZE_PREFIX) and lowered[len(SIZE_PREFIX):] in {n.lower() for n in SIZE_NAMES}


def size_color(label: str) -> str | None:
    if not is_size_label(label):
        return None
    suffix = label[len(SIZE_PREFIX):].upper()
    return SIZE_COLORS.get(suffix)


def is_generated_file(item: Mapping[str, Any], attributes: GeneratedCheck | None,
                      exclude: PathFilter | None) -> bool:
    path = str(item.get("filename") or "")
    if attributes is not None and attributes.is_linguist_generated(path):
        return True
    if exclude is not None and exclude.match_file(path):
        return True
    return is_generated(new_file_head(item.get("patch"), GENERATED_SCAN_LINES))


def _changes(item: Mapping[str, Any]) -> int:
    return int(item.get("additions") or 0) + int(item.get("deletions") or 0)


def counted_lines(total: int, files: Iterable[Mapping[str, Any]], attributes: GeneratedCheck | None,
                  exclude: PathFilter | None) -> int:
    """The PR's `total` changed lines minus those of generated files.

    `total` comes from the pull request (additions + deletions), which GitHub computes over
    the whole change; the files list only tells what to subtract. Files listed without
    counts (very large PRs read through the tree API) subtract nothing, which errs large.
    """
    excluded = sum(_changes(item) for item in files if is_generated_file(item, attributes, exclude))
    return max(0, total - excluded)
