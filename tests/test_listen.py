"""Replicas wake each other through PostgreSQL's LISTEN/NOTIFY (bot/listen.py).

Each test gives replica B a worker pool whose idle poll is far longer than the test waits,
so B can only be on time if a notification from replica A woke it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from bot.queue import Delivery, DeliveryQueue
from bot.store import Store
from bot.workers import WorkerPool
from tests.harness import AllAtOnce

pytest_plugins = ["tests.pg"]

POLL = 60.0  # B's idle poll: never reached within a test
WITHIN = 10.0  # generous: a notification arrives in milliseconds; this only bounds a broken run


def payload(number: int, installation: int = 1) -> dict:
    return {"action": "opened", "repository": {"full_name": "acme/widgets"}, "pull_request": {"number": number},
            "installation": {"id": installation}}


@pytest.fixture
def stores(pg_two_replicas) -> tuple[Store, Store]:
    return pg_two_replicas


@pytest.fixture
async def replica_b(stores) -> AsyncIterator[tuple[WorkerPool, asyncio.Queue[str]]]:
    processed: asyncio.Queue[str] = asyncio.Queue()

    async def process(delivery: Delivery) -> None:
        await processed.put(delivery.id)

    pool = WorkerPool(DeliveryQueue(stores[1]), process, workers=2, idle_poll=POLL, shutdown_grace=2.0)
    pool.start()
    assert pool.listener is not None
    await asyncio.wait_for(pool.listener.listening.wait(), WITHIN)
    await asyncio.sleep(0.2)  # let B's workers make their first (empty) claims and go idle
    yield pool, processed
    await pool.stop()


async def test_a_delivery_stored_by_one_replica_wakes_the_others(stores, replica_b):
    _, processed = replica_b
    assert await DeliveryQueue(stores[0]).enqueue("via-a", "pull_request", payload(1))
    assert await asyncio.wait_for(processed.get(), WITHIN) == "via-a"


async def test_finishing_a_subject_wakes_the_replica_waiting_for_it(stores, replica_b):
    _, processed = replica_b
    a = DeliveryQueue(stores[0])
    await a.enqueue("first", "pull_request", payload(1))
    held = await a.claim()
    if held is None:  # B's workers were quicker: then B processed it, which is as good
        assert await asyncio.wait_for(processed.get(), WITHIN) == "first"
        return
    await a.enqueue("second", "pull_request", payload(1))  # same PR: waits for A to finish
    await asyncio.sleep(0.3)
    assert processed.empty()
    await a.complete(held.id)
    assert await asyncio.wait_for(processed.get(), WITHIN) == "second"


async def test_the_listener_comes_back_after_its_connection_is_killed(stores, replica_b):
    pool, processed = replica_b
    async with stores[0].engine.begin() as conn:
        killed = await conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pool.listener.server_pid})
    assert killed is True

    async def listening_again() -> None:
        while pool.listener.sessions < 2 or not pool.listener.listening.is_set():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(listening_again(), WITHIN)
    assert await DeliveryQueue(stores[0]).enqueue("after-reconnect", "pull_request", payload(2))
    assert await asyncio.wait_for(processed.get(), WITHIN) == "after-reconnect"


async def test_a_batch_of_deliveries_wakes_as_many_workers_on_the_other_replica(stores):
    process = AllAtOnce(4)
    pool = WorkerPool(DeliveryQueue(stores[1]), process, workers=4, idle_poll=POLL, shutdown_grace=2.0)
    pool.start()
    try:
        await asyncio.wait_for(pool.listener.listening.wait(), WITHIN)
        await asyncio.sleep(0.2)
        a = DeliveryQueue(stores[0])
        await asyncio.gather(*(a.enqueue(f"batch-{n}", "pull_request", payload(n, installation=n))
                               for n in range(4)))  # one group commit, one NOTIFY
        await asyncio.wait_for(process.all_started.wait(), WITHIN)
        assert sorted(process.started) == [f"batch-{n}" for n in range(4)]
    finally:
        await pool.stop()


async def test_a_listening_connection_that_stops_answering_is_given_up(monkeypatch):
    """A half-open connection never reports its end: a periodic SELECT 1 finds it out."""
    import bot.listen as listen

    monkeypatch.setattr(listen, "HEALTH_CHECK_SECONDS", 0.05)
    monkeypatch.setattr(listen, "HEALTH_CHECK_TIMEOUT", 0.05)

    class Silent:
        terminated = False

        async def execute(self, query: str) -> None:
            await asyncio.sleep(3600)  # the server is gone without a word

        def terminate(self) -> None:
            self.terminated = True

    driver = Silent()
    await asyncio.wait_for(listen.Listener._until_lost(driver, asyncio.Event()), WITHIN)
    assert driver.terminated
