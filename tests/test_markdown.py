"""bot/markdown.py: the one escaping helper for user-controlled text in comments (framework and rules)."""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from bot.markdown import WORD_JOINER, code_span, escape_markdown

MENTION = re.compile(r"(?<![\w`\\])@[A-Za-z0-9]")


@pytest.mark.parametrize("login", ["octocat", "octo-cat", "a1", "jane_doe_acme"])
def test_ordinary_logins_are_unchanged_so_the_mention_works(login):
    assert escape_markdown(login) == login


@pytest.mark.parametrize("char", list("\\`*_{}[]()#+!|~<>&:\"'=%;$^"))
def test_markdown_punctuation_is_backslash_escaped(char):
    assert escape_markdown(f"a {char} b") == f"a \\{char} b"


def test_edge_underscores_are_escaped_intraword_ones_are_not():
    assert escape_markdown("_x_y_") == r"\_x_y\_"


def test_text_cannot_leave_its_line_or_hide_characters():
    escaped = escape_markdown("evil\n\n# Heading\r\n<!-- governance-bot:report -->\u202e\u200b\x00end")
    assert "\n" not in escaped and "\r" not in escaped and "\x00" not in escaped
    assert "\u202e" not in escaped and "\u200b" not in escaped
    assert "<!--" not in escaped and "governance-bot:report" not in escaped
    assert escaped.startswith("evil \\# Heading \\<\\!--")


def test_no_mention_can_be_injected():
    escaped = escape_markdown("x @admin @acme/security-team")
    assert MENTION.search(escaped) is None
    assert MENTION.findall("@" + escape_markdown("dana @admin")) == ["@d"]  # the author's own, only


def test_repository_names_keep_their_slash_and_dots():
    assert escape_markdown("acme/widgets.js", keep="-./") == "acme/widgets.js"


def test_issue_references_are_broken_but_a_lone_hash_is_only_escaped():
    assert escape_markdown("fixes #123 and acme/w#7") == f"fixes \\#{WORD_JOINER}123 and acme\\/w\\#{WORD_JOINER}7"
    assert escape_markdown("C# rocks") == "C\\# rocks"


def test_escaping_stops_markdown_html_and_mentions_and_caps_the_length():
    escaped = escape_markdown("**x** <b>@alice</b> [link](http://e)")
    assert "\\*\\*x\\*\\*" in escaped and "\\<b\\>" in escaped and "@alice" not in escaped
    assert "\\[link\\]\\(http\\:\\/\\/e\\)" in escaped
    assert escape_markdown("a" * 300, limit=100) == "a" * 99 + "…"


@pytest.mark.parametrize("text", ["plain", "a`b", "``x``", "`", "a ``` b", "<b>@team</b> #1", "line\nbreak"])
def test_code_span_holds_any_backticks_on_one_line(text):
    [paragraph] = [t for t in MarkdownIt("commonmark").parse(code_span(text)) if t.type == "inline"]
    assert [(c.type, c.content) for c in paragraph.children] == [("code_inline", text.replace("\n", " "))]
