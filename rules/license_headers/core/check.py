"""Reading a file's leading comment block and judging it against the rules file.

Only the top of a file is read (after any prelude such as a shebang, and at most
:data:`SCAN_LINES` lines / :data:`SCAN_CHARS` characters), and reading stops at the first
line that is neither a comment nor blank: a licence mentioned deep inside a file is not
a header, and a pull request touching thousands of files must stay cheap to check.
Everything here is pure: the caller supplies the text, nothing touches disk or network.
"""

from __future__ import annotations

import enum
import functools
import re
from dataclasses import dataclass

from rules.common.generated import is_generated

from .languages import (
    BINARY_SNIFF_BYTES,
    Language,
    Prelude,
    SkipReason,
    classify,
)
from .spdx import SpdxError, parse_expression

__all__ = [
    "FileVerdict",
    "HeaderInfo",
    "SCAN_CHARS",
    "SCAN_LINES",
    "SkipReason",
    "TagLine",
    "VerdictKind",
    "check_file",
    "copyright_from_template",
    "copyright_pattern",
    "find_header",
    "scan_prelude",
    "split_lines",
]

SCAN_LINES = 100
SCAN_CHARS = 16 * 1024
#: Longest front matter that is still skipped as a prelude.
FRONT_MATTER_MAX_LINES = 80


def split_lines(text: str) -> list[str]:
    """Split on ``\\n`` only, keeping line ends (``str.splitlines`` also splits on form
    feeds and Unicode separators, which would shift line numbers against the file)."""
    if not text:
        return []
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _bare(line: str) -> str:
    return line.rstrip("\r\n")


# --- prelude -------------------------------------------------------------------------

_CODING = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+")
_RUBY_MAGIC = re.compile(
    r"^#\s*(?:-\*-.*-\*-|(?:frozen[_-]string[_-]literal|encoding|coding|warn[_-]indent"
    r"|shareable[_-]constant[_-]value|typed)\s*:)",
    re.IGNORECASE,
)
_DOCKER_DIRECTIVE = re.compile(r"^#\s*(?:syntax|escape|check)\s*=", re.IGNORECASE)
_GO_BUILD = re.compile(r"^//(?:go:build\b|\s*\+build\b)")


def _doctype_end(lines: list[str], i: int) -> int:
    """Index after a ``<!DOCTYPE`` that starts at line ``i`` (internal subsets span lines)."""
    depth = 0
    for j in range(i, len(lines)):
        for ch in lines[j]:
            if ch == "[":
                depth += 1
            elif ch == "]":
                depth -= 1
            elif ch == ">" and depth <= 0:
                return j + 1
    return i  # unterminated: not a prelude


def scan_prelude(lines: list[str], language: Language) -> tuple[tuple[Prelude, ...], int]:
    """The prelude kinds found at the top of ``lines`` and the index of the first line
    after them (0 when there is none). ``lines`` must not start with a BOM."""
    allowed = language.preludes
    kinds: list[Prelude] = []
    n = len(lines)
    i = 0

    def at(k: int) -> str:
        return _bare(lines[k]) if k < n else ""

    if Prelude.FRONT_MATTER in allowed and n and at(0).rstrip() in ("---", "+++"):
        delim = at(0).rstrip()
        closers = ("---", "...") if delim == "---" else ("+++",)
        for j in range(1, min(n, FRONT_MATTER_MAX_LINES)):
            if at(j).rstrip() in closers:
                kinds.append(Prelude.FRONT_MATTER)
                i = j + 1
                break
    if i == 0 and Prelude.SHEBANG in allowed and at(0).startswith("#!") and not at(0).startswith("#!["):
        kinds.append(Prelude.SHEBANG)
        i = 1
    if Prelude.CODING in allowed:  # PEP 263: only line 1 or 2 counts
        while i < min(2, n) and _CODING.match(at(i)):
            kinds.append(Prelude.CODING)
            i += 1
    if Prelude.RUBY_MAGIC in allowed:
        while i < n and _RUBY_MAGIC.match(at(i)):
            kinds.append(Prelude.RUBY_MAGIC)
            i += 1
    if Prelude.DOCKER_DIRECTIVE in allowed:
        while i < n and _DOCKER_DIRECTIVE.match(at(i)):
            kinds.append(Prelude.DOCKER_DIRECTIVE)
            i += 1
    if Prelude.ECHO_OFF in allowed and at(i).strip().lower() == "@echo off":
        kinds.append(Prelude.ECHO_OFF)
        i += 1
    if Prelude.XML_DECLARATION in allowed and i == 0 and at(0).startswith("<?xml"):
        for j in range(0, min(n, 20)):
            if "?>" in lines[j]:
                kinds.append(Prelude.XML_DECLARATION)
                i = j + 1
                break
    if Prelude.DOCTYPE in allowed and at(i).lstrip().lower().startswith("<!doctype"):
        end = _doctype_end(lines, i)
        if end > i:
            kinds.append(Prelude.DOCTYPE)
            i = end
    if Prelude.PHP_OPEN in allowed:
        opener = at(i).strip()
        # "<?php ... ?>" on one line leaves PHP mode again: not a place for a // comment.
        if opener.lower().startswith("<?php") and "?>" not in opener:
            kinds.append(Prelude.PHP_OPEN)
            i += 1
    if Prelude.GO_BUILD in allowed:
        j = i
        while j < n and _GO_BUILD.match(at(j)):
            j += 1
        if j > i:
            kinds.append(Prelude.GO_BUILD)
            i = j
            if i < n and not at(i).strip():
                i += 1  # the blank line that makes it a constraint belongs to it
    if Prelude.YAML_DOCUMENT in allowed:
        j = i
        while j < n and at(j).startswith("%"):
            j += 1
        if j < n and at(j).rstrip() == "---":
            kinds.append(Prelude.YAML_DOCUMENT)
            i = j + 1
    return tuple(kinds), i


# --- the leading comment block -------------------------------------------------------


@dataclass(frozen=True)
class TagLine:
    """A line of the header. ``line`` is 0-based (BOM excluded); ``column`` is where the
    tag or statement starts, ``start``/``end`` delimit ``value`` in the raw line."""

    line: int
    column: int
    start: int
    end: int
    value: str


@dataclass(frozen=True)
class HeaderInfo:
    """What the top of a file holds, and where a header would go.

    ``insert_line`` is after the prelude and the blank lines following it;
    ``block_start``/``block_end`` delimit the leading comment block (``block_start`` is
    None when the file has none). ``comments`` are all comment lines of the block.
    """

    bom: bool
    prelude: tuple[Prelude, ...]
    prelude_end: int
    insert_line: int
    block_start: int | None
    block_end: int
    comments: tuple[TagLine, ...]
    licenses: tuple[TagLine, ...]
    copyrights: tuple[TagLine, ...]

    @property
    def license(self) -> str | None:
        """The first declared ``SPDX-License-Identifier`` expression, as written."""
        return self.licenses[0].value if self.licenses else None

    @property
    def expression(self) -> str | None:
        """All declared expressions; several tags all apply, so they are ANDed."""
        if not self.licenses:
            return None
        if len(self.licenses) == 1:
            return self.licenses[0].value
        return " AND ".join(f"({t.value})" for t in self.licenses)


_SPDX_TAG = re.compile(r"SPDX-License-Identifier:", re.IGNORECASE)
_COPYRIGHT_START = re.compile(r"(?:copyright\b|©|\(c\)|SPDX-FileCopyrightText:)", re.IGNORECASE)


def _tag(line: int, raw: str, column: int | None, start: int, end: int) -> TagLine:
    """``column`` None means the statement starts where its value does."""
    segment = raw[start:end]
    lead = len(segment) - len(segment.lstrip())
    value = segment.strip()
    begin = start + lead
    return TagLine(line, begin if column is None else column, begin, begin + len(value), value)


def _read_block(
    lines: list[str], start: int, language: Language
) -> tuple[list[tuple[int, int, int]], int | None, int]:
    """Comment lines from ``start`` on as (line, content start, content end), the first
    comment line, and the index after the block. Blank lines between comment groups are
    part of the block; any other line ends it."""
    tokens: list[tuple[str, str]] = [(t, "line") for t in language.line if t]
    block = language.block
    if block is not None:
        tokens.append((block.start, "block"))
    tokens.sort(key=lambda t: len(t[0]), reverse=True)
    end_token = block.end.strip() if block is not None else ""
    inner_prefix = block.prefix.strip() if block is not None else ""

    found: list[tuple[int, int, int]] = []
    first: int | None = None
    last = start
    in_block = False
    i = start
    while i < len(lines):
        raw = _bare(lines[i])
        if in_block:
            pos = raw.find(end_token)
            content_end = pos if pos >= 0 else len(raw)
            cs = len(raw) - len(raw.lstrip())
            if inner_prefix and raw.startswith(inner_prefix, cs) and cs < content_end:
                cs += len(inner_prefix)
            found.append((i, cs, max(cs, content_end)))
            last = i + 1
            i += 1
            if pos >= 0:
                in_block = False
                if raw[pos + len(end_token):].strip():
                    break  # code after the comment on the same line
            continue
        stripped = raw.lstrip()
        if not stripped:
            if language.is_bare and first is not None:
                break
            i += 1
            continue
        indent = len(raw) - len(stripped)
        if language.is_bare:
            found.append((i, indent, len(raw)))
            first = i if first is None else first
            last = i + 1
            i += 1
            continue
        kind = token = None
        for token, kind in tokens:
            if stripped.startswith(token):
                break
        else:
            break  # first non-comment line ends the block
        first = i if first is None else first
        after = indent + len(token)
        last = i + 1
        i += 1
        if kind == "line":
            found.append((i - 1, after, len(raw)))
            continue
        pos = raw.find(end_token, after)
        if pos >= 0:
            found.append((i - 1, after, pos))
            if raw[pos + len(end_token):].strip():
                break
        else:
            found.append((i - 1, after, len(raw)))
            in_block = True
    return found, first, (last if first is not None else start)


def find_header(text: str, language: Language) -> HeaderInfo:
    """Read the leading comment block of ``text`` as ``language`` would write it.

    Line numbers in the result count from the start of ``text`` without its BOM.
    """
    bom = text.startswith("\ufeff")
    body = text[1:] if bom else text
    lines = split_lines(body[:SCAN_CHARS])
    if len(body) > SCAN_CHARS and lines and not lines[-1].endswith("\n"):
        lines.pop()  # cut mid-line: do not judge half a line
    lines = lines[:SCAN_LINES]
    prelude, prelude_end = scan_prelude(lines, language)
    insert_line = prelude_end
    while insert_line < len(lines) and not lines[insert_line].strip():
        insert_line += 1
    found, first, end = _read_block(lines, insert_line, language)

    comments: list[TagLine] = []
    licenses: list[TagLine] = []
    copyrights: list[TagLine] = []
    for idx, cs, ce in found:
        raw = _bare(lines[idx])
        comment = _tag(idx, raw, None, cs, ce)
        comments.append(comment)
        content = raw[cs:ce]
        m = _SPDX_TAG.search(content)
        if m:
            licenses.append(_tag(idx, raw, cs + m.start(), cs + m.end(), ce))
            continue
        if _COPYRIGHT_START.match(comment.value):
            copyrights.append(comment)
    return HeaderInfo(
        bom=bom,
        prelude=prelude,
        prelude_end=prelude_end,
        insert_line=insert_line,
        block_start=first,
        block_end=end,
        comments=tuple(comments),
        licenses=tuple(licenses),
        copyrights=tuple(copyrights),
    )




# --- copyright template --------------------------------------------------------------

_YEAR = r"\d{4}"
_YEAR_RANGE = rf"{_YEAR}(?:\s*[-–—]\s*{_YEAR})?"
_YEARS = rf"{_YEAR_RANGE}(?:\s*,\s*{_YEAR_RANGE})*"
_TEMPLATE_TOKEN = re.compile(
    r"(?P<year>\{year\})|(?P<ws>\s+)|(?P<c>\([cC]\)|©)|(?P<word>copyright\b)|(?P<other>.)",
    re.IGNORECASE | re.DOTALL,
)


@functools.lru_cache(maxsize=64)
def copyright_pattern(template: str) -> re.Pattern[str]:
    """A regex for the copyright line a template such as
    ``"Copyright (c) {year} Example Corp"`` describes.

    ``{year}`` accepts a year, a range (``2019-2026``, en dash too) or a list
    (``2019, 2021-2023``); whitespace runs are flexible; ``(c)`` and ``©`` are
    interchangeable; the word Copyright is case-insensitive; all else is literal.
    """
    tokens = [(m.lastgroup, m.group()) for m in _TEMPLATE_TOKEN.finditer(template.strip())]

    def wordy(index: int) -> bool:
        if not 0 <= index < len(tokens):
            return False
        kind, value = tokens[index]
        return kind in ("year", "word") or (kind == "other" and (value.isalnum() or value == "_"))

    out: list[str] = []
    for index, (kind, value) in enumerate(tokens):
        if kind == "year":
            out.append(f"(?:{_YEARS})")
        elif kind == "ws":
            out.append(r"\s+" if wordy(index - 1) and wordy(index + 1) else r"\s*")
        elif kind == "c":
            out.append(r"(?:\([cC]\)|©)")
        elif kind == "word":
            out.append(r"(?i:copyright)")
        else:
            out.append(re.escape(value))
    pattern = "".join(out)
    if tokens and wordy(0):
        pattern = r"(?<!\w)" + pattern
    if tokens and wordy(len(tokens) - 1):
        pattern += r"(?!\w)"
    return re.compile(pattern)


def copyright_from_template(template: str, year: int | str) -> str:
    """The concrete line to paste for ``template`` in ``year``."""
    return template.strip().replace("{year}", str(year))


# --- verdicts ------------------------------------------------------------------------


class VerdictKind(str, enum.Enum):
    """The outcome kinds; the values are stable names for reports and logs."""

    OK = "ok"
    MISSING_HEADER = "missing_header"
    WRONG_LICENSE = "wrong_license"
    MISSING_COPYRIGHT = "missing_copyright"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class FileVerdict:
    """The outcome for one file. ``declared``/``expected`` are set for licence verdicts;
    ``skip_reason`` for skipped files; ``detail`` is a short human explanation."""

    path: str
    kind: VerdictKind
    language: Language | None = None
    skip_reason: SkipReason | None = None
    declared: str | None = None
    expected: str | None = None
    detail: str = ""
    header: HeaderInfo | None = None

    @property
    def passed(self) -> bool:
        """Whether this file lets the status pass (skipped files never block)."""
        return self.kind in (VerdictKind.OK, VerdictKind.SKIPPED)

    @property
    def message(self) -> str:
        """One line for the report or the CLI, saying what is wrong."""
        if self.kind is VerdictKind.OK:
            return "header ok"
        if self.kind is VerdictKind.SKIPPED:
            reason = self.skip_reason.value if self.skip_reason else "skipped"
            return f"skipped ({reason}{': ' + self.detail if self.detail else ''})"
        if self.kind is VerdictKind.WRONG_LICENSE:
            extra = f" ({self.detail})" if self.detail else ""
            return f"declares {self.declared!r}, expected {self.expected!r}{extra}"
        if self.kind is VerdictKind.MISSING_COPYRIGHT:
            return "copyright line missing or not matching the configured template"
        return f"no SPDX-License-Identifier: {self.expected} in the leading comment block"


def _head_bytes(text: str | bytes) -> bytes:
    if isinstance(text, bytes):
        return text[:BINARY_SNIFF_BYTES]
    return text[:BINARY_SNIFF_BYTES].encode("utf-8", "surrogateescape")


def check_file(
    path: str,
    text: str | bytes,
    *,
    expected_license: str,
    copyright_template: str | None = None,
    include_prose: bool = False,
) -> FileVerdict:
    """Judge one file. Raises :class:`SpdxError` if ``expected_license`` itself is
    invalid: that is a rules-file error, not the contributor's."""
    expected = parse_expression(expected_license)
    if isinstance(expected, SpdxError):
        raise expected
    detection = classify(path, _head_bytes(text))
    language = detection.language
    if language is None:
        reason = detection.reason or SkipReason.UNKNOWN_LANGUAGE
        return FileVerdict(path, VerdictKind.SKIPPED, skip_reason=reason, detail=detection.detail)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "surrogateescape")

    def verdict(kind: VerdictKind, **kw: object) -> FileVerdict:
        return FileVerdict(path, kind, language=language, expected=expected_license, **kw)  # type: ignore[arg-type]

    if language.is_prose and not include_prose:
        return verdict(VerdictKind.SKIPPED, skip_reason=SkipReason.PROSE, detail=language.name)
    if not text.lstrip("\ufeff").strip():
        # An empty file (an `__init__.py`, a `.gitkeep`) holds nothing to license.
        return verdict(VerdictKind.SKIPPED, skip_reason=SkipReason.EMPTY)
    if is_generated(text):
        return verdict(VerdictKind.SKIPPED, skip_reason=SkipReason.GENERATED)
    info = find_header(text, language)
    declared = info.expression
    if declared is None:
        return verdict(VerdictKind.MISSING_HEADER, header=info)
    parsed = parse_expression(declared)
    if isinstance(parsed, SpdxError):
        return verdict(
            VerdictKind.WRONG_LICENSE, declared=declared, detail=parsed.reason, header=info
        )
    if not parsed.equivalent(expected):
        return verdict(VerdictKind.WRONG_LICENSE, declared=declared, header=info)
    if copyright_template:
        pattern = copyright_pattern(copyright_template)
        if not any(pattern.search(c.value) for c in info.comments):
            return verdict(VerdictKind.MISSING_COPYRIGHT, declared=declared, header=info)
    return verdict(VerdictKind.OK, declared=declared, header=info)
