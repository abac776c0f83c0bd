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

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from license_expression import Licensing

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


#: Identifiers most rules files and headers name, known without loading the SPDX licence
#: index (a good part of a second): an expression made of these, AND, OR and parentheses is
#: checked by our own small parser, and two such expressions spelled alike (case aside) are
#: equal without the index. Anything else (WITH, `+`, other ids, a real difference) loads it.
_COMMON_IDS: dict[str, str] = {i.lower(): i for i in (
    "0BSD AGPL-3.0-only AGPL-3.0-or-later Apache-2.0 BSD-2-Clause BSD-3-Clause BSL-1.0 CC-BY-4.0 "
    "CC-BY-SA-4.0 CC0-1.0 curl EPL-2.0 EUPL-1.2 GPL-2.0-only GPL-2.0-or-later GPL-3.0-only "
    "GPL-3.0-or-later ISC LGPL-2.1-only LGPL-2.1-or-later LGPL-3.0-only LGPL-3.0-or-later MIT MIT-0 "
    "MPL-2.0 Unlicense Zlib"
).split()}


@dataclass(frozen=True)
class ParsedExpression:
    """A valid expression. ``normalized`` uses canonical ids (``mit`` -> ``MIT``);
    ``unknown`` lists ids that are neither on the SPDX list nor ``LicenseRef-``."""

    text: str
    normalized: str
    unknown: tuple[str, ...] = ()
    folded: str = field(default="", repr=False, compare=False)

    def equivalent(self, other: ParsedExpression) -> bool:
        """Boolean equivalence: order, grouping and duplicates do not matter."""
        if self.folded and self.folded == other.folded:
            return True  # spelled alike: no need for the licence index
        return bool(_licensing().is_equivalent(_comparable(self.folded), _comparable(other.folded)))


@functools.cache
def _licensing() -> Licensing:
    """The SPDX licence index, built on first need only (see :data:`_COMMON_IDS`)."""
    from license_expression import get_spdx_licensing

    return get_spdx_licensing()


@functools.lru_cache(maxsize=1024)
def _comparable(folded: str) -> Any:
    return _licensing().parse(folded, validate=False, strict=True)


def _simple(tokens: list[str]) -> bool:
    """Whether ``tokens`` is a well-formed expression of common ids, AND, OR and parentheses."""
    position = 0

    def term() -> bool:
        nonlocal position
        if position >= len(tokens):
            return False
        token = tokens[position]
        position += 1
        if token == "(":
            if not expression() or position >= len(tokens) or tokens[position] != ")":
                return False
            position += 1
            return True
        return token.lower() in _COMMON_IDS or _USER_DEFINED.match(token) is not None

    def expression() -> bool:
        nonlocal position
        if not term():
            return False
        while position < len(tokens) and tokens[position].upper() in ("AND", "OR"):
            position += 1
            if not term():
                return False
        return True

    return expression() and position == len(tokens)


def _fold(tokens: list[str]) -> str:
    # Identifiers compare case-insensitively (SPDX Annex D), LicenseRefs included.
    return " ".join(t.upper() if t.upper() in _OPERATORS else t if t in "()" else t.lower() for t in tokens)


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
    except SpdxError as exc:
        return exc
    folded = _fold(tokens)
    if _simple(tokens):
        normalized = " ".join(_COMMON_IDS.get(t.lower(), t.upper() if t.upper() in _OPERATORS else t)
                              for t in tokens).replace("( ", "(").replace(" )", ")")
        return ParsedExpression(text=text, normalized=normalized, folded=folded)
    return _parse_with_index(text, stripped, folded)


def _parse_with_index(text: str, stripped: str, folded: str) -> ParsedExpression | SpdxError:
    from license_expression import ExpressionError

    try:
        licensing = _licensing()
        parsed = licensing.parse(stripped, validate=False, strict=True)
        _comparable(folded)  # the library folds case only for ids it knows: fold the rest ourselves
        unknown = tuple(
            key for key in licensing.unknown_license_keys(parsed) if not _USER_DEFINED.match(key)
        )
    except ExpressionError as exc:  # includes ExpressionParseError
        return SpdxError(text, str(exc) or type(exc).__name__)
    if parsed is None:
        return SpdxError(text, "empty expression")
    return ParsedExpression(text=text, normalized=str(parsed), unknown=unknown, folded=folded)


def expressions_equal(a: str, b: str) -> bool:
    """True when both parse and are equivalent; False if either side does not parse
    (use :func:`parse_expression` to learn why)."""
    pa, pb = parse_expression(a), parse_expression(b)
    if isinstance(pa, SpdxError) or isinstance(pb, SpdxError):
        return False
    return pa.equivalent(pb)
