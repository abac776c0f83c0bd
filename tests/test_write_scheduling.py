"""Write scheduling end to end (SPEC §2): GitHub's per-installation content limits are never
exceeded, and an installation whose window is full never holds a worker another could use.

The fake GitHub enforces the documented secondary limits (tests/fake_ext_secondary_limits.py)
on the bot's own clock, which these tests move forward instead of waiting minutes.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.store import deliveries
from tests.fake_ext_secondary_limits import SecondaryLimits
from tests.harness import BotHarness, ShiftedClock, make_settings
from tests.payloads import pull_request_event

pytest_plugins = ["tests.pg"]

RULES_FILE = "probe:\n  title_prefix: feat\n"  # every PR fails the test-only probe rule: 2 statuses, a label, the report


@pytest.fixture
def clock() -> ShiftedClock:
    return ShiftedClock()


def add_installation(fake, installation: int, prs: int) -> str:
    fake.add_user("dana")
    repo = f"org{installation}/widgets"
    fake.add_repo(repo, installation_id=installation)
    fake.set_file(repo, ".github/governance.yml", RULES_FILE)
    for number in range(1, prs + 1):
        fake.add_pull_request(repo, number, author="dana", title="fix: a thing", head_sha=f"{installation:020x}{number:020x}")
    return repo


def event(fake, repo: str, installation: int, number: int) -> dict:
    payload = pull_request_event(fake, repo, number)
    payload["installation"]["id"] = installation
    return payload


def has_statuses(fake, repo: str, number: int) -> bool:
    sha = fake.pull_request(repo, number)["head"]["sha"]
    return all(fake.latest_status(repo, sha, c) for c in ("governance/config", "governance/probe"))


async def started(fake, app_key, tmp_path, clock, **settings) -> BotHarness:
    harness = BotHarness(make_settings(api_url=fake.url, private_key=app_key[0], db_path=tmp_path / "w.db",
                                       **settings), clock=clock)
    await harness.start()
    return harness


async def rows(bot: BotHarness) -> dict[str, dict]:
    async with bot.state.store.engine.connect() as conn:
        return {r.id: dict(r._mapping) for r in (await conn.execute(select(deliveries))).all()}


async def test_one_installation_never_exceeds_its_window_under_concurrent_deliveries(fake, app_key, tmp_path, clock):
    limits = SecondaryLimits(per_minute=7, per_hour=20, write_latency=0.01, clock=clock).install(fake)
    repo = add_installation(fake, 1, prs=8)  # 8 PRs x 4 writes (+1 label creation): past the hour's 20 too
    bot = await started(fake, app_key, tmp_path, clock, writes_per_minute=7, writes_per_hour=20, workers=12)
    try:
        await asyncio.gather(*(bot.deliver("pull_request", event(fake, repo, 1, n), delivery_id=f"pr{n}")
                               for n in range(1, 9)))
        skipped = await bot.settle_advancing(clock, timeout=60)
        log = limits.writes(1)
        # Deliveries running together may each create the missing label (the later ones get a 422): GitHub
        # counts those too. Apart from that, exactly 2 statuses, a label and the report per PR.
        creations = [r for r in log if r.method == "POST" and r.path == f"/repos/{repo}/labels"]
        assert 1 <= len(creations) <= 3 and len(log) - len(creations) == 32
        assert not any(r.refused for r in log)  # GitHub never had to refuse one
        assert not any(r.overlapped for r in log)  # one write at a time
        assert limits.most_in_any(60, 1) == 7  # the minute is used to the full, never beyond
        assert limits.most_in_any(3600, 1) == 20  # and so is the hour
        assert skipped > 3600  # the last 13 writes waited for the hour window
        assert all(has_statuses(fake, repo, n) for n in range(1, 9))
        done = await rows(bot)
        assert {r["state"] for r in done.values()} == {"done"}
        assert all(r["attempts"] == 1 for r in done.values())  # waiting for the window is not a failed attempt
    finally:
        await bot.close()


async def test_an_installation_with_room_is_processed_while_twenty_wait_for_their_windows(
        fake, app_key, tmp_path, clock):
    limits = SecondaryLimits(per_minute=4, clock=clock).install(fake)
    waiting = [add_installation(fake, i, prs=1) for i in range(1, 21)]
    roomy = add_installation(fake, 99, prs=1)
    fake.add_label(roomy, "probed")  # so its PR needs 4 writes, as many as its window holds
    bot = await started(fake, app_key, tmp_path, clock, writes_per_minute=4, workers=4)
    try:
        for i, repo in enumerate(waiting, start=1):  # each needs 5 writes (the label is created): one too many
            await bot.deliver("pull_request", event(fake, repo, i, 1), delivery_id=f"full-{i}")
        for _ in range(500):
            state = await rows(bot)
            if len(state) == 20 and all(r["state"] == "queued" and r["available_at"] > clock() for r in state.values()):
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the 20 installations did not fill their windows")
        writes_before = len(limits.log)
        await bot.deliver("pull_request", event(fake, roomy, 99, 1), delivery_id="roomy")
        for _ in range(250):  # real time only: the clock does not move, so no window frees meanwhile
            if (await bot.delivery("roomy"))["state"] == "done":
                break
            await asyncio.sleep(0.02)
        assert (await bot.delivery("roomy"))["state"] == "done" and has_statuses(fake, roomy, 1)
        assert {w.installation for w in limits.log[writes_before:]} == {99}  # nobody else wrote meanwhile
        state = await rows(bot)
        assert all(state[f"full-{i}"]["state"] == "queued" for i in range(1, 21))
        await bot.settle_advancing(clock)
        assert all(has_statuses(fake, repo, 1) for repo in waiting)
        assert not any(w.refused for w in limits.log)
    finally:
        await bot.close()


async def test_a_delivery_that_meets_a_full_window_is_handed_back_and_completed_once(fake, app_key, tmp_path, clock):
    limits = SecondaryLimits(per_minute=2, clock=clock).install(fake)
    repo = add_installation(fake, 5, prs=1)
    bot = await started(fake, app_key, tmp_path, clock, writes_per_minute=2)
    try:
        await bot.deliver("pull_request", event(fake, repo, 5, 1), delivery_id="d1")
        for _ in range(250):
            row = await bot.delivery("d1")
            if row["state"] == "queued" and row["available_at"] > clock():
                break
            await asyncio.sleep(0.02)
        assert row["state"] == "queued" and row["attempts"] == 0 and "write window full" in row["last_error"]
        assert len(limits.log) == 2  # two writes went out; the worker did not sleep on the rest
        assert bot.state.pool._active == 0
        await bot.settle_advancing(clock)
        row = await bot.delivery("d1")
        assert row["state"] == "done" and row["attempts"] == 1
        sha = fake.pull_request(repo, 1)["head"]["sha"]
        assert [s["context"] for s in fake.statuses(repo, sha)].count("governance/probe") == 1
        assert [s["context"] for s in fake.statuses(repo, sha)].count("governance/config") == 1
        assert len([c for c in fake.comments(repo, 1) if "governance-bot:report" in c["body"]]) == 1
        assert fake.issue_labels(repo, 1) == ["probed"]
        assert len(limits.log) == 5 and not any(w.refused for w in limits.log)
    finally:
        await bot.close()


async def test_a_secondary_limit_answer_pauses_only_its_installation(fake, app_key, tmp_path, clock):
    """GitHub's limits are tighter than the bot was told: it refuses, and only that installation waits."""
    limits = SecondaryLimits(per_minute=4, retry_after=120, clock=clock).install(fake)
    limited = add_installation(fake, 1, prs=1)  # needs 5 writes: GitHub refuses the fifth
    other = add_installation(fake, 2, prs=1)
    fake.add_label(other, "probed")  # needs 4: within GitHub's limit
    bot = await started(fake, app_key, tmp_path, clock, writes_per_minute=80)
    try:
        await bot.deliver("pull_request", event(fake, limited, 1, 1), delivery_id="limited")
        for _ in range(250):
            if any(w.refused for w in limits.log):
                break
            await asyncio.sleep(0.02)
        await bot.deliver("pull_request", event(fake, other, 2, 1), delivery_id="other")
        for _ in range(250):
            if (await bot.delivery("other"))["state"] == "done":
                break
            await asyncio.sleep(0.02)
        assert (await bot.delivery("other"))["state"] == "done"
        limited_row = await bot.delivery("limited")
        assert limited_row["state"] == "queued" and limited_row["available_at"] >= clock() + 100
        assert [w.refused for w in limits.writes(1)] == [False] * 4 + [True]  # one refusal, then it waited
        await bot.settle_advancing(clock)
        assert has_statuses(fake, limited, 1)
        assert sum(w.refused for w in limits.writes(1)) == 1
    finally:
        await bot.close()


async def test_the_window_survives_a_move_between_replicas(fake, app_key, tmp_path, clock, pg_url):
    limits = SecondaryLimits(per_minute=5, clock=clock).install(fake)
    repo = add_installation(fake, 3, prs=2)
    settings = dict(database_url=pg_url, writes_per_minute=5)
    first = await started(fake, app_key, tmp_path, clock, **settings)
    try:
        await first.deliver_and_settle("pull_request", event(fake, repo, 3, 1))  # 5 writes: the minute is spent
    finally:
        await first.close()
    assert len(limits.log) == 5
    second = await started(fake, app_key, tmp_path, clock, **settings)  # another replica takes over
    try:
        await second.deliver("pull_request", event(fake, repo, 3, 2), delivery_id="moved")
        await asyncio.sleep(0.5)
        assert len(limits.log) == 5  # a fresh window would have written at once
        skipped = await second.settle_advancing(clock)
        assert skipped > 55 and has_statuses(fake, repo, 2)
        assert limits.most_in_any(60, 3) == 5 and not any(w.refused for w in limits.log)
    finally:
        await second.close()


async def wait_for(predicate, what: str, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if await predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting until {what}")


async def test_a_delivery_waiting_for_its_installations_write_holds_no_worker(fake, app_key, tmp_path, clock):
    """GitHub takes an installation's writes one at a time: a delivery waiting for its answer is in its
    installation's lane, not in a worker. With one worker, another installation's PR is done meanwhile."""
    gate = asyncio.Event()
    limits = SecondaryLimits(clock=clock, gates={1: gate}).install(fake)
    held, other = add_installation(fake, 1, prs=1), add_installation(fake, 2, prs=1)
    bot = await started(fake, app_key, tmp_path, clock, workers=1)
    try:
        await bot.deliver("pull_request", event(fake, held, 1, 1), delivery_id="held")

        async def write_in_flight() -> bool:
            return any(w.installation == 1 for w in limits.log)

        await wait_for(write_in_flight, "installation 1's first write is in flight")
        await bot.deliver("pull_request", event(fake, other, 2, 1), delivery_id="other")

        async def other_done() -> bool:
            return (await bot.delivery("other"))["state"] == "done"

        await wait_for(other_done, "installation 2's delivery is done")
        assert has_statuses(fake, other, 1)
        assert (await bot.delivery("held"))["state"] == "processing" and not has_statuses(fake, held, 1)
        assert len(limits.writes(1)) == 1  # still the one write GitHub has not answered
        gate.set()
        await bot.settle()
        assert has_statuses(fake, held, 1)
        state = await rows(bot)
        assert {r["state"] for r in state.values()} == {"done"} and all(r["attempts"] == 1 for r in state.values())
        assert not any(w.overlapped for w in limits.log)  # the lane still sends one write at a time
        assert len([w for w in limits.writes(1) if "/statuses/" in w.path]) == 2  # processed once
        assert bot.state.pool._active == 0
    finally:
        gate.set()
        await bot.close()


async def test_shutdown_hands_back_a_delivery_still_waiting_for_its_writes(fake, app_key, tmp_path, clock):
    gate = asyncio.Event()
    limits = SecondaryLimits(clock=clock, gates={1: gate}).install(fake)
    held = add_installation(fake, 1, prs=1)
    bot = await started(fake, app_key, tmp_path, clock, workers=1, shutdown_grace_seconds=0.3)
    try:
        await bot.deliver("pull_request", event(fake, held, 1, 1), delivery_id="held")

        async def write_in_flight() -> bool:
            return any(w.installation == 1 for w in limits.log)

        await wait_for(write_in_flight, "installation 1's first write is in flight")
        await bot.state.pool.stop()  # the grace passes with the write unanswered
        row = await bot.delivery("held")
        assert row["state"] == "queued" and row["attempts"] == 0 and row["lease_owner"] is None
        assert bot.state.pool._active == 0
    finally:
        gate.set()
        await bot.close()
