"""Unified diffs as GitHub gives them in a pull request's per-file `patch`: one parser.

- `iter_patch` walks the hunks line by line (added, removed and context lines, with
  their line numbers in the new file); `parse_patch` and `added_lines` collect from it;
- `new_file_head` is the new file's first lines as far as the patch shows them (triage
  looks there for generated-file markers);
- `content_from_patch` rebuilds an added file from a complete new-file patch, so the
  licence-header check needs no request for it.

Everything here is a single linear pass; lines are capped at `MAX_LINE_CHARS`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = [
    "MAX_LINE_CHARS",
    "PatchLine",
    "added_lines",
    "content_from_patch",
    "iter_patch",
    "new_file_head",
    "parse_hunk_header",
    "parse_patch",
]

#: Longest line kept from a patch; longer ones are cut (nothing a rule reads is that long).
MAX_LINE_CHARS = 10_000

# Anchored, no nested quantifiers: linear.
_HUNK_RE = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_NO_NEWLINE = "\\"  # "\ No newline at end of file"


@dataclass(frozen=True, slots=True)
class PatchLine:
    """One line of a hunk. `kind` is `"+"`, `"-"` or `" "`.

    `new_line` is the line number in the new file (None for removed lines).
    """

    kind: str
    new_line: int | None
    text: str
    hunk: int = 0  # index of the hunk the line belongs to


@dataclass(frozen=True, slots=True)
class HunkHeader:
    old_start: int
    old_count: int
    new_start: int
    new_count: int


def parse_hunk_header(line: str) -> HunkHeader | None:
    """`@@ -a,b +c,d @@` as numbers (a count left out is 1, as in diff's own format)."""
    match = _HUNK_RE.match(line)
    if match is None:
        return None
    old_count = int(match[2]) if match[2] is not None else 1
    new_count = int(match[4]) if match[4] is not None else 1
    return HunkHeader(int(match[1]), old_count, int(match[3]), new_count)


def _cap(text: str) -> str:
    if text.endswith("\r"):
        text = text[:-1]
    return text[:MAX_LINE_CHARS]


def iter_patch(patch: str | None) -> Iterator[PatchLine]:
    """The lines of every hunk, in order.

    Lines outside hunks (`diff --git`/`---`/`+++` headers) are skipped, `\\ No newline at
    end of file` markers are ignored, and an empty line inside a hunk counts as an
    (unchanged) context line.
    """
    if not patch:
        return
    in_hunk = False
    new_no = 0
    hunk = -1
    if patch.endswith("\n"):
        patch = patch[:-1]
    for raw in patch.split("\n"):
        if raw.startswith("@@"):
            header = parse_hunk_header(raw)
            in_hunk = header is not None
            if header is not None:
                new_no = header.new_start
                hunk += 1
            continue
        if not in_hunk:
            continue
        first = raw[:1]
        if first == "+":
            yield PatchLine("+", new_no, _cap(raw[1:]), hunk)
            new_no += 1
        elif first == " ":
            yield PatchLine(" ", new_no, _cap(raw[1:]), hunk)
            new_no += 1
        elif first == "-":
            yield PatchLine("-", None, _cap(raw[1:]), hunk)
        elif first == _NO_NEWLINE:
            continue
        elif raw == "" or raw == "\r":
            yield PatchLine(" ", new_no, "", hunk)
            new_no += 1
        else:
            # A line no hunk can hold (e.g. `diff --git`): headers until the next @@.
            in_hunk = False


def parse_patch(patch: str | None) -> list[PatchLine]:
    """Every line of every hunk (see `iter_patch`)."""
    return list(iter_patch(patch))


def added_lines(patch: str | None) -> list[tuple[int, str]]:
    """`(new_line_number, text)` for every added line of `patch`."""
    return [(line.new_line, line.text) for line in iter_patch(patch)
            if line.kind == "+" and line.new_line is not None]


def new_file_head(patch: str | None, max_line: int) -> str:
    """The new file's first `max_line` lines as far as the patch shows them (added or context)."""
    kept: list[str] = []
    for line in iter_patch(patch):
        if line.new_line is None:
            continue  # removed
        if line.new_line > max_line:
            break  # hunks are in file order: nothing later is near the top
        kept.append(line.text)
    return "\n".join(kept)


def content_from_patch(patch: str | None) -> str | None:
    """The new file's text if `patch` is a complete new-file diff, else None.

    For a new file the unified diff is the whole file. Only a complete patch is trusted:
    one hunk `@@ -0,0 +1,N @@` followed by exactly N added lines. Anything else (several
    hunks, context lines, a count that does not add up) returns None and the file is read
    from the repository instead.
    """
    if not patch:
        return None
    lines = patch.split("\n")
    header = parse_hunk_header(lines[0])
    if header is None or (header.old_start, header.old_count, header.new_start) != (0, 0, 1):
        return None
    if lines and lines[-1] == "":
        lines.pop()  # the patch's own final newline
    body: list[str] = []
    final_newline = True
    for index, line in enumerate(lines[1:], start=1):
        if line.startswith("+"):
            body.append(line[1:])
        elif line.startswith(_NO_NEWLINE) and index == len(lines) - 1 and body:
            final_newline = False
        else:
            return None
    if len(body) != header.new_count:
        return None
    if not body:
        return ""
    return "\n".join(body) + ("\n" if final_newline else "")
