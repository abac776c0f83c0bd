"""SPDX licence expressions, compared as expressions rather than as text.

A header saying ``MIT OR Apache-2.0`` satisfies a rules file asking for
``Apache-2.0 OR MIT``, while ``MIT`` never satisfies ``Apache-2.0``: comparing strings
would get the first wrong and invite "fixes" that change nothing. The parsing itself is
delegated to the ``license-expression`` library (Apache-2.0); this module adds the
strictness it lacks (SPDX identifiers cannot contain spaces, so ``Apache 2.0`` is an
error, not an alias) and turns its exceptions into values so a bad header is a finding,
never a crash.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from license_expression import ExpressionError, Licensing, get_spdx_licensing

__all__ = ["ParsedExpression", "SpdxError", "expressions_equal", "parse_expression"]

# SPDX 2.3 Annex D: idstring = 1*(ALPHA / DIGIT / "-" / "." ), optionally "+", or a
# LicenseRef (possibly scoped by a DocumentRef).
_ID = re.compile(
    r"(?:DocumentRef-[A-Za-z0-9.\-]+:)?LicenseRef-[A-Za-z0-9.\-]+|[A-Za-z0-9.\-]+\+?",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"\s+|[()]|[^\s()]+")
_OPERATORS = {"AND", "OR", "WITH"}
_USER_DEFINED = re.compile(r"^(?:DocumentRef-[^:]+:)?LicenseRef-", re.IGNORECASE)


class SpdxError(ValueError):
    """An expression that is not valid SPDX; ``str()`` is a one-line explanation."""

    def __init__(self, expression: str, reason: str) -> None:
        super().__init__(f"invalid SPDX expression {expression!r}: {reason}")
        self.expression = expression
        self.reason = reason


@dataclass(frozen=True)
class ParsedExpression:
    """A valid expression. ``normalized`` uses canonical ids (``mit`` -> ``MIT``);
    ``unknown`` lists ids that are neither on the SPDX list nor ``LicenseRef-``."""

    text: str
    normalized: str
    unknown: tuple[str, ...] = ()
    _comparable: Any = field(default=None, repr=False, compare=False)

    def equivalent(self, other: ParsedExpression) -> bool:
        """Boolean equivalence: order, grouping and duplicates do not matter."""
        return bool(_licensing().is_equivalent(self._comparable, other._comparable))


@functools.cache
def _licensing() -> Licensing:
    return get_spdx_licensing()


def _tokens(text: str) -> list[str]:
    """Split and validate tokens; the library would accept ``Apache 2.0`` as one id."""
    tokens = [t for t in _TOKEN.findall(text) if not t.isspace()]
    previous_was_id = False
    for token in tokens:
        if token in "()":
            previous_was_id = token == ")"
            continue
        if token.upper() in _OPERATORS:
            previous_was_id = False
            continue
        if not _ID.fullmatch(token):
            raise SpdxError(text, f"{token!r} is not a valid licence identifier")
        if previous_was_id:
            raise SpdxError(text, f"missing AND/OR/WITH before {token!r}")
        previous_was_id = True
    return tokens


@functools.lru_cache(maxsize=1024)
def parse_expression(text: str) -> ParsedExpression | SpdxError:
    """Parse ``text``; an invalid expression is returned as an :class:`SpdxError`.

    Returning rather than raising keeps callers that scan thousands of files free of
    try/except; the error still carries a message fit for a report.
    """
    stripped = text.strip()
    if not stripped:
        return SpdxError(text, "empty expression")
    try:
        tokens = _tokens(stripped)
        licensing = _licensing()
        parsed = licensing.parse(stripped, validate=False, strict=True)
        # Identifiers compare case-insensitively (SPDX Annex D), LicenseRefs included;
        # the library only folds case for ids it knows, so fold the rest ourselves.
        folded = " ".join(
            t.upper() if t.upper() in _OPERATORS else t if t in "()" else t.lower()
            for t in tokens
        )
        comparable = licensing.parse(folded, validate=False, strict=True)
        unknown = tuple(
            key for key in licensing.unknown_license_keys(parsed) if not _USER_DEFINED.match(key)
        )
    except SpdxError as exc:
        return exc
    except ExpressionError as exc:  # includes ExpressionParseError
        return SpdxError(text, str(exc) or type(exc).__name__)
    if parsed is None:
        return SpdxError(text, "empty expression")
    return ParsedExpression(
        text=text, normalized=str(parsed), unknown=unknown, _comparable=comparable
    )


def expressions_equal(a: str, b: str) -> bool:
    """True when both parse and are equivalent; False if either side does not parse
    (use :func:`parse_expression` to learn why)."""
    pa, pb = parse_expression(a), parse_expression(b)
    if isinstance(pa, SpdxError) or isinstance(pb, SpdxError):
        return False
    return pa.equivalent(pb)
