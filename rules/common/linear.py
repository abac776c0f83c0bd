"""Regular expressions for contributor text: RE2 only, so matching time is linear in the text.

Python's `re` backtracks: `from` + 3,000 spaces + `x` kept the old Python import pattern
busy for 15 s. RE2 has no backtracking (and so no lookaround or backreferences); patterns
here are written for it. Unicode classes (`\\pL`) make large programs, so the DFA is given
room, and RE2's own logging is off (a fallback to its NFA is still linear).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import re2

__all__ = ["IDENTIFIER", "LinearPattern", "compile_linear"]

#: A Python/Go identifier: a letter or underscore, then letters, digits, marks, underscores.
IDENTIFIER = r"[\pL_][\pL\pN\pM_]*"
_MAX_MEM = 64 << 20


def _utf8(text: str) -> str:
    """RE2 matches UTF-8: lone surrogates (JSON's `\\ud800`, bytes decoded with
    `surrogateescape`) become `?`, one character for one, so positions stay the same."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


class LinearPattern:
    """An RE2 pattern with `re`'s methods, for any Python string."""

    def __init__(self, regex: "re2._Regexp") -> None:
        self.regex = regex

    def match(self, text: str, pos: int = 0) -> Any:
        return self.regex.match(_utf8(text), pos)

    def search(self, text: str, pos: int = 0) -> Any:
        return self.regex.search(_utf8(text), pos)

    def fullmatch(self, text: str) -> Any:
        return self.regex.fullmatch(_utf8(text))

    def finditer(self, text: str) -> Iterator[Any]:
        return self.regex.finditer(_utf8(text))

    def findall(self, text: str) -> list[Any]:
        return self.regex.findall(_utf8(text))

    def sub(self, replacement: str, text: str) -> str:
        return self.regex.sub(replacement, _utf8(text))


def compile_linear(pattern: str) -> LinearPattern:
    """`pattern` compiled by RE2 (raises `re2.error` for what RE2 cannot run in linear time)."""
    options = re2.Options()
    options.log_errors = False
    options.max_mem = _MAX_MEM
    return LinearPattern(re2.compile(pattern, options))
