"""The missed-delivery sweep end to end (SPEC §2): GitHub's delivery log in the fake
(tests/fake_ext_deliveries.py), the bot asking for redeliveries, GitHub sending them to the bot."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from bot import cli, metrics
from tests.fake_ext_cla import sha
from tests.fake_ext_deliveries import LIST, DeliveryLog
from tests.harness import BotHarness, make_settings
from tests.payloads import pull_request_event

pytest_plugins = ["tests.pg"]

REPO = "acme/widgets"
RULES_FILE = "probe:\n  title_prefix: feat\n"


def populate(fake, count: int) -> list[dict]:
    fake.add_repo(REPO)
    fake.set_file(REPO, ".github/governance.yml", RULES_FILE)
    fake.add_user("dana")
    return [fake.add_pull_request(REPO, n, author="dana", title="fix: a thing", head_sha=sha(f"pr{n}"))
            for n in range(1, count + 1)]


def harness(fake, app_key, tmp_path, **overrides) -> BotHarness:
    overrides.setdefault("database_url", f"sqlite:///{tmp_path / 'governance.db'}")
    return BotHarness(make_settings(api_url=fake.url, private_key=app_key[0], db_path=tmp_path / "unused.db",
                                    **overrides))


def webhook_url(*replicas: BotHarness):
    """The App's webhook URL: a load balancer in front of the replicas that are listening."""
    def url() -> str | None:
        listening = [bot for bot in replicas if bot.state.listening.is_set()]
        return listening[0].url.rstrip("/") + "/webhook" if listening else None
    return url


async def until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def list_requests(fake) -> list:
    return [r for r in fake.requests if r.path == LIST]


def counter(metric) -> float:
    return metric._value.get()


async def test_prs_opened_while_the_bot_was_down_get_their_statuses_without_a_new_event(fake, app_key, tmp_path):
    log = DeliveryLog(fake)
    prs = populate(fake, 20)
    for pr in prs:  # nobody listens: GitHub records 20 failed deliveries
        entry = await log.send("pull_request", pull_request_event(fake, REPO, pr["number"]))
        assert entry["status"] != "OK"
    asked_before = counter(metrics.sweep_redeliveries)

    bot = harness(fake, app_key, tmp_path, sweep_interval_seconds=3600)
    log.url = webhook_url(bot)
    await bot.start()
    try:
        await until(lambda: len(log.redeliveries_asked) == 20)
        await log.idle()
        await bot.settle()
        for pr in prs:
            assert fake.latest_status(REPO, pr["head"]["sha"], "governance/probe")["state"] == "failure"
        guids = {e["guid"] for e in log.entries if not e["redelivery"]}
        for guid in guids:
            attempts = log.attempts(guid)
            assert [a["redelivery"] for a in attempts] == [False, True] and attempts[1]["status"] == "OK"
            assert (await bot.delivery(guid))["state"] == "done"  # same GUID, through the normal path
        assert counter(metrics.sweep_redeliveries) - asked_before == 20
        assert "governance_sweep_seconds_count" in (await bot.get("/metrics"))[1]
    finally:
        await bot.close()


async def test_two_replicas_sweeping_redeliver_each_guid_once(fake, app_key, pg_url, tmp_path):
    log = DeliveryLog(fake)
    prs = populate(fake, 20)
    for pr in prs:
        await log.send("pull_request", pull_request_event(fake, REPO, pr["number"]))
    a = harness(fake, app_key, tmp_path, database_url=pg_url, sweep_interval_seconds=3600)
    b = harness(fake, app_key, tmp_path, database_url=pg_url, sweep_interval_seconds=3600)
    log.url = webhook_url(a, b)
    await asyncio.gather(a.start(), b.start())
    try:
        await until(lambda: len(log.redeliveries_asked) == 20)
        await log.idle()
        await a.settle()
        # Both sweep again at once, as when both restart: nothing is asked twice.
        reports = await asyncio.gather(a.state.sweeper.sweep(force=True), b.state.sweeper.sweep(force=True))
        assert all(r is None or r.requested == [] for r in reports)
        asked = Counter(log.redeliveries_asked)
        assert len(asked) == 20 and set(asked.values()) == {1}
        assert Counter(e["guid"] for e in log.entries if e["redelivery"]).most_common(1)[0][1] == 1
        for pr in prs:
            assert fake.latest_status(REPO, pr["head"]["sha"], "governance/probe") is not None, pr["number"]

        # A network blip: GitHub cannot reach either replica, redeliveries included. Sweeping on both
        # replicas, at once and again, asks for each GUID once.
        log.url = lambda: None
        blip = [await log.send("pull_request", pull_request_event(fake, REPO, n, "edited")) for n in (1, 2, 3)]
        for _ in range(2):
            await asyncio.gather(a.state.sweeper.sweep(force=True), b.state.sweeper.sweep(force=True))
            await log.idle()
        asked = Counter(log.redeliveries_asked)
        assert len(asked) == 23 and set(asked.values()) == {1}
        assert all(log.attempts(e["guid"])[-1]["status"] != "OK" for e in blip)  # failed again: not asked again
    finally:
        await asyncio.gather(a.close(), b.close())


async def test_a_routine_sweep_reads_one_page_and_the_first_one_pages_by_cursor(fake, app_key, tmp_path):
    log = DeliveryLog(fake)
    populate(fake, 1)
    payload = pull_request_event(fake, REPO, 1, "synchronize")
    now = time.time()
    for k in range(250):  # delivered fine over the past two days
        log.record("pull_request", payload, at=now - 7200 - k * 600, status_code=202)
    bot = harness(fake, app_key, tmp_path)
    await bot.start()
    try:
        first = await bot.state.sweeper.sweep(force=True)
        assert first.looked_at == 250 and first.missing == []
        assert len(list_requests(fake)) == first.log_requests == 3  # 100 a page, the cursor from the Link header
        assert all("cursor" in r.query for r in list_requests(fake)[1:])

        for _ in range(5):  # what arrived since
            log.record("pull_request", payload, status_code=202)
        fake.clear_requests()
        routine = await bot.state.sweeper.sweep(force=True)
        assert routine.missing == [] and routine.looked_at == 5
        assert len(fake.requests) == routine.log_requests == 1
    finally:
        await bot.close()


async def test_only_what_failed_within_72_hours_and_is_not_held_is_redelivered(fake, app_key, tmp_path):
    log = DeliveryLog(fake)
    populate(fake, 4)
    now = time.time()
    too_old = log.record("pull_request", pull_request_event(fake, REPO, 1), at=now - 73 * 3600)
    in_window = log.record("pull_request", pull_request_event(fake, REPO, 2), at=now - 71 * 3600)
    held = log.record("pull_request", pull_request_event(fake, REPO, 3), status_code=0)  # GitHub timed out, we stored it
    retried = log.record("pull_request", pull_request_event(fake, REPO, 4), at=now - 60)
    log.record("pull_request", retried["payload"], guid=retried["guid"], status_code=202, redelivery=True)
    bot = harness(fake, app_key, tmp_path)
    log.url = webhook_url(bot)
    await bot.start()
    try:
        await bot.deliver_and_settle("pull_request", held["payload"], delivery_id=held["guid"])
        report = await bot.state.sweeper.sweep(force=True)
        assert [m.guid for m in report.requested] == [in_window["guid"]]
        assert log.redeliveries_asked == [in_window["id"]]
        assert too_old["guid"] not in {m.guid for m in report.missing}
        await log.idle()
        await bot.settle()
        assert (await bot.delivery(in_window["guid"]))["state"] == "done"
    finally:
        await bot.close()


async def test_a_github_5xx_fails_the_sweep_the_server_keeps_serving_and_the_next_interval_recovers(
        fake, app_key, tmp_path):
    log = DeliveryLog(fake)
    prs = populate(fake, 3)
    for pr in prs:
        await log.send("pull_request", pull_request_event(fake, REPO, pr["number"]))
    fake.fail("GET", LIST, status=502, times=1000)
    failed_before = counter(metrics.sweeps.labels("failed"))
    bot = harness(fake, app_key, tmp_path, sweep_interval_seconds=1)
    log.url = webhook_url(bot)
    await bot.start()
    try:
        await until(lambda: counter(metrics.sweeps.labels("failed")) > failed_before)
        assert log.redeliveries_asked == []
        fake.add_pull_request(REPO, 9, author="dana", title="fix: meanwhile", head_sha=sha("pr9"))
        response = await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 9))
        assert response.status == 202
        assert fake.latest_status(REPO, sha("pr9"), "governance/probe")["state"] == "failure"

        fake.fail("GET", LIST, times=0)  # GitHub is back
        await until(lambda: len(log.redeliveries_asked) == 3)
        await log.idle()
        await bot.settle()
        for pr in prs:
            assert fake.latest_status(REPO, pr["head"]["sha"], "governance/probe")["state"] == "failure"
    finally:
        await bot.close()


async def test_a_redelivery_github_could_not_take_is_asked_again_next_time(fake, app_key, tmp_path):
    log = DeliveryLog(fake)
    populate(fake, 1)
    missed = await log.send("pull_request", pull_request_event(fake, REPO, 1))
    bot = harness(fake, app_key, tmp_path)
    log.url = webhook_url(bot)
    await bot.start()
    try:
        fake.fail("POST", r"/app/hook/deliveries/\d+/attempts", status=503, times=1000)
        with pytest.raises(Exception):
            await bot.state.sweeper.sweep(force=True)
        fake.fail("POST", r"/app/hook/deliveries/\d+/attempts", times=0)
        report = await bot.state.sweeper.sweep(force=True)
        assert [m.guid for m in report.requested] == [missed["guid"]]
        assert log.redeliveries_asked == [missed["id"]]
    finally:
        await bot.close()


async def test_deliveries_sweep_prints_what_it_asked_for(fake, app_key, tmp_path, monkeypatch, capsys):
    log = DeliveryLog(fake)
    populate(fake, 2)
    first = await log.send("pull_request", pull_request_event(fake, REPO, 1))
    log.record("pull_request", pull_request_event(fake, REPO, 2), at=time.time() - 5 * 3600)  # outside --since 2
    bot = harness(fake, app_key, tmp_path)
    log.url = webhook_url(bot)
    await bot.start()
    try:
        monkeypatch.chdir(tmp_path)
        for name, value in dict(GITHUB_APP_ID="12345", GITHUB_PRIVATE_KEY=app_key[0], GITHUB_API_URL=fake.url,
                                DATABASE_URL=bot.settings.database_url).items():
            monkeypatch.setenv(name, value)
        assert await asyncio.to_thread(cli.main, ["deliveries", "sweep", "--since", "2"]) == 0
        out = capsys.readouterr().out
        assert f"redelivery asked: {first['guid']} pull_request.opened" in out
        assert "1 never delivered, 1 redeliveries asked" in out
        assert log.redeliveries_asked == [first["id"]]

        await log.idle()  # the first one has arrived now: no longer missing
        assert await asyncio.to_thread(cli.main, ["deliveries", "sweep"]) == 0  # the rest of the window
        out = capsys.readouterr().out
        assert "3 logged attempts read (1 requests), 1 never delivered, 1 redeliveries asked\n" in out
        assert len(log.redeliveries_asked) == 2
    finally:
        await bot.close()


async def test_sweep_interval_zero_never_reads_the_log(fake, app_key, tmp_path):
    log = DeliveryLog(fake)
    populate(fake, 1)
    await log.send("pull_request", pull_request_event(fake, REPO, 1))
    bot = harness(fake, app_key, tmp_path, sweep_interval_seconds=0)
    log.url = webhook_url(bot)
    await bot.start()
    try:
        await bot.deliver_and_settle("ping", {"zen": "Keep it logically awesome."})
        await asyncio.sleep(0.5)
        assert list_requests(fake) == [] and log.redeliveries_asked == []
    finally:
        await bot.close()


def test_a_negative_sweep_interval_is_refused_naming_the_variable(monkeypatch):
    from bot.settings import SettingsError, load_settings

    monkeypatch.setenv("SWEEP_INTERVAL_SECONDS", "-5")
    with pytest.raises(SettingsError, match="SWEEP_INTERVAL_SECONDS"):
        load_settings(_env_file=None)


async def test_what_was_asked_before_the_window_is_forgotten(fake, app_key, tmp_path):
    from sqlalchemy import select

    from bot.sweep import redelivery_requests

    DeliveryLog(fake)
    bot = harness(fake, app_key, tmp_path)
    await bot.start()
    try:
        now = time.time()
        async with bot.state.store.transaction() as conn:
            for guid, asked_at in (("old", now - 100 * 3600), ("recent", now - 70 * 3600)):
                await conn.execute(redelivery_requests.insert().values(guid=guid, delivery_id=1, requested_at=asked_at))
        await bot.state.sweeper.sweep(force=True)
        async with bot.state.store.engine.connect() as conn:
            assert list((await conn.execute(select(redelivery_requests.c.guid))).scalars()) == ["recent"]
    finally:
        await bot.close()
