"""SQLite for SQLAlchemy's asyncio engine without a thread hop per call.

aiosqlite runs every DBAPI call (cursor, execute, fetch, close, commit, rollback) on its
own thread and wakes the event loop for each answer: five or so round trips for one
statement, about 1 ms of CPU, where SQLite itself needs 10-50 µs. At ~6 statements per
delivery that was a third of the bot's CPU per delivery.

This module gives SQLAlchemy's `sqlite+aiosqlite` dialect (through `async_creator`) a
connection with aiosqlite's interface that runs statements on the event loop's thread; a
local file answers them in microseconds. Two things could hold the loop, and do not:

- **Committing** a transaction that wrote syncs the WAL to disk (`synchronous=FULL`) and
  sometimes checkpoints. Where that is quick (an SSD: ~0.1-0.3 ms) it runs inline. Sent to a
  thread, the same commit cost far more: the thread needs the GIL back from a busy event
  loop (up to the 5 ms switch interval) while the transaction's write lock is held, and
  every writer queued behind it (bench.throughput spread-0: 129 -> 161 deliveries/s, 3 runs
  each, interleaved). Where commits are slow (a network disk, a loaded host), they go to a
  thread so the loop keeps answering webhooks meanwhile. `CommitTimes` decides, from how
  long the file's recent commits took, wherever they ran. The webhooks' group commit is the
  exception (`commit_on_thread`): processing yields to webhooks being answered
  (bot.intake.WebhooksFirst), so the loop is not busy then, and while their fsync runs on the
  thread it reads the next webhooks. A commit of a transaction that changed no row, and every
  rollback, is instant and always inline.
- **Another connection's lock** (a CLI command, a second process on the file, another
  `Store` in tests): SQLite's own busy wait would sleep on the loop, so the connection
  has no busy timeout, and a statement or commit that finds the database locked is tried
  again after an asynchronous sleep, for up to the busy timeout `bot.store` asks for.

A connection is used by one task at a time (SQLAlchemy's pool checks it out), so running
its calls on the loop and, one at a time, on the commit thread is safe
(`check_same_thread=False`). A task cancelled while its commit runs on the thread leaves
the connection to that commit: the next call, or closing it, waits for it to finish.
"""

from __future__ import annotations

import asyncio
import contextvars
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy.engine import URL

T = TypeVar("T")

# Slow commits (their fsync). One thread: SQLite serialises the commits to a file anyway, and
# a commit here never waits for a lock (the connection has no busy timeout).
_commits = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-commit")
FIRST_RETRY_DELAY = 0.001
MAX_RETRY_DELAY = 0.05
# A commit that usually takes longer than this goes to the thread: the loop would otherwise
# stand still for it. Below it, the thread's round trip costs more than it spares.
INLINE_COMMIT_MAX = 0.001


# Set (by bot.store) around a unit a webhook is waiting for: its commit runs on the thread whatever
# the average says. Its fsync then leaves the loop free to read the next webhooks, which the group
# commit stores together afterwards (bench.throughput spread-50, 8 interleaved pairs: ack p99 median
# 24.8 against 31.3 ms, better in 7 of 8; deliveries/s unchanged).
commit_on_thread: contextvars.ContextVar[bool] = contextvars.ContextVar("commit_on_thread", default=False)


async def start_commit_thread() -> None:
    """Start the commit thread now (the pool starts it at its first task), before a webhook waits on it."""
    await asyncio.get_running_loop().run_in_executor(_commits, _nothing)


def _nothing() -> None:
    return None


class CommitTimes:
    """How long a database file's recent commits took (a moving average), wherever they ran.

    Starts on the thread until a commit has been timed: a slow disk is never guessed fast.
    """

    def __init__(self, alpha: float = 0.2) -> None:
        self.alpha = alpha
        self.average: float | None = None

    def inline(self) -> bool:
        return self.average is not None and self.average <= INLINE_COMMIT_MAX

    def record(self, seconds: float) -> None:
        self.average = seconds if self.average is None else self.average + self.alpha * (seconds - self.average)

    def timed(self, commit: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            started = time.perf_counter()
            commit()
            self.record(time.perf_counter() - started)
        return run


SQLITE_BUSY, SQLITE_LOCKED, SQLITE_BUSY_SNAPSHOT = 5, 6, 517


def _is_locked(exc: sqlite3.OperationalError) -> bool:
    """Another connection holds the lock, and waiting can help.

    Not SQLITE_BUSY_SNAPSHOT: a transaction that read an older snapshot can never write
    (SQLite does not wait for it either); it fails at once, as before.
    """
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:  # no extended code: judge by the message
        return "locked" in str(exc)
    return code != SQLITE_BUSY_SNAPSHOT and code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED)


class InlineCursor:
    """aiosqlite's Cursor interface over a sqlite3 cursor, run inline."""

    def __init__(self, connection: "InlineConnection", cursor: sqlite3.Cursor) -> None:
        self._connection = connection
        self._cursor = cursor

    async def __aenter__(self) -> "InlineCursor":
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> "InlineCursor":
        await self._connection._run(self._cursor.execute, sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any] | dict[str, Any]]) -> "InlineCursor":
        rows = list(parameters)  # consumed once, whether the first try or the retry runs it
        await self._connection._run(self._cursor.executemany, sql, rows)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def setinputsizes(self, *sizes: Any) -> None:
        return None

    async def nextset(self) -> None:
        return None

    def __aiter__(self):
        return self._rows()

    async def _rows(self):
        for row in self._cursor:
            yield row

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class InlineConnection:
    """aiosqlite's Connection interface (the part SQLAlchemy's adapter uses) over sqlite3, run inline."""

    def __init__(self, connection: sqlite3.Connection, commit_times: CommitTimes | None = None) -> None:
        self._conn = connection
        self.commit_times = commit_times if commit_times is not None else CommitTimes()
        self._open = True
        self._pending: asyncio.Future[Any] | None = None  # a commit running on the thread
        self._changes_at_end = connection.total_changes  # rows changed up to the last commit or rollback
        self.busy_timeout_ms = 0  # how long to keep trying while the database is locked (set by bot.store)

    @property
    def _connection(self) -> sqlite3.Connection | None:
        """As aiosqlite names it: the sqlite3 connection while open (SQLAlchemy's adapter checks it)."""
        return self._conn if self._open else None

    async def _run(self, function: Callable[..., T], *args: Any, on_thread: bool = False) -> T:
        """Call `function` (inline, or on the commit thread); while the database is locked, wait and call again."""
        await self._settle()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.busy_timeout_ms / 1000
        delay = FIRST_RETRY_DELAY
        while True:
            try:
                if not on_thread:
                    return function(*args)
                self._pending = loop.run_in_executor(_commits, function, *args)
                # Shielded: a cancelled caller must not hand the connection on while the thread still uses it.
                return await asyncio.shield(self._pending)
            except sqlite3.OperationalError as exc:
                if not _is_locked(exc) or loop.time() + delay > deadline:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_DELAY)

    async def _settle(self) -> None:
        """Wait for a commit a cancelled task left running on the thread."""
        pending, self._pending = self._pending, None
        if pending is not None and not pending.done():
            await asyncio.wait([pending])

    def cursor(self) -> InlineCursor:
        return InlineCursor(self, self._conn.cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> InlineCursor:
        cursor = self.cursor()
        return await cursor.execute(sql, parameters)

    async def commit(self) -> None:
        await self._settle()
        if not self._conn.in_transaction:
            return
        # A transaction that changed no row (a claim that found nothing) writes nothing to sync:
        # committed inline. One that wrote: inline while this file's commits are quick, else on
        # the thread (`CommitTimes`). A failed (locked) commit leaves the transaction open, and
        # retrying it is allowed.
        if self._conn.total_changes == self._changes_at_end:
            await self._run(self._conn.commit)
        else:
            away = commit_on_thread.get() or not self.commit_times.inline()
            await self._run(self.commit_times.timed(self._conn.commit), on_thread=away)
        self._changes_at_end = self._conn.total_changes

    async def rollback(self) -> None:
        await self._settle()
        self._conn.rollback()
        self._changes_at_end = self._conn.total_changes

    async def close(self) -> None:
        await self._settle()
        self.stop()

    def stop(self) -> None:
        """Close (also SQLAlchemy's terminate); after a commit still running on the thread, if there is one."""
        self._open = False
        pending = self._pending
        if pending is not None and not pending.done():
            pending.add_done_callback(lambda _: self._conn.close())
        else:
            self._conn.close()

    async def create_function(self, name: str, num_params: int, func: Callable[..., Any], *,
                              deterministic: bool = False) -> None:
        self._conn.create_function(name, num_params, func, deterministic=deterministic)

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @property
    def total_changes(self) -> int:
        return self._conn.total_changes


def creator(url: URL) -> Callable[[], Any]:
    """`create_async_engine(url, async_creator=creator(url))` for a `sqlite+aiosqlite` URL."""
    database = url.database or ":memory:"
    uri = str(url.query.get("uri", "")).lower() in ("true", "1")
    commit_times = CommitTimes()  # the file's, shared by its connections

    async def connect() -> InlineConnection:
        # Opening a local file is instant, and done once per pooled connection.
        return InlineConnection(sqlite3.connect(database, check_same_thread=False, timeout=0, uri=uri), commit_times)

    return connect
