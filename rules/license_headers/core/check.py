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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import re2

from rules.common.generated import GENERATED_SCAN_CHARS, GENERATED_SCAN_LINES, is_generated

from .languages import (
    BINARY_SNIFF_BYTES,
    Language,
    Prelude,
    SkipReason,
    classify,
)
from .reuse import Precedence, ReuseInfo, Resolved, extract, needs_file, resolve, strip_closers
from .spdx import SpdxError, parse_expression

__all__ = [
    "FileVerdict",
    "HeaderInfo",
    "ReuseFacts",
    "has_notice",
    "normalize_notice",
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
_PRAGMA_ONCE = re.compile(r"^\s*#\s*pragma\s+once\b")
_IFNDEF = re.compile(r"^\s*#\s*(?:ifndef\s+(\w+)|if\s+!\s*defined\s*\(?\s*(?P<n>\w+))")
_DEFINE = re.compile(r"^\s*#\s*define\s+(\w+)")


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
    if Prelude.DIAGRAM_START in allowed and at(i).strip().lower().startswith("@start"):
        kinds.append(Prelude.DIAGRAM_START)
        i += 1
    if Prelude.INCLUDE_GUARD in allowed:
        j = i
        while j < n and not at(j).strip():
            j += 1
        if _PRAGMA_ONCE.match(at(j)):
            kinds.append(Prelude.INCLUDE_GUARD)
            i = j + 1
        else:
            guard = _IFNDEF.match(at(j))
            define = _DEFINE.match(at(j + 1)) if guard else None
            if guard and define and (guard.group(1) or guard.group("n")) == define.group(1):
                kinds.append(Prelude.INCLUDE_GUARD)
                i = j + 2
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
    in_indented = False  # inside a reStructuredText comment: indented lines continue it
    i = start
    while i < len(lines):
        raw = _bare(lines[i])
        if in_indented and raw[:1] in (" ", "\t") and raw.strip():
            cs = len(raw) - len(raw.lstrip())
            found.append((i, cs, len(raw)))
            last = i + 1
            i += 1
            continue
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
            in_indented = language.indented_continuation and indent == 0
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

    Line numbers in the result count from the start of ``text`` without its BOM. Keys of
    YAML/TOML front matter count as header lines too (``SPDX-License-Identifier: MIT`` in
    a Markdown page's front matter declares its licence).
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
    if Prelude.FRONT_MATTER in prelude:
        closing = next(j for j in range(1, prelude_end) if _bare(lines[j]).rstrip() in ("---", "...", "+++"))
        found = [(j, 0, len(_bare(lines[j]))) for j in range(1, closing) if lines[j].strip()] + found

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
        toml = _TOML_SPDX.match(content) if Prelude.FRONT_MATTER in prelude else None
        if toml:
            licenses.append(TagLine(idx, cs, cs + toml.start(1), cs + toml.end(1), toml.group(1)))
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


_TOML_SPDX = re.compile(r"""^\s*["']?SPDX-License-Identifier["']?\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


class LinearPattern:
    """An RE2 pattern that also takes text holding lone surrogates (bytes that were not
    UTF-8, kept by ``surrogateescape``), which RE2 cannot encode."""

    __slots__ = ("_regex",)

    def __init__(self, pattern: str) -> None:
        self._regex = re2.compile(pattern)

    def search(self, text: str) -> object | None:
        try:
            return self._regex.search(text)
        except UnicodeEncodeError:
            return self._regex.search(text.encode("utf-8", "replace").decode("utf-8"))


# --- full-text notices ---------------------------------------------------------------

#: Comment decoration left at the start of a line once the comment token is gone
#: (``*`` of a ``/* */`` block, ``#`` runs, ``//`` in a block ...) and closers at its end.
_LEAD_MARKS = re.compile(r"(?:[*#;!%]+|//+|--+|\.\.|::|dnl\b|rem\b)\s*", re.IGNORECASE)
_TRAIL_MARKS = ("*/", "-->", "*)", "-}", "#}", "%>", "*/}}", "--}}", "'/", "]]")
_WS = re.compile(r"\s+")
_NOTICE_TOKEN = re.compile(r"\{year\}|\{holder\}")


def normalize_notice(lines: Sequence[str]) -> str:
    """Lines of a notice or of a comment block, with comment markers, line breaks, runs of
    whitespace and case ignored: what two spellings of one notice have in common."""
    out: list[str] = []
    for line in lines:
        text = line.strip()
        previous = None
        while text and text != previous:
            previous = text
            lead = _LEAD_MARKS.match(text)
            text = text[lead.end():] if lead else text
            text = strip_closers(text, _TRAIL_MARKS, runs="*#").strip()
        if text:
            out.append(text)
    return _WS.sub(" ", " ".join(out)).strip().lower()


@functools.lru_cache(maxsize=32)
def notice_pattern(notice: str) -> LinearPattern:
    """A linear-time pattern for a configured notice; ``{year}`` and ``{holder}`` as in
    `copyright` (the notice is normalised first, so placeholders are matched lower case)."""
    normal = normalize_notice(notice.split("\n"))
    out: list[str] = []
    position = 0
    for m in _NOTICE_TOKEN.finditer(normal):
        out.append(re2.escape(normal[position:m.start()]))
        out.append(f"(?:{_YEARS})" if m.group() == "{year}" else r"\S(?:.*?\S)?")
        position = m.end()
    out.append(re2.escape(normal[position:]))
    return LinearPattern("".join(out))


def has_notice(info: HeaderInfo, notice: str) -> bool:
    """Whether the leading comment block holds ``notice``."""
    if not info.comments:
        return False
    return notice_pattern(notice).search(normalize_notice([c.value for c in info.comments])) is not None


# --- copyright template --------------------------------------------------------------

_YEAR = r"\d{4}"
_YEAR_RANGE = rf"{_YEAR}(?:\s*[-–—]\s*{_YEAR})?"
_YEARS = rf"{_YEAR_RANGE}(?:\s*,\s*{_YEAR_RANGE})*"
_TEMPLATE_TOKEN = re.compile(
    r"(?P<year>\{year\})|(?P<holder>\{holder\})|(?P<ws>\s+)|(?P<c>\([cC]\)|©)|(?P<word>copyright\b)|(?P<other>.)",
    re.IGNORECASE | re.DOTALL,
)


@functools.lru_cache(maxsize=64)
def copyright_pattern(template: str) -> LinearPattern:
    """A linear-time pattern (RE2: file text is the contributor's) for the copyright line a
    template such as ``"Copyright (c) {year} Example Corp"`` describes.

    ``{year}`` accepts a year, a range (``2019-2026``, en dash too) or a list
    (``2019, 2021-2023``); ``{holder}`` any non-empty holder (so lines naming different
    holders all match); whitespace runs are flexible; ``(c)`` and ``©`` are
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
        elif kind == "holder":
            out.append(r"\S(?:.*?\S)?" if index < len(tokens) - 1 else r"\S")
        elif kind == "ws":
            out.append(r"\s+" if wordy(index - 1) and wordy(index + 1) else r"\s*")
        elif kind == "c":
            out.append(r"(?:\([cC]\)|©)")
        elif kind == "word":
            out.append(r"(?i:copyright)")
        else:
            out.append(re2.escape(value))
    pattern = "".join(out)
    # RE2 has no look-around; \b next to a word character means the same here.
    if tokens and wordy(0):
        pattern = r"\b" + pattern
    if tokens and wordy(len(tokens) - 1):
        pattern += r"\b"
    return LinearPattern(pattern)


HOLDER_PLACEHOLDER = "<copyright holder>"


def copyright_from_template(template: str, year: int | str, holder: str | None = None) -> str:
    """The concrete line to paste for ``template`` in ``year`` (``{holder}``: the given
    holder, else a placeholder the contributor replaces)."""
    return template.strip().replace("{year}", str(year)).replace("{holder}", holder or HOLDER_PLACEHOLDER)


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
    #: Where the licence was found: "header", "notice", or the REUSE sources ("file" for a
    #: tag outside the header, "sidecar", a REUSE.toml path, ".reuse/dep5").
    declared_by: str = ""

    @property
    def not_checked(self) -> bool:
        """A file in scope that could not be checked (unknown comment syntax, undecodable):
        counted and named, never passed silently."""
        return self.kind is VerdictKind.SKIPPED and self.skip_reason in (
            SkipReason.UNKNOWN_LANGUAGE, SkipReason.UNDECODABLE)

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


@dataclass(frozen=True)
class ReuseFacts:
    """What a REUSE repository says about one file outside it: the global information
    (REUSE.toml / dep5) for its path, and the text of its `.license` sidecar if it has one."""

    global_info: Mapping[Precedence, Sequence[ReuseInfo]] = field(default_factory=dict)
    sidecar: str | None = None


#: A generator marker in one of a file's first lines counts wherever it stands (a docstring).
GENERATED_TOP_LINES = 5


def _marker_lines(text: str, language: Language) -> str:
    """The leading lines where a generator marker counts: the first few, then comments only
    (a script that prints "DO NOT EDIT" into the code it generates is not generated itself)."""
    starts = tuple(t for t in language.line if t)
    if language.block is not None:
        starts += (language.block.start, language.block.prefix.strip() or language.block.start, "*")
    if not starts or language.is_bare:
        return text
    lines = text[:GENERATED_SCAN_CHARS].split("\n")[:GENERATED_SCAN_LINES]
    return "\n".join(line for n, line in enumerate(lines)
                     if n < GENERATED_TOP_LINES or line.lstrip().startswith(starts))


def _and(expressions: Sequence[str]) -> str:
    return expressions[0] if len(expressions) == 1 else " AND ".join(f"({e})" for e in expressions)


def check_file(
    path: str,
    text: str | bytes,
    *,
    expected_license: str,
    copyright_template: str | None = None,
    include_prose: bool = False,
    notice: str | None = None,
    reuse: ReuseFacts | None = None,
) -> FileVerdict:
    """Judge one file. Raises :class:`SpdxError` if ``expected_license`` itself is
    invalid: that is a rules-file error, not the contributor's.

    The licence is declared by an SPDX line in the header region, or by ``notice``; with
    ``reuse``, wherever the REUSE specification puts it (see :mod:`.reuse`)."""
    expected = parse_expression(expected_license)
    if isinstance(expected, SpdxError):
        raise expected
    detection = classify(path, _head_bytes(text))
    language = detection.language
    if detection.reason is SkipReason.BINARY or (language is None and detection.reason is not
                                                 SkipReason.UNKNOWN_LANGUAGE):
        return FileVerdict(path, VerdictKind.SKIPPED, skip_reason=detection.reason, detail=detection.detail)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "surrogateescape")
    has_sidecar = reuse is not None and reuse.sidecar is not None

    def verdict(kind: VerdictKind, **kw: object) -> FileVerdict:
        return FileVerdict(path, kind, language=language, expected=expected_license, **kw)  # type: ignore[arg-type]

    if not text.lstrip("\ufeff").strip() and not has_sidecar:
        # An empty file (an `__init__.py`, a `.gitkeep`) holds nothing to license.
        return verdict(VerdictKind.SKIPPED, skip_reason=SkipReason.EMPTY)
    if language is None:
        if reuse is None:
            return FileVerdict(path, VerdictKind.SKIPPED, skip_reason=SkipReason.UNKNOWN_LANGUAGE,
                               detail=detection.detail)
        # REUSE needs no comment syntax: a tag anywhere, a sidecar or REUSE.toml must say it.
        resolved = _resolve(reuse, text)
        if not resolved.licenses:
            return verdict(VerdictKind.MISSING_HEADER,
                           detail="its comment syntax is unknown: a .license file can hold it")
        return _judge(verdict, expected, _and(resolved.licenses), ", ".join(resolved.sources), copyright_template,
                      (), resolved, None)
    if language.is_prose and not include_prose:
        return verdict(VerdictKind.SKIPPED, skip_reason=SkipReason.PROSE, detail=language.name)
    info = find_header(text, language)
    for other in detection.alternatives:  # a guessed language: a header in any candidate's syntax counts
        if not info.licenses and other is not language:
            candidate = find_header(text, other)
            if candidate.licenses or (notice and has_notice(candidate, notice)):
                info = candidate
    resolved = _resolve(reuse, text) if reuse is not None else None
    own_text_counts = resolved is None or (resolved.file_read and not has_sidecar)
    declared: str | None = None
    declared_by = ""
    comments: tuple[str, ...] = ()
    if own_text_counts:
        declared, declared_by = info.expression, "header" if info.licenses else ""
        comments = tuple(c.value for c in info.comments)
    if resolved is not None and resolved.licenses:
        declared = _and(resolved.licenses)
        if not (info.licenses and own_text_counts and resolved.sources == ("file",)):
            declared_by = ", ".join(resolved.sources)
    if declared is None and notice and own_text_counts and has_notice(info, notice):
        declared, declared_by = expected_license, "notice"
    if declared is None and is_generated(_marker_lines(text, language)):
        return verdict(VerdictKind.SKIPPED, skip_reason=SkipReason.GENERATED)
    if declared is None:
        return verdict(VerdictKind.MISSING_HEADER, header=info)
    return _judge(verdict, expected, declared, declared_by, copyright_template, comments, resolved, info)


def _resolve(reuse: ReuseFacts, text: str) -> Resolved:
    if not needs_file(reuse.global_info):
        return resolve(reuse.global_info, None)
    own = extract(reuse.sidecar, "sidecar") if reuse.sidecar is not None else extract(text)
    return resolve(reuse.global_info, own)


def _judge(verdict, expected, declared: str, declared_by: str, copyright_template: str | None,
           comments: Sequence[str], resolved: Resolved | None, info: HeaderInfo | None) -> FileVerdict:
    """The verdict once the declared expression and where it came from are known."""

    def judged(kind: VerdictKind, **kw: object) -> FileVerdict:
        return verdict(kind, declared=declared, declared_by=declared_by, header=info, **kw)

    parsed = parse_expression(declared)
    if isinstance(parsed, SpdxError):
        return judged(VerdictKind.WRONG_LICENSE, detail=parsed.reason)
    if not parsed.equivalent(expected):
        elsewhere = declared_by not in ("", "header", "notice", "file")
        return judged(VerdictKind.WRONG_LICENSE, detail=f"from {declared_by}" if elsewhere else "")
    if copyright_template:
        pattern = copyright_pattern(copyright_template)
        lines = list(comments)
        global_notice = False
        if resolved is not None:
            for source in resolved.infos:
                if source.source in ("file", "sidecar"):
                    lines.extend(source.copyrights)
                    # REUSE's own notice form counts as the copyright line it stands for.
                    global_notice = global_notice or any(c.startswith("SPDX-FileCopyrightText:")
                                                         for c in source.copyrights)
                elif source.copyrights:
                    global_notice = True  # the maintainers' own REUSE.toml / dep5 notice
        if not global_notice and not any(pattern.search(line) for line in lines):
            return judged(VerdictKind.MISSING_COPYRIGHT)
    return judged(VerdictKind.OK)
