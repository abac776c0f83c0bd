"""Generated-file markers (`@generated`, `DO NOT EDIT`, ...), shared by the rules that skip
generated files: licence headers (a header added by hand would be lost on regeneration) and
triage's size label (generated lines say nothing about review effort)."""

from __future__ import annotations

from rules.common.linear import compile_linear

__all__ = ["GENERATED_SCAN_CHARS", "GENERATED_SCAN_LINES", "is_generated"]

#: How many leading lines may carry a generated-file marker.
GENERATED_SCAN_LINES = 40
#: How much of the file's start is looked at, whatever its line count.
GENERATED_SCAN_CHARS = 16 * 1024

# Written in pieces so that this module's own text does not carry a marker.
_AT = "@"
_NOT = "NOT"
# RE2: file heads are contributor text (`code generated` repeated on one line was quadratic).
_GENERATED_MARKERS = (
    compile_linear(_AT + r"generated\b"),
    compile_linear(r"\bDO " + _NOT + r" EDIT\b"),
    compile_linear(r"(?i)\bcode generated\b.*\bdo " + _NOT + r" edit\b"),
    compile_linear("(?i)<" + r"auto-generated\b"),
    compile_linear(r"(?i)\bthis file (?:is|was) (?:auto-?generated|automatically generated)\b"),
)


def is_generated(text: str) -> bool:
    """True when a generator marker appears in the leading lines."""
    head = text[:GENERATED_SCAN_CHARS].split("\n")[:GENERATED_SCAN_LINES]
    return any(marker.search(line) for line in head for marker in _GENERATED_MARKERS)
