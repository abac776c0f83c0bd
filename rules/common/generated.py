"""Generated-file markers (`@generated`, `DO NOT EDIT`, ...), shared by the rules that skip
generated files: licence headers (a header added by hand would be lost on regeneration) and
triage's size label (generated lines say nothing about review effort)."""

from __future__ import annotations

import re

__all__ = ["GENERATED_SCAN_CHARS", "GENERATED_SCAN_LINES", "is_generated"]

#: How many leading lines may carry a generated-file marker.
GENERATED_SCAN_LINES = 40
#: How much of the file's start is looked at, whatever its line count.
GENERATED_SCAN_CHARS = 16 * 1024

# Written in pieces so that this module's own text does not carry a marker.
_AT = "@"
_NOT = "NOT"
_GENERATED_MARKERS = (
    re.compile(_AT + r"generated\b"),
    re.compile(r"\bDO " + _NOT + r" EDIT\b"),
    re.compile(r"\bcode generated\b.*\bdo " + _NOT + r" edit\b", re.IGNORECASE),
    re.compile("<" + r"auto-generated\b", re.IGNORECASE),
    re.compile(r"\bthis file (?:is|was) (?:auto-?generated|automatically generated)\b", re.I),
)


def is_generated(text: str) -> bool:
    """True when a generator marker appears in the leading lines."""
    head = text[:GENERATED_SCAN_CHARS].split("\n")[:GENERATED_SCAN_LINES]
    return any(marker.search(line) for line in head for marker in _GENERATED_MARKERS)
