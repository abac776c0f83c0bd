"""The CLA rule end to end: signed webhooks in, the fake GitHub's statuses and comments out (SPEC §3–§5)."""

from __future__ import annotations

import asyncio
import csv
import io
import json

import pytest
from aiohttp import web

from bot import cli
from tests.fake_ext_cla import (
    WEB_FLOW,
    add_merge_group,
    add_web_flow,
    commit_by,
    commit_by_email,
    merge_group_event,
    noreply,
    sha,
)
from tests.fake_ext_push import push
from tests.harness import BotHarness, make_settings, reports, the_report
from tests.payloads import issue_comment_event, pull_request_event

pytest_plugins = ["tests.pg"]

REPO = "acme/widgets"
OTHER_REPO = "acme/gadgets"
DOC = "https://example.org/cla.md"
PHRASE = "I have read the CLA Document and I hereby sign the CLA"
RULES = f"cla:\n  document: {DOC}\n"
CONTEXT = "governance/cla"


def setup_repo(fake, rules: str = RULES, full_name: str = REPO) -> None:
    fake.add_repo(full_name)
    fake.set_file(full_name, ".github/governance.yml", rules)


def open_pr(fake, number: int, author: str, *, full_name: str = REPO, commits: list[dict] | None = None,
            **kwargs) -> dict:
    fake.add_user(author, type="Bot" if author.endswith("[bot]") else "User")
    return fake.add_pull_request(full_name, number, author=author, commits=commits or [],
                                 head_sha=sha(f"{full_name}#{number}") if not commits else None, **kwargs)


async def evaluate(fake, bot, number: int, action: str = "opened", full_name: str = REPO) -> None:
    response = await bot.deliver_and_settle("pull_request", pull_request_event(fake, full_name, number, action))
    assert response.status == 202


async def comment(fake, bot, number: int, author: str, body: str = PHRASE, full_name: str = REPO) -> dict:
    fake.add_user(author)
    created = fake.add_comment(full_name, number, author=author, body=body)
    await bot.deliver_and_settle("issue_comment", issue_comment_event(fake, full_name, number, created))
    return created


def cla_status(fake, pr: dict, full_name: str = REPO) -> dict:
    status = fake.latest_status(full_name, pr["head"]["sha"], CONTEXT)
    assert status is not None, "no governance/cla status was set"
    return status


def run_cli(*argv: str) -> int:
    return cli.main(list(argv))


async def cla_cli(monkeypatch, tmp_path, bot, *argv: str) -> int:
    """Run `governance-bot cla ...` against the bot's database, as an operator would."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", bot.settings.database_url)
    return await asyncio.to_thread(run_cli, "cla", *argv)


# -- signing ---------------------------------------------------------------------------------------

async def test_unsigned_author_fails_and_the_report_names_them_and_the_phrase(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, 1, "dana")
    await evaluate(fake, bot, 1)
    status = cla_status(fake, pr)
    assert status["state"] == "failure"
    assert "dana must sign the CLA" in status["description"] and len(status["description"]) <= 140
    assert status["target_url"] == DOC
    body = the_report(fake, 1)
    assert "@dana (author of the pull request" in body
    assert f"```\n{PHRASE}\n```" in body
    assert f"]({DOC})" in body


async def test_author_signs_then_status_passes_and_the_same_report_is_edited(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, 1, "dana")
    await evaluate(fake, bot, 1)
    report_id = reports(fake, 1)[0]["id"]
    await comment(fake, bot, 1, "dana", body="  i have READ the CLA document\nand I hereby sign the cla.  ")
    assert cla_status(fake, pr)["state"] == "success"
    found = reports(fake, 1)
    assert [c["id"] for c in found] == [report_id]
    assert "Everything passes" in found[0]["body"]


async def test_a_later_pull_request_by_a_signer_passes_at_once(fake, bot):
    setup_repo(fake)
    open_pr(fake, 1, "dana")
    await evaluate(fake, bot, 1)
    await comment(fake, bot, 1, "dana")
    later = open_pr(fake, 2, "dana")
    await evaluate(fake, bot, 2)
    assert cla_status(fake, later)["state"] == "success"
    assert reports(fake, 2) == []  # nothing to say, nothing posted


async def test_someone_elses_phrase_does_not_sign_for_the_author(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, 1, "dana")
    await evaluate(fake, bot, 1)
    await comment(fake, bot, 1, "eve")
    status = cla_status(fake, pr)
    assert status["state"] == "failure" and "dana" in status["description"]
    assert "eve" not in status["description"]


async def test_a_comment_without_the_phrase_or_by_a_bot_does_not_sign(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, 1, "dana")
    await evaluate(fake, bot, 1)
    await comment(fake, bot, 1, "dana", body="I have read the CLA Document")  # not the whole phrase
    fake.add_user("helper[bot]", type="Bot")
    await comment(fake, bot, 1, "helper[bot]")
    assert cla_status(fake, pr)["state"] == "failure"


async def test_a_comment_that_only_contains_or_quotes_the_phrase_does_not_sign(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, 1, "dana")
    await evaluate(fake, bot, 1)
    await comment(fake, bot, 1, "dana", body=f"Sure!\n\n{PHRASE.upper()}\n\nThanks")
    quote_reply = "\n".join("> " + line for line in the_report(fake, 1).splitlines()) + "\n\nI do NOT agree."
    await comment(fake, bot, 1, "dana", body=quote_reply)
    assert cla_status(fake, pr)["state"] == "failure"
    await comment(fake, bot, 1, "dana", body=f"```\n{PHRASE}\n```")  # code is not the commenter's words
    assert cla_status(fake, pr)["state"] == "failure"
    await comment(fake, bot, 1, "dana", body=PHRASE)
    assert cla_status(fake, pr)["state"] == "success"


async def test_an_edit_by_someone_else_does_not_sign_for_the_author(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, 1, "dana")
    await evaluate(fake, bot, 1)
    created = await comment(fake, bot, 1, "dana", body="Looks good to me")
    fake.add_user("maintainer")
    previous, created["body"] = created["body"], PHRASE
    edited = issue_comment_event(fake, REPO, 1, created, "edited", previous_body=previous)
    edited["sender"] = fake.user("maintainer")  # a collaborator edits dana's comment
    await bot.deliver_and_settle("issue_comment", edited)
    assert cla_status(fake, pr)["state"] == "failure"
    assert "@dana" in the_report(fake, 1)


async def test_an_edited_comment_that_now_holds_the_phrase_signs(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, 1, "dana")
    await evaluate(fake, bot, 1)
    created = await comment(fake, bot, 1, "dana", body="I hav red teh CLA")
    previous = created["body"]
    created["body"] = PHRASE
    await bot.deliver_and_settle("issue_comment", issue_comment_event(fake, REPO, 1, created, "edited",
                                                                      previous_body=previous))
    assert cla_status(fake, pr)["state"] == "success"


async def test_signing_in_one_pr_turns_other_waiting_prs_of_the_installation_green(fake, bot):
    setup_repo(fake)
    setup_repo(fake, full_name=OTHER_REPO)
    fake.add_user("dana")
    mine = open_pr(fake, 1, "dana")
    theirs = open_pr(fake, 7, "erin", full_name=OTHER_REPO,
                     commits=[commit_by(fake, "erin"), commit_by(fake, "dana")])
    await comment(fake, bot, 7, "erin", full_name=OTHER_REPO)  # erin signs; dana still missing there
    await evaluate(fake, bot, 1)
    await evaluate(fake, bot, 7, full_name=OTHER_REPO)
    assert cla_status(fake, mine)["state"] == "failure"
    assert cla_status(fake, theirs, OTHER_REPO)["state"] == "failure"
    assert "dana" in cla_status(fake, theirs, OTHER_REPO)["description"]

    await comment(fake, bot, 1, "dana")  # signed in acme/widgets#1 only
    assert cla_status(fake, mine)["state"] == "success"
    assert cla_status(fake, theirs, OTHER_REPO)["state"] == "success"
    assert "Everything passes" in the_report(fake, 7, OTHER_REPO)


async def test_signatures_are_scoped_to_the_repository_owner(fake, bot):
    setup_repo(fake)
    setup_repo(fake, full_name="globex/thing")
    open_pr(fake, 1, "dana")
    await evaluate(fake, bot, 1)
    await comment(fake, bot, 1, "dana")
    elsewhere = open_pr(fake, 3, "dana", full_name="globex/thing")
    await evaluate(fake, bot, 3, full_name="globex/thing")
    assert cla_status(fake, elsewhere, "globex/thing")["state"] == "failure"
    assert "**globex**" in the_report(fake, 3, "globex/thing")


async def test_recheck_and_phrase_in_one_comment_sign_and_evaluate(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, 1, "dana")
    await evaluate(fake, bot, 1)
    await comment(fake, bot, 1, "dana", body=f"{PHRASE}\n/recheck")
    assert cla_status(fake, pr)["state"] == "success"
    assert "Everything passes" in the_report(fake, 1)


# -- who is involved -------------------------------------------------------------------------------

async def test_an_allowlisted_bot_passes(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, 1, "dependabot[bot]")
    await evaluate(fake, bot, 1)
    status = cla_status(fake, pr)
    assert status["state"] == "success"
    assert reports(fake, 1) == []


async def test_a_bot_outside_the_allowlist_must_sign(fake, bot):
    setup_repo(fake, RULES + "  allowlist: ['renovate[bot]']\n")
    pr = open_pr(fake, 1, "dependabot[bot]")
    await evaluate(fake, bot, 1)
    assert cla_status(fake, pr)["state"] == "failure"


async def test_allowlist_brackets_are_literal(fake, bot):
    setup_repo(fake, RULES + "  allowlist: ['[ab]ot']\n")
    pr = open_pr(fake, 1, "bot")  # would match if [ab] were a character class
    await evaluate(fake, bot, 1)
    assert cla_status(fake, pr)["state"] == "failure"


async def test_an_unlinked_commit_fails_naming_its_short_sha_and_author(fake, bot):
    setup_repo(fake)
    fake.add_user("dana")
    stray = commit_by_email("Jane *Doe* @eve", "jane@laptop.local")
    pr = open_pr(fake, 1, "dana", commits=[commit_by(fake, "dana"), stray])
    await evaluate(fake, bot, 1)
    status = cla_status(fake, pr)
    assert status["state"] == "failure" and "linked to no GitHub account" in status["description"]
    body = the_report(fake, 1)
    assert f"`{stray['sha'][:7]}`" in body
    assert "Jane \\*Doe\\* @\u2060eve" in body  # escaped: no emphasis, no mention
    assert "settings/emails" in body and "git commit --amend" in body
    assert "@dana" in body  # dana has not signed either


async def test_a_noreply_co_author_is_resolved_through_github_before_it_is_named(fake, bot):
    setup_repo(fake)
    fake.add_user("dana")
    fake.add_user("bob")
    fake.add_user("carol")
    carol_id = fake.user("carol")["id"]
    # A noreply address is text: `CAROL_ID+mallory` names no account GitHub knows, so nobody is @mentioned for it.
    message = (f"Pair on it\n\nCo-authored-by: Bob B <{noreply(fake, 'bob')}>\n"
               f"Co-authored-by: M <{carol_id}+mallory@users.noreply.github.com>")
    co = commit_by(fake, "dana", message=message)
    pr = open_pr(fake, 1, "dana", commits=[co])
    await comment(fake, bot, 1, "dana")
    fake.clear_requests()
    await evaluate(fake, bot, 1, "synchronize")
    status = cla_status(fake, pr)
    assert status["state"] == "failure" and status["description"].startswith("bob must sign")
    body = the_report(fake, 1)
    assert f"@bob (co-author of `{co['sha'][:7]}`)" in body
    assert f"`{co['sha'][:7]}` by M (co-author)" in body
    assert "mallory" not in body and "@carol" not in body
    assert [r for r in fake.requests if r.path == "/graphql"]


async def test_the_report_mentions_a_handful_of_people_and_names_the_rest(fake, bot):
    setup_repo(fake)
    fake.add_user("dana")
    people = [f"dev{i}" for i in range(8)]
    trailers = "\n".join(f"Co-authored-by: {p} <{noreply(fake, p)}>" for p in people)
    co = commit_by(fake, "dana", message=f"Crowd\n\n{trailers}")
    open_pr(fake, 1, "dana", commits=[co])
    await comment(fake, bot, 1, "dana")
    body = the_report(fake, 1)
    mentioned = [p for p in people if f"@{p} (" in body]
    assert mentioned == people[:5]
    for p in people[5:]:
        assert f"- {p} (co-author" in body  # named, not notified


async def test_co_author_emails_are_resolved_through_github(fake, bot):
    setup_repo(fake)
    fake.add_user("dana")
    fake.add_user("carol", emails=["carol@corp.example"])
    message = ("Together\n\nCo-authored-by: Carol <carol@corp.example>\n"
               "Co-authored-by: Ghost Writer <ghost@nowhere.example>")
    co = commit_by(fake, "dana", message=message)
    pr = open_pr(fake, 1, "dana", commits=[co])
    await comment(fake, bot, 1, "dana")
    await evaluate(fake, bot, 1, "synchronize")
    status = cla_status(fake, pr)
    assert status["state"] == "failure"
    body = the_report(fake, 1)
    assert "@carol (co-author" in body
    assert f"`{co['sha'][:7]}` by Ghost Writer (co-author)" in body
    assert [r for r in fake.requests if r.path == "/graphql"]

    await comment(fake, bot, 1, "carol")
    assert cla_status(fake, pr)["state"] == "failure"  # the ghost writer still is nobody
    assert "@carol" not in the_report(fake, 1)


async def test_co_authors_can_be_switched_off(fake, bot):
    setup_repo(fake, RULES + "  co_authors: false\n")
    fake.add_user("dana")
    fake.add_user("bob")
    co = commit_by(fake, "dana", message=f"x\n\nCo-authored-by: Bob <{noreply(fake, 'bob')}>")
    pr = open_pr(fake, 1, "dana", commits=[co])
    await comment(fake, bot, 1, "dana")
    assert cla_status(fake, pr)["state"] == "success"


async def test_committer_must_sign_but_web_flow_never(fake, bot):
    setup_repo(fake)
    fake.add_user("dana")
    fake.add_user("max")
    add_web_flow(fake)
    commits = [commit_by(fake, "dana", committer=WEB_FLOW),
               commit_by(fake, "dana", committer={"name": "max", "email": noreply(fake, "max")})]
    pr = open_pr(fake, 1, "dana", commits=commits)
    await comment(fake, bot, 1, "dana")
    status = cla_status(fake, pr)
    assert status["state"] == "failure" and status["description"].startswith("max must sign")
    assert "web-flow" not in the_report(fake, 1)
    await comment(fake, bot, 1, "max")
    assert cla_status(fake, pr)["state"] == "success"


async def test_a_renamed_account_stays_signed(fake, bot):
    setup_repo(fake)
    old = open_pr(fake, 1, "dana")
    await evaluate(fake, bot, 1)
    await comment(fake, bot, 1, "dana")
    assert cla_status(fake, old)["state"] == "success"
    dana_id = fake.user("dana")["id"]
    fake.add_user("dana-renamed", id=dana_id)  # same account, new login
    pr = open_pr(fake, 2, "dana-renamed", commits=[commit_by(fake, "dana-renamed")])
    await evaluate(fake, bot, 2)
    assert cla_status(fake, pr)["state"] == "success"


async def test_the_same_display_name_is_not_the_same_person(fake, bot):
    setup_repo(fake)
    fake.add_user("dana")
    open_pr(fake, 1, "dana")
    await comment(fake, bot, 1, "dana")  # dana has signed
    impostor = fake.add_user("dana-lookalike")
    spec = {"sha": sha("lookalike"), "message": "x",
            "author": {"name": "dana", "email": f"{impostor['id']}+dana-lookalike@users.noreply.github.com"}}
    pr = open_pr(fake, 2, "dana", commits=[commit_by(fake, "dana"), spec])
    await evaluate(fake, bot, 2)
    status = cla_status(fake, pr)
    assert status["state"] == "failure" and "dana-lookalike" in status["description"]


async def test_exempt_org_members_and_covered_organizations(fake, bot):
    setup_repo(fake, RULES + "  exempt_org_members: true\n  covered_organizations: [initech]\n")
    fake.add_org_member("acme", "mia")
    fake.add_org_member("initech", "ivan")
    member = open_pr(fake, 1, "mia")
    covered = open_pr(fake, 2, "ivan")
    outsider = open_pr(fake, 3, "olga")
    for number in (1, 2, 3):
        await evaluate(fake, bot, number)
    assert cla_status(fake, member)["state"] == "success"
    assert cla_status(fake, covered)["state"] == "success"
    assert cla_status(fake, outsider)["state"] == "failure"


# -- versions, revocation, evidence ----------------------------------------------------------------

async def test_a_version_bump_requires_signing_again_unless_accepted(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, 1, "dana")
    await comment(fake, bot, 1, "dana")
    await evaluate(fake, bot, 1)
    assert cla_status(fake, pr)["state"] == "success"

    await bot.deliver_and_settle("push", push(fake, REPO, {".github/governance.yml": RULES + "  version: 2\n"}))
    await evaluate(fake, bot, 1, "synchronize")
    status = cla_status(fake, pr)
    assert status["state"] == "failure" and "dana" in status["description"]
    assert "(version 2)" in the_report(fake, 1)

    await bot.deliver_and_settle("push", push(fake, REPO, {
        ".github/governance.yml": RULES + "  version: 2\n  accepts: ['1']\n"}))
    await evaluate(fake, bot, 1, "synchronize")
    assert cla_status(fake, pr)["state"] == "success"


async def test_cla_revoke_makes_the_next_check_fail(fake, bot, monkeypatch, tmp_path, capsys):
    setup_repo(fake)
    pr = open_pr(fake, 1, "dana")
    await comment(fake, bot, 1, "dana")
    assert cla_status(fake, pr)["state"] == "success"

    assert await cla_cli(monkeypatch, tmp_path, bot, "revoke", "DANA", "--owner", "acme") == 0
    assert "revoked: dana" in capsys.readouterr().out
    assert await cla_cli(monkeypatch, tmp_path, bot, "revoke", "dana") == 1  # nothing left to end

    await comment(fake, bot, 1, "someone", body="/recheck")
    assert cla_status(fake, pr)["state"] == "failure"


async def test_cla_revoke_turns_every_open_pr_that_passed_on_it_at_once(fake, bot, monkeypatch, tmp_path, capsys):
    setup_repo(fake)
    setup_repo(fake, full_name="acme/gadgets")
    first = open_pr(fake, 1, "dana")
    await comment(fake, bot, 1, "dana")
    second = open_pr(fake, 7, "dana", full_name="acme/gadgets")
    await evaluate(fake, bot, 7, full_name="acme/gadgets")
    closed = open_pr(fake, 2, "dana")
    await evaluate(fake, bot, 2)
    closed["state"] = "closed"
    await evaluate(fake, bot, 2, "closed")
    untouched = open_pr(fake, 3, "olga")
    await comment(fake, bot, 3, "olga")
    assert [cla_status(fake, pr)["state"] for pr in (first, untouched)] == ["success", "success"]
    assert cla_status(fake, second, "acme/gadgets")["state"] == "success"
    capsys.readouterr()
    fake.clear_requests()

    assert await cla_cli(monkeypatch, tmp_path, bot, "revoke", "dana") == 0
    assert "re-checking 2 open pull requests: acme/gadgets#7, acme/widgets#1" in capsys.readouterr().out
    await bot.settle()  # no webhook: the running bot takes the re-checks from the queue
    assert cla_status(fake, first)["state"] == "failure"
    assert cla_status(fake, second, "acme/gadgets")["state"] == "failure"
    assert "dana" in cla_status(fake, first)["description"]
    assert not [r for r in fake.requests if r.path in (f"/repos/{REPO}/pulls/2", f"/repos/{REPO}/pulls/3")]


async def test_a_revoke_during_a_check_that_already_read_the_signature_still_rechecks(fake, bot, monkeypatch,
                                                                                     tmp_path):
    from aiohttp import web

    setup_repo(fake, RULES + "  covered_organizations: [initech]\n")
    fake.add_org_member("initech", "erin")
    signed = open_pr(fake, 1, "dana")
    await comment(fake, bot, 1, "dana")
    pr = open_pr(fake, 2, "dana", commits=[commit_by(fake, "dana"), commit_by(fake, "erin")])
    asked, answer = asyncio.Event(), asyncio.Event()

    async def slow_membership(request, match, fake_):
        asked.set()  # dana's signature has been read by now; erin's membership is being checked
        await answer.wait()
        return web.Response(status=204)

    fake.override("GET", r"/orgs/initech/members/erin", slow_membership)
    delivered = asyncio.create_task(bot.deliver("pull_request", pull_request_event(fake, REPO, 2)))
    await asyncio.wait_for(asked.wait(), 10)
    assert await cla_cli(monkeypatch, tmp_path, bot, "revoke", "dana") == 0
    answer.set()
    await delivered
    await bot.settle()
    assert cla_status(fake, pr)["state"] == "failure"  # the re-check queued by the revoke saw it
    assert cla_status(fake, signed)["state"] == "failure"


async def test_a_revoke_whose_rechecks_cannot_be_queued_changes_nothing(fake, bot, monkeypatch, tmp_path, capsys):
    from bot.queue import DeliveryQueue

    setup_repo(fake)
    pr = open_pr(fake, 1, "dana")
    await comment(fake, bot, 1, "dana")
    original = DeliveryQueue.enqueue_in

    async def failing(self, conn, *args):
        raise OSError("no space left on device")

    monkeypatch.setattr(DeliveryQueue, "enqueue_in", failing)
    assert await cla_cli(monkeypatch, tmp_path, bot, "revoke", "dana") == 2
    assert "no space left" in capsys.readouterr().err
    monkeypatch.setattr(DeliveryQueue, "enqueue_in", original)
    assert await cla_cli(monkeypatch, tmp_path, bot, "export", "--format", "json") == 0
    assert [r["revoked_at"] for r in json.loads(capsys.readouterr().out)] == [None]  # still counting
    assert await cla_cli(monkeypatch, tmp_path, bot, "revoke", "dana") == 0  # the retry does both
    assert "re-checking 1 open pull request: acme/widgets#1" in capsys.readouterr().out
    await bot.settle()
    assert cla_status(fake, pr)["state"] == "failure"


async def test_revoke_finds_a_renamed_signer_by_the_new_login(fake, bot, monkeypatch, tmp_path):
    setup_repo(fake)
    open_pr(fake, 1, "dana")
    await comment(fake, bot, 1, "dana")
    fake.add_user("dana2", id=fake.user("dana")["id"])
    pr = open_pr(fake, 2, "dana2")
    await evaluate(fake, bot, 2)  # the bot sees the account under its new name
    assert cla_status(fake, pr)["state"] == "success"
    assert await cla_cli(monkeypatch, tmp_path, bot, "revoke", "dana2") == 0
    await evaluate(fake, bot, 2, "synchronize")
    assert cla_status(fake, pr)["state"] == "failure"


async def test_export_lists_every_signature_with_its_evidence(fake, bot, monkeypatch, tmp_path, capsys):
    setup_repo(fake)
    open_pr(fake, 1, "dana")
    signing = await comment(fake, bot, 1, "dana")
    assert await cla_cli(monkeypatch, tmp_path, bot, "revoke", "dana") == 0
    await comment(fake, bot, 1, "dana", body=PHRASE.lower())  # signs anew after the revocation
    capsys.readouterr()

    assert await cla_cli(monkeypatch, tmp_path, bot, "export", "--format", "json") == 0
    records = json.loads(capsys.readouterr().out)
    assert len(records) == 2
    first = records[0]
    assert set(first) == {"user_id", "login", "owner", "version", "signed_at", "repository", "pull_request",
                          "comment_url", "action", "actor_id", "actor_login", "revoked_at"}
    assert (first["action"], first["actor_id"], first["actor_login"]) == ("created", fake.user("dana")["id"], "dana")
    assert first["user_id"] == fake.user("dana")["id"] and first["login"] == "dana" and first["owner"] == "acme"
    assert first["version"] == "1" and first["repository"] == REPO and first["pull_request"] == 1
    assert first["comment_url"] == signing["html_url"]
    assert first["signed_at"].endswith("Z") and first["revoked_at"] is not None
    assert records[1]["revoked_at"] is None

    assert await cla_cli(monkeypatch, tmp_path, bot, "export") == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["comment_url"] for r in rows] == [r["comment_url"] for r in records]
    assert rows[1]["revoked_at"] == ""


# -- completeness and scope ------------------------------------------------------------------------

async def test_300_commits_by_three_people_are_all_checked(fake, bot):
    setup_repo(fake)
    for login in ("dana", "bob", "carol"):
        fake.add_user(login)
    commits = ([commit_by(fake, "dana") for _ in range(150)] + [commit_by(fake, "bob") for _ in range(120)]
               + [commit_by(fake, "carol") for _ in range(30)])  # carol only beyond commit 250
    pr = open_pr(fake, 1, "dana", commits=commits)
    await comment(fake, bot, 1, "dana")
    await comment(fake, bot, 1, "bob")
    status = cla_status(fake, pr)
    assert status["state"] == "failure" and status["description"].startswith("carol must sign")
    assert [r for r in fake.requests if "/compare/" in r.path]
    await comment(fake, bot, 1, "carol")
    assert cla_status(fake, pr)["state"] == "success"


async def test_an_incomplete_commit_list_fails_closed(fake, bot):
    setup_repo(fake)
    fake.add_user("dana")
    pr = open_pr(fake, 1, "dana", commits=[commit_by(fake, "dana") for _ in range(300)])
    await comment(fake, bot, 1, "dana")

    async def short_compare(request, match, fake_):
        return web.json_response({"total_commits": 300, "commits": [], "files": []})

    fake.override("GET", rf"/repos/{REPO}/compare/.*", short_compare)
    await comment(fake, bot, 1, "someone", body="/recheck")
    status = cla_status(fake, pr)
    assert status["state"] == "failure" and "cannot be checked" in status["description"]
    assert "partial view" in the_report(fake, 1)


async def test_a_pr_that_drops_the_cla_section_from_the_rules_file_is_still_checked(fake, bot):
    setup_repo(fake)
    fake.set_file(REPO, ".github/governance.yml", "triage:\n  size_labels: false\n", ref="feature")
    pr = open_pr(fake, 1, "dana", head_ref="feature",
                 files=[{"filename": ".github/governance.yml", "status": "modified",
                         "content": "triage:\n  size_labels: false\n"}])
    await evaluate(fake, bot, 1)
    assert cla_status(fake, pr)["state"] == "failure"


async def test_a_closed_pr_no_longer_waits(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, 1, "dana")
    await evaluate(fake, bot, 1)
    other = open_pr(fake, 2, "erin", commits=[commit_by(fake, "erin")])
    await evaluate(fake, bot, 2)
    pr["state"] = "closed"
    await evaluate(fake, bot, 1, "closed")
    fake.clear_requests()
    await comment(fake, bot, 2, "dana")  # dana signs on erin's PR: PR 1 is not looked at
    assert not [r for r in fake.requests if r.path == f"/repos/{REPO}/pulls/1"]
    assert cla_status(fake, other)["state"] == "failure"  # erin has not signed


async def test_signing_and_waiting_prs_on_postgresql(fake, app_key, tmp_path, pg_url):
    harness = BotHarness(make_settings(api_url=fake.url, private_key=app_key[0], db_path=tmp_path / "unused.db",
                                       database_url=pg_url))
    await harness.start()
    try:
        setup_repo(fake)
        first = open_pr(fake, 1, "dana")
        second = open_pr(fake, 2, "erin", commits=[commit_by(fake, "erin"), commit_by(fake, "dana")])
        await comment(fake, harness, 2, "erin")
        await evaluate(fake, harness, 1)
        assert cla_status(fake, second)["state"] == "failure"
        await comment(fake, harness, 1, "dana")
        assert cla_status(fake, first)["state"] == "success"
        assert cla_status(fake, second)["state"] == "success"
    finally:
        await harness.close()


# -- merge queues ----------------------------------------------------------------------------------

async def test_merge_group_gets_the_status_on_its_head_commit(fake, bot):
    setup_repo(fake)
    fake.add_user("dana")
    add_web_flow(fake)
    base = sha("base")
    commits = [commit_by(fake, "dana"), commit_by(fake, "dana", message="Merge pull request #1", committer=WEB_FLOW)]
    group = add_merge_group(fake, REPO, base_sha=base, commits=commits, head_sha=sha("group-head"))
    payload = merge_group_event(fake, REPO, group, sender="dana")
    await bot.deliver_and_settle("merge_group", payload)
    status = fake.latest_status(REPO, group["head_sha"], CONTEXT)
    assert status is not None and status["state"] == "failure" and "dana" in status["description"]

    open_pr(fake, 1, "dana")
    await comment(fake, bot, 1, "dana")
    await bot.deliver_and_settle("merge_group", merge_group_event(fake, REPO, group, sender="dana"))
    assert fake.latest_status(REPO, group["head_sha"], CONTEXT)["state"] == "success"


# -- nothing else changes ------------------------------------------------------------------------

async def test_ordinary_comments_cost_no_api_reads_for_the_cla(fake, bot):
    setup_repo(fake)
    open_pr(fake, 1, "dana")
    await evaluate(fake, bot, 1)
    fake.clear_requests()
    await comment(fake, bot, 1, "dana", body="Looks good to me")
    # (The head's combined status is read: a PR without governance statuses would be evaluated now.)
    assert not [r for r in fake.requests if "/commits" in r.path and not r.path.endswith("/status")
                or "/compare/" in r.path or r.path == "/graphql"]
    assert fake.writes() == []


@pytest.mark.parametrize("rules_text, message", [
    ("cla:\n  version: 2\n", "cla.document: Field required"),
    (f"cla:\n  document: {DOC}\n  allowlist: ['*']\n", "cla.allowlist:"),
    (f"cla:\n  document: {DOC}\n  sign_phrase: ' '\n", "cla.sign_phrase:"),
])
async def test_invalid_cla_section_is_reported_by_field(fake, bot, rules_text, message):
    setup_repo(fake, rules_text)
    pr = open_pr(fake, 1, "dana")
    await evaluate(fake, bot, 1)
    config_status = fake.latest_status(REPO, pr["head"]["sha"], "governance/config")
    assert config_status["state"] == "failure"
    assert message in the_report(fake, 1)
