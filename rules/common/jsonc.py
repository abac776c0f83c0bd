"""JSON with comments (JSONC), the format of `tsconfig.json`, read within limits.

A tsconfig comes from the repository, and the PR's own version is read too: it is contributor
text. A pure-Python JSON5 parser took 19.7 s on a 0.93 MB file, on the event loop. Here the
standard library's C parser reads the file; only when that fails (comments, trailing commas)
does one RE2 pass (linear) drop them first. A file over `MAX_JSONC_BYTES` (the pass costs
Python work per token, so the cap keeps it to milliseconds) or nested deeper than
`MAX_JSONC_DEPTH` is refused with a reason a person can act on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rules.common.linear import compile_linear

__all__ = ["MAX_JSONC_BYTES", "MAX_JSONC_DEPTH", "Refused", "loads_jsonc"]

MAX_JSONC_BYTES = 64 * 1024  # real tsconfig files are a few KiB
MAX_JSONC_DEPTH = 64

# A string (kept as is), a comment (dropped), or a character that matters for structure.
_TOKEN = compile_linear(r'"(?:[^"\\\n]|\\.)*"|//[^\n]*|/\*(?s:.*?)\*/|[\[\]{},]')


@dataclass(frozen=True)
class Refused:
    """The file is not read: too large or too deeply nested (`reason` says which)."""

    reason: str


def _plain_json(text: str) -> str | Refused:
    out: list[str] = []
    position = 0
    depth = 0
    comma: int | None = None  # index in `out` of a comma nothing but blanks and comments followed yet
    for match in _TOKEN.finditer(text):
        start, end = match.start(), match.end()
        between = text[position:start]
        if between.strip():
            comma = None
        out.append(between)
        token = match.group(0)
        if token.startswith(("//", "/*")):
            out.append(" ")
        else:
            if token in "]}" and comma is not None:
                out[comma] = " "  # a trailing comma, as tsc allows
            comma = None
            if token in "[{":
                depth += 1
                if depth > MAX_JSONC_DEPTH:
                    return Refused(f"nested deeper than {MAX_JSONC_DEPTH} levels")
            elif token in "]}":
                depth -= 1
            elif token == ",":
                comma = len(out)
            out.append(token)
        position = end
    out.append(text[position:])
    return "".join(out)


def _depth(value: Any) -> int:
    """How deeply arrays and objects nest in a parsed value (iterative: no recursion limit)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if level <= MAX_JSONC_DEPTH:
                stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def loads_jsonc(text: str) -> Any | Refused | None:
    """The value of a JSONC document; `Refused` past the limits; None if it is not valid JSONC."""
    if len(text) > MAX_JSONC_BYTES or len(text.encode("utf-8", "replace")) > MAX_JSONC_BYTES:
        return Refused(f"larger than {MAX_JSONC_BYTES // 1024} KiB")
    try:
        value = json.loads(text)
    except RecursionError:
        return Refused(f"nested deeper than {MAX_JSONC_DEPTH} levels")
    except ValueError:
        plain = _plain_json(text)
        if isinstance(plain, Refused):
            return plain
        try:
            value = json.loads(plain)
        except (ValueError, RecursionError):
            return None
    if _depth(value) > MAX_JSONC_DEPTH:
        return Refused(f"nested deeper than {MAX_JSONC_DEPTH} levels")
    return value
