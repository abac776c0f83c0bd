"""Who is involved in a change: the CLA rule's pure identity logic."""

from __future__ import annotations

import pytest

from rules.cla.identities import (
    ROLE_CO_AUTHOR,
    ROLE_COMMIT_AUTHOR,
    ROLE_COMMITTER,
    ROLE_PR_AUTHOR,
    PendingCoAuthor,
    co_author_query,
    co_author_trailers,
    collect,
    parse_co_author_answer,
    resolve_co_authors,
    settle_pending,
)
from rules.common.noreply import noreply_host

HOST = "github.com"


def user(login: str, uid: int, type_: str = "User") -> dict:
    return {"login": login, "id": uid, "type": type_}


def commit(sha: str, *, author: dict | None, git_author=("A", "a@example.com"), committer: dict | None = None,
           git_committer=None, message: str = "change") -> dict:
    git_committer = git_committer or git_author
    return {"sha": sha, "author": author, "committer": committer if committer is not None else author,
            "commit": {"message": message, "author": {"name": git_author[0], "email": git_author[1]},
                       "committer": {"name": git_committer[0], "email": git_committer[1]}}}


@pytest.mark.parametrize("api_url, host", [
    ("https://api.github.com", "github.com"),
    ("https://ghe.example.com/api/v3", "ghe.example.com"),
    ("https://api.acme.ghe.com", "acme.ghe.com"),
    ("http://127.0.0.1:5000", "github.com"),
])
def test_noreply_host_follows_the_deployment(api_url, host):
    assert noreply_host(api_url) == host


def test_co_author_trailers_are_parsed_once_per_email_in_any_case():
    message = ("Fix it\n\nSome text\nco-authored-by: Bob <bob@x.example>\nCo-Authored-By:   Carol C  <carol@x.example>  \n"
               "Co-authored-by: BOB again <BOB@x.example>\nCo-authored-by: no email here\n")
    assert co_author_trailers(message) == [("Bob", "bob@x.example"), ("Carol C", "carol@x.example")]
    assert co_author_trailers(None) == []


def test_pr_author_commit_author_and_committer_are_collected_by_id():
    dana, max_ = user("dana", 1), user("max", 2)
    found = collect(dana, [commit("a" * 40, author=dana, committer=max_, git_committer=("Max", "max@x"))],
                    co_authors=True)
    assert set(found.identities) == {1, 2}
    assert found.identities[1].roles == [ROLE_PR_AUTHOR, ROLE_COMMIT_AUTHOR]
    assert found.identities[2].roles == [ROLE_COMMITTER] and found.identities[2].commits == ["a" * 40]
    assert found.unlinked == [] and found.pending == []


def test_web_flow_committer_is_not_an_identity():
    dana = user("dana", 1)
    web_flow = user("web-flow", 19864447)
    found = collect(None, [commit("b" * 40, author=dana, committer=web_flow,
                                  git_committer=("GitHub", "noreply@github.com"))], co_authors=True)
    assert set(found.identities) == {1}


def test_an_unlinked_author_is_reported_by_sha_and_name_once():
    found = collect(None, [commit("c" * 40, author=None, git_author=("Jane", "jane@laptop"))],
                    co_authors=True)
    assert found.identities == {}
    assert [(u.sha, u.name, u.role) for u in found.unlinked] == [("c" * 40, "Jane", "author")]


def test_an_unlinked_committer_with_another_email_is_reported_too():
    dana = user("dana", 1)
    found = collect(None, [{**commit("d" * 40, author=dana, git_author=("Dana", "dana@x"),
                                     git_committer=("CI", "ci@build.local")), "committer": None}],
                    co_authors=True)
    assert [(u.name, u.role) for u in found.unlinked] == [("CI", "committer")]


def test_every_co_author_waits_for_github_noreply_addresses_included():
    """A trailer is text anyone writes: `7+bob@users.noreply...` is only bob once GitHub says so."""
    dana = user("dana", 1)
    message = ("x\n\nCo-authored-by: Bob <7+bob@users.noreply.github.com>\n"
               "Co-authored-by: Carol <carol@corp.example>\n"
               "Co-authored-by: Dana Self <dana@x>")  # the author's own email: not a second person
    found = collect(None, [commit("e" * 40, author=dana, git_author=("Dana", "dana@x"), message=message)],
                    co_authors=True)
    assert set(found.identities) == {1}
    assert found.pending == [PendingCoAuthor("e" * 40, "Bob", "7+bob@users.noreply.github.com"),
                             PendingCoAuthor("e" * 40, "Carol", "carol@corp.example")]

    off = collect(None, [commit("e" * 40, author=dana, message=message)], co_authors=False)
    assert set(off.identities) == {1} and off.pending == []


def test_trailers_in_a_hostile_message_are_read_in_linear_time():
    """`Co-authored-by: ` + spaces + `x` was cubic for the old regex (20 s at 4,000 spaces)."""
    hostile = "Co-authored-by: " + " " * 200_000 + "x"
    assert co_author_trailers(hostile) == []
    many = "\n".join(f"Co-authored-by: P{i} <p{i}@x.example>" for i in range(20_000))
    assert len(co_author_trailers(many)) < 20_000  # only the message's last MAX_MESSAGE_CHARS are read
    assert co_author_trailers(many)[-1] == ("P19999", "p19999@x.example")


@pytest.mark.parametrize("line", [
    "Co-authored-by: Bob <bob@x.example",  # no closing bracket
    "Co-authored-by: Bob <bob@x.example> and more",
    "Co-authored-by: Bob <bob @x.example>",
    "Co-authored-by: Bob <<bob@x.example>",
    "Co-authored-by Bob <bob@x.example>",
    "Co-authored-by: Bob <>",
])
def test_malformed_trailers_are_ignored(line):
    assert co_author_trailers(line) == []


def test_display_names_never_merge_identities():
    a, b = user("dana", 1), user("dana-lookalike", 2)
    found = collect(None, [commit("2" * 40, author=a, git_author=("dana", "a@x")),
                           commit("3" * 40, author=b, git_author=("dana", "b@x"))], co_authors=True)
    assert set(found.identities) == {1, 2}


def test_settling_pending_co_authors():
    found = collect(None, [commit("4" * 40, author=user("dana", 1),
                                  message="x\n\nCo-authored-by: Carol <Carol@corp.example>\n"
                                          "Co-authored-by: Ghost <ghost@nowhere>")], co_authors=True)
    settle_pending(found, {("4" * 40, "carol@corp.example"): (9, "carol"), ("4" * 40, "ghost@nowhere"): None})
    assert found.identities[9].roles == [ROLE_CO_AUTHOR]
    assert [(u.name, u.role) for u in found.unlinked] == [("Ghost", "co-author")]
    assert found.pending == []


def test_graphql_query_and_answer():
    query, aliases = co_author_query(["5" * 40, "6" * 40])
    assert 'c0: object(oid: "' + "5" * 40 + '")' in query and "authors(first: 100)" in query
    assert "repository(owner: $owner, name: $name)" in query
    answer = {"repository": {
        "c0": {"authors": {"nodes": [{"email": "Carol@corp.example", "user": {"databaseId": 9, "login": "carol"}},
                                     {"email": "ghost@nowhere", "user": None}]}},
        "c1": None}}
    assert parse_co_author_answer(answer, aliases) == {("5" * 40, "carol@corp.example"): (9, "carol")}


class RecordingGraphQL:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    async def graphql(self, query: str, **variables):
        self.calls.append((query, variables))
        return {"repository": {}}


async def test_resolution_is_batched_and_unanswered_emails_stay_unresolved():
    gh = RecordingGraphQL()
    pending = [PendingCoAuthor(format(i, "040x"), "P", f"p{i}@x") for i in range(120)]
    resolved = await resolve_co_authors(gh, "acme", "widgets", pending)
    assert len(gh.calls) == 3  # 50 + 50 + 20 commits
    assert gh.calls[0][1] == {"owner": "acme", "name": "widgets"}
    assert set(resolved.values()) == {None}
