"""Markdown building blocks shared by the rules' reports and replies.

Text from pull requests (file names, statements, licence expressions) is data: a code span
or fenced block sized to the backticks it holds shows it literally, so no mention, link or
HTML can come out of it. Each rule still decides how to tidy its text first (flatten line
breaks, cap the length); what is here is only the part that must be the same everywhere.
"""

from __future__ import annotations

import re
import string
import unicodedata

__all__ = ["bullets", "code_span", "escape_markdown", "fenced", "link_target", "one_line", "plural"]

_BACKTICKS = re.compile(r"`+")


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in _BACKTICKS.findall(text)), default=0)


def code_span(text: str) -> str:
    """`text` as an inline code span, whatever backticks it holds.

    The fence is one backtick longer than any run inside, and a space pads text that starts
    or ends with a backtick or is blank (CommonMark strips one such space on each side).
    The caller removes line breaks first: a span cannot hold a blank line.
    """
    fence = "`" * (_longest_backtick_run(text) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def fenced(text: str, info: str = "") -> str:
    """A fenced code block that holds `text` whatever backticks it contains (`info`: its language)."""
    fence = "`" * max(3, _longest_backtick_run(text) + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def link_target(url: str) -> str:
    """A URL safe inside Markdown's `(…)` link syntax: parentheses and angle brackets escaped."""
    return url.replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")


def bullets(items: list[str], cap: int) -> list[str]:
    """A bulleted list of at most `cap` items, then "… and N more" for the rest."""
    lines = [f"- {item}" for item in items[:cap]]
    if len(items) > cap:
        lines.append(f"- … and {len(items) - cap} more")
    return lines


def plural(n: int, word: str, plural_form: str | None = None) -> str:
    """`1 file`, `2 files` (or `plural_form` when adding an "s" is wrong)."""
    return f"{n} {word if n == 1 else (plural_form or word + 's')}"


def escape_markdown(text: str, keep: str = "-") -> str:
    """User-controlled text as literal Markdown: every ASCII punctuation mark is
    backslash-escaped (no emphasis, links, HTML, entities or hidden markers can form), an
    `@` cannot start a mention, and line breaks and invisible format characters are gone,
    so the text cannot leave its line. Letters, digits, `keep` and intraword `_` stay as
    they are, so an ordinary login still renders, and mentions, exactly as typed."""
    cleaned = "".join(" " if ch.isspace() or unicodedata.category(ch) == "Cc" else ch
                      for ch in text if unicodedata.category(ch) != "Cf")
    cleaned = " ".join(cleaned.split())
    out: list[str] = []
    for i, ch in enumerate(cleaned):
        if ch.isalnum() or ch == " " or ch in keep:
            out.append(ch)
        elif ch == "_" and 0 < i < len(cleaned) - 1 and cleaned[i - 1].isalnum() and cleaned[i + 1].isalnum():
            out.append(ch)  # intraword underscores never make emphasis
        elif ch == "@":
            out.append("@\u2060")  # a word joiner after @: nothing GitHub reads as a mention
        elif ch in string.punctuation:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def one_line(text: str, limit: int) -> str:
    """`text` with every run of whitespace and control characters one space, at most `limit`
    characters (an ellipsis marks a cut), for fenced blocks and code spans."""
    cleaned = " ".join("".join(" " if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text[: limit * 4])
                       .split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"
