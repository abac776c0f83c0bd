"""Reading sign-offs and remediation statements (rules.dco.signoff, rules.common.trailers) and the pure check."""

from __future__ import annotations

import pytest

from rules.common.noreply import noreply_login
from rules.common.trailers import MAX_MESSAGE_CHARS, Person, parse_person
from rules.dco.check import facts, is_author, judge
from rules.dco.config import RemediationCommits
from rules.dco.signoff import Remediation, individual_statement, remediations, sign_offs, third_party_statement

SHA = "0123456789abcdef0123456789abcdef01234567"
HOST = "github.com"


def test_sign_offs_in_any_case_with_blanks_and_crlf_once_per_email():
    message = ("Fix\r\n\r\nsigned-off-by: Dana <dana@example.org>\r\n  Signed-Off-By :\tEve E  <eve@example.org>  \r\n"
               "Signed-off-by: DANA again <DANA@example.org>\nSigned-off-by: no address\n"
               "Signed-off-by: Bad <a b@example.org>\nSigned-off-by: Bad <x<y@example.org>\n"
               "Acked-by: Fay <fay@example.org>\nNot Signed-off-by: Gil <gil@example.org>")
    assert sign_offs(message) == [Person("Dana", "dana@example.org"), Person("Eve E", "eve@example.org")]
    assert sign_offs(None) == [] and sign_offs("") == []


@pytest.mark.parametrize("text, expected", [
    ("Dana <dana@example.org>", Person("Dana", "dana@example.org")),
    ("  <dana@example.org>  ", Person("", "dana@example.org")),
    ("Dana dana@example.org", None),
    ("Dana <>", None),
    ("Da>na <dana@example.org>", None),
    ("Dana <dana@example.org> trailing", None),
])
def test_a_person_is_a_name_and_an_address_in_angle_brackets(text, expected):
    assert parse_person(text) == expected


def test_only_the_tail_of_a_huge_message_is_read():
    head = "Signed-off-by: Early <early@example.org>\n"
    message = head + "x" * MAX_MESSAGE_CHARS + "\nSigned-off-by: Late <late@example.org>"
    assert sign_offs(message) == [Person("Late", "late@example.org")]


def test_hostile_messages_are_read_without_blowing_up():
    # Shapes that make backtracking patterns slow: long runs with no closing bracket or address.
    for message in ("Signed-off-by: " + " " * 200_000 + "<",
                    "Signed-off-by: " + "<" * 200_000,
                    "On behalf of " + "a <b>, I, " * 50_000 + "hereby",
                    ("I, " + "x" * 100_000 + ", hereby add my Signed-off-by to this commit: " + "a" * 41)):
        assert sign_offs(message) == [] and remediations(message) == []


def test_remediation_statements_individual_and_third_party():
    message = "\n".join([
        "DCO Remediation Commit for Dana <dana@example.org>",
        "",
        f"I, Dana <dana@example.org>, hereby add my Signed-off-by to this commit: {SHA.upper()}",
        f"  on behalf of Dana <dana@example.org>, i, Lee Lead <lee@corp.example>, HEREBY add my signed-off-by to this "
        f"commit: {SHA}  ",
        f"I, Dana <dana@example.org>, hereby add my Signed-off-by to this commit: {SHA[:7]}",  # short: not a statement
        f"I, Dana, hereby add my Signed-off-by to this commit: {SHA}",  # no address
        f"We, Dana <dana@example.org>, hereby add my Signed-off-by to this commit: {SHA}",
        "",
        "Signed-off-by: Dana <dana@example.org>",
    ])
    assert remediations(message) == [
        Remediation(SHA, Person("Dana", "dana@example.org")),
        Remediation(SHA, Person("Lee Lead", "lee@corp.example"), on_behalf_of=Person("Dana", "dana@example.org")),
    ]


def test_the_statements_the_report_writes_are_the_ones_the_check_reads():
    dana, lee = Person("Dana D", "dana@example.org"), Person("Lee", "lee@corp.example")
    assert individual_statement(dana, SHA) == (
        f"I, Dana D <dana@example.org>, hereby add my Signed-off-by to this commit: {SHA}")
    assert third_party_statement(dana, lee, SHA) == (
        f"On behalf of Dana D <dana@example.org>, I, Lee <lee@corp.example>, hereby add my Signed-off-by to this "
        f"commit: {SHA}")
    assert remediations(individual_statement(dana, SHA)) == [Remediation(SHA, dana)]
    assert remediations(third_party_statement(dana, lee, SHA)) == [Remediation(SHA, lee, on_behalf_of=dana)]


@pytest.mark.parametrize("email, expected", [
    ("583231+octocat@users.noreply.github.com", (583231, "octocat")),
    ("octocat@users.noreply.github.com", (None, "octocat")),
    ("49699333+dependabot[bot]@users.noreply.github.com", (49699333, "dependabot[bot]")),
    ("583231+octocat@users.noreply.evil.example", None),
    ("x583231+octocat@users.noreply.github.com", None),
    ("583231+-octocat@users.noreply.github.com", None),
    ("octocat@github.com", None),
])
def test_noreply_addresses_in_both_of_githubs_forms(email, expected):
    assert noreply_login(email, HOST) == expected


def commit(sha: str, email: str, message: str, *, login: str | None = None, uid: int | None = None,
           parents: int = 1) -> dict:
    return {"sha": sha, "commit": {"author": {"name": "N", "email": email}, "committer": {"name": "N", "email": email},
                                   "message": message},
            "author": {"login": login, "id": uid} if login else None, "parents": [{"sha": "p"}] * parents}


def test_a_noreply_sign_off_counts_only_for_its_account():
    linked = facts(commit(SHA, "dana@example.org", "", login="dana", uid=7), HOST)
    assert is_author(Person("x", "7+dana@users.noreply.github.com"), linked, HOST)
    assert is_author(Person("x", "DANA@users.noreply.github.com"), linked, HOST)
    assert not is_author(Person("x", "8+dana@users.noreply.github.com"), linked, HOST)
    assert not is_author(Person("x", "7+erin@users.noreply.github.com"), linked, HOST)
    unlinked = facts(commit(SHA, "dana@example.org", ""), HOST)
    assert not is_author(Person("x", "7+dana@users.noreply.github.com"), unlinked, HOST)


def test_judge_skips_merges_and_exempt_commits_and_finds_the_rebase_depth():
    commits = [facts(commit(f"{i:040x}", "d@example.org", "no sign-off", parents=2 if i == 3 else 1), HOST)
               for i in range(6)]
    verdict = judge(commits, exempt={f"{0:040x}", f"{4:040x}"}, allowed=RemediationCommits(), host=HOST)
    assert [u.commit.sha for u in verdict.unsigned] == [f"{i:040x}" for i in (1, 2, 5)]
    assert verdict.checked == 3 and verdict.total == 6 and verdict.rebase_depth == 5
