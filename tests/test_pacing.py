"""An installation's write pacing follows it from replica to replica (bot/pacing.py)."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import func, select

from bot.github import WritePacer
from bot.pacing import hand_on, installation_pacing, take_up
from bot.store import Store

pytest_plugins = ["tests.pg"]

INSTALLATION = 42


@pytest.fixture
def replicas(pg_two_replicas) -> tuple[Store, Store]:
    return pg_two_replicas


async def spend(pacer: WritePacer, writes: int) -> None:
    for _ in range(writes):
        await pacer.acquire()
        pacer.release()


async def test_a_burst_spent_on_one_replica_is_not_granted_again_on_the_next(replicas):
    store_a, store_b = replicas
    # A slow refill (6 a minute), so a stalled test machine cannot refill the bucket meanwhile.
    on_a, on_b = WritePacer(per_minute=6, burst=20), WritePacer(per_minute=6, burst=20)
    await take_up(store_a, INSTALLATION, on_a)
    await spend(on_a, 20)
    await hand_on(store_a, INSTALLATION, on_a)
    await take_up(store_b, INSTALLATION, on_b)  # the installation moved to replica B
    assert on_b.tokens < 2  # a fresh bucket would hold 20
    await hand_on(store_b, INSTALLATION, on_b)


async def test_a_secondary_limit_pause_travels_with_the_installation(replicas):
    store_a, store_b = replicas
    on_a, on_b = WritePacer(), WritePacer()
    await take_up(store_a, INSTALLATION, on_a)
    on_a.pause(120)  # GitHub answered with a secondary rate limit
    await hand_on(store_a, INSTALLATION, on_a)
    await take_up(store_b, INSTALLATION, on_b)
    assert 110 < on_b.resume_at - time.monotonic() <= 120
    await hand_on(store_b, INSTALLATION, on_b)


async def test_a_replica_already_working_for_the_installation_keeps_its_own_bucket(replicas):
    store_a, store_b = replicas
    on_a, on_b = WritePacer(), WritePacer()
    await take_up(store_b, INSTALLATION, on_b)  # B holds a delivery of the installation
    await take_up(store_a, INSTALLATION, on_a)
    await spend(on_a, 20)
    await hand_on(store_a, INSTALLATION, on_a)
    await take_up(store_b, INSTALLATION, on_b)  # a second delivery on B: B's bucket is current
    assert on_b.tokens == 20 and on_b.holders == 2
    await hand_on(store_b, INSTALLATION, on_b)
    await hand_on(store_b, INSTALLATION, on_b)
    assert on_b.holders == 0


async def test_sqlite_and_dry_runs_keep_nothing(replicas, tmp_path):
    store_a, _ = replicas
    pacer = WritePacer()
    await take_up(store_a, INSTALLATION, pacer, save=False)
    await spend(pacer, 5)
    await hand_on(store_a, INSTALLATION, pacer, save=False)
    sqlite = Store(f"sqlite:///{tmp_path / 'one.db'}")
    await sqlite.create_schema()
    try:
        await take_up(sqlite, INSTALLATION, pacer)
        await hand_on(sqlite, INSTALLATION, pacer)
        for store in (store_a, sqlite):
            async with store.engine.connect() as conn:
                assert await conn.scalar(select(func.count()).select_from(installation_pacing)) == 0
    finally:
        await sqlite.close()


def test_a_snapshot_restores_across_processes_clocks():
    saved = WritePacer(per_minute=60, burst=10)
    saved.pause(30)
    saved.tokens, saved.updated = 3.0, time.monotonic() - 2.0  # as of 2 s ago
    restored = WritePacer(per_minute=60, burst=10)
    restored.restore(*saved.snapshot())
    assert restored.tokens == 3.0
    assert abs((time.monotonic() - restored.updated) - 2.0) < 0.1
    assert abs((restored.resume_at - time.monotonic()) - 30) < 0.1


async def test_a_second_delivery_waits_for_the_first_ones_read_before_spending(replicas, monkeypatch):
    import types

    import bot.pacing as pacing

    store_a, _ = replicas
    read_done = asyncio.Event()

    async def slow_saved(store, installation_id):
        await read_done.wait()
        return types.SimpleNamespace(tokens=2.0, as_of=time.time(), resume_at=0.0)

    monkeypatch.setattr(pacing, "_saved", slow_saved)
    pacer = WritePacer(per_minute=60, burst=20)
    first = asyncio.create_task(take_up(store_a, INSTALLATION, pacer))
    await asyncio.sleep(0)
    second = asyncio.create_task(take_up(store_a, INSTALLATION, pacer))
    await asyncio.sleep(0.05)
    assert not second.done()  # it would otherwise spend from a bucket about to be replaced
    read_done.set()
    await asyncio.gather(first, second)
    assert 1.9 < pacer.tokens < 2.5 and pacer.holders == 2


async def test_an_older_save_never_replaces_a_newer_one(replicas):
    store_a, store_b = replicas
    older, newer = WritePacer(), WritePacer()
    older.updated -= 60  # its state dates from a minute ago
    newer.tokens = 1.0
    await take_up(store_a, INSTALLATION, newer)
    await hand_on(store_a, INSTALLATION, newer)
    await take_up(store_b, INSTALLATION, older, save=False)
    older.holders = 1
    await hand_on(store_b, INSTALLATION, older)  # committed last, but older
    async with store_a.engine.connect() as conn:
        saved = (await conn.execute(select(installation_pacing.c.tokens))).scalar_one()
    assert saved == 1.0
