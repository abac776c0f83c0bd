"""Store.read_unit / write_unit / upsert_by_keys on SQLite and PostgreSQL: the steps every delivery takes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.store import Store, report_comments

pytest_plugins = ["tests.pg"]


@pytest.fixture
async def store(db_url):
    store = Store(db_url)
    await store.create_schema()
    yield store
    await store.close()


def comment(number: int, comment_id: int, body: str) -> dict:
    return {"repository": "acme/widgets", "number": number, "comment_id": comment_id, "body": body}


async def rows(store: Store) -> list[tuple]:
    statement = select(report_comments.c.number, report_comments.c.comment_id, report_comments.c.body) \
        .order_by(report_comments.c.number)
    return [tuple(r) for r in await store.read_unit(lambda conn: conn.execute(statement).all())]


async def test_an_upsert_built_once_inserts_then_replaces_whole_rows(store):
    upsert = store.upsert_by_keys(report_comments, ("repository", "number"))
    assert store.upsert_by_keys(report_comments, ("repository", "number")) is upsert  # built once
    await store.write_unit(lambda conn: conn.execute(upsert, [comment(1, 10, "first"), comment(2, 20, "second")]))
    await store.write_unit(lambda conn: conn.execute(upsert, comment(1, 11, "edited")))
    assert await rows(store) == [(1, 11, "edited"), (2, 20, "second")]


async def test_a_write_unit_that_fails_leaves_nothing_behind(store):
    upsert = store.upsert_by_keys(report_comments, ("repository", "number"))

    def half_then_fail(conn) -> None:
        conn.execute(upsert, comment(3, 30, "half"))
        raise RuntimeError("stopped mid-way")

    with pytest.raises(RuntimeError, match="mid-way"):
        await store.write_unit(half_then_fail)
    assert await rows(store) == []


async def test_a_dry_run_write_unit_on_postgresql_is_rolled_back(pg_url):
    real = Store(pg_url)
    await real.create_schema()
    dry = Store(pg_url, dry_run=True)
    try:
        upsert = dry.upsert_by_keys(report_comments, ("repository", "number"))
        await dry.write_unit(lambda conn: conn.execute(upsert, comment(4, 40, "dry")))
        assert await rows(real) == []
    finally:
        await dry.close()
        await real.close()


async def test_bookkeeping_redone_if_lost_commits_without_its_own_sync_and_the_rest_with_it(tmp_path):
    """SQLite: a unit marked `redone_if_lost` runs at synchronous=NORMAL (1) (its own pool's
    connections); every other transaction at FULL (2), also after such a unit failed."""
    store = Store(f"sqlite:///{tmp_path / 'sync.db'}")
    await store.create_schema()
    try:
        level = "PRAGMA synchronous"
        upsert = store.upsert_by_keys(report_comments, ("repository", "number"))

        def write_and_read_level(conn):
            conn.execute(upsert, comment(1, 10, "first"))
            return conn.exec_driver_sql(level).scalar()

        assert await store.write_unit(write_and_read_level, redone_if_lost=True) == 1
        assert await store.write_unit(write_and_read_level) == 2
        assert await store.read_unit(lambda conn: conn.exec_driver_sql(level).scalar()) == 2

        def fails(conn):
            conn.execute(upsert, comment(2, 20, "second"))
            raise RuntimeError("the unit fails")

        with pytest.raises(RuntimeError):
            await store.write_unit(fails, redone_if_lost=True)
        assert await store.read_unit(lambda conn: conn.exec_driver_sql(level).scalar()) == 2
        assert await rows(store) == [(1, 10, "first")]  # committed once, the failed unit left nothing
    finally:
        await store.close()
