"""The engine end to end: signed delivery in, fake GitHub out (SPEC §2–§4, §6), with a test-only rule."""

from __future__ import annotations

import asyncio

import pytest

from tests.fake_ext_push import push
from tests.fake_ext_replies import reply_bodies
from tests.fakegithub import FakeGitHub
from tests.harness import BotHarness, make_settings, reports
from tests.payloads import issue_comment_event, pull_request_event

REPO = "acme/widgets"
RULES_FILE = "probe:\n  title_prefix: feat\n"


def setup_repo(fake, rules_text: str | None = RULES_FILE, title: str = "fix: a thing", number: int = 1):
    fake.add_user("dana")
    fake.add_repo(REPO)
    if rules_text is not None:
        fake.set_file(REPO, ".github/governance.yml", rules_text)
    return fake.add_pull_request(REPO, number, author="dana", title=title, head_sha=f"{number:040x}")


def report_comments(fake, number: int = 1) -> list[dict]:
    return reports(fake, number, REPO)


async def test_failing_rule_sets_statuses_label_and_one_report(fake, bot):
    pr = setup_repo(fake)
    response = await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    assert response.status == 202
    sha = pr["head"]["sha"]
    assert fake.latest_status(REPO, sha, "governance/config")["state"] == "success"
    probe = fake.latest_status(REPO, sha, "governance/probe")
    assert probe["state"] == "failure" and "feat" in probe["description"]
    assert "probed" in fake.issue_labels(REPO, 1)
    reports = report_comments(fake)
    assert len(reports) == 1 and "Start the title with `feat`" in reports[0]["body"]

    # The author fixes the title: the same comment now says everything passes.
    pr["title"] = "feat: a thing"
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1, "edited"))
    assert fake.latest_status(REPO, sha, "governance/probe")["state"] == "success"
    reports = report_comments(fake)
    assert len(reports) == 1 and "Everything passes" in reports[0]["body"]

    # A later push that keeps everything passing does not touch the report again.
    fake.clear_requests()
    fake.push(REPO, 1, head_sha="d" * 40)
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1, "synchronize"))
    assert fake.latest_status(REPO, "d" * 40, "governance/probe")["state"] == "success"
    assert [r for r in fake.writes() if r.method == "PATCH"] == []


async def test_nothing_is_posted_while_everything_passes(fake, bot):
    setup_repo(fake, title="feat: good")
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    assert report_comments(fake) == []
    # A pull request opened just now has no report to look for.
    assert not [r for r in fake.requests if r.path.endswith("/issues/1/comments")]


async def test_a_report_the_database_forgot_is_found_and_updated_when_everything_passes(fake, bot):
    setup_repo(fake, title="feat: good")
    fake.add_user("governance-bot[bot]", type="Bot")
    old = fake.add_comment(REPO, 1, author="governance-bot[bot]",
                           body="<!-- governance-bot:report -->\n## Governance report\n\nSomething failed.")
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1, "reopened"))
    reports = report_comments(fake)
    assert [c["id"] for c in reports] == [old["id"]] and "Everything passes" in reports[0]["body"]
    assert fake.latest_status(REPO, "1".rjust(40, "0"), "governance/probe")["state"] == "success"


async def test_replayed_delivery_writes_nothing_new(fake, bot):
    setup_repo(fake)
    payload = pull_request_event(fake, REPO, 1)
    await bot.deliver_and_settle("pull_request", payload)
    writes = len(fake.writes())
    await bot.deliver_and_settle("pull_request", payload)  # new delivery id, same event
    assert len(fake.writes()) == writes


async def test_no_rules_file_means_nothing_happens(fake, bot):
    setup_repo(fake, rules_text=None)
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    assert fake.writes() == []


async def test_invalid_rules_file_fails_config_status_and_names_the_field(fake, bot):
    pr = setup_repo(fake, rules_text="probe:\n  titel_prefix: feat\n")
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    status = fake.latest_status(REPO, pr["head"]["sha"], "governance/config")
    assert status["state"] == "failure" and "probe.titel_prefix" in status["description"]
    assert fake.latest_status(REPO, pr["head"]["sha"], "governance/probe") is None  # no other rule ran
    reports = report_comments(fake)
    assert len(reports) == 1 and "probe.titel_prefix: unknown key" in reports[0]["body"]

    # Fixed on the default branch: the next event clears it.
    await bot.deliver_and_settle("push", push(fake, REPO, {".github/governance.yml": RULES_FILE}))
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1, "synchronize"))
    assert fake.latest_status(REPO, pr["head"]["sha"], "governance/config")["state"] == "success"
    assert "titel_prefix" not in report_comments(fake)[0]["body"]


async def test_bad_yaml_is_reported_with_its_line(fake, bot):
    pr = setup_repo(fake, rules_text="probe:\n  title_prefix: [unclosed\n")
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    status = fake.latest_status(REPO, pr["head"]["sha"], "governance/config")
    assert status["state"] == "failure" and "yaml" in status["description"]


async def test_org_defaults_are_merged_key_by_key(fake, bot):
    setup_repo(fake, rules_text="probe:\n  title_prefix: fix\n", title="chore: x")
    fake.add_repo("acme/.github")
    fake.set_file("acme/.github", ".github/governance.yml", "probe:\n  title_prefix: feat\n  note: ' (org note)'\n")
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    body = report_comments(fake)[0]["body"]
    assert "`fix`" in body and "(org note)" in body


async def test_extends_false_ignores_org_defaults(fake, bot):
    setup_repo(fake, rules_text="extends: false\nprobe:\n  title_prefix: fix\n", title="chore: x")
    fake.add_repo("acme/.github")
    fake.set_file("acme/.github", ".github/governance.yml", "probe:\n  note: ' (org note)'\n")
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    body = report_comments(fake)[0]["body"]
    assert "`fix`" in body and "(org note)" not in body


async def test_org_defaults_alone_switch_rules_on(fake, bot):
    pr = setup_repo(fake, rules_text=None)
    fake.add_repo("acme/.github")
    fake.set_file("acme/.github", ".github/governance.yml", RULES_FILE)
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    assert fake.latest_status(REPO, pr["head"]["sha"], "governance/probe")["state"] == "failure"


async def test_an_absent_rules_file_is_asked_for_again_after_an_hour(fake, bot, monkeypatch):
    """A push creating the file normally ends the absence at once; the hour is the backstop for a lost push."""
    import types

    import bot.rules_memory as rules_memory
    clock = [1000.0]
    monkeypatch.setattr(rules_memory, "time", types.SimpleNamespace(monotonic=lambda: clock[0], time=lambda: 0.0))
    setup_repo(fake)
    org_file = "/repos/acme/.github/contents/.github/governance.yml"
    for action in ("opened", "synchronize", "edited"):
        await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1, action))
    assert [r.status for r in fake.requests if r.path == org_file] == [404]

    fake.add_repo("acme/.github")  # created without the App seeing the push
    fake.set_file("acme/.github", ".github/governance.yml", "probe:\n  note: ' (org note)'\n")
    clock[0] += rules_memory.ABSENT_TTL - 1
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1, "synchronize"))
    assert [r.status for r in fake.requests if r.path == org_file] == [404]
    clock[0] += 2
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1, "synchronize"))
    assert [r.status for r in fake.requests if r.path == org_file] == [404, 200]
    assert "(org note)" in report_comments(fake)[0]["body"]


async def test_twenty_concurrent_deliveries_for_one_pr_give_one_report(fake, bot):
    setup_repo(fake)
    payloads = [pull_request_event(fake, REPO, 1, "synchronize") for _ in range(20)]
    responses = await asyncio.gather(*(bot.deliver("pull_request", p) for p in payloads))
    assert [r.status for r in responses] == [202] * 20
    await bot.settle()
    assert len(report_comments(fake)) == 1
    assert fake.issue_labels(REPO, 1).count("probed") == 1


async def test_token_is_reused_across_events(fake, bot):
    setup_repo(fake)
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1, "synchronize"))
    assert fake.tokens_issued == 1


async def test_token_near_expiry_is_renewed(app_key, tmp_path):
    fake = FakeGitHub(public_key_pem=app_key[1], token_ttl=120)  # inside the 5-minute margin
    await fake.start()
    harness = BotHarness(make_settings(api_url=fake.url, private_key=app_key[0], db_path=tmp_path / "t.db"))
    await harness.start()
    try:
        setup_repo(fake)
        await harness.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
        await harness.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1, "synchronize"))
        assert fake.tokens_issued == 2
    finally:
        await harness.close()
        await fake.close()


async def test_github_enterprise_api_prefix(app_key, tmp_path):
    fake = FakeGitHub(public_key_pem=app_key[1], api_prefix="/api/v3")
    await fake.start()
    assert fake.url.endswith("/api/v3")
    harness = BotHarness(make_settings(api_url=fake.url, private_key=app_key[0], db_path=tmp_path / "e.db"))
    await harness.start()
    try:
        pr = setup_repo(fake)
        await harness.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
        assert fake.latest_status(REPO, pr["head"]["sha"], "governance/probe")["state"] == "failure"
    finally:
        await harness.close()
        await fake.close()


async def test_server_errors_are_retried(fake, bot):
    pr = setup_repo(fake)
    fake.fail("POST", rf"/repos/{REPO}/statuses/.*", status=502, times=2)
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    assert fake.latest_status(REPO, pr["head"]["sha"], "governance/probe")["state"] == "failure"
    assert [r.status for r in fake.requests if r.method == "POST" and "/statuses/" in r.path][:2] == [502, 502]


async def test_secondary_rate_limit_is_respected_and_retried(fake, bot):
    pr = setup_repo(fake)
    fake.fail("POST", rf"/repos/{REPO}/statuses/.*", status=403, times=1, headers={"retry-after": "1"},
              body={"message": "You have exceeded a secondary rate limit."})
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    posts = [r for r in fake.requests if r.method == "POST" and "/statuses/" in r.path]
    assert posts[0].status == 403 and posts[1].status == 201
    assert posts[1].at - posts[0].at >= 0.9  # waited for retry-after
    assert fake.latest_status(REPO, pr["head"]["sha"], "governance/probe") is not None


async def test_primary_rate_limit_exhausted_waits_for_reset(fake, bot):
    import time as _time

    pr = setup_repo(fake)
    fake.fail("GET", rf"/repos/{REPO}/pulls/1", status=403, times=1,
              headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(_time.time()))},
              body={"message": "API rate limit exceeded"})
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    assert fake.latest_status(REPO, pr["head"]["sha"], "governance/probe") is not None


async def test_permanent_failure_is_recorded_and_redelivery_processes_again(fake, bot):
    pr = setup_repo(fake)
    fake.fail("GET", rf"/repos/{REPO}/pulls/1", status=502, times=100)
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1), delivery_id="will-fail")
    row = await bot.delivery("will-fail")
    assert row["state"] == "failed" and "502" in row["last_error"]
    status, metrics_text = await bot.get("/metrics")
    assert 'governance_deliveries_failed_total{event="pull_request",final="true"}' in metrics_text
    fake.fail("GET", rf"/repos/{REPO}/pulls/1", status=502, times=0)  # GitHub is back
    fake.clear_faults()
    response = await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1),
                                            delivery_id="will-fail")
    assert response.status == 202
    assert (await bot.delivery("will-fail"))["state"] == "done"
    assert fake.latest_status(REPO, pr["head"]["sha"], "governance/probe") is not None


async def comment(fake, bot, body: str, author: str = "dana", number: int = 1):
    fake.add_user(author)
    created = fake.add_comment(REPO, number, author=author, body=body)
    await bot.deliver_and_settle("issue_comment", issue_comment_event(fake, REPO, number, created))
    return created


def bot_replies(fake, number: int = 1) -> list[str]:
    """The bot's command replies, without their hidden marker (not its report: a PR never evaluated gets one)."""
    return reply_bodies(fake, REPO, number)


async def test_help_lists_the_commands_this_repository_has_on(fake, bot):
    setup_repo(fake)
    await comment(fake, bot, "/help")
    replies = bot_replies(fake)
    assert len(replies) == 1
    assert "/recheck" in replies[0] and "/probe" in replies[0]


async def test_command_without_permission_gets_one_short_reply(fake, bot):
    setup_repo(fake)
    fake.set_permission(REPO, "tess", "triage")
    await comment(fake, bot, "/probe", author="eve")
    await comment(fake, bot, "/probe", author="tess")
    replies = bot_replies(fake)
    assert replies == ["@eve `/probe` needs triage permission.", "hello"]


async def test_commands_in_code_blocks_quotes_and_from_bots_do_nothing(fake, bot):
    setup_repo(fake)
    await comment(fake, bot, "Try this:\n```\n/help\n```\n> /help\n")
    fake.add_user("helper[bot]", type="Bot")
    await comment(fake, bot, "/help", author="helper[bot]")
    assert [c for c in bot_replies(fake) if "/recheck" in c] == []


async def test_edited_comment_runs_only_new_commands(fake, bot):
    setup_repo(fake)
    fake.set_permission(REPO, "tess", "triage")
    created = await comment(fake, bot, "/probe", author="tess")
    previous = created["body"]
    created["body"] = "/probe\n/help"
    await bot.deliver_and_settle("issue_comment", issue_comment_event(
        fake, REPO, 1, created, "edited", previous_body=previous))
    replies = bot_replies(fake)
    assert replies[0] == "hello" and len(replies) == 2 and "/recheck" in replies[1]


async def test_recheck_evaluates_the_pull_request_again(fake, bot):
    pr = setup_repo(fake)
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    pr["title"] = "feat: fixed without an event"
    await comment(fake, bot, "/recheck", author="someone")
    assert fake.latest_status(REPO, pr["head"]["sha"], "governance/probe")["state"] == "success"


@pytest.mark.parametrize("event", ["labeled", "comment"])
async def test_a_pr_whose_events_never_arrived_is_evaluated_on_its_next_event(fake, bot, event):
    """Opened while the bot was down and past GitHub's redelivery window: no governance status at all."""
    pr = setup_repo(fake)
    if event == "comment":
        await comment(fake, bot, "Any news?", author="someone")
    else:
        await bot.deliver_and_settle("pull_request", pull_request_event(
            fake, REPO, 1, "labeled", sender="dana", label={"name": "bug"}))
    assert fake.latest_status(REPO, pr["head"]["sha"], "governance/probe")["state"] == "failure"
    assert fake.latest_status(REPO, pr["head"]["sha"], "governance/config")["state"] == "success"
    assert len(report_comments(fake)) == 1


async def test_a_pr_already_evaluated_or_closed_or_a_bots_event_does_not_evaluate(fake, bot):
    pr = setup_repo(fake)
    fake.add_user("helper[bot]", type="Bot")
    await bot.deliver_and_settle("pull_request", pull_request_event(
        fake, REPO, 1, "labeled", sender="helper[bot]", label={"name": "bug"}))
    pr["state"] = "closed"
    await bot.deliver_and_settle("pull_request", pull_request_event(
        fake, REPO, 1, "labeled", sender="dana", label={"name": "bug"}))
    assert fake.writes() == []

    pr["state"] = "open"
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    pr["title"] = "feat: changed without an event"
    fake.clear_requests()
    await comment(fake, bot, "Any news?", author="someone")
    assert fake.latest_status(REPO, pr["head"]["sha"], "governance/probe")["state"] == "failure"
    assert fake.writes() == []


async def test_head_moved_during_evaluation_is_not_posted_for_the_old_head(fake, bot):
    pr = setup_repo(fake)
    old = pr["head"]["sha"]
    reads = {"n": 0}
    original = fake.pull_request(REPO, 1)

    async def moving_head(request, match, fake_):
        from aiohttp import web
        reads["n"] += 1
        if reads["n"] == 2:  # the engine's re-read after evaluating: a push landed meanwhile
            fake_.push(REPO, 1, head_sha="b" * 40)
        return web.json_response(fake_.pull_request(REPO, 1))

    fake.override("GET", rf"/repos/{REPO}/pulls/1", moving_head)
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    assert fake.statuses(REPO, old) == []
    assert fake.latest_status(REPO, "b" * 40, "governance/probe")["state"] == "failure"
    assert original is not None


async def test_a_rate_limited_installation_does_not_hold_up_another(fake, bot):
    """Installation 1 is told to back off for 2 s; installation 2's work goes through meanwhile."""
    pr_slow = setup_repo(fake)
    fake.add_repo("other/gadgets", installation_id=7)
    fake.set_file("other/gadgets", ".github/governance.yml", RULES_FILE)
    pr_fast = fake.add_pull_request("other/gadgets", 5, author="dana", title="fix", head_sha="c" * 40)
    fake.fail("POST", rf"/repos/{REPO}/statuses/.*", status=403, times=1, headers={"retry-after": "2"},
              body={"message": "You have exceeded a secondary rate limit."})
    await bot.deliver("pull_request", pull_request_event(fake, REPO, 1))
    await asyncio.sleep(0.3)  # installation 1 is now paused
    fast_payload = pull_request_event(fake, "other/gadgets", 5)
    fast_payload["installation"]["id"] = 7
    await bot.deliver("pull_request", fast_payload)
    await bot.settle()
    slow_posts = [r for r in fake.requests if r.method == "POST" and r.path.startswith(f"/repos/{REPO}/statuses/")
                  and r.status == 201]
    fast_posts = [r for r in fake.requests if r.method == "POST" and r.path.startswith("/repos/other/gadgets/statuses/")]
    assert slow_posts and fast_posts
    assert max(r.at for r in fast_posts) < min(r.at for r in slow_posts)
    assert fake.latest_status("other/gadgets", pr_fast["head"]["sha"], "governance/probe")["state"] == "failure"
    assert fake.latest_status(REPO, pr_slow["head"]["sha"], "governance/probe")["state"] == "failure"


async def test_writes_of_one_installation_are_never_concurrent(fake, app_key, tmp_path):
    # 12 workers: up to 3 of them on the installation's deliveries at once (a quarter), all writing.
    bot = BotHarness(make_settings(api_url=fake.url, private_key=app_key[0], db_path=tmp_path / "c.db", workers=12))
    await bot.start()
    for number in range(1, 7):
        setup_repo(fake, number=number) if number == 1 else fake.add_pull_request(
            REPO, number, author="dana", title="fix", head_sha=f"{number:040x}")
    fake.latency = 0.05
    try:
        await asyncio.gather(*(bot.deliver("pull_request", pull_request_event(fake, REPO, n)) for n in range(1, 7)))
        await bot.settle()
    finally:
        await bot.close()
    writes = sorted((r for r in fake.writes()), key=lambda r: r.at)
    assert len(writes) >= 12
    # Each write is answered after `latency`; a write starting before the previous one was answered
    # would be concurrent. `at` is recorded when the request arrives.
    gaps = [b.at - a.at for a, b in zip(writes, writes[1:])]
    assert min(gaps) >= 0.045


async def test_a_flooding_installation_leaves_workers_for_the_others(fake, app_key, tmp_path):
    """One installation may write twice a minute; another installation is not kept waiting."""
    harness = BotHarness(make_settings(api_url=fake.url, private_key=app_key[0], db_path=tmp_path / "f.db",
                                       workers=4, writes_per_minute=2))
    await harness.start()
    try:
        setup_repo(fake)
        for number in range(2, 11):
            fake.add_pull_request(REPO, number, author="dana", title="fix", head_sha=f"{number:040x}")
        fake.add_repo("other/gadgets", installation_id=7)
        fake.set_file("other/gadgets", ".github/governance.yml", RULES_FILE)
        fast = fake.add_pull_request("other/gadgets", 5, author="dana", title="fix", head_sha="c" * 40)
        for number in range(1, 11):
            await harness.deliver("pull_request", pull_request_event(fake, REPO, number))
        await asyncio.sleep(0.5)  # the flood has taken what workers it may
        fast_payload = pull_request_event(fake, "other/gadgets", 5)
        fast_payload["installation"]["id"] = 7
        await harness.deliver("pull_request", fast_payload)
        for _ in range(100):
            if fake.latest_status("other/gadgets", fast["head"]["sha"], "governance/probe"):
                break
            await asyncio.sleep(0.05)
        assert fake.latest_status("other/gadgets", fast["head"]["sha"], "governance/probe") is not None
        flooded = [n for n in range(1, 11) if fake.latest_status(REPO, f"{n:040x}", "governance/probe")]
        assert len(flooded) < 10  # the flood is still waiting for its window
    finally:
        await harness.close()
