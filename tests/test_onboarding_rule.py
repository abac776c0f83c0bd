"""The onboarding rule end to end: signed webhooks in, the fake GitHub's comments, labels and review requests out."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sys
import uuid
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.store import Store
from rules.onboarding.rule import FIRST_MERGE_MARKER, WELCOME_MARKER
from rules.onboarding.store import mentor_rotation, welcomed
from tests.harness import BotHarness
from tests.payloads import issues_event, pull_request_event

REPO = "acme/widgets"
LABEL = "first-time-contributor"
RULES_FILE = "onboarding:\n  mentors: [alice, bob]\n"
CONTRIBUTING_URL = f"https://github.com/{REPO}/blob/main/CONTRIBUTING.md"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def gh(fake):
    """A repository with an onboarding section, a CONTRIBUTING file and two mentors who can review."""
    fake.add_repo(REPO)
    fake.set_file(REPO, ".github/governance.yml", RULES_FILE)
    fake.set_file(REPO, "CONTRIBUTING.md", "# Contributing\n\nRun `make test`.\n")
    for login in ("alice", "bob"):
        fake.set_permission(REPO, login, "write")
    for login in ("newbie", "nina", "omar", "pia"):
        fake.add_user(login)
    return fake


def bot_comments(fake, number: int, marker: str) -> list[str]:
    return [c["body"] for c in fake.comments(REPO, number)
            if c["user"]["type"] == "Bot" and marker in c["body"]]


def welcomes(fake, number: int) -> list[str]:
    return bot_comments(fake, number, WELCOME_MARKER)


def first_merge_comments(fake, number: int) -> list[str]:
    return bot_comments(fake, number, FIRST_MERGE_MARKER)


def requests_to(fake, method: str, path: str) -> list:
    return [r for r in fake.requests if r.method == method and r.path == path]


def search_requests(fake) -> list:
    return [r for r in fake.requests if r.path == "/search/issues"]


async def open_pr(fake, bot, number: int, author: str, *, association: str = "NONE", action: str = "opened",
                  **kwargs) -> None:
    fake.add_pull_request(REPO, number, author=author, author_association=association, head_sha=f"{number:040x}",
                          **kwargs)
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, number, action))


async def merge(fake, bot, number: int, merged_at: str | None = None) -> None:
    pr = fake.pull_request(REPO, number)
    pr["merged"] = True
    if merged_at:
        pr["merged_at"] = merged_at
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, number, "closed"))


# -- a first pull request ---------------------------------------------------------------------

async def test_first_pull_request_gets_one_welcome_the_label_and_a_mentor(gh, bot):
    await open_pr(gh, bot, 1, "newbie")
    bodies = welcomes(gh, 1)
    assert len(bodies) == 1
    body = bodies[0]
    assert body.startswith(WELCOME_MARKER)
    assert "Thanks for your first pull request to acme/widgets, @newbie!" in body
    assert CONTRIBUTING_URL in body and "run the tests" in body
    assert "@alice is asked to review" in body
    assert "Contributor License Agreement" not in body  # no cla section: that line is left out
    assert "{" not in body
    assert gh.issue_labels(REPO, 1) == [LABEL]
    assert gh.requested_reviewers(REPO, 1) == ["alice"]


async def test_second_pull_request_of_the_same_author_gets_nothing(gh, bot):
    await open_pr(gh, bot, 1, "newbie")
    await open_pr(gh, bot, 2, "newbie")
    assert welcomes(gh, 2) == []
    assert gh.issue_labels(REPO, 2) == []
    assert gh.requested_reviewers(REPO, 2) == []
    assert len(welcomes(gh, 1)) == 1


async def test_close_and_reopen_welcome_nobody_again(gh, bot):
    await open_pr(gh, bot, 1, "newbie")
    # A maintainer takes the label off, closes the pull request, and it is reopened later.
    gh.issue(REPO, 1)["labels"].clear()
    pr = gh.pull_request(REPO, 1)
    pr["state"] = "closed"
    await bot.deliver_and_settle("pull_request", pull_request_event(gh, REPO, 1, "closed"))
    pr["state"] = "open"
    await bot.deliver_and_settle("pull_request", pull_request_event(gh, REPO, 1, "reopened"))
    assert len(welcomes(gh, 1)) == 1
    assert gh.issue_labels(REPO, 1) == []  # the bot remembers: nothing is put back
    assert len(requests_to(gh, "POST", f"/repos/{REPO}/pulls/1/requested_reviewers")) == 1
    assert first_merge_comments(gh, 1) == []  # closed without merging


async def test_the_same_delivery_twice_gives_one_welcome_and_one_mentor_turn(gh, bot):
    gh.add_pull_request(REPO, 1, author="newbie", head_sha="1" * 40)
    payload = pull_request_event(gh, REPO, 1)
    delivery = str(uuid.uuid4())
    first = await bot.deliver("pull_request", payload, delivery_id=delivery)
    again = await bot.deliver("pull_request", payload, delivery_id=delivery)  # GitHub's redelivery
    others = await asyncio.gather(*(bot.deliver("pull_request", payload) for _ in range(3)))  # and new ids
    await bot.settle()
    assert first.status == 202 and again.status == 200 and [r.status for r in others] == [202] * 3
    assert len(welcomes(gh, 1)) == 1
    assert len(requests_to(gh, "POST", f"/repos/{REPO}/issues/1/labels")) == 1
    assert len(requests_to(gh, "POST", f"/repos/{REPO}/pulls/1/requested_reviewers")) == 1
    # The redeliveries took no mentor turn: the next newcomer gets the next mentor.
    await open_pr(gh, bot, 2, "nina")
    assert gh.requested_reviewers(REPO, 2) == ["bob"]


async def test_two_newcomers_get_the_mentors_in_turn(gh, bot):
    await open_pr(gh, bot, 1, "newbie")
    await open_pr(gh, bot, 2, "nina")
    await open_pr(gh, bot, 3, "omar")
    assert [gh.requested_reviewers(REPO, n) for n in (1, 2, 3)] == [["alice"], ["bob"], ["alice"]]
    assert "@bob is asked to review" in welcomes(gh, 2)[0]


async def test_the_rotation_survives_a_restart(gh, bot, bot_settings):
    await open_pr(gh, bot, 1, "newbie")
    await bot.close()
    restarted = BotHarness(bot_settings)  # same database, new process state
    await restarted.start()
    try:
        await open_pr(gh, restarted, 2, "nina")
    finally:
        await restarted.close()
    assert gh.requested_reviewers(REPO, 1) == ["alice"]
    assert gh.requested_reviewers(REPO, 2) == ["bob"]


async def test_a_mentor_who_is_the_author_is_skipped(gh, bot):
    gh.set_file(REPO, ".github/governance.yml", "onboarding:\n  mentors: [newbie, bob]\n")
    await open_pr(gh, bot, 1, "newbie")
    assert gh.requested_reviewers(REPO, 1) == ["bob"]
    assert "@bob is asked to review" in welcomes(gh, 1)[0]


async def test_a_refused_mentor_request_still_welcomes_and_is_logged(gh, bot, caplog):
    gh.set_file(REPO, ".github/governance.yml", "onboarding:\n  mentors: [carol]\n")  # not a collaborator
    gh.add_user("carol")
    gh.add_pull_request(REPO, 1, author="newbie", head_sha="1" * 40)
    delivery = str(uuid.uuid4())
    with caplog.at_level(logging.WARNING):
        await bot.deliver_and_settle("pull_request", pull_request_event(gh, REPO, 1), delivery_id=delivery)
    assert len(welcomes(gh, 1)) == 1
    assert gh.issue_labels(REPO, 1) == [LABEL]
    assert gh.requested_reviewers(REPO, 1) == []
    refused = requests_to(gh, "POST", f"/repos/{REPO}/pulls/1/requested_reviewers")
    assert len(refused) == 1 and refused[0].status == 422
    assert any("refused reviewers" in r.getMessage() and "carol" in r.getMessage() for r in caplog.records)
    assert (await bot.delivery(delivery))["state"] == "done"
    # Remembered all the same: the next pull request is not welcomed again.
    await open_pr(gh, bot, 2, "newbie")
    assert welcomes(gh, 2) == []


# -- a first issue ----------------------------------------------------------------------------

async def test_first_issue_gets_welcome_issue_and_the_label_but_no_mentor(gh, bot):
    gh.add_issue(REPO, 1, author="newbie", title="It crashes")
    await bot.deliver_and_settle("issues", issues_event(gh, REPO, 1))
    bodies = welcomes(gh, 1)
    assert len(bodies) == 1
    assert "Thanks for opening your first issue in acme/widgets, @newbie!" in bodies[0]
    assert CONTRIBUTING_URL in bodies[0]
    assert "@alice" not in bodies[0] and "@bob" not in bodies[0]
    assert gh.issue_labels(REPO, 1) == [LABEL]
    assert not [r for r in gh.requests if r.path.endswith("/requested_reviewers")]


async def test_custom_issue_template_is_used(gh, bot):
    gh.set_file(REPO, ".github/governance.yml",
                "onboarding:\n  welcome_issue: 'Hello @{author}, welcome to {repository}! Read {contributing}.'\n")
    gh.add_issue(REPO, 1, author="newbie")
    await bot.deliver_and_settle("issues", issues_event(gh, REPO, 1))
    assert welcomes(gh, 1) == [f"{WELCOME_MARKER}\nHello @newbie, welcome to acme/widgets! Read {CONTRIBUTING_URL}."]


async def test_issues_before_a_first_pull_request_still_get_the_pull_request_welcome(gh, bot):
    gh.add_issue(REPO, 1, author="newbie")
    await bot.deliver_and_settle("issues", issues_event(gh, REPO, 1))
    await open_pr(gh, bot, 2, "newbie")
    assert "first issue" in welcomes(gh, 1)[0]
    assert "first pull request" in welcomes(gh, 2)[0]
    assert gh.requested_reviewers(REPO, 2) == ["alice"]
    # ...but an issue after a pull request is no first contribution any more.
    gh.add_issue(REPO, 3, author="newbie")
    await bot.deliver_and_settle("issues", issues_event(gh, REPO, 3))
    assert welcomes(gh, 3) == [] and gh.issue_labels(REPO, 3) == []


# -- who is never welcomed ---------------------------------------------------------------------

async def test_a_member_is_never_welcomed(gh, bot):
    gh.add_org_member("acme", "mira")
    await open_pr(gh, bot, 1, "mira", association="MEMBER")
    gh.add_issue(REPO, 2, author="mira", author_association="MEMBER")
    await bot.deliver_and_settle("issues", issues_event(gh, REPO, 2))
    assert welcomes(gh, 1) == [] and welcomes(gh, 2) == []
    assert gh.issue_labels(REPO, 1) == [] and gh.issue_labels(REPO, 2) == []
    assert gh.requested_reviewers(REPO, 1) == []
    assert search_requests(gh) == []  # decided from the payload alone


@pytest.mark.parametrize("association", ["OWNER", "COLLABORATOR"])
async def test_owners_and_collaborators_are_never_welcomed(gh, bot, association):
    await open_pr(gh, bot, 1, "newbie", association=association)
    assert welcomes(gh, 1) == [] and gh.issue_labels(REPO, 1) == []


async def test_association_is_only_a_hint_collaborator_per_api_is_not_welcomed(gh, bot):
    gh.set_permission(REPO, "newbie", "write")  # GitHub still says NONE on the payload
    await open_pr(gh, bot, 1, "newbie")
    assert welcomes(gh, 1) == [] and gh.issue_labels(REPO, 1) == []


async def test_a_private_org_member_reported_as_none_is_not_welcomed(gh, bot):
    gh.add_org_member("acme", "newbie")
    await open_pr(gh, bot, 1, "newbie")
    assert welcomes(gh, 1) == [] and gh.issue_labels(REPO, 1) == []


async def test_a_bot_is_never_welcomed(gh, bot):
    gh.add_user("dependabot[bot]", type="Bot")
    await open_pr(gh, bot, 1, "dependabot[bot]")
    await merge(gh, bot, 1)
    assert welcomes(gh, 1) == [] and first_merge_comments(gh, 1) == []
    assert gh.issue_labels(REPO, 1) == []
    assert search_requests(gh) == []


async def test_history_from_before_the_bot_counts(gh, bot):
    # newbie's first pull request was closed long ago, before the bot was installed.
    gh.add_pull_request(REPO, 1, author="newbie", state="closed", author_association="NONE")
    await open_pr(gh, bot, 2, "newbie", association="FIRST_TIME_CONTRIBUTOR")
    assert welcomes(gh, 2) == [] and gh.issue_labels(REPO, 2) == []


async def test_history_in_another_repository_does_not_count(gh, bot):
    gh.add_repo("acme/other")
    gh.add_pull_request("acme/other", 1, author="newbie")
    await open_pr(gh, bot, 1, "newbie")
    assert len(welcomes(gh, 1)) == 1


# -- delivery order and memory ----------------------------------------------------------------

async def test_out_of_order_deliveries_welcome_the_earlier_pull_request_only(gh, bot):
    gh.add_pull_request(REPO, 1, author="newbie", head_sha="1" * 40)
    gh.add_pull_request(REPO, 2, author="newbie", head_sha="2" * 40)
    await bot.deliver_and_settle("pull_request", pull_request_event(gh, REPO, 2))
    assert welcomes(gh, 2) == []
    await bot.deliver_and_settle("pull_request", pull_request_event(gh, REPO, 1))
    assert len(welcomes(gh, 1)) == 1 and welcomes(gh, 2) == []
    assert gh.requested_reviewers(REPO, 1) == ["alice"]


async def test_concurrent_deliveries_of_two_pull_requests_welcome_once(gh, bot):
    gh.add_pull_request(REPO, 1, author="newbie", head_sha="1" * 40)
    gh.add_pull_request(REPO, 2, author="newbie", head_sha="2" * 40)
    await asyncio.gather(bot.deliver("pull_request", pull_request_event(gh, REPO, 2)),
                         bot.deliver("pull_request", pull_request_event(gh, REPO, 1)))
    await bot.settle()
    assert len(welcomes(gh, 1)) + len(welcomes(gh, 2)) == 1
    assert len(welcomes(gh, 1)) == 1


def _lagging_search(gh):
    """The search index has not caught up: it knows no issue or pull request at all."""
    async def empty(request: web.Request, match, fake) -> web.StreamResponse:
        return web.json_response({"total_count": 0, "incomplete_results": False, "items": []})
    gh.override("GET", r"/search/issues", empty)


async def test_the_bot_remembers_whom_it_welcomed_while_search_lags(gh, bot):
    _lagging_search(gh)
    await open_pr(gh, bot, 1, "newbie")
    await open_pr(gh, bot, 2, "newbie")
    gh.add_issue(REPO, 3, author="newbie")
    await bot.deliver_and_settle("issues", issues_event(gh, REPO, 3))
    assert len(welcomes(gh, 1)) == 1
    assert welcomes(gh, 2) == [] and welcomes(gh, 3) == []
    assert gh.issue_labels(REPO, 2) == [] and gh.issue_labels(REPO, 3) == []
    async with bot.state.store.engine.connect() as conn:
        rows = (await conn.execute(select(welcomed.c.kind, welcomed.c.number, welcomed.c.login))).all()
    assert [tuple(r) for r in rows] == [("pull_request", 1, "newbie")]


def _slow_lagging_search(gh, seconds: float = 0.3):
    """Lagging, and slow enough that two deliveries are surely deciding at the same time."""
    async def empty(request: web.Request, match, fake) -> web.StreamResponse:
        await asyncio.sleep(seconds)
        return web.json_response({"total_count": 0, "incomplete_results": False, "items": []})
    gh.override("GET", r"/search/issues", empty)


async def test_simultaneous_first_contributions_while_search_lags_are_welcomed_once(gh, bot):
    _slow_lagging_search(gh)
    for number in (1, 2):
        gh.add_issue(REPO, number, author="newbie")
    gh.add_pull_request(REPO, 3, author="newbie", head_sha="3" * 40)
    gh.add_pull_request(REPO, 4, author="newbie", head_sha="4" * 40)
    await asyncio.gather(*(bot.deliver("issues", issues_event(gh, REPO, n)) for n in (1, 2)),
                         *(bot.deliver("pull_request", pull_request_event(gh, REPO, n)) for n in (3, 4)))
    await bot.settle()
    issue_welcomes = [n for n in (1, 2) if welcomes(gh, n)]
    pr_welcomes = [n for n in (3, 4) if welcomes(gh, n)]
    assert len(pr_welcomes) == 1  # a first pull request is welcomed even after a first issue
    assert len(issue_welcomes) <= 1  # and there is at most one first issue
    assert sum(len(welcomes(gh, n)) for n in (1, 2, 3, 4)) == len(issue_welcomes) + 1
    assert len([n for n in (3, 4) if gh.requested_reviewers(REPO, n)]) == 1  # one mentor turn


async def test_simultaneous_merges_while_search_lags_celebrate_once(gh, bot):
    await open_pr(gh, bot, 1, "newbie")
    await open_pr(gh, bot, 2, "newbie")
    _slow_lagging_search(gh)
    for number in (1, 2):
        gh.pull_request(REPO, number)["merged"] = True
    await asyncio.gather(*(bot.deliver("pull_request", pull_request_event(gh, REPO, n, "closed")) for n in (1, 2)))
    await bot.settle()
    assert len(first_merge_comments(gh, 1)) + len(first_merge_comments(gh, 2)) == 1


async def test_incomplete_search_results_are_retried_not_read_as_no_history(gh, bot):
    calls = {"n": 0}

    async def flaky(request: web.Request, match, fake) -> web.StreamResponse:
        calls["n"] += 1
        if calls["n"] == 1:
            return web.json_response({"total_count": 0, "incomplete_results": True, "items": []})
        return web.json_response({"total_count": 1, "incomplete_results": False,
                                  "items": [{"number": 1, "user": {"login": "newbie"}}]})
    gh.override("GET", r"/search/issues", flaky)
    gh.add_pull_request(REPO, 1, author="newbie", state="closed")
    await open_pr(gh, bot, 2, "newbie")
    assert calls["n"] >= 2
    assert welcomes(gh, 2) == []


# -- the first merge --------------------------------------------------------------------------

async def test_first_merge_is_celebrated_once_and_the_second_merge_is_not(gh, bot):
    await open_pr(gh, bot, 1, "newbie")
    await merge(gh, bot, 1)
    await bot.deliver_and_settle("pull_request", pull_request_event(gh, REPO, 1, "closed"))  # redelivered
    bodies = first_merge_comments(gh, 1)
    assert len(bodies) == 1
    assert bodies[0].startswith(FIRST_MERGE_MARKER)
    assert "Congratulations on your first merged pull request in acme/widgets, @newbie!" in bodies[0]
    assert WELCOME_MARKER not in bodies[0]
    await open_pr(gh, bot, 2, "newbie")
    await merge(gh, bot, 2)
    assert first_merge_comments(gh, 2) == []


async def test_first_merge_goes_to_the_earliest_merge_whatever_the_delivery_order(gh, bot):
    gh.add_pull_request(REPO, 1, author="newbie", head_sha="1" * 40)
    gh.add_pull_request(REPO, 2, author="newbie", head_sha="2" * 40)
    gh.pull_request(REPO, 1).update(merged=True, merged_at="2024-05-02T10:00:00Z")
    gh.pull_request(REPO, 2).update(merged=True, merged_at="2024-05-01T10:00:00Z")  # merged first
    await bot.deliver_and_settle("pull_request", pull_request_event(gh, REPO, 1, "closed"))
    await bot.deliver_and_settle("pull_request", pull_request_event(gh, REPO, 2, "closed"))
    assert first_merge_comments(gh, 1) == []
    assert len(first_merge_comments(gh, 2)) == 1


async def test_first_merge_is_remembered_while_search_lags(gh, bot):
    await open_pr(gh, bot, 1, "newbie")
    await merge(gh, bot, 1)
    _lagging_search(gh)
    await open_pr(gh, bot, 2, "newbie")
    await merge(gh, bot, 2)
    assert len(first_merge_comments(gh, 1)) == 1 and first_merge_comments(gh, 2) == []


async def test_a_contributor_with_earlier_merges_gets_no_first_merge(gh, bot):
    gh.add_pull_request(REPO, 1, author="newbie", merged=True)
    gh.pull_request(REPO, 1)["merged_at"] = "2020-01-01T00:00:00Z"
    gh.add_pull_request(REPO, 2, author="newbie", head_sha="2" * 40)
    await merge(gh, bot, 2)
    assert first_merge_comments(gh, 2) == []


async def test_a_member_merge_is_not_celebrated(gh, bot):
    gh.add_org_member("acme", "mira")
    gh.add_pull_request(REPO, 1, author="mira", author_association="MEMBER", head_sha="1" * 40)
    await merge(gh, bot, 1)
    assert first_merge_comments(gh, 1) == []


# -- what the messages say --------------------------------------------------------------------

async def test_a_login_with_markdown_characters_is_rendered_safely(gh, bot):
    login = "**x_y**[pwn](https:evil)<img src=x>@admin"
    gh.add_user(login)
    gh.add_issue(REPO, 1, author=login)
    await bot.deliver_and_settle("issues", issues_event(gh, REPO, 1))
    body = welcomes(gh, 1)[0]
    text = body.removeprefix(WELCOME_MARKER)
    assert re.search(r"(?<!\\)[<>]", text) is None  # no HTML: every angle bracket is escaped
    assert "](" not in text and "**" not in text  # no link, no emphasis
    assert re.search(r"(?<![\w\\])@admin\b", text) is None  # no second mention
    assert len(re.findall(r"(?<![\w\\])@(?=[A-Za-z0-9\\])", text)) == 1  # the author's own @ is the only one
    assert r"@\*\*x_y\*\*\[pwn\]\(https\:evil\)\<img src\=x\>@" + "\u2060admin" in text


async def test_onboarding_empty_section_reads_well(gh, bot):
    gh.set_file(REPO, ".github/governance.yml", "onboarding: {}\n")
    await open_pr(gh, bot, 1, "newbie")
    body = welcomes(gh, 1)[0]
    assert "{" not in body and "None" not in body
    assert "run the tests" in body and CONTRIBUTING_URL in body
    assert "is asked to review" not in body  # no mentors configured: the line is left out
    assert "`/recheck`" in body
    assert gh.issue_labels(REPO, 1) == [LABEL]
    assert gh.repo_labels(REPO)[LABEL] == "c2e0c6"
    assert not requests_to(gh, "POST", f"/repos/{REPO}/pulls/1/requested_reviewers")


async def test_the_cla_is_named_when_the_cla_rule_is_on(gh, bot):
    gh.set_file(REPO, ".github/governance.yml",
                "cla:\n  document: https://example.org/cla.md\nonboarding:\n  mentors: [alice]\n")
    await open_pr(gh, bot, 1, "newbie")
    body = welcomes(gh, 1)[0]
    assert "The Contributor License Agreement (https://example.org/cla.md) must be signed" in body


@pytest.mark.parametrize("path", [".github/CONTRIBUTING.md", "docs/contributing.rst"])
async def test_contributing_link_follows_where_the_file_is(gh, bot, path):
    gh.set_file(REPO, "CONTRIBUTING.md", None)
    gh.set_file(REPO, path, "How to contribute")
    gh.add_issue(REPO, 1, author="newbie")
    await bot.deliver_and_settle("issues", issues_event(gh, REPO, 1))
    assert f"https://github.com/{REPO}/blob/main/{path}" in welcomes(gh, 1)[0]


async def test_contributing_link_falls_back_to_the_org_default_then_the_repository(gh, bot):
    gh.set_file(REPO, "CONTRIBUTING.md", None)
    gh.add_issue(REPO, 1, author="newbie")
    await bot.deliver_and_settle("issues", issues_event(gh, REPO, 1))
    assert f"guide explains how the project works and how to propose a fix yourself: https://github.com/{REPO}\n" \
        in welcomes(gh, 1)[0]

    gh.add_repo("acme/.github")
    gh.set_file("acme/.github", "CONTRIBUTING.md", "Org-wide guide")
    gh.add_issue(REPO, 2, author="nina")
    await bot.deliver_and_settle("issues", issues_event(gh, REPO, 2))
    assert "https://github.com/acme/.github/blob/main/CONTRIBUTING.md" in welcomes(gh, 2)[0]


async def test_an_unknown_placeholder_is_a_rules_file_error(gh, bot):
    gh.set_file(REPO, ".github/governance.yml", "onboarding:\n  welcome_pull_request: 'Hi {user}!'\n")
    await open_pr(gh, bot, 1, "newbie")
    status = gh.latest_status(REPO, "1".rjust(40, "0"), "governance/config")
    assert status["state"] == "failure"
    assert "onboarding.welcome_pull_request: unknown placeholder {user}" in status["description"]
    assert welcomes(gh, 1) == []


async def test_an_empty_template_turns_that_message_off_but_keeps_the_label(gh, bot):
    gh.set_file(REPO, ".github/governance.yml", "onboarding:\n  welcome_issue: ''\n  label: newcomer\n")
    gh.add_issue(REPO, 1, author="newbie")
    await bot.deliver_and_settle("issues", issues_event(gh, REPO, 1))
    assert welcomes(gh, 1) == []
    assert gh.issue_labels(REPO, 1) == ["newcomer"]


async def test_disabled_section_does_nothing(gh, bot):
    gh.set_file(REPO, ".github/governance.yml", "onboarding:\n  enabled: false\n")
    await open_pr(gh, bot, 1, "newbie")
    assert welcomes(gh, 1) == [] and gh.issue_labels(REPO, 1) == []


async def test_replay_dry_run_shows_the_welcome_and_takes_no_mentor_turn(gh, app_key, tmp_path):
    gh.add_pull_request(REPO, 1, author="newbie", head_sha="1" * 40)
    payload_path = tmp_path / "payload.json"
    payload_path.write_text(json.dumps(pull_request_event(gh, REPO, 1)))
    database = tmp_path / "replay.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "DATABASE_URL"))}
    env.update(GITHUB_APP_ID="12345", GITHUB_PRIVATE_KEY=app_key[0], GITHUB_API_URL=gh.url,
               DATABASE_URL=f"sqlite:///{database}", PYTHONPATH=str(ROOT), LOG_LEVEL="WARNING")
    existing = Store(f"sqlite:///{database}")  # the bot's database, as a running bot left it
    await existing.create_schema()
    await existing.close()
    outputs = []
    for _ in range(2):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "replay", str(payload_path), "--event", "pull_request", "--dry-run",
            cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        outputs.append(out.decode().splitlines())
    for lines in outputs:
        assert any(line.startswith(f"POST /repos/{REPO}/issues/1/comments ") and "governance-bot:welcome" in line
                   for line in lines)
        assert f'POST /repos/{REPO}/pulls/1/requested_reviewers {{"reviewers": ["alice"]}}' in lines
        assert f'POST /repos/{REPO}/issues/1/labels {{"labels": ["{LABEL}"]}}' in lines
    assert gh.writes() == []
    store = Store(f"sqlite:///{database}")
    try:
        async with store.engine.connect() as conn:
            assert (await conn.execute(select(welcomed))).all() == []
            assert (await conn.execute(select(mentor_rotation))).all() == []
    finally:
        await store.close()
