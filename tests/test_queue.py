"""The durable queue's guarantees, against the database directly: SQLite and PostgreSQL alike.

Several `Store`s on one database stand for several replicas: each has its own connection
pool and its own queue owner, so their claims race in the database exactly as processes do.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import func, select

import bot.queue as queue_module
from bot.queue import Delivery, DeliveryQueue
from bot.store import Store, async_url, deliveries, delivery_payloads
from bot.wakeup import Wakeup
from bot.workers import WorkerPool

pytest_plugins = ["tests.pg"]


@pytest.fixture
async def open_store(db_url) -> AsyncIterator[Callable[[], Store]]:
    """Open another Store (a replica's own connection pool) on the test's database; all closed at the end."""
    opened: list[Store] = []

    def open_one() -> Store:
        opened.append(Store(db_url))
        return opened[-1]

    yield open_one
    for store in opened:
        await store.close()


@pytest.fixture
async def store(open_store) -> Store:
    store = open_store()
    await store.create_schema()
    return store


def pr_payload(number: int, repo: str = "acme/widgets", installation: int | None = 1) -> dict:
    payload = {"action": "opened", "repository": {"full_name": repo}, "pull_request": {"number": number}}
    if installation is not None:
        payload["installation"] = {"id": installation}
    return payload


async def test_enqueue_claim_complete_and_dedupe(store):
    queue = DeliveryQueue(store)
    assert await queue.enqueue("a", "pull_request", pr_payload(1)) is True
    assert await queue.enqueue("a", "pull_request", pr_payload(1)) is False  # queued: duplicate
    claimed = await queue.claim()
    assert claimed is not None and claimed.id == "a" and claimed.subject == "acme/widgets#1"
    assert claimed.attempts == 1 and claimed.payload["pull_request"]["number"] == 1
    assert claimed.installation_id == 1
    assert await queue.enqueue("a", "pull_request", pr_payload(1)) is False  # in progress: duplicate
    await queue.complete("a")
    assert await queue.enqueue("a", "pull_request", pr_payload(1)) is False  # done: duplicate
    assert (await queue.get("a"))["state"] == "done"


async def test_the_intake_rehearsal_stores_nothing(store):
    """`serve` takes the webhooks' path into the queue once before it listens; the transaction is rolled back."""
    queue = DeliveryQueue(store)
    await queue.rehearse_intake()
    async with store.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(deliveries))).scalar_one() == 0
        assert (await conn.execute(select(func.count()).select_from(delivery_payloads))).scalar_one() == 0
    assert await queue.enqueue("rehearsal", "pull_request", pr_payload(1)) is True  # no row left by that id
    assert (await queue.claim()).id == "rehearsal"


async def test_failed_delivery_is_accepted_again_on_redelivery(store):
    queue = DeliveryQueue(store, max_attempts=1)
    await queue.enqueue("b", "pull_request", pr_payload(1))
    claimed = await queue.claim()
    assert await queue.fail(claimed, "boom", permanent=False) is True
    assert (await queue.get("b"))["state"] == "failed"
    assert await queue.enqueue("b", "pull_request", pr_payload(1)) is True
    row = await queue.get("b")
    assert row["state"] == "queued" and row["attempts"] == 0


async def test_one_subject_at_a_time(store):
    queue = DeliveryQueue(store)
    await queue.enqueue("s1", "pull_request", pr_payload(1))
    await queue.enqueue("s2", "pull_request", pr_payload(1))
    await queue.enqueue("o1", "pull_request", pr_payload(2))
    first = await queue.claim()
    second = await queue.claim()
    assert first.id == "s1" and second.id == "o1"  # s2 waits for s1
    assert await queue.claim() is None
    await queue.complete("s1")
    third = await queue.claim()
    assert third.id == "s2"


async def test_concurrent_claims_never_share_a_subject(store):
    queue = DeliveryQueue(store)
    for i in range(30):
        await queue.enqueue(f"d{i}", "pull_request", pr_payload(i % 3))
    claimed = await asyncio.gather(*(queue.claim() for _ in range(10)))
    subjects = [c.subject for c in claimed if c is not None]
    assert len(subjects) == 3 and len(set(subjects)) == 3


class ManualClock:
    """The queues' wall clock, moved by the test: a lease expires when the test says, not when a slow
    machine happens to take half a second between two claims."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


async def turns(store, installation: int) -> list[float]:
    async with store.engine.connect() as conn:
        return list((await conn.execute(select(deliveries.c.turn_at).where(
            deliveries.c.installation_id == installation).order_by(deliveries.c.turn_at))).scalars())


async def test_turns_follow_the_last_waiting_delivery_of_the_installation(store):
    """Start-time fair queuing: an installation's deliveries are spaced a turn apart after its last
    one still waiting; one with nothing waiting starts at its arrival, and claims go by turn."""
    await check_turns(store)


async def test_turns_on_a_sqlite_without_json_each(store, monkeypatch):
    monkeypatch.setattr(queue_module, "_JSON_EACH", False)  # the GROUP BY of SQLite before 3.38
    await check_turns(store)


async def check_turns(store) -> None:
    clock = ManualClock()
    queue = DeliveryQueue(store, clock=clock)
    t0 = clock.now
    for n in range(3):
        await queue.enqueue(f"a{n}", "pull_request", pr_payload(n, installation=1))
    await queue.enqueue("b0", "pull_request", pr_payload(1, repo="acme/other", installation=2))
    assert await turns(store, 1) == [t0, t0 + 1, t0 + 2] and await turns(store, 2) == [t0]
    assert [(await queue.claim()).id for _ in range(4)] == ["a0", "b0", "a1", "a2"]
    clock.now += 0.5  # nothing of installation 1 waits now (all claimed): a new one starts at its arrival
    await queue.enqueue("a3", "pull_request", pr_payload(3, installation=1))
    await queue.enqueue("a4", "pull_request", pr_payload(4, installation=1))
    assert sorted(set(await turns(store, 1)) - {t0, t0 + 1, t0 + 2}) == [t0 + 0.5, t0 + 1.5]


async def test_expired_lease_is_taken_over_by_another_process(store):
    clock = ManualClock()
    dead = DeliveryQueue(store, lease_seconds=0.5, clock=clock)
    alive = DeliveryQueue(store, lease_seconds=0.5, clock=clock)
    await dead.enqueue("l", "pull_request", pr_payload(1))
    assert (await dead.claim()).id == "l"
    clock.now += 0.4
    assert await alive.claim() is None  # the lease still runs
    clock.now += 0.2
    taken = await alive.claim()
    assert taken is not None and taken.id == "l" and taken.attempts == 2
    await dead.complete("l")  # the dead owner's late completion is ignored
    assert await dead.heartbeat("l") is False  # nor can it renew a lease it lost
    assert (await alive.get("l"))["state"] == "processing"
    assert await alive.heartbeat("l") is True


async def test_completing_claims_the_next_delivery_in_the_same_transaction(store):
    queue = DeliveryQueue(store)
    for n in (1, 2):
        await queue.enqueue(f"c{n}", "pull_request", pr_payload(n))
    first = await queue.claim()
    following = await queue.complete(first.id, claim_next=True)
    assert (first.id, following.id) == ("c1", "c2")
    assert (await queue.get("c1"))["state"] == "done"
    assert (await queue.get("c2"))["state"] == "processing" and following.payload["pull_request"]["number"] == 2
    assert await queue.complete(following.id, claim_next=True) is None  # nothing left: nothing claimed
    assert (await queue.get("c2"))["state"] == "done"


async def test_completing_chains_the_next_delivery_of_the_same_subject_and_installation(store):
    """The delivery being completed no longer counts as held here when the chained claim runs."""
    queue = DeliveryQueue(store, per_installation=1)
    await queue.enqueue("first", "pull_request", pr_payload(1))
    await queue.enqueue("again", "pull_request", pr_payload(1))  # the same pull request, later
    first = await queue.claim()
    assert first.id == "first" and await queue.claim() is None  # its subject and installation are held
    following = await queue.complete(first.id, claim_next=True)
    assert following is not None and following.id == "again"


async def test_retry_backoff_then_failed_with_error(store):
    queue = DeliveryQueue(store, max_attempts=2, retry_base_seconds=0.05)
    await queue.enqueue("r", "pull_request", pr_payload(1))
    claimed = await queue.claim()
    assert await queue.fail(claimed, "GitHub answered 502", permanent=False) is False
    assert await queue.claim() is None  # backing off
    await asyncio.sleep(0.1)
    claimed = await queue.claim()
    assert claimed.attempts == 2
    assert await queue.fail(claimed, "GitHub answered 502", permanent=False) is True
    row = await queue.get("r")
    assert row["state"] == "failed" and row["last_error"] == "GitHub answered 502"


async def test_release_on_shutdown_returns_work_uncounted(store):
    queue = DeliveryQueue(store)
    await queue.enqueue("x", "issues", {"installation": {"id": 1}, "repository": {"full_name": "a/b"},
                                        "issue": {"number": 3}})
    await queue.claim()
    assert await queue.release_mine() == 1
    row = await queue.get("x")
    assert row["state"] == "queued" and row["attempts"] == 0


async def drain(queue: DeliveryQueue, processed: list[str], ids: list[str], timeout: float = 10.0) -> None:
    """Run one worker until every id is done."""
    async def processor(delivery: Delivery) -> None:
        processed.append(delivery.id)

    pool = WorkerPool(queue, processor, workers=1, idle_poll=0.05, shutdown_grace=1.0)
    pool.start()
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            rows = [await queue.get(i) for i in ids]
            if all(row["state"] == "done" for row in rows):
                return
            assert asyncio.get_running_loop().time() < deadline, rows
            await asyncio.sleep(0.05)
    finally:
        await pool.stop()


async def test_outcome_is_recorded_once_the_database_is_back(store):
    """A database blip while recording "done" is waited out: the work is not redone."""
    queue = DeliveryQueue(store, lease_seconds=5)
    outages = iter([ConnectionRefusedError("restarting"), ConnectionRefusedError("restarting")])
    complete = queue.complete

    async def flaky_complete(delivery_id: str, **kwargs):
        error = next(outages, None)
        if error is not None:
            raise error
        return await complete(delivery_id, **kwargs)

    queue.complete = flaky_complete
    await queue.enqueue("a", "pull_request", pr_payload(1))
    processed: list[str] = []
    await drain(queue, processed, ["a"])
    assert processed == ["a"] and (await queue.get("a"))["attempts"] == 1


async def test_worker_survives_a_failure_to_record_and_the_lease_brings_the_work_back(store):
    queue = DeliveryQueue(store, lease_seconds=0.3)
    failed_once: list[str] = []
    complete = queue.complete

    async def broken_once(delivery_id: str, **kwargs):
        if delivery_id == "a" and not failed_once:
            failed_once.append(delivery_id)
            raise RuntimeError("not a connection problem")
        return await complete(delivery_id, **kwargs)

    queue.complete = broken_once
    await queue.enqueue("a", "pull_request", pr_payload(1))
    await queue.enqueue("b", "pull_request", pr_payload(2))
    processed: list[str] = []
    await drain(queue, processed, ["a", "b"])
    assert sorted(processed) == ["a", "a", "b"]  # the same worker went on, and redid "a" after its lease
    assert (await queue.get("a"))["attempts"] == 2


async def test_a_process_takes_at_most_per_installation_deliveries_of_one_installation(store):
    queue = DeliveryQueue(store, per_installation=2)
    for number in range(1, 5):
        await queue.enqueue(f"i1-{number}", "pull_request", pr_payload(number))
    await queue.enqueue("i2-1", "pull_request", pr_payload(1, repo="other/repo", installation=2))
    await queue.enqueue("none-1", "pull_request", pr_payload(1, repo="third/repo", installation=None))
    claimed = [await queue.claim() for _ in range(4)]
    assert {d.id for d in claimed} == {"i1-1", "i1-2", "i2-1", "none-1"}  # i1-3 waits: two of 1 are held
    assert await queue.claim() is None
    await queue.complete("i1-1")
    assert (await queue.claim()).id == "i1-3"
    await queue.fail(next(d for d in claimed if d.id == "i1-2"), "retry: later", permanent=False, delay=60)
    assert (await queue.claim()).id == "i1-4"


async def test_concurrent_claims_of_one_process_never_pass_per_installation(store):
    queue = DeliveryQueue(store, per_installation=2)
    for number in range(1, 7):
        await queue.enqueue(f"i1-{number}", "pull_request", pr_payload(number))
    claimed = [d for d in await asyncio.gather(*(queue.claim() for _ in range(6))) if d is not None]
    assert len(claimed) == 2


async def test_a_new_delivery_a_claim_here_could_not_take_wakes_no_worker(store):
    queue = DeliveryQueue(store, per_installation=1)
    await queue.enqueue("i1-1", "pull_request", pr_payload(1))
    queue.wakeup = Wakeup()  # count only the notices from here on
    assert (await queue.claim()).id == "i1-1"
    await queue.enqueue("i1-1-again", "pull_request", pr_payload(1))  # its subject is held here
    await queue.enqueue("i1-2", "pull_request", pr_payload(2))  # its installation is at the limit here
    assert queue.wakeup._credits == 0
    await queue.enqueue("i2-1", "pull_request", pr_payload(1, repo="other/repo", installation=2))
    assert queue.wakeup._credits == 1
    await queue.complete("i1-1")
    assert {(await queue.claim()).id, (await queue.claim()).id} == {"i1-1-again", "i2-1"}


# --------------------------------------------------------------------------- several replicas


async def test_an_installation_is_worked_by_one_replica_at_a_time(store, open_store):
    """Write pacing is per process, so one installation's work goes to one replica at a time."""
    a = DeliveryQueue(store)
    b = DeliveryQueue(open_store())
    await a.enqueue("i1-pr1", "pull_request", pr_payload(1, installation=1))
    await a.enqueue("i1-pr2", "pull_request", pr_payload(2, installation=1))
    await a.enqueue("i2-pr1", "pull_request", pr_payload(1, repo="other/repo", installation=2))
    await a.enqueue("i1-pr3", "pull_request", pr_payload(3, installation=1))

    assert (await a.claim()).id == "i1-pr1"
    assert (await b.claim()).id == "i2-pr1"  # installation 1 is A's while A works on it
    assert await b.claim() is None  # and installation 2 is now B's
    assert (await a.claim()).id == "i1-pr2"  # the owner itself may take more of it (other subjects)
    await a.complete("i1-pr1")
    assert await b.claim() is None  # A still holds i1-pr2
    await a.complete("i1-pr2")
    assert (await b.claim()).id == "i1-pr3"  # A let go of installation 1: anyone may take it
    assert (await b.get("i1-pr3"))["lease_owner"] == b.owner


async def test_deliveries_without_an_installation_are_not_routed(store, open_store):
    a = DeliveryQueue(store)
    b = DeliveryQueue(open_store())
    await a.enqueue("n1", "pull_request", pr_payload(1, installation=None))
    await a.enqueue("n2", "pull_request", pr_payload(2, installation=None))
    assert (await a.claim()).id == "n1"
    assert (await b.claim()).id == "n2"


async def test_installation_held_by_a_dead_replica_is_free_once_its_lease_expires(store, open_store):
    clock = ManualClock()
    dead = DeliveryQueue(store, lease_seconds=0.5, clock=clock)
    alive = DeliveryQueue(open_store(), lease_seconds=0.5, clock=clock)
    await dead.enqueue("k1", "pull_request", pr_payload(1))
    await dead.enqueue("k2", "pull_request", pr_payload(2))
    assert (await dead.claim()).id == "k1"
    clock.now += 0.4
    assert await alive.claim() is None  # its installation is held by a lease that still runs
    clock.now += 0.2
    taken = {(await alive.claim()).id, (await alive.claim()).id}
    assert taken == {"k1", "k2"}


async def test_same_delivery_sent_to_several_replicas_is_accepted_once(store, open_store):
    queues = [DeliveryQueue(store)] + [DeliveryQueue(open_store()) for _ in range(3)]
    for round_ in range(10):
        results = await asyncio.gather(*(q.enqueue(f"dup-{round_}", "pull_request", pr_payload(round_))
                                         for q in queues))
        assert sorted(results) == [False, False, False, True]
    async with store.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(deliveries)) == 10


async def test_one_batch_with_repeats_known_ids_and_a_redelivered_failure_answers_each_caller(store):
    """Deliveries arriving together share one INSERT; each caller still gets its own answer."""
    queue = DeliveryQueue(store, max_attempts=1)
    assert await queue.enqueue("done-before", "pull_request", pr_payload(1))
    assert await queue.enqueue("failed-before", "pull_request", pr_payload(2))
    for _ in range(2):
        delivery = await queue.claim()
        if delivery.id == "done-before":
            await queue.complete(delivery.id)
        else:
            await queue.fail(delivery, "boom", permanent=True)
    ids = ["new-1", "new-1", "done-before", "failed-before", "new-2", "new-1", "failed-before"]
    results = await asyncio.gather(*(queue.enqueue(i, "pull_request", pr_payload(n)) for n, i in enumerate(ids)))
    assert results == [True, False, False, True, True, False, False]
    assert (await queue.get("failed-before"))["state"] == "queued"
    assert await queue.depth() == 3


async def test_simultaneous_claims_from_replicas_each_get_different_work(store, open_store):
    """Claims queue up rather than collide: none is turned away while claimable work remains."""
    replicas = [DeliveryQueue(store)] + [DeliveryQueue(open_store()) for _ in range(7)]
    for n in range(8):
        await replicas[0].enqueue(f"w{n}", "pull_request", pr_payload(n, repo=f"org{n}/repo", installation=n + 1))
    claimed = await asyncio.gather(*(q.claim() for q in replicas))
    assert sorted(c.id for c in claimed if c is not None) == [f"w{n}" for n in range(8)]


async def test_simultaneous_claims_on_one_installation_go_to_one_replica(store, open_store):
    replicas = [DeliveryQueue(store)] + [DeliveryQueue(open_store()) for _ in range(7)]
    for n in range(8):
        await replicas[0].enqueue(f"s{n}", "pull_request", pr_payload(n))  # one installation, eight PRs
    claimed = await asyncio.gather(*(q.claim() for q in replicas for _ in range(2)))
    owners = {(await store_get(replicas[0], c.id))["lease_owner"] for c in claimed if c is not None}
    assert len(owners) == 1
    assert sum(c is not None for c in claimed) == 2  # that replica's two claims both got work


async def store_get(queue: DeliveryQueue, delivery_id: str) -> dict:
    row = await queue.get(delivery_id)
    assert row is not None
    return row


async def test_schema_is_created_once_when_replicas_start_together(db_url, open_store):
    stores = [open_store() for _ in range(5)]
    await asyncio.gather(*(s.create_schema() for s in stores))  # would collide on CREATE TABLE unlocked
    queue = DeliveryQueue(stores[0])
    assert await queue.enqueue("after", "pull_request", pr_payload(1)) is True
    assert await queue.depth() == 1


async def test_sqlite_replicas_starting_on_a_fresh_file_all_start_in_wal_mode(tmp_path):
    """Converting a new file to WAL takes an exclusive lock that SQLite refuses at once, with no
    busy wait, to a second connection converting at the same moment: each start must wait its turn."""
    for round_number in range(20):
        url = f"sqlite:///{tmp_path / f'fresh{round_number}.db'}"
        stores = [Store(url) for _ in range(6)]
        try:
            await asyncio.gather(*(s.create_schema() for s in stores))
            async with stores[-1].engine.connect() as conn:
                assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        finally:
            for s in stores:
                await s.close()


async def test_racing_replicas_keep_every_guarantee(store, open_store):
    """Four replicas × four workers drain 120 deliveries; a shadow ledger checks every claim.

    The ledger only holds a delivery between its claim returning and its completion
    starting, a sub-interval of the real lease, so any overlap it sees is a real one.
    """
    replicas = [DeliveryQueue(store)] + [DeliveryQueue(open_store()) for _ in range(3)]
    for n in range(120):
        installation = n % 4 + 1
        payload = pr_payload(n % 15, repo=f"org{installation}/repo", installation=installation)
        await replicas[0].enqueue(f"r{n}", "pull_request", payload)
    subjects: dict[str, str] = {}
    holders: dict[int, Counter[str]] = defaultdict(Counter)  # installation -> owner -> deliveries held
    processed: list[str] = []
    violations: list[str] = []

    async def worker(queue: DeliveryQueue) -> None:
        idle = 0
        while idle < 20:
            delivery = await queue.claim()
            if delivery is None:
                idle += 1
                await asyncio.sleep(0.01)
                continue
            idle = 0
            if delivery.subject in subjects:
                violations.append(f"{delivery.id}: subject {delivery.subject} held by {subjects[delivery.subject]}")
            others = {owner for owner, held in holders[delivery.installation_id].items()
                      if held and owner != queue.owner}
            if others:
                violations.append(f"{delivery.id}: installation {delivery.installation_id} held by {others}")
            subjects[delivery.subject] = delivery.id
            holders[delivery.installation_id][queue.owner] += 1
            await asyncio.sleep(random.uniform(0, 0.01))
            del subjects[delivery.subject]
            holders[delivery.installation_id][queue.owner] -= 1
            processed.append(delivery.id)
            await queue.complete(delivery.id)

    await asyncio.gather(*(worker(q) for q in replicas for _ in range(4)))
    assert violations == []
    assert sorted(processed) == sorted(f"r{n}" for n in range(120))  # each exactly once
    async with store.engine.connect() as conn:
        rows = (await conn.execute(select(deliveries.c.state, deliveries.c.attempts))).all()
    assert {tuple(r) for r in rows} == {("done", 1)}



def test_libpq_sslmode_in_database_url_is_understood():
    """Managed databases hand out `?sslmode=require`; asyncpg calls it `ssl`."""
    assert async_url("postgresql://bot:p%40ss@db.example:5432/gov?sslmode=require") == (
        "postgresql+asyncpg://bot:p%40ss@db.example:5432/gov?ssl=require")
    assert async_url("postgres://db.example/gov") == "postgresql+asyncpg://db.example/gov"


async def test_database_url_with_sslmode_connects(pg_url):
    store = Store(pg_url + "?sslmode=disable")  # the throwaway server has no TLS
    try:
        await store.create_schema()
        assert await store.ping() is True
    finally:
        await store.close()


async def test_start_up_adds_columns_a_newer_version_declares(tmp_path):
    """An older database gains the columns this version added; its rows stay readable."""
    from sqlalchemy import Column, String, text

    from bot.store import deliveries

    old = Store(f"sqlite:///{tmp_path / 'old.db'}")
    await old.create_schema()
    await DeliveryQueue(old).enqueue("before", "issues", {"repository": {"full_name": "a/b"}})
    await old.close()
    added = Column("test_added_note", String(40), nullable=True)
    deliveries.append_column(added)
    try:
        new = Store(f"sqlite:///{tmp_path / 'old.db'}")
        await new.create_schema()
        async with new.engine.connect() as conn:
            row = (await conn.execute(text("SELECT id, test_added_note FROM deliveries"))).one()
        assert tuple(row) == ("before", None)
        await new.close()
    finally:
        deliveries._columns.remove(added)


async def test_finished_deliveries_are_pruned_after_retention(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'prune.db'}")
    await store.create_schema()
    queue = DeliveryQueue(store)
    for delivery_id in ("old-done", "waiting"):
        await queue.enqueue(delivery_id, "issues", {"repository": {"full_name": "a/b"}})
    claimed = await queue.claim()
    await queue.complete(claimed.id)
    assert await queue.prune(3600) == 0  # finished just now: kept
    assert await queue.prune(-1) == 1  # past retention: gone, the queued one stays
    assert await queue.get("old-done") is None and (await queue.get("waiting"))["state"] == "queued"
    await store.close()


async def stored_payloads(store: Store) -> dict[str, tuple[str, str | None]]:
    """id -> (the row's own payload column, the payload in delivery_payloads or None)."""
    async with store.engine.connect() as conn:
        rows = (await conn.execute(
            select(deliveries.c.id, deliveries.c.payload, delivery_payloads.c.payload)
            .select_from(deliveries.outerjoin(delivery_payloads, delivery_payloads.c.id == deliveries.c.id)))).all()
    return {row[0]: (row[1], row[2]) for row in rows}


async def test_payloads_are_stored_apart_from_the_row_that_claims_rewrite(store):
    queue = DeliveryQueue(store, max_attempts=1)
    await queue.enqueue("apart", "pull_request", pr_payload(7))
    row_payload, payload = (await stored_payloads(store))["apart"]
    assert row_payload == "" and json.loads(payload)["pull_request"]["number"] == 7
    claimed = await queue.claim()
    assert claimed is not None and claimed.payload == pr_payload(7)
    assert (await queue.get("apart"))["payload"] == payload  # `deliveries show`, the dashboard

    await queue.fail(claimed, "boom", permanent=True)
    redelivered = {**pr_payload(7), "action": "edited"}  # GitHub's redelivery carries the payload again
    assert await queue.enqueue("apart", "pull_request", redelivered) is True
    assert json.loads((await stored_payloads(store))["apart"][1])["action"] == "edited"
    assert (await queue.claim()).payload == redelivered


async def test_a_row_stored_with_its_payload_before_the_split_is_still_claimed_whole(store):
    async with store.transaction() as conn:
        await conn.execute(deliveries.insert().values(
            id="legacy", event="pull_request", action="opened", installation_id=1, repository="acme/widgets",
            subject="acme/widgets#3", payload=json.dumps(pr_payload(3)), received_at=1.0, state="queued",
            attempts=0, available_at=1.0, turn_at=1.0))
    queue = DeliveryQueue(store)
    claimed = await queue.claim()
    assert claimed is not None and claimed.id == "legacy" and claimed.payload == pr_payload(3)
    assert json.loads((await queue.get("legacy"))["payload"]) == pr_payload(3)


async def test_pruning_a_delivery_prunes_its_payload(store):
    queue = DeliveryQueue(store)
    for delivery_id in ("gone", "kept"):
        await queue.enqueue(delivery_id, "issues", {"repository": {"full_name": "a/b"}})
    await queue.complete((await queue.claim()).id)
    assert await queue.prune(-1) == 1
    assert set(await stored_payloads(store)) == {"kept"}
    async with store.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(delivery_payloads)) == 1


async def test_a_nested_write_transaction_fails_loudly_instead_of_hanging(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'nested.db'}")
    await store.create_schema()
    with pytest.raises(RuntimeError, match="nested write transaction"):
        async with store.transaction():
            async with store.transaction():
                pass
    async with store.transaction():  # the lock was released
        pass
    await store.close()


async def test_a_new_delivery_wakes_one_idle_worker_not_all():
    wakeup = Wakeup(limit=4)
    waiters = [asyncio.create_task(wakeup.wait(5.0)) for _ in range(3)]
    await asyncio.sleep(0)
    wakeup.notify()
    await asyncio.sleep(0.01)
    assert sum(w.done() for w in waiters) == 1
    wakeup.set()  # everyone (a test settling the queue, shutdown)
    assert await asyncio.gather(*waiters) == [True, True, True]


async def test_a_notice_nobody_was_waiting_for_is_kept_up_to_the_limit():
    wakeup = Wakeup(limit=2)
    wakeup.notify(5)  # arrived while every worker was busy
    assert [await wakeup.wait(0.01) for _ in range(3)] == [True, True, False]


async def test_a_notice_given_to_a_cancelled_waiter_is_passed_on():
    wakeup = Wakeup()
    first = asyncio.create_task(wakeup.wait(5.0))
    await asyncio.sleep(0)
    wakeup.notify()
    first.cancel()  # cancelled in the same tick as it was woken
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await wakeup.wait(0.01) is True
