"""What contributors read: status descriptions and the CLA report section."""

from __future__ import annotations

import pytest

from rules.cla.config import ClaConfig
from rules.cla.identities import Identity, UnlinkedCommit
from rules.cla.report import Verdict, description, fenced, report, status

CONFIG = ClaConfig(document="https://example.org/cla.md")


def person(login: str, uid: int = 1) -> Identity:
    return Identity(uid, login, ["author of the pull request"])


@pytest.mark.parametrize("count", [1, 2, 5, 40, 300])
def test_descriptions_fit_in_140_characters_and_say_what_to_do(count):
    unsigned = [person(f"contributor-with-a-long-name-{i}", i) for i in range(count)]
    text = description(Verdict(unsigned=unsigned), CONFIG)
    assert len(text) <= 140
    assert "sign" in text and "comment" in text
    both = description(Verdict(unsigned=unsigned, unlinked=[UnlinkedCommit("a" * 40, "J", "author")]), CONFIG)
    assert len(both) <= 140 and "linked to no GitHub account" in both


def test_descriptions_name_people_while_they_fit():
    assert description(Verdict(unsigned=[person("ann"), person("bo", 2)]), CONFIG).startswith("ann and bo must each")
    many = description(Verdict(unsigned=[person(f"user{i}", i) for i in range(30)]), CONFIG)
    assert many.startswith("user0, user1") and "others must each sign" in many


def test_unlinked_only_and_incomplete_descriptions():
    text = description(Verdict(unlinked=[UnlinkedCommit("a" * 40, "J", "author"),
                                         UnlinkedCommit("a" * 40, "K", "committer")]), CONFIG)
    assert text.startswith("1 commit has an email linked to no GitHub account") and "amend" in text
    incomplete = description(Verdict(incomplete="GitHub listed 250 of 300 commits"), CONFIG)
    assert "cannot be checked" in incomplete and len(incomplete) <= 140


def test_status_states_never_pending():
    assert status(Verdict(), CONFIG).state == "success"
    assert status(Verdict(unsigned=[person("ann")]), CONFIG).state == "failure"
    assert status(Verdict(incomplete="x"), CONFIG).state == "failure"
    assert status(Verdict(), CONFIG, sha="f" * 40).sha == "f" * 40
    assert status(Verdict(), CONFIG).target_url == CONFIG.document


def test_report_lists_people_document_phrase_and_fixes():
    section = report(Verdict(unsigned=[Identity(5, "bob", ["co-author"], ["b" * 40])],
                             unlinked=[UnlinkedCommit("c" * 40, "Jane <img src=x>", "author")]),
                     CONFIG, "acme", "github.com")
    assert section.needs_action
    assert "@bob (co-author of `bbbbbbb`)" in section.body
    assert "](https://example.org/cla.md)" in section.body
    assert "```\nI have read the CLA Document and I hereby sign the CLA\n```" in section.body
    assert "`ccccccc` by Jane \\<img src\\=x\\> (commit author)" in section.body
    assert "https://github.com/settings/emails" in section.body and "--amend" in section.body
    assert "**acme**" in section.body


def test_passing_report_needs_no_action():
    section = report(Verdict(), CONFIG, "acme", "github.com")
    assert not section.needs_action and "version 1" in section.body


def test_fence_is_longer_than_any_backtick_run():
    assert fenced("a ``` b") == "````\na ``` b\n````"
    assert fenced("plain") == "```\nplain\n```"
