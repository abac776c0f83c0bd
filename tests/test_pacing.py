"""An installation's write window follows it from replica to replica (bot/pacing.py)."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import func, select

from bot.pacing import hand_on, take_up
from bot.store import Store, installation_writes
from bot.writewindow import WindowFull, WriteWindow

pytest_plugins = ["tests.pg"]

INSTALLATION = 42


@pytest.fixture
def replicas(pg_two_replicas) -> tuple[Store, Store]:
    return pg_two_replicas


async def spend(window: WriteWindow, writes: int) -> None:
    for _ in range(writes):
        await window.acquire()
        window.release()


async def test_a_minute_spent_on_one_replica_is_not_granted_again_on_the_next(replicas):
    store_a, store_b = replicas
    on_a, on_b = WriteWindow(per_minute=20), WriteWindow(per_minute=20)
    await take_up(store_a, INSTALLATION, on_a)
    await spend(on_a, 20)
    await hand_on(store_a, INSTALLATION, on_a)
    await take_up(store_b, INSTALLATION, on_b)  # the installation moved to replica B
    assert len(on_b.stamps) == 20 and on_b.ready_at() - time.time() > 50  # a fresh window would allow 20 now
    with pytest.raises(WindowFull):
        await on_b.acquire()
    await hand_on(store_b, INSTALLATION, on_b)


async def test_a_secondary_limit_pause_travels_with_the_installation(replicas):
    store_a, store_b = replicas
    on_a, on_b = WriteWindow(), WriteWindow()
    await take_up(store_a, INSTALLATION, on_a)
    on_a.pause(120)  # GitHub answered with a secondary rate limit
    await hand_on(store_a, INSTALLATION, on_a)
    await take_up(store_b, INSTALLATION, on_b)
    assert 110 < on_b.resume_at - time.time() <= 120
    await hand_on(store_b, INSTALLATION, on_b)


async def test_claims_learn_when_a_full_window_frees(replicas):
    store_a, _ = replicas
    window = WriteWindow(per_minute=3)
    await take_up(store_a, INSTALLATION, window)
    await spend(window, 3)
    await hand_on(store_a, INSTALLATION, window)
    async with store_a.engine.connect() as conn:
        ready_at = await conn.scalar(select(installation_writes.c.ready_at))
    assert ready_at == window.stamps[0] + 60


async def test_a_replica_already_working_for_the_installation_keeps_its_own_window(replicas):
    store_a, store_b = replicas
    on_a, on_b = WriteWindow(), WriteWindow()
    await take_up(store_b, INSTALLATION, on_b)  # B holds a delivery of the installation
    await take_up(store_a, INSTALLATION, on_a)
    await spend(on_a, 20)
    await hand_on(store_a, INSTALLATION, on_a)
    await take_up(store_b, INSTALLATION, on_b)  # a second delivery on B: B's window is current
    assert len(on_b.stamps) == 0 and on_b.holders == 2
    await hand_on(store_b, INSTALLATION, on_b)
    await hand_on(store_b, INSTALLATION, on_b)
    assert on_b.holders == 0


async def test_sqlite_keeps_only_when_a_full_window_frees_and_dry_runs_nothing(replicas, tmp_path):
    store_a, _ = replicas
    window = WriteWindow(per_minute=5)
    await take_up(store_a, INSTALLATION, window, save=False)
    await spend(window, 5)
    await hand_on(store_a, INSTALLATION, window, save=False)
    async with store_a.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(installation_writes)) == 0
    sqlite = Store(f"sqlite:///{tmp_path / 'one.db'}")
    await sqlite.create_schema()
    try:
        roomy = WriteWindow(per_minute=6)
        await take_up(sqlite, INSTALLATION + 1, roomy)
        await spend(roomy, 5)
        await hand_on(sqlite, INSTALLATION + 1, roomy)  # room left: nothing to tell the claims
        await take_up(sqlite, INSTALLATION, window)
        await hand_on(sqlite, INSTALLATION, window)  # full: claims must skip it until it frees
        async with sqlite.engine.connect() as conn:
            rows = (await conn.execute(select(installation_writes))).all()
        assert [(r.installation_id, r.ready_at, r.stamps) for r in rows] == [
            (INSTALLATION, window.stamps[0] + 60, None)]
    finally:
        await sqlite.close()


async def test_a_second_delivery_waits_for_the_first_ones_read_before_writing(replicas, monkeypatch):
    import types

    import bot.pacing as pacing

    store_a, _ = replicas
    read_done = asyncio.Event()
    earlier = WriteWindow(per_minute=2)
    await spend(earlier, 2)

    async def slow_saved(store, installation_id):
        await read_done.wait()
        return types.SimpleNamespace(stamps=earlier.pack(), as_of=time.time(), resume_at=0.0)

    monkeypatch.setattr(pacing, "_saved", slow_saved)
    window = WriteWindow(per_minute=2)
    first = asyncio.create_task(take_up(store_a, INSTALLATION, window))
    await asyncio.sleep(0)
    second = asyncio.create_task(take_up(store_a, INSTALLATION, window))
    await asyncio.sleep(0.05)
    assert not second.done()  # it would otherwise write into a window about to be filled
    read_done.set()
    await asyncio.gather(first, second)
    assert len(window.stamps) == 2 and window.holders == 2
    with pytest.raises(WindowFull):
        await window.acquire()


async def test_an_older_save_never_replaces_a_newer_one(replicas):
    store_a, store_b = replicas
    older, newer = WriteWindow(), WriteWindow()
    await spend(newer, 1)
    await take_up(store_a, INSTALLATION, newer)
    await hand_on(store_a, INSTALLATION, newer)
    await take_up(store_b, INSTALLATION, older, save=False)
    older.holders, older.touched, older.as_of = 1, True, newer.as_of - 60  # its state dates from a minute ago
    await hand_on(store_b, INSTALLATION, older)  # committed last, but older
    async with store_a.engine.connect() as conn:
        saved = (await conn.execute(select(installation_writes.c.stamps))).scalar_one()
    assert saved == newer.pack()
