"""An added file's content, rebuilt from the `patch` GitHub lists with the PR's files.

For a new file the unified diff is the whole file, so the check needs no request at
all. Only a complete patch is trusted: one hunk `@@ -0,0 +1,N @@` followed by exactly N
added lines. Anything else (several hunks, context lines, a count that does not add up)
returns None and the file is read from the repository instead.
"""

from __future__ import annotations

import re

__all__ = ["content_from_patch"]

_NEW_FILE_HUNK = re.compile(r"^@@ -0,0 \+1(?:,(\d+))? @@")
_NO_NEWLINE = "\\"  # "\ No newline at end of file"


def content_from_patch(patch: str | None) -> str | None:
    """The new file's text if `patch` is a complete new-file diff, else None."""
    if not patch:
        return None
    lines = patch.split("\n")
    match = _NEW_FILE_HUNK.match(lines[0])
    if match is None:
        return None
    expected = int(match[1]) if match[1] is not None else 1
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
    if len(body) != expected:
        return None
    if not body:
        return ""
    return "\n".join(body) + ("\n" if final_newline else "")
