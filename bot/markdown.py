"""The one place user-controlled text is made safe for a GitHub comment (framework and rules alike).

Text from pull requests, comments and rules files (file names, keys, statements, logins,
licence expressions) is data. Two ways to show it literally:

- `code_span` / `fenced`: shown verbatim in code, whatever backticks it holds; nothing inside
  a code span is Markdown, HTML, a mention or a reference;
- `escape_markdown`: running text, with every ASCII punctuation mark backslash-escaped (no
  emphasis, links, HTML, entities, tables or the bot's `<!-- governance-bot:… -->` markers can
  form), a word joiner after `@` (no mention, so no team is paged) and after `#` before a
  digit (no issue reference), and line breaks and invisible format characters removed (the
  text cannot leave its line).

Each caller still decides how to tidy its text first (cap its length, pick which to use).
"""

from __future__ import annotations

import re
import string
import unicodedata

__all__ = ["bullets", "code_span", "escape_markdown", "fenced", "link_target", "one_line", "plural"]

_BACKTICKS = re.compile(r"`+")
_LINE_BREAKS = re.compile(r"[\r\n\v\f\x85\u2028\u2029]+")
WORD_JOINER = "\u2060"


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in _BACKTICKS.findall(text)), default=0)


def one_line(text: str, limit: int | None = None) -> str:
    """`text` with every run of whitespace and control or format characters one space, at most
    `limit` characters (an ellipsis marks a cut), for fenced blocks, code spans and titles."""
    if limit is not None:
        text = text[: limit * 4]  # the cut below needs no more; keeps the work linear in `limit`
    cleaned = " ".join("".join(" " if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text).split())
    return cleaned if limit is None or len(cleaned) <= limit else cleaned[: max(limit - 1, 0)] + "…"


def code_span(text: str, limit: int | None = None) -> str:
    """`text` as an inline code span, whatever backticks it holds, on one line (line breaks
    become spaces; other spacing is kept, it is code) and cut at `limit` characters.

    The fence is one backtick longer than any run inside, and a space pads text that starts
    or ends with a backtick or is blank (CommonMark strips one such space on each side).
    """
    text = _LINE_BREAKS.sub(" ", text)
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 0)] + "…"
    fence = "`" * (_longest_backtick_run(text) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def fenced(text: str, info: str = "") -> str:
    """A fenced code block that holds `text` whatever backticks it contains (`info`: its language)."""
    fence = "`" * max(3, _longest_backtick_run(text) + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def escape_markdown(text: str, keep: str = "-", limit: int | None = None) -> str:
    """User-controlled text as literal running Markdown on one line (see the module docstring).

    Letters, digits, spaces, `keep` and intraword `_` stay as they are, so an ordinary login
    or title still reads as typed. Invisible format characters (bidi overrides, zero widths)
    are dropped; `limit` cuts the text first.
    """
    cleaned = "".join(" " if ch.isspace() or unicodedata.category(ch) == "Cc" else ch
                      for ch in text[: limit * 4 if limit is not None else None]
                      if unicodedata.category(ch) != "Cf")
    cleaned = " ".join(cleaned.split())
    if limit is not None and len(cleaned) > limit:
        cleaned = cleaned[: max(limit - 1, 0)] + "…"
    out: list[str] = []
    for i, ch in enumerate(cleaned):
        if ch.isalnum() or ch == " " or ch in keep:
            out.append(ch)
        elif ch == "_" and 0 < i < len(cleaned) - 1 and cleaned[i - 1].isalnum() and cleaned[i + 1].isalnum():
            out.append(ch)  # intraword underscores never make emphasis
        elif ch == "@":
            out.append("@" + WORD_JOINER)  # nothing GitHub reads as a mention
        elif ch == "#":
            follows_digit = i + 1 < len(cleaned) and cleaned[i + 1].isdigit()
            out.append("\\#" + (WORD_JOINER if follows_digit else ""))  # no #123 reference
        elif ch in string.punctuation:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


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
