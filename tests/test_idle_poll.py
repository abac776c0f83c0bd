"""Idle workers look for work no notice announced (a window reopening, a retry's time coming) in
turns: one claim every `idle_poll` for the pool, not one per worker; a poll that finds work wakes
the others, since there may be more of it."""

from __future__ import annotations

import asyncio

from bot.queue import Delivery, DeliveryQueue, _row
from bot.store import Store, deliveries
from bot.workers import WorkerPool
from tests.harness import AllAtOnce

WITHIN = 10.0


class ManualClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def payload(installation: int) -> dict:
    return {"action": "opened", "installation": {"id": installation}, "repository": {"full_name": f"o{installation}/r"},
            "pull_request": {"number": 1}}


async def test_idle_workers_take_turns_to_poll(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'q.db'}")
    await store.create_schema()
    queue = DeliveryQueue(store)
    claims = 0
    claim = queue.claim

    async def counted():
        nonlocal claims
        claims += 1
        return await claim()

    queue.claim = counted

    async def process(delivery: Delivery) -> None:
        raise AssertionError("nothing to process")

    pool = WorkerPool(queue, process, workers=8, idle_poll=0.1, shutdown_grace=1.0)
    pool.start()
    try:
        await asyncio.sleep(0.3)  # the first claims, one per worker, are over
        before = claims
        await asyncio.sleep(1.0)
        polls = claims - before
    finally:
        await pool.stop()
        await store.close()
    assert 3 <= polls <= 20, polls  # ~10 in turns; each worker on its own would have made ~80


async def test_work_that_comes_due_without_a_notice_is_taken_by_several_workers(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'q.db'}")
    await store.create_schema()
    clock = ManualClock(1_000_000.0)
    queue = DeliveryQueue(store, clock=clock)
    process = AllAtOnce(4)
    later = [_row(f"due-{n}", "pull_request", payload(n), now=clock.now) for n in range(4)]
    for row in later:
        row["available_at"] = clock.now + 60  # a retry's time, say: nobody will be notified when it comes
    async with store.transaction() as conn:
        await conn.execute(deliveries.insert(), later)
    pool = WorkerPool(queue, process, workers=4, idle_poll=0.1, shutdown_grace=1.0)
    pool.start()
    try:
        await asyncio.sleep(0.3)
        assert process.started == []
        clock.now += 61
        await asyncio.wait_for(process.all_started.wait(), WITHIN)
        assert sorted(process.started) == [f"due-{n}" for n in range(4)]
    finally:
        await pool.stop()
        await store.close()
