"""The CLA rule's tables on SQLite and PostgreSQL: signatures, revocation, export, waiting PRs."""

from __future__ import annotations

import asyncio

import pytest

from bot.store import Store
from rules.cla import store as sig

pytest_plugins = ["tests.pg"]

OWNER_ID = 500


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'cla.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    store = Store(url)
    await store.create_schema()
    yield store
    await store.close()


def signature(user_id: int = 1, login: str = "dana", version: str = "1", comment: int = 1,
              owner: str = "acme", owner_id: int = OWNER_ID) -> sig.NewSignature:
    return sig.NewSignature(owner=owner, owner_id=owner_id, user_id=user_id, login=login, version=version,
                            repository=f"{owner}/widgets", pull_request=3,
                            comment_url=f"https://github.com/{owner}/widgets/pull/3#issuecomment-{comment}")


async def test_a_signature_counts_for_its_owner_and_versions_only(store):
    assert await sig.record_signature(store, signature(), at=1000.0) is True
    assert await sig.record_signature(store, signature(), at=2000.0) is False  # same comment: nothing new
    active = await sig.active_signatures(store, OWNER_ID, [1, 2], ["1"])
    assert list(active) == [1] and active[1]["signed_at"] == 1000.0
    assert await sig.active_signatures(store, OWNER_ID, [1], ["2"]) == {}
    assert await sig.active_signatures(store, OWNER_ID + 1, [1], ["1"]) == {}
    assert list(await sig.active_signatures(store, OWNER_ID, [1], ["2", "1"])) == [1]


async def test_concurrent_duplicate_signing_records_once(store):
    results = await asyncio.gather(*(sig.record_signature(store, signature()) for _ in range(5)))
    assert results.count(True) == 1
    assert len(await sig.export_rows(store)) == 1


async def test_revoke_ends_counting_signatures_and_keeps_the_record(store):
    await sig.record_signature(store, signature(version="1", comment=1), at=1000.0)
    await sig.record_signature(store, signature(version="2", comment=2), at=1100.0)
    assert await sig.revoke(store, "DANA", owner="someone-else") == []
    revoked = await sig.revoke(store, "@Dana", owner="ACME", at=5000.0)
    assert sorted(r["version"] for r in revoked) == ["1", "2"]
    assert await sig.active_signatures(store, OWNER_ID, [1], ["1", "2"]) == {}
    assert await sig.revoke(store, "dana") == []  # nothing counting is left
    rows = await sig.export_rows(store)
    assert [r["revoked_at"] for r in rows] == ["1970-01-01T01:23:20Z"] * 2


async def test_revoke_follows_renames(store):
    await sig.record_signature(store, signature(user_id=1, login="dana", comment=1), at=1000.0)
    await sig.remember_logins(store, {1: "dana-new"})  # the bot saw account 1 as dana-new
    await sig.record_signature(store, signature(user_id=2, login="dana", comment=2), at=2000.0)  # a new "dana"
    revoked = await sig.revoke(store, "dana-new")
    assert [r["user_id"] for r in revoked] == [1]
    revoked = await sig.revoke(store, "dana")
    assert [r["user_id"] for r in revoked] == [2]  # the old login no longer reaches account 1


async def test_remember_logins_writes_only_changes(store):
    await sig.remember_logins(store, {1: "a"})
    await sig.remember_logins(store, {1: "a"})
    await sig.remember_logins(store, {1: "b"})
    async with store.engine.connect() as conn:
        rows = (await conn.execute(sig.cla_accounts.select())).all()
    assert [(r.user_id, r.login) for r in rows] == [(1, "b")]


async def test_export_has_every_field_with_iso_times(store):
    await sig.record_signature(store, signature(), at=0.0)
    rows = await sig.export_rows(store)
    assert rows == [{"user_id": 1, "login": "dana", "owner": "acme", "version": "1", "signed_at": "1970-01-01T00:00:00Z",
                     "repository": "acme/widgets", "pull_request": 3,
                     "comment_url": "https://github.com/acme/widgets/pull/3#issuecomment-1",
                     "action": None, "actor_id": None, "actor_login": None, "revoked_at": None}]


async def test_waiting_records(store):
    await sig.mark_involved(store, OWNER_ID, 5, "acme/widgets", 1, {10, 11})  # a check has started
    await sig.mark_involved(store, OWNER_ID, 5, "acme/widgets", 1, {12})
    await sig.record_verdict(store, OWNER_ID, 5, "acme/gadgets", 4, waiting={10}, relying=set())
    await sig.record_verdict(store, OWNER_ID + 1, 6, "globex/x", 2, waiting={10}, relying=set())
    assert await sig.waiting_for(store, OWNER_ID, 10) == [("acme/gadgets", 4), ("acme/widgets", 1)]
    assert await sig.waiting_for(store, OWNER_ID, 12) == [("acme/widgets", 1)]
    assert await relying(store, {(OWNER_ID, 12)}) == [(5, "acme/widgets", 1)]  # until the check ends
    await sig.record_verdict(store, OWNER_ID, 5, "acme/widgets", 1, waiting={11}, relying={10})
    assert await sig.waiting_for(store, OWNER_ID, 10) == [("acme/gadgets", 4)]
    assert await sig.waiting_for(store, OWNER_ID, 11) == [("acme/widgets", 1)]
    assert await relying(store, {(OWNER_ID, 12)}) == []
    await sig.forget_pull_request(store, "acme/widgets", 1)
    assert await sig.waiting_for(store, OWNER_ID, 11) == []


async def relying(store, pairs):
    async with store.engine.connect() as conn:
        return await sig.relying_on(conn, pairs)


async def test_prs_relying_on_a_signature_are_found_until_they_close(store):
    await sig.record_verdict(store, OWNER_ID, 5, "acme/widgets", 1, waiting={11}, relying={10, 12})
    await sig.record_verdict(store, OWNER_ID, 5, "acme/gadgets", 4, waiting=set(), relying={10})
    await sig.record_verdict(store, OWNER_ID + 1, 6, "globex/x", 2, waiting=set(), relying={10})
    assert await relying(store, {(OWNER_ID, 10)}) == [(5, "acme/gadgets", 4), (5, "acme/widgets", 1)]
    assert await relying(store, {(OWNER_ID, 10), (OWNER_ID + 1, 10)}) == [
        (5, "acme/gadgets", 4), (5, "acme/widgets", 1), (6, "globex/x", 2)]
    assert await sig.waiting_for(store, OWNER_ID, 11) == [("acme/widgets", 1)]
    await sig.record_verdict(store, OWNER_ID, 5, "acme/widgets", 1, waiting=set(), relying={12})  # a new check
    assert await relying(store, {(OWNER_ID, 10)}) == [(5, "acme/gadgets", 4)]
    assert await sig.waiting_for(store, OWNER_ID, 11) == []
    await sig.forget_pull_request(store, "acme/gadgets", 4)
    assert await relying(store, {(OWNER_ID, 10)}) == []
