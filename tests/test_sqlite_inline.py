"""SQLite statements on the event loop, commits and lock waits off it (bot/sqlite_inline.py)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from bot import sqlite_inline
from bot.store import Store, deliveries


@pytest.fixture
async def store(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'inline.db'}")
    await store.create_schema()
    yield store
    await store.close()


def row(n: int) -> dict:
    return {"id": f"d{n}", "event": "ping", "payload": "{}", "received_at": 0.0, "state": "queued", "attempts": 0,
            "available_at": 0.0}


async def traced(store: Store) -> list[tuple[str, str]]:
    """(thread name, statement) for every statement the store's pooled connection runs from now on."""
    seen: list[tuple[str, str]] = []
    async with store.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        raw.driver_connection._conn.set_trace_callback(
            lambda statement: seen.append((threading.current_thread().name, statement)))
    return seen


async def commit_times(store: Store) -> sqlite_inline.CommitTimes:
    async with store.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        return raw.driver_connection.commit_times


async def insert(store: Store, n: int) -> None:
    async with store.transaction() as conn:
        await conn.execute(deliveries.insert().values(**row(n)))


def commit_threads(seen: list[tuple[str, str]]) -> list[str]:
    return [t for t, s in seen if s == "COMMIT"]


async def test_statements_run_on_the_loop_and_commits_where_they_cost_least(store):
    """A commit that wrote runs on the thread until the file's commits are known to be quick,
    inline while they are, and on the thread again once they are slow."""
    seen = await traced(store)
    times = await commit_times(store)
    loop_thread = threading.current_thread().name
    await insert(store, 1)  # nothing timed yet: the thread
    assert commit_threads(seen)[-1].startswith("sqlite-commit")
    assert times.average is not None  # the commit was timed there
    times.average = sqlite_inline.INLINE_COMMIT_MAX / 10  # a quick disk
    await insert(store, 2)
    assert commit_threads(seen)[-1] == loop_thread
    times.average = sqlite_inline.INLINE_COMMIT_MAX * 10  # a slow one
    await insert(store, 3)
    assert commit_threads(seen)[-1].startswith("sqlite-commit")
    assert [t for t, s in seen if s.startswith(("INSERT", "SELECT"))] == [loop_thread] * 3
    async with store.engine.connect() as conn:
        assert (await conn.execute(select(deliveries.c.id))).scalars().all() == ["d1", "d2", "d3"]


async def test_a_unit_a_webhook_waits_for_commits_on_the_thread_even_where_commits_are_quick(store):
    seen = await traced(store)
    times = await commit_times(store)
    times.average = sqlite_inline.INLINE_COMMIT_MAX / 10  # a quick disk: others commit inline
    loop_thread = threading.current_thread().name
    await store.write_unit(lambda conn: conn.execute(deliveries.insert().values(**row(1))), urgent=True)
    assert commit_threads(seen)[-1].startswith("sqlite-commit")
    await store.write_unit(lambda conn: conn.execute(deliveries.insert().values(**row(2))))
    assert commit_threads(seen)[-1] == loop_thread
    assert [t for t, s in seen if s.startswith("INSERT")] == [loop_thread] * 2  # statements stay on the loop


def test_commit_times_follow_the_recent_commits():
    times = sqlite_inline.CommitTimes(alpha=0.5)
    assert not times.inline()  # unknown: not guessed fast
    times.record(0.0002)
    assert times.inline()
    for _ in range(5):
        times.record(0.02)  # the disk slowed down
    assert not times.inline()
    for _ in range(10):
        times.record(0.0001)
    assert times.inline()


async def test_a_transaction_that_changed_no_row_commits_on_the_loop(store):
    """A claim that finds nothing has nothing to sync: no trip to the commit thread."""
    seen = await traced(store)
    async with store.transaction() as conn:
        result = await conn.execute(deliveries.update().where(deliveries.c.id == "none").values(state="done"))
    assert result.rowcount == 0
    commits = [t for t, s in seen if s == "COMMIT"]
    assert commits == [threading.current_thread().name]


async def test_a_locked_database_is_waited_for_without_holding_the_loop(store, tmp_path):
    other = sqlite3.connect(tmp_path / "inline.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process's write transaction
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    running = asyncio.create_task(ticker())
    loop = asyncio.get_running_loop()
    loop.call_later(0.3, lambda: other.execute("COMMIT"))
    started = time.monotonic()
    async with store.transaction() as conn:
        await conn.execute(deliveries.insert().values(**row(2)))
    waited = time.monotonic() - started
    running.cancel()
    other.close()
    assert waited >= 0.25  # it did wait for the lock...
    assert ticks >= 10  # ...while the loop kept running other work
    async with store.engine.connect() as conn:
        assert (await conn.execute(select(deliveries.c.id))).scalars().all() == ["d2"]


async def test_a_lock_held_past_the_busy_timeout_fails_with_database_is_locked(store, tmp_path):
    other = sqlite3.connect(tmp_path / "inline.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    async with store.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        raw.driver_connection.busy_timeout_ms = 200
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            async with store.transaction() as conn:
                await conn.execute(deliveries.insert().values(**row(3)))
    finally:
        other.execute("ROLLBACK")
        other.close()


async def test_a_cancelled_commit_finishes_before_the_connection_is_used_again(tmp_path):
    """The caller is cancelled while its commit runs on the thread: nothing touches the connection until it is done."""
    database = tmp_path / "cancel.db"
    connection = await sqlite_inline.creator(type("U", (), {"database": str(database), "query": {}})())()
    await connection.execute("CREATE TABLE t (x)")
    await connection.commit()
    await connection.execute("INSERT INTO t VALUES (1)")
    release = threading.Event()
    real_commit = connection._conn.commit
    order: list[str] = []

    class SlowCommit:
        """Stands in for the sqlite3 connection while one commit is slow (sqlite3's methods are read-only)."""

        def __getattr__(self, name):
            return getattr(connection.__dict__["_real"], name)

        def commit(self):
            release.wait(5)
            real_commit()
            order.append("committed")

    connection.__dict__["_real"] = connection._conn
    connection._conn = SlowCommit()
    committing = asyncio.create_task(connection.commit())
    await asyncio.sleep(0.05)
    committing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await committing
    closing = asyncio.create_task(connection.close())
    await asyncio.sleep(0.05)
    assert not closing.done() and order == []  # close waits for the commit still running
    release.set()
    await closing
    assert order == ["committed"]
    check = sqlite3.connect(database)
    assert check.execute("SELECT x FROM t").fetchall() == [(1,)]
    check.close()


async def test_only_lock_errors_are_retried(store):
    async with store.engine.connect() as conn:
        with pytest.raises(OperationalError, match="no such table"):
            await conn.execute(text("SELECT * FROM no_such_table"))
    snapshot = sqlite3.OperationalError("database is locked")
    snapshot.sqlite_errorcode = sqlite_inline.SQLITE_BUSY_SNAPSHOT
    busy = sqlite3.OperationalError("database is locked")
    busy.sqlite_errorcode = sqlite_inline.SQLITE_BUSY
    assert not sqlite_inline._is_locked(snapshot) and sqlite_inline._is_locked(busy)
