"""Rules-file freshness by push (SPEC §3): a change on the default branch applies from the next event,
on every replica, and an event whose rules file nobody pushed to costs no rules-file request."""

from __future__ import annotations

import asyncio

import pytest

from bot.server import build_state
from tests.fake_ext_cla import sha
from tests.fake_ext_push import push
from tests.harness import BotHarness, make_settings, rules_with_probe
from tests.payloads import issue_comment_event, pull_request_event

pytest_plugins = ["tests.pg"]

REPO = "acme/widgets"
RULES_PATH = ".github/governance.yml"
PROBE_FEAT = "probe:\n  title_prefix: feat\n"
PROBE_FIX = "probe:\n  title_prefix: fix\n"


def open_pr(fake, number: int, full_name: str = REPO, title: str = "fix: a thing") -> dict:
    fake.add_user("dana")
    return fake.add_pull_request(full_name, number, author="dana", title=title, head_sha=sha(f"{full_name}#{number}"))


def rules_reads(fake) -> list:
    return [r for r in fake.requests if r.path.endswith("/contents/" + RULES_PATH)]


def probe_state(fake, pr: dict, full_name: str = REPO) -> str | None:
    status = fake.latest_status(full_name, pr["head"]["sha"], "governance/probe")
    return status["state"] if status else None


async def test_a_rules_file_added_then_a_pr_opened_at_once_is_evaluated(fake, bot):
    fake.add_repo(REPO)
    first = open_pr(fake, 1)
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    assert probe_state(fake, first) is None  # no rules file anywhere: nothing to do

    await bot.deliver_and_settle("push", push(fake, REPO, {RULES_PATH: PROBE_FEAT}))
    second = open_pr(fake, 2)
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 2))
    assert probe_state(fake, second) == "failure"


async def test_events_without_a_push_cost_no_rules_file_request(fake, bot):
    fake.add_repo(REPO)
    fake.set_file(REPO, RULES_PATH, PROBE_FEAT)
    open_pr(fake, 1)
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    assert len(rules_reads(fake)) == 2  # the repository's file and the organisation's (absent)
    fake.clear_requests()
    for action in ("synchronize", "edited", "reopened"):
        await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1, action))
    assert rules_reads(fake) == []


async def test_a_burst_of_events_reads_each_rules_file_once(fake, bot):
    fake.add_repo(REPO)
    fake.set_file(REPO, RULES_PATH, PROBE_FEAT)
    prs = [open_pr(fake, n) for n in range(1, 11)]
    responses = await asyncio.gather(*(bot.deliver("pull_request", pull_request_event(fake, REPO, pr["number"]))
                                       for pr in prs))
    assert {r.status for r in responses} == {202}
    await bot.settle()
    assert all(probe_state(fake, pr) == "failure" for pr in prs)
    assert sorted((r.path.split("/")[3], r.status) for r in rules_reads(fake)) == [(".github", 404), ("widgets", 200)]


async def test_changing_the_sign_phrase_on_the_default_branch_takes_effect_on_the_next_event(fake, bot):
    fake.add_repo(REPO)
    fake.set_file(REPO, RULES_PATH, "cla:\n  document: https://example.org/cla.md\n")
    fake.add_user("dana")
    pr = fake.add_pull_request(REPO, 1, author="dana", head_sha=sha("cla"))
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    assert fake.latest_status(REPO, pr["head"]["sha"], "governance/cla")["state"] == "failure"

    new_phrase = "I agree to the Example CLA"
    await bot.deliver_and_settle("push", push(fake, REPO, {RULES_PATH: (
        f"cla:\n  document: https://example.org/cla.md\n  sign_phrase: '{new_phrase}'\n")}))
    signing = fake.add_comment(REPO, 1, author="dana", body=new_phrase)
    await bot.deliver_and_settle("issue_comment", issue_comment_event(fake, REPO, 1, signing))
    assert fake.latest_status(REPO, pr["head"]["sha"], "governance/cla")["state"] == "success"


async def test_a_push_to_a_feature_branch_touching_the_rules_file_changes_nothing(fake, bot):
    fake.add_repo(REPO)
    fake.set_file(REPO, RULES_PATH, PROBE_FEAT)
    pr = open_pr(fake, 1)
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    assert probe_state(fake, pr) == "failure"
    fake.clear_requests()

    response = await bot.deliver_and_settle("push", push(fake, REPO, {RULES_PATH: PROBE_FIX}, branch="feature"))
    assert response.status == 202
    assert fake.requests == []  # a push costs nothing but its delivery row
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1, "synchronize"))
    assert rules_reads(fake) == [] and probe_state(fake, pr) == "failure"


async def test_a_push_touching_other_files_costs_nothing_and_is_not_a_pr_event(fake, bot):
    fake.add_repo(REPO)
    fake.set_file(REPO, RULES_PATH, PROBE_FEAT)
    open_pr(fake, 1)
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    fake.clear_requests()
    await bot.deliver_and_settle("push", push(fake, REPO, {"README.md": "hello\n"}), delivery_id="push-1")
    assert fake.requests == []
    assert (await bot.delivery("push-1"))["state"] == "done"


async def test_an_org_level_change_reaches_every_repository_of_the_org(fake, bot):
    fake.add_repo("acme/.github")
    fake.set_file("acme/.github", RULES_PATH, PROBE_FEAT)
    prs = {}
    for name in ("acme/widgets", "acme/gadgets"):
        fake.add_repo(name)
        prs[name] = open_pr(fake, 1, name)
        await bot.deliver_and_settle("pull_request", pull_request_event(fake, name, 1))
        assert probe_state(fake, prs[name], name) == "failure"

    await bot.deliver_and_settle("push", push(fake, "acme/.github", {RULES_PATH: PROBE_FIX}))
    for name, pr in prs.items():
        await bot.deliver_and_settle("pull_request", pull_request_event(fake, name, 1, "edited"))
        assert probe_state(fake, pr, name) == "success", name


async def test_a_deleted_rules_file_stops_the_rules(fake, bot):
    fake.add_repo(REPO)
    fake.set_file(REPO, RULES_PATH, PROBE_FEAT)
    old_head = open_pr(fake, 1)["head"]["sha"]
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    await bot.deliver_and_settle("push", push(fake, REPO, {RULES_PATH: None}))
    fake.push(REPO, 1, head_sha="e" * 40)
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1, "synchronize"))
    assert fake.latest_status(REPO, "e" * 40, "governance/probe") is None
    assert fake.latest_status(REPO, old_head, "governance/probe")["state"] == "failure"  # the old head keeps it


async def test_the_other_replica_sees_the_change_too(fake, app_key, pg_url, tmp_path):
    """Replica A receives the push; replica B (its own memory, same PostgreSQL) reads the file again."""
    settings = make_settings(api_url=fake.url, private_key=app_key[0], db_path=tmp_path / "unused.db",
                             database_url=pg_url)
    a = BotHarness(settings)
    await a.start()
    b = build_state(settings, rules_with_probe())  # a second replica's engine; no workers, so the push can only reach A
    await b.store.create_schema()
    try:
        fake.add_repo(REPO)
        fake.set_file(REPO, RULES_PATH, PROBE_FEAT)
        pr = open_pr(fake, 1)
        await b.engine.process("b-1", "pull_request", pull_request_event(fake, REPO, 1))
        assert probe_state(fake, pr) == "failure"

        await a.deliver_and_settle("push", push(fake, REPO, {RULES_PATH: PROBE_FIX}))
        fake.clear_requests()
        await b.engine.process("b-2", "pull_request", pull_request_event(fake, REPO, 1, "edited"))
        assert probe_state(fake, pr) == "success"
        assert [r.status for r in rules_reads(fake)] == [200]  # read again once, the org's absence still known
    finally:
        await a.close()
        await b.github.close()
        await b.store.close()


def _payload(**overrides) -> dict:
    payload = {"ref": "refs/heads/main", "repository": {"full_name": REPO, "default_branch": "main"},
               "commits": [{"added": [], "modified": ["README.md"], "removed": []}]}
    payload.update(overrides)
    return payload


@pytest.mark.parametrize("overrides, touches", [
    ({}, False),
    ({"commits": [{"added": [], "modified": [], "removed": [RULES_PATH]}]}, True),
    ({"commits": [{"added": [RULES_PATH], "modified": [], "removed": []}]}, True),
    ({"ref": "refs/heads/feature", "commits": [{"added": [], "modified": [RULES_PATH], "removed": []}]}, False),
    ({"ref": "refs/tags/main"}, False),
    ({"forced": True}, True),  # a force push can drop a commit that changed the file without listing it
    ({"created": True}, True),
    ({"deleted": True, "forced": True}, False),
    ({"commits": [{"modified": []}] * 2048}, True),  # GitHub lists at most 2048 commits
    ({"commits": None}, True),
    ({"commits": [{"modified": ["docs/.github/governance.yml"]}]}, False),
    ({"repository": {"full_name": REPO}}, False),  # no default branch named: not a default-branch push
])
def test_which_pushes_touch_the_rules_file(overrides, touches):
    from bot.rules_memory import push_touches_rules_file

    assert push_touches_rules_file(_payload(**overrides)) is touches
