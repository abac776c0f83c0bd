"""Keyword labels: rules-file regexes matched on an issue's title and body.

The patterns are written by maintainers but run on text written by anyone, so they go
through RE2, whose matching time is linear in the text: no pattern (`(a+)+$` included)
can stall the bot on a hostile issue body. RE2 refuses what it cannot run in linear time
(backreferences, lookaround), which the rules-file validator reports by pattern.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping

import re2

#: Text beyond this is not searched. GitHub caps a body at 65,536 characters, so real
#: issues are never cut; the cap only bounds the work on a malformed payload.
MAX_TEXT_CHARS = 2 * 1024 * 1024
#: Rules-file limits (patterns × text is the work per issue; 3,000 patterns took 101 s):
MAX_PATTERNS = 100  # across every label
MAX_PATTERN_CHARS = 500  # one pattern
MAX_TOTAL_PATTERN_CHARS = 8 * 1024  # all patterns together
#: RE2's memory budget per compiled pattern; a pattern needing more is a rules-file error.
MAX_PATTERN_MEMORY = 8 << 20


class PatternError(ValueError):
    """The pattern is not valid RE2 syntax (or too large); the message says why."""


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # errors become rules-file messages, not stderr noise
    options.max_mem = MAX_PATTERN_MEMORY
    return options


@functools.lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> "re2._Regexp":
    """Compile once per process; raises PatternError with RE2's reason."""
    try:
        return re2.compile(pattern, _options())
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "invalid pattern"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise PatternError(str(reason)) from None


def issue_text(title: str | None, body: str | None) -> str:
    """What keywords are matched on: the title, a newline, the body; capped."""
    return f"{title or ''}\n{body or ''}"[:MAX_TEXT_CHARS]


def keyword_labels(keywords: Mapping[str, Iterable[str]], text: str) -> list[str]:
    """Labels (in rules-file order) with at least one pattern found in `text`."""
    return [label for label, patterns in keywords.items()
            if any(compile_pattern(pattern).search(text) for pattern in patterns)]
