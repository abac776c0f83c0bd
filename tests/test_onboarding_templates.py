"""The onboarding rule's pure parts: template checks and rendering, the config section (escaping: test_markdown.py)."""

from __future__ import annotations

import re

import pytest

from bot.config import load_text
from rules import RULES
from rules.onboarding.history import author_query
from rules.onboarding.templates import (
    DEFAULT_FIRST_MERGE,
    DEFAULT_WELCOME_ISSUE,
    DEFAULT_WELCOME_PULL_REQUEST,
    PLACEHOLDERS,
    render,
    template_fields,
)

def errors(text: str) -> list[str]:
    return load_text(text, RULES).errors


# -- templates --------------------------------------------------------------------------------

def test_template_fields_lists_the_placeholders_used():
    assert template_fields("Hi @{author}, see {contributing} and {cla}; {{literal}}") == ["author", "contributing", "cla"]


@pytest.mark.parametrize("template, message", [
    ("Hi {user}", "unknown placeholder {user}"),
    ("Hi {author.__class__}", "unknown placeholder {author.__class__}"),
    ("Hi {author[0]}", "unknown placeholder {author[0]}"),
    ("Hi {}", "unknown placeholder {}"),
    ("Hi {0}", "unknown placeholder {0}"),
    ("Hi {author!r}", "takes no format"),
    ("Hi {author:>10}", "takes no format"),
    ("Hi {author", "literal brace"),
    ("Hi }", "literal brace"),
])
def test_malformed_templates_are_refused_with_a_message(template, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        template_fields(template)


def test_every_default_template_is_valid_and_uses_known_placeholders():
    for template in (DEFAULT_WELCOME_ISSUE, DEFAULT_WELCOME_PULL_REQUEST, DEFAULT_FIRST_MERGE):
        assert set(template_fields(template)) <= set(PLACEHOLDERS)
        assert "author" in template_fields(template)


def test_render_fills_values_and_unescapes_doubled_braces():
    assert render("Hi @{author} {{x}} in {repository}", {"author": "dana", "repository": "a/b"}) == "Hi @dana {x} in a/b"


def test_render_leaves_out_lines_whose_placeholder_has_no_value():
    template = "Hello {author}\n\n- sign {cla}\n- ask {mentor}\n- read {contributing}\n\n{cla}\n\nBye"
    values = {"author": "dana", "cla": None, "mentor": "@alice", "contributing": "https://x"}
    assert render(template, values) == "Hello dana\n\n- ask @alice\n- read https://x\n\nBye"


def test_default_pull_request_welcome_gives_next_steps_with_and_without_cla_and_mentor():
    values = {"author": "dana", "repository": "acme/widgets", "contributing": "https://c", "cla": "https://cla",
              "mentor": "@alice"}
    full = render(DEFAULT_WELCOME_PULL_REQUEST, values)
    assert "run the tests" in full and "https://c" in full and "@alice" in full and "https://cla" in full
    bare = render(DEFAULT_WELCOME_PULL_REQUEST, {**values, "cla": None, "mentor": None})
    assert "Contributor License Agreement" not in bare and "@alice" not in bare and "None" not in bare
    assert "run the tests" in bare and "/recheck" in bare


def test_search_query_quotes_odd_logins_and_never_breaks_out_of_the_qualifier():
    assert author_query("acme/widgets", "dana") == "repo:acme/widgets author:dana"
    assert author_query("acme/widgets", 'x" repo:other/repo') == 'repo:acme/widgets author:"x repo:other/repo"'


# -- the config section -----------------------------------------------------------------------

def test_empty_section_is_valid_with_readable_defaults():
    config = load_text("onboarding: {}\n", RULES)
    assert config.errors == []
    section = config.section("onboarding")
    assert section.label == "first-time-contributor" and section.mentors == []
    assert section.welcome_pull_request == DEFAULT_WELCOME_PULL_REQUEST


def test_null_section_is_on_with_defaults():
    assert load_text("onboarding:\n", RULES).section("onboarding").welcome_issue == DEFAULT_WELCOME_ISSUE


def test_unknown_placeholder_is_a_rules_file_error_naming_the_field():
    assert errors("onboarding:\n  first_merge: 'Well done {name}'\n") == [
        "onboarding.first_merge: unknown placeholder {name}; use {author}, {repository}, {contributing}, {cla}, "
        "{mentor} (write {{ or }} for a literal brace)"]


def test_unknown_key_is_an_error():
    assert errors("onboarding:\n  mentor: [alice]\n") == ["onboarding.mentor: unknown key"]


def test_mentors_are_logins_deduplicated_with_at_signs_stripped():
    section = load_text("onboarding:\n  mentors: ['@Alice', alice, bob]\n", RULES).section("onboarding")
    assert section.mentors == ["Alice", "bob"]


@pytest.mark.parametrize("mentor, message", [
    ("acme/core", "not teams"),
    ("bad login", "is not a GitHub login"),
    ("-dash", "is not a GitHub login"),
])
def test_bad_mentors_are_refused(mentor, message):
    found = errors(f"onboarding:\n  mentors: ['{mentor}']\n")
    assert len(found) == 1 and found[0].startswith("onboarding.mentors") and message in found[0]


def test_label_too_long_is_refused_and_empty_label_means_none():
    assert errors(f"onboarding:\n  label: {'x' * 51}\n")[0].startswith("onboarding.label: a label name has 1 to 50 characters")
    assert load_text("onboarding:\n  label: ''\n", RULES).section("onboarding").label is None


def test_empty_template_turns_that_message_off():
    assert load_text("onboarding:\n  welcome_issue: ''\n", RULES).section("onboarding").welcome_issue is None
