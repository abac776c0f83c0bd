"""What the onboarding rule keeps in the database: mentor turns, mentor choices, welcomes and first merges."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.store import Store
from rules.onboarding.store import (
    assign_mentor,
    claim_greeting,
    first_merge_remembered,
    mentor_rotation,
    remember_first_merge,
    remember_welcome,
    remembered_kinds,
    take_turn,
    welcomed,
)

pytest_plugins = ["tests.pg"]

REPO = "Acme/Widgets"


@pytest.fixture
async def store(db_url):
    db = Store(db_url)
    await db.create_schema()
    yield db
    await db.close()


async def _turn(store: Store) -> int:
    async with store.transaction() as conn:
        return await take_turn(store, conn, REPO)


async def test_turns_are_taken_one_by_one(store):
    assert [await _turn(store) for _ in range(4)] == [0, 1, 2, 3]


async def test_concurrent_turns_are_all_different(store):
    turns = await asyncio.gather(*(_turn(store) for _ in range(30)))
    assert sorted(turns) == list(range(30))


async def test_turns_are_kept_per_repository_and_across_store_instances(store, db_url):
    await _turn(store)
    other = Store(db_url)  # another replica on the same database
    try:
        async with other.transaction() as conn:
            assert await take_turn(other, conn, REPO.lower()) == 1  # the key ignores case
            assert await take_turn(other, conn, "acme/gadgets") == 0
    finally:
        await other.close()


async def test_mentors_rotate_and_a_retried_pull_request_keeps_its_mentor(store):
    mentors = ["alice", "bob", "carol"]
    assert await assign_mentor(store, REPO, 1, mentors) == "alice"
    assert await assign_mentor(store, REPO, 1, mentors) == "alice"  # redelivery: same mentor, no turn taken
    assert await assign_mentor(store, REPO, 2, mentors) == "bob"
    assert await assign_mentor(store, REPO, 3, mentors) == "carol"
    assert await assign_mentor(store, REPO, 4, mentors) == "alice"


async def test_a_mentor_removed_from_the_list_is_replaced(store):
    assert await assign_mentor(store, REPO, 1, ["alice", "bob"]) == "alice"
    assert await assign_mentor(store, REPO, 1, ["bob", "carol"]) in {"bob", "carol"}
    async with store.transaction() as conn:
        assert await take_turn(store, conn, REPO) == 2


async def test_no_mentors_means_no_turn(store):
    assert await assign_mentor(store, REPO, 1, []) is None
    async with store.engine.connect() as conn:
        assert (await conn.execute(select(mentor_rotation))).all() == []


async def test_the_first_welcome_record_wins(store):
    await remember_welcome(store, REPO, 7, "newbie", "pull_request", 2)
    await remember_welcome(store, REPO, 7, "newbie-renamed", "pull_request", 5)
    await remember_welcome(store, REPO, 7, "newbie", "issue", 1)
    assert await remembered_kinds(store, REPO.lower(), 7) == {"pull_request", "issue"}
    assert await remembered_kinds(store, REPO, 8) == set()
    assert await remembered_kinds(store, "acme/other", 7) == set()
    async with store.engine.connect() as conn:
        rows = (await conn.execute(select(welcomed.c.kind, welcomed.c.number).order_by(welcomed.c.kind))).all()
    assert [tuple(r) for r in rows] == [("issue", 1), ("pull_request", 2)]


async def test_first_merge_is_remembered_per_user_id(store):
    assert not await first_merge_remembered(store, REPO, 7)
    await remember_first_merge(store, REPO, 7, "newbie", 3)
    await remember_first_merge(store, REPO, 7, "newbie", 9)  # a concurrent second record changes nothing
    assert await first_merge_remembered(store, REPO, 7)
    assert not await first_merge_remembered(store, REPO, 8)


async def test_one_greeting_of_each_kind_however_many_contributions_race(store, db_url):
    replica = Store(db_url)  # claims from two replicas' connection pools
    try:
        stores = [store, replica]
        claims = [(kind, number) for number in range(1, 9) for kind in ("issue", "pull_request", "first_merge")]
        results = await asyncio.gather(*(claim_greeting(stores[number % 2], REPO, 7, kind, number)
                                         for kind, number in claims))
        won = [claim for claim, ok in zip(claims, results) if ok]
        assert sorted(kind for kind, _ in won if kind != "issue") == ["first_merge", "pull_request"]
        assert len([kind for kind, _ in won if kind == "issue"]) <= 1
        for kind, number in won:  # a retry of the winner goes on; everyone else stays refused
            assert await claim_greeting(store, REPO, 7, kind, number) is True
            assert await claim_greeting(store, REPO, 7, kind, number + 100) is False
    finally:
        await replica.close()


async def test_no_first_issue_welcome_after_a_first_pull_request_welcome(store):
    assert await claim_greeting(store, REPO, 8, "pull_request", 3) is True
    assert await claim_greeting(store, REPO, 8, "issue", 1) is False
    assert await claim_greeting(store, REPO, 9, "issue", 1) is True  # another person
    assert await claim_greeting(store, REPO, 9, "pull_request", 2) is True  # their first PR still is one
