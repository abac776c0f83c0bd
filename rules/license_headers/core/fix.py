"""Rendering the header to paste, and inserting it (``headers check --fix``).

Insertion must never break a file: the header goes after whatever has to stay first
(shebang, encoding line, XML declaration, ``<?php``, build constraints, front matter),
the BOM stays the first character, CRLF files stay CRLF, and non-UTF-8 bytes survive
untouched (surrogateescape). Running the fix twice must change nothing the second time,
and a wrong ``SPDX-License-Identifier`` is corrected in place instead of gaining a rival.
"""

from __future__ import annotations

import re
from typing import overload

from .check import (
    HOLDER_PLACEHOLDER,
    HeaderInfo,
    LinearPattern,
    TagLine,
    copyright_from_template,
    copyright_pattern,
    find_header,
    has_notice,
    split_lines,
)
from .languages import Language, Prelude
from .spdx import expressions_equal

__all__ = ["FixRefused", "header_for", "insert_header", "render_header"]

_SPDX = "SPDX-License-Identifier: "
_YEARS_IN_LINE = re.compile(r"\d{4}(?:\s*[-–—]\s*\d{4})?(?:\s*,\s*\d{4}(?:\s*[-–—]\s*\d{4})?)*")


class FixRefused(ValueError):
    """The file cannot be fixed safely; ``str()`` says why (shown to the user)."""


def render_header(language: Language, license: str, copyright_line: str | None = None, *,
                  style: str | None = None, notice: str | None = None) -> str:
    """The exact header for ``language``: line comments when it has them (they survive
    re-indentation and partial edits best) unless ``style`` is ``"block"`` (what the
    repository already uses), else one block comment. With ``notice``, the notice stands
    where the SPDX line would. A template's block swallows the line break after it, so
    the header renders nothing. Ends with a newline."""
    body = ([copyright_line.strip()] if copyright_line else [])
    if notice:  # a notice is a paragraph of its own, as such headers are usually written
        body += ([""] if body else []) + [line.rstrip() for line in notice.strip("\n").split("\n")]
    else:
        body.append(_SPDX + license.strip())
    block = language.template_trim or language.block
    if language.line and not language.template_trim and not (style == "block" and block is not None):
        token = language.line[0]
        return "".join((f"{token} {text}".rstrip() if token else text) + "\n" for text in body)
    assert block is not None  # Language guarantees one of the two
    inner = "".join(f"{block.prefix}{text}".rstrip() + "\n" for text in body)
    return f"{block.start}\n{inner}{block.end}\n"


def header_for(
    language: Language, license: str, copyright_template: str | None, year: int | str, *,
    style: str | None = None, notice: str | None = None,
) -> str:
    """The header for a rules file's ``license``, ``copyright`` template and ``notice`` in ``year``."""
    line = copyright_from_template(copyright_template, year) if copyright_template else None
    if notice:
        notice = notice.replace("{year}", str(year)).replace("{holder}", HOLDER_PLACEHOLDER)
    return render_header(language, license, line, style=style, notice=notice)


def _one_line_comment(language: Language, text: str, block_style: bool = False) -> str:
    if block_style and language.block is not None:
        return f"{language.block.start} {text} {language.block.end.strip()}"
    if language.line:
        token = language.line[0]
        return f"{token} {text}" if token else text
    block = language.block
    assert block is not None
    return f"{block.start} {text} {block.end.strip()}"


def _newline(text: str) -> str:
    """The file's line ending, judged by its first line (CRLF or LF)."""
    index = text.find("\n")
    return "\r\n" if index > 0 and text[index - 1] == "\r" else "\n"


def _split_eol(line: str) -> tuple[str, str]:
    bare = line.rstrip("\r\n")
    return bare, line[len(bare):]


def _sibling_line(language: Language, lines: list[str], anchor: TagLine, text: str) -> str:
    """A new header line next to ``anchor``, reusing its comment prefix when that is safe
    (a prefix that opens a block, or a comment closed on the same line, is not: then a
    comment of the same kind as the anchor's is written)."""
    raw, _ = _split_eol(lines[anchor.line])
    prefix = raw[: anchor.column]
    opens_block = language.block is not None and language.block.start in prefix
    if raw[anchor.end:].strip() or opens_block:
        in_block = opens_block or prefix.strip() not in language.line
        return _one_line_comment(language, text, block_style=in_block)
    return prefix + text


def _is_tag_only(language: Language, lines: list[str], tag: TagLine) -> bool:
    raw, _ = _split_eol(lines[tag.line])
    prefix = raw[: tag.column].strip()
    return not raw[tag.end:].strip() and (prefix in language.line or prefix == "")


def _correct_licenses(
    language: Language, lines: list[str], info: HeaderInfo, expected: str
) -> None:
    """Rewrite the first SPDX value in place; extra tags are dropped (or rewritten when
    they share their line with other text) so the ANDed result is what is expected."""
    for tag in reversed(info.licenses[1:]):
        if _is_tag_only(language, lines, tag):
            del lines[tag.line]
            continue
        raw, eol = _split_eol(lines[tag.line])
        lines[tag.line] = raw[: tag.start] + expected + raw[tag.end:] + eol
    first = info.licenses[0]
    raw, eol = _split_eol(lines[first.line])
    lines[first.line] = raw[: first.start] + expected + raw[first.end:] + eol


def _fix_lines(
    lines: list[str],
    language: Language,
    info: HeaderInfo,
    header: str,
    expected: str,
    copyright_line: str | None,
    pattern: LinearPattern | None,
    nl: str,
    noticed: bool = False,
    notice_header: bool = False,
) -> list[str]:
    has_copyright = pattern is None or any(pattern.search(c.value) for c in info.comments)
    if info.licenses:
        first = info.licenses[0]
        # The copyright line is made from the lines as they are, before the licence is
        # rewritten in place (its offsets describe the original line).
        new = _sibling_line(language, lines, first, copyright_line) if copyright_line and not has_copyright else None
        if not expressions_equal(info.expression or "", expected):
            _correct_licenses(language, lines, info, expected)
        if new is not None:
            lines.insert(first.line, new + nl)
        return lines
    if noticed:
        if not has_copyright and copyright_line and info.comments:
            anchor = info.comments[0]
            lines.insert(anchor.line, _sibling_line(language, lines, anchor, copyright_line) + nl)
        return lines

    if pattern is not None and copyright_line:
        anchors = [c for c in info.comments if pattern.search(c.value)]
    else:
        anchors = list(info.copyrights)
    if anchors and not notice_header:  # a copyright block is already there: complete it
        anchor = anchors[-1]
        lines.insert(anchor.line + 1, _sibling_line(language, lines, anchor, _SPDX + expected) + nl)
        return lines

    block = header.replace("\r\n", "\n")
    if language.is_template:
        if language.template_trim is None:
            raise FixRefused(f"a {language.name} comment would add a line to what the template renders; "
                             "add the header by hand")
        if lines and lines[0][:1].isspace():
            raise FixRefused("the template starts with whitespace that a header comment would swallow; "
                             "add the header by hand")
        # The comment's closing marker swallows the line break after it: nothing rendered changes.
        return [block.replace("\n", nl), *lines]
    if not block.endswith("\n"):
        block += "\n"
    wrapped = Prelude.PHP_OPEN in language.preludes and Prelude.PHP_OPEN not in info.prelude
    if wrapped:  # a PHP file that starts in HTML mode: the header needs its own tags
        block = "<?php\n" + block + "?>\n"
    block = block.replace("\n", nl)
    before, after = lines[: info.insert_line], lines[info.insert_line:]
    if before and not before[-1].endswith("\n"):
        before[-1] += nl
    gap = ""
    if info.prelude and info.prelude[-1] is Prelude.GO_BUILD and before and before[-1].strip():
        gap = nl  # a build constraint needs a blank line after it to count
    separator = nl if after and after[0].strip() and not wrapped else ""
    return [*before, gap, block, separator, *after]


@overload
def insert_header(
    content: str, language: Language, header: str, *, copyright_template: str | None = None
) -> str: ...
@overload
def insert_header(
    content: bytes, language: Language, header: str, *, copyright_template: str | None = None
) -> bytes: ...
def insert_header(
    content: str | bytes,
    language: Language,
    header: str,
    *,
    copyright_template: str | None = None,
    license: str | None = None,
    notice: str | None = None,
) -> str | bytes:
    """Return ``content`` carrying ``header`` (as made by :func:`render_header`).

    Already correct: returned unchanged. Wrong SPDX expression: corrected in place.
    Missing copyright: that line is added next to the SPDX line. A copyright block without
    SPDX: the SPDX line is added to it. Otherwise the whole header is inserted after the
    prelude, followed by a blank line. Copyright lines are compared with
    ``copyright_template`` when given, else with the header's own line with any year.
    Bytes in, bytes out.
    """
    as_bytes = isinstance(content, bytes)
    text = content.decode("utf-8", "surrogateescape") if isinstance(content, bytes) else content
    bom = text.startswith("\ufeff")
    body = text[1:] if bom else text

    wanted = find_header(header, language)
    if not wanted.licenses and not (notice and license):
        raise ValueError("header has no SPDX-License-Identifier line")
    expected = wanted.licenses[0].value if wanted.licenses else str(license)
    copyright_line = wanted.copyrights[0].value if wanted.copyrights else None
    pattern = None
    if copyright_line is not None:
        template = copyright_template or _YEARS_IN_LINE.sub("{year}", copyright_line, count=1)
        pattern = copyright_pattern(template)

    info = find_header(body, language)
    noticed = bool(notice) and not info.licenses and has_notice(info, notice or "")
    lines = _fix_lines(
        split_lines(body), language, info, header, expected, copyright_line, pattern,
        _newline(body), noticed, notice_header=not wanted.licenses,
    )
    result = ("\ufeff" if bom else "") + "".join(lines)
    if result == text:
        return content
    return result.encode("utf-8", "surrogateescape") if as_bytes else result
