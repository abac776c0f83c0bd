"""The `cla` rules-file section, login globs and the sign phrase."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.config import load_text
from rules import RULES
from rules.cla.config import DEFAULT_SIGN_PHRASE, ClaConfig, signs
from rules.common.logins import allowlisted

DOC = "https://example.org/cla.md"


def test_defaults_read_well():
    config = ClaConfig(document=DOC)
    assert config.version == "1" and config.sign_phrase == DEFAULT_SIGN_PHRASE
    assert config.allowlist == ["*[bot]"] and config.accepts == [] and config.co_authors is True
    assert config.counted_versions() == ["1"]


def test_numeric_versions_become_labels():
    config = ClaConfig(document=DOC, version=2, accepts=[1, "1.5"])
    assert config.version == "2" and config.accepts == ["1", "1.5"]
    assert config.counted_versions() == ["2", "1", "1.5"]


@pytest.mark.parametrize("text, error", [
    ("cla: {}\n", "cla.document: Field required"),
    ("cla:\n  document: not-a-link\n", "cla.document: must be an http(s) link"),
    (f"cla:\n  document: {DOC}\n  allowlist: ['*?']\n", "cla.allowlist: '*?' would exempt everyone"),
    (f"cla:\n  document: {DOC}\n  allowlist: ['bad login!']\n", "cla.allowlist: 'bad login!' is not a login glob"),
    (f"cla:\n  document: {DOC}\n  covered_organizations: ['-nope']\n", "cla.covered_organizations:"),
    (f"cla:\n  document: {DOC}\n  version: ''\n", "cla.version: must be a short non-empty label"),
    (f"cla:\n  document: {DOC}\n  sign_phrase: 'ok'\n", "cla.sign_phrase:"),
    (f"cla:\n  document: {DOC}\n  signphrase: x\n", "cla.signphrase: unknown key"),
])
def test_invalid_sections_give_field_path_messages(text, error):
    loaded = load_text(text, RULES)
    assert any(e.startswith(error) for e in loaded.errors), loaded.errors


def test_a_valid_section_loads_and_can_be_disabled():
    assert load_text(f"cla:\n  document: {DOC}\n", RULES).section("cla") is not None
    assert load_text(f"cla:\n  document: {DOC}\n  enabled: false\n", RULES).section("cla") is None


def test_boolean_version_is_rejected():
    with pytest.raises(ValidationError):
        ClaConfig(document=DOC, version=True)


@pytest.mark.parametrize("login, patterns, expected", [
    ("dependabot[bot]", ["*[bot]"], "*[bot]"),
    ("Dependabot[BOT]", ["dependabot[bot]"], "dependabot[bot]"),  # logins ignore case
    ("bot", ["[ab]ot"], None),  # brackets are literal
    ("aot", ["[ab]ot"], None),
    ("[ab]ot", ["[ab]ot"], "[ab]ot"),
    ("renovate-bot", ["renovate?bot"], "renovate?bot"),
    ("renovatebot", ["renovate?bot"], None),
    ("x.y", ["x?y"], "x?y"),
    ("xzy", ["x.y"], None),  # a dot is a dot
    ("alice", ["*[bot]", "ali*"], "ali*"),
    ("alice", [], None),
])
def test_login_globs_know_only_star_and_question_mark(login, patterns, expected):
    assert allowlisted(login, patterns) == expected


@pytest.mark.parametrize("body, expected", [
    (DEFAULT_SIGN_PHRASE, True),
    (f"  {DEFAULT_SIGN_PHRASE.upper()}  ", True),
    ("I have read the CLA\r\nDocument and I hereby\tsign the CLA", True),
    (f"{DEFAULT_SIGN_PHRASE}.", True),
    (f"```\n{DEFAULT_SIGN_PHRASE}\n```", False),  # code is not the commenter's words
    (f"`{DEFAULT_SIGN_PHRASE}`", False),
    (f"```\nI do NOT agree\n```\n{DEFAULT_SIGN_PHRASE}", True),
    (f"{DEFAULT_SIGN_PHRASE}\n/recheck", True),
    (f"<!-- reply -->\n{DEFAULT_SIGN_PHRASE}", True),
    (f"Hi!\n\n{DEFAULT_SIGN_PHRASE}.\n\nThanks", False),  # contains it: not the same as consenting
    (f"> {DEFAULT_SIGN_PHRASE}\n\nI do NOT agree", False),  # a quote-reply of the report
    (f"> To sign, comment:\n> ```\n> {DEFAULT_SIGN_PHRASE}\n> ```\n\nI do NOT agree", False),
    (f"> {DEFAULT_SIGN_PHRASE}", False),  # only a quote: nobody's own words
    (f"I do not agree: {DEFAULT_SIGN_PHRASE}", False),
    (f"<!-- {DEFAULT_SIGN_PHRASE} -->", False),
    ("I have read the CLA Document", False),
    ("I have read the CLADocument and I hereby sign the CLA", False),
    ("", False),
    (None, False),
])
def test_a_comment_signs_when_its_own_words_are_the_phrase(body, expected):
    assert signs(body, DEFAULT_SIGN_PHRASE) is expected
