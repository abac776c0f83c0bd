"""The durable queue's guarantees, against the database directly."""

from __future__ import annotations

import asyncio

import pytest

from bot.queue import DeliveryQueue
from bot.store import Store


@pytest.fixture
async def store(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'queue.db'}")
    await store.create_schema()
    yield store
    await store.close()


def pr_payload(number: int, repo: str = "acme/widgets") -> dict:
    return {"action": "opened", "installation": {"id": 1}, "repository": {"full_name": repo},
            "pull_request": {"number": number}}


async def test_enqueue_claim_complete_and_dedupe(store):
    queue = DeliveryQueue(store)
    assert await queue.enqueue("a", "pull_request", pr_payload(1)) is True
    assert await queue.enqueue("a", "pull_request", pr_payload(1)) is False  # queued: duplicate
    claimed = await queue.claim()
    assert claimed is not None and claimed.id == "a" and claimed.subject == "acme/widgets#1"
    assert claimed.attempts == 1 and claimed.payload["pull_request"]["number"] == 1
    assert await queue.enqueue("a", "pull_request", pr_payload(1)) is False  # in progress: duplicate
    await queue.complete("a")
    assert await queue.enqueue("a", "pull_request", pr_payload(1)) is False  # done: duplicate
    assert (await queue.get("a"))["state"] == "done"


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


async def test_expired_lease_is_taken_over_by_another_process(store):
    dead = DeliveryQueue(store, lease_seconds=0.2)
    alive = DeliveryQueue(store, lease_seconds=0.2)
    await dead.enqueue("l", "pull_request", pr_payload(1))
    assert (await dead.claim()).id == "l"
    assert await alive.claim() is None
    await asyncio.sleep(0.3)
    taken = await alive.claim()
    assert taken is not None and taken.id == "l" and taken.attempts == 2
    await dead.complete("l")  # the dead owner's late completion is ignored
    assert (await alive.get("l"))["state"] == "processing"


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
