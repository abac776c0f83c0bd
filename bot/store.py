"""Database: engine set-up, the shared table metadata, and the framework's own tables.

Rules declare their own tables on `metadata` (in their module), so one `create_all`
at start-up creates or extends the schema for every rule. SQLite is the embedded
default (WAL mode); PostgreSQL (asyncpg) serves several replicas.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import logging
import os
import sqlite3
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    event,
    inspect,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.util import greenlet_spawn  # what AsyncConnection runs each call through

from bot import sqlite_inline

log = logging.getLogger(__name__)

T = TypeVar("T")
SQLITE_BUSY_TIMEOUT_MS = 10_000  # another process's write lock (a CLI command, a second bot on the file)

metadata = MetaData()

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("event", String(64), nullable=False),
    Column("action", String(64)),
    Column("installation_id", BigInteger),
    Column("repository", String(300)),
    Column("subject", String(320)),
    Column("payload", Text, nullable=False),  # '' since `delivery_payloads`; older rows keep theirs here
    Column("received_at", Float, nullable=False),
    Column("state", String(16), nullable=False),  # queued | processing | done | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("available_at", Float, nullable=False),
    Column("lease_owner", String(64)),
    Column("lease_until", Float),
    Column("finished_at", Float),
    # The delivery's turn among all installations' (bot.queue.fair_turns): arrival time, pushed back
    # behind the installation's own deliveries still waiting. Null only for rows older than the column.
    Column("turn_at", Float),
    Column("outcome", Text),  # JSON list of "context: state" the delivery set (the dashboard shows it)
)
# (state, turn_at): a claim walks queued rows in turn order and stops at the first it may take.
# A (state, available_at) index must not exist beside it: SQLite's planner prefers its range and
# then sorts every queued row, which made each claim O(backlog) while holding the write lock.
Index("ix_deliveries_turn", deliveries.c.state, deliveries.c.turn_at)
Index("ix_deliveries_subject", deliveries.c.subject, deliveries.c.state)
# (installation, state, turn_at): "is the installation held" for claims, and its last turn for enqueues.
Index("ix_deliveries_installation_turn", deliveries.c.installation_id, deliveries.c.state, deliveries.c.turn_at)

# A delivery's payload, apart from its row. The row changes at its claim, every lease renewal and
# its completion, and SQLite writes a whole record again on UPDATE, overflow pages included: with
# the payload in the row, each change wrote 4 pages of the write-ahead log for a 6 KB payload
# instead of 1 (GitHub's pull_request payloads are 20-30 KB: 6-8), and every webhook's commit
# flushed those pages to disk before its 202. Written with the row, read when it is claimed.
delivery_payloads = Table(
    "delivery_payloads",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("payload", Text, nullable=False),
)

# One row per installation that has written: its write window (bot.writewindow, bot.pacing).
# `ready_at`: claims skip the installation's deliveries until then (its window is full, or GitHub
# paused it). `stamps` (PostgreSQL only): when its writes of the last hour were answered, so the
# replica that works for the installation next continues the same window.
installation_writes = Table(
    "installation_writes",
    metadata,
    Column("installation_id", BigInteger, primary_key=True),
    Column("ready_at", Float, nullable=False),
    Column("stamps", LargeBinary),
    Column("resume_at", Float, nullable=False),
    Column("as_of", Float, nullable=False),
)

report_comments = Table(
    "report_comments",
    metadata,
    Column("repository", String(300), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("comment_id", BigInteger, nullable=False),
    Column("body", Text, nullable=False),
)

report_sections = Table(
    "report_sections",
    metadata,
    Column("repository", String(300), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("rule", String(64), primary_key=True),
    Column("head_sha", String(64)),
    Column("needs_action", Boolean, nullable=False),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("updated_at", Float, nullable=False),
)

# Serialises schema creation across replicas starting together (PostgreSQL advisory lock key).
_SCHEMA_LOCK_KEY = 7_402_117_001


def async_url(url: str) -> str:
    """Map the user-facing DATABASE_URL onto SQLAlchemy's async drivers."""
    if url.startswith("sqlite+aiosqlite://"):
        return url
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://"):]
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return _asyncpg_ssl_option("postgresql+asyncpg://" + url[len(prefix):])
    raise ValueError(f"unsupported DATABASE_URL scheme: {url.split(':', 1)[0]}")


def _asyncpg_ssl_option(url: str) -> str:
    """libpq's `?sslmode=` (what managed databases hand out) is spelt `?ssl=` by asyncpg."""
    parsed = make_url(url)
    if "sslmode" not in parsed.query:
        return url
    mode = parsed.query["sslmode"]
    parsed = parsed.difference_update_query(["sslmode"])
    if "ssl" not in parsed.query:
        parsed = parsed.update_query_dict({"ssl": mode})
    return parsed.render_as_string(hide_password=False)


_holding_write_lock: contextvars.ContextVar[bool] = contextvars.ContextVar("holding_write_lock", default=False)


class WriteLock:
    """SQLite's single writer, queued in the event loop: FIFO, except that urgent writers go first.

    Without it, write transactions from the pool's connections collide inside SQLite, and the
    losers poll in its busy handler (sleeps of 1 to 100 ms, in no order). Webhook inserts are
    urgent (GitHub is waiting for the answer); workers' bookkeeping can wait a few milliseconds.
    """

    def __init__(self) -> None:
        self._locked = False
        self._urgent: collections.deque[asyncio.Future[None]] = collections.deque()
        self._others: collections.deque[asyncio.Future[None]] = collections.deque()

    async def acquire(self, urgent: bool = False) -> None:
        if not self._locked and not self._urgent and not self._others:
            self._locked = True
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._others
        queue.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed the lock just as we were cancelled: pass it on
            elif waiter in queue:
                queue.remove(waiter)
            raise

    def release(self) -> None:
        for queue in (self._urgent, self._others):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # handed over: stays locked
                    return
        self._locked = False


def absent_database(url: str) -> str | None:
    """Why a command that reads what `serve` stored must not open `url`: a SQLite file that does not exist.

    Opening it would create an empty database in whatever directory the command ran from, and
    then report "nothing there" instead of "wrong place".
    """
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    if not database or database == ":memory:" or Path(database).exists():
        return None
    return (f"DATABASE_URL: no database at {Path(database).resolve()} (nothing was created): run this where "
            "`governance-bot serve` runs, or set DATABASE_URL to its database")


class Store:
    """Owns the async engine. Everything that is state lives here, never in process memory.

    `dry_run=True` (`replay --dry-run`) guarantees that nothing reaches the database, whatever
    the code running on it does: on SQLite the store works on a scratch copy of the file (so
    reads see the real state and writes vanish with the copy); on PostgreSQL every write
    transaction is rolled back, any commit is refused, and no schema is created.
    """

    def __init__(self, url: str, *, dry_run: bool = False) -> None:
        self.dry_run = dry_run
        # Awaited before each unit that is not urgent: the server lets webhooks being answered go first.
        self.yield_point: Callable[[], Awaitable[None]] | None = None
        self._scratch: Path | None = None
        url = async_url(url)
        if dry_run and not url.startswith("postgresql"):
            self._scratch = _scratch_copy(url)
            url = f"sqlite+aiosqlite:///{self._scratch}"
        self.url = url
        self.is_postgres = self.url.startswith("postgresql")
        kwargs: dict = {}
        if self.is_postgres:
            # A bounded connect timeout: an unreachable host fails fast (503, retry) instead of hanging.
            # Pre-ping: a pooled connection that a database restart cut is replaced, not handed out.
            # (Not on SQLite: a local file's connection does not go stale, and the ping was a round
            # of the database thread at every checkout, ~10 a delivery.)
            kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=20, connect_args={"timeout": 10})
        else:
            # Statements on the event loop, commits on a thread: no thread hop per DBAPI call (bot.sqlite_inline).
            kwargs.update(async_creator=sqlite_inline.creator(make_url(self.url)))
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        # SQLite: bookkeeping that is redone if lost (`write_unit(redone_if_lost=True)`) commits on
        # connections of its own pool, set to synchronous=NORMAL once when opened; switching one
        # connection's level before and after each unit was four statements a unit.
        self._bookkeeping: AsyncEngine | None = None
        # SQLite only: one write transaction at a time, so it must never await network I/O or
        # open another transaction inside.
        self._write_lock: WriteLock | None = None if self.is_postgres else WriteLock()
        self._upserts: dict[tuple[str, tuple[str, ...]], Any] = {}
        if not self.is_postgres:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            self._bookkeeping = create_async_engine(
                self.url, async_creator=sqlite_inline.creator(make_url(self.url)))
            event.listen(self._bookkeeping.sync_engine, "connect", _sqlite_bookkeeping_pragmas)
        elif dry_run:
            event.listen(self.engine.sync_engine, "commit", _refuse_commit)

    async def create_schema(self) -> None:
        """Create missing tables; safe when several replicas start at once.

        Rules register their tables on `metadata` when they are imported, so the tables
        created are the framework's and those of every rule imported before this call.
        A dry run on PostgreSQL creates nothing: it works on the schema the bot made.
        """
        if self.dry_run and self.is_postgres:
            return
        if not self.is_postgres:
            await self._enable_wal()
        for attempt in range(1, 11):
            try:
                async with self.engine.begin() as conn:
                    if self.is_postgres:
                        # Replicas starting together queue here; each then sees what the first one created.
                        await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK_KEY})
                    await conn.run_sync(_create_missing)
                    # Replaced by ix_deliveries_turn and ix_deliveries_installation_turn; left in place,
                    # the planner could keep preferring them (and every insert would update them).
                    for old in ("ix_deliveries_claim", "ix_deliveries_queue", "ix_deliveries_installation"):
                        await conn.execute(text(f"DROP INDEX IF EXISTS {old}"))
                return
            except OperationalError as exc:
                # SQLite has no advisory lock: another process on the same file may create a table
                # between our check and our CREATE (checking again then finds it), or SQLite may
                # refuse a lock upgrade at once, without waiting, to avoid a deadlock.
                if self.is_postgres or not _sqlite_race(exc) or attempt == 10:
                    raise
                await asyncio.sleep(0.05 * attempt)

    async def _enable_wal(self) -> None:
        """Switch the SQLite file to WAL once (the mode is stored in the file).

        Not in the connect hook: converting needs an exclusive lock and SQLite answers
        "database is locked" at once, without its busy wait, when another connection
        converts or reads at the same moment (replicas or workers starting together).
        """
        for attempt in range(1, 41):
            try:
                async with self.engine.connect() as conn:
                    mode = (await conn.exec_driver_sql("PRAGMA journal_mode=WAL")).scalar()
                if mode in ("wal", "memory"):  # an in-memory database has no journal file
                    return
                raise RuntimeError(f"SQLite refused WAL mode (journal_mode is {mode!r})")
            except OperationalError as exc:
                if not _sqlite_race(exc) or attempt == 40:
                    raise
                await asyncio.sleep(min(0.02 * attempt, 0.25))

    async def create_schema_when_reachable(self, *, max_delay: float = 2.0) -> None:
        """`create_schema`, retried with capped backoff while the database cannot be reached.

        A replica may start before its database server (a restarted host, a failover): it
        waits and logs rather than crashing. Errors that are not about reaching the server
        (a broken schema, a refused permission), and any SQLite error (a local file is not
        "unreachable", it is misconfigured), are raised at once.
        """
        delay = 0.5
        while True:
            try:
                await self.create_schema()
                return
            except Exception as exc:
                if not self.is_postgres or not is_unreachable(exc):
                    raise
                # The type only: a driver's message may carry the connection string.
                log.warning("database not reachable yet (%s); retrying in %.1f s", type(exc).__name__, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_delay)

    @asynccontextmanager
    async def transaction(self, *, urgent: bool = False) -> AsyncIterator[AsyncConnection]:
        """A write transaction. `urgent`: goes before queued ones on SQLite (a webhook is waiting)."""
        if self._write_lock is None:
            if self.dry_run:  # PostgreSQL dry run: everything written here is undone
                async with self.engine.connect() as conn:
                    trans = await conn.begin()
                    try:
                        yield conn
                    finally:
                        await trans.rollback()
                return
            async with self.engine.begin() as conn:
                yield conn
            return
        if _holding_write_lock.get():
            # Waiting for ourselves would hang this task forever: fail loudly instead.
            raise RuntimeError("nested write transaction on SQLite: finish the outer one first")
        await self._write_lock.acquire(urgent)
        token = _holding_write_lock.set(True)
        try:
            async with self.engine.begin() as conn:
                yield conn
        finally:
            _holding_write_lock.reset(token)
            self._write_lock.release()

    async def read_unit(self, work: Callable[[Connection], T]) -> T:
        """`work(connection)`: synchronous statements on one connection, run as one unit.

        For the statements every delivery runs: SQLAlchemy's asyncio layer switches into its
        greenlet for each call (connect, execute, close), which cost more CPU than SQLite's
        work; here the whole unit is one switch. `work` must not do anything but statements.
        """
        if self.yield_point is not None:
            await self.yield_point()
        return await greenlet_spawn(self._read_unit, work)

    def _read_unit(self, work: Callable[[Connection], T]) -> T:
        with self.engine.sync_engine.connect() as conn:
            return work(conn)

    async def write_unit(self, work: Callable[[Connection], T], *, urgent: bool = False,
                         redone_if_lost: bool = False) -> T:
        """`work(connection)` in one write transaction, run as one unit (see `read_unit`);
        the same write lock and dry-run rules as `transaction`.

        `redone_if_lost`: the unit records bookkeeping whose loss only makes work be done again
        (a claim, a completion, a verdict or report section that the next evaluation writes
        anew). On SQLite it commits without its own fsync (on a connection of the bookkeeping
        pool, at `synchronous=NORMAL`): the commit survives the process being killed, and a
        power cut or an OS crash can take it only until the next ordinary commit (every
        webhook's is one) syncs the log with everything before it. Everything else, webhooks
        and rules' state (signatures, mentors), keeps `synchronous=FULL`.
        """
        if not urgent and self.yield_point is not None:
            await self.yield_point()
        if self._write_lock is None:
            return await greenlet_spawn(self._write_unit, work, redone_if_lost)
        if _holding_write_lock.get():
            raise RuntimeError("nested write transaction on SQLite: finish the outer one first")
        await self._write_lock.acquire(urgent)
        token = _holding_write_lock.set(True)
        away = sqlite_inline.commit_on_thread.set(urgent)  # a webhook waits: its fsync off the loop
        try:
            return await greenlet_spawn(self._write_unit, work, redone_if_lost)
        finally:
            sqlite_inline.commit_on_thread.reset(away)
            _holding_write_lock.reset(token)
            self._write_lock.release()

    def _write_unit(self, work: Callable[[Connection], T], redone_if_lost: bool = False) -> T:
        if self.dry_run and self.is_postgres:  # everything written here is undone
            with self.engine.sync_engine.connect() as conn:
                transaction = conn.begin()
                try:
                    return work(conn)
                finally:
                    transaction.rollback()
        engine = self._bookkeeping if redone_if_lost and self._bookkeeping is not None else self.engine
        with engine.sync_engine.begin() as conn:
            return work(conn)

    def upsert_by_keys(self, table: Table, keys: tuple[str, ...]) -> Any:
        """INSERT … ON CONFLICT (keys) DO UPDATE every other column, built once per table and
        executed with a whole row (`conn.execute(statement, values)`; a column left out would be
        overwritten with its default): building a statement with its values cost more CPU than
        running it. For some columns only, `upsert`."""
        cached = self._upserts.get((table.name, keys))
        if cached is None:
            stmt = self.insert(table)
            others = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
            cached = stmt.on_conflict_do_update(index_elements=list(keys), set_=others) if others else \
                stmt.on_conflict_do_nothing(index_elements=list(keys))
            self._upserts[(table.name, keys)] = cached
        return cached

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(select(1))
            return True
        except Exception as exc:  # any driver error means "not ready"
            log.warning("database not reachable: %s", type(exc).__name__)
            return False

    def insert(self, table: Table):
        """A dialect-aware INSERT that supports on_conflict_* (upserts)."""
        return pg_insert(table) if self.is_postgres else sqlite_insert(table)

    async def upsert(self, conn: AsyncConnection, table: Table, values: dict, keys: list[str]) -> None:
        stmt = self.insert(table).values(**values)
        update = {k: v for k, v in values.items() if k not in keys}
        if update:
            stmt = stmt.on_conflict_do_update(index_elements=keys, set_=update)
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=keys)
        await conn.execute(stmt)

    async def close(self) -> None:
        await self.engine.dispose()
        if self._bookkeeping is not None:
            await self._bookkeeping.dispose()
        if self._scratch is not None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self._scratch}{suffix}").unlink(missing_ok=True)
            self._scratch = None


def _scratch_copy(url: str) -> Path:
    """A private copy of a SQLite database (empty if it has none yet), for a dry run.

    SQLite's backup API copies a consistent snapshot, WAL content included.
    """
    database = make_url(url).database or ""
    handle, name = tempfile.mkstemp(prefix="governance-dry-run-", suffix=".db")
    os.close(handle)
    if database and database != ":memory:" and Path(database).exists():
        source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        target = sqlite3.connect(name)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    return Path(name)


def _refuse_commit(conn: Connection) -> None:
    raise RuntimeError("dry run: nothing may be committed to the database")


def _create_missing(conn: Connection) -> None:
    """Bring the schema up to this version: missing tables, then columns and indexes added to
    tables that already exist (create_all skips those). Migrations are additive only: a new
    column must be nullable or have a server default, so older rows stay valid."""
    metadata.create_all(conn)
    inspector = inspect(conn)
    for table in metadata.sorted_tables:
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present:
                _add_column(conn, table, column)
        for index in table.indexes:
            index.create(conn, checkfirst=True)


def _add_column(conn: Connection, table: Table, column: Column) -> None:
    if not column.nullable and column.server_default is None:
        raise RuntimeError(f"cannot add column {table.name}.{column.name}: new columns need to be nullable "
                           "or have a server default")
    column_type = column.type.compile(dialect=conn.dialect)
    default = ""
    if column.server_default is not None:
        default = " DEFAULT " + str(column.server_default.arg.compile(dialect=conn.dialect)
                                    if hasattr(column.server_default.arg, "compile") else column.server_default.arg)
    preparer = conn.dialect.identifier_preparer
    conn.execute(text(f"ALTER TABLE {preparer.format_table(table)} ADD COLUMN "
                      f"{preparer.format_column(column)} {column_type}{default}"))
    log.info("schema: added column %s.%s", table.name, column.name)


def is_unreachable(exc: BaseException) -> bool:
    """True for errors that mean "the database is not there right now" (worth retrying).

    Refused or dropped connections, timeouts, and PostgreSQL's SQLSTATE class 08
    (connection exception) and 57P01-57P03 (shutting down, crashed, starting up).
    """
    if isinstance(exc, (OSError, asyncio.TimeoutError, OperationalError, InterfaceError)):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        sqlstate = getattr(exc.orig, "sqlstate", None) or ""
        return sqlstate.startswith("08") or sqlstate in _UNAVAILABLE_SQLSTATES
    return False


_UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})


def _sqlite_race(exc: OperationalError) -> bool:
    """SQLite errors that a moment's wait resolves (another connection got there first)."""
    message = str(exc.orig)
    return "already exists" in message or "database is locked" in message


# Every commit syncs the log (a 202 means stored), but bookkeeping that is redone if lost (`write_unit`).
_SYNC_DEFAULT = "PRAGMA synchronous=FULL"
_SYNC_REDONE_IF_LOST = "PRAGMA synchronous=NORMAL"


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - exercised by every test
    """Per-connection settings. WAL is per file, set once by `Store.create_schema`."""
    cursor = dbapi_connection.cursor()
    driver = getattr(dbapi_connection, "driver_connection", None)
    if isinstance(driver, sqlite_inline.InlineConnection):
        driver.busy_timeout_ms = SQLITE_BUSY_TIMEOUT_MS  # waited for without holding the event loop
    else:
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute(_SYNC_DEFAULT)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_bookkeeping_pragmas(dbapi_connection, record) -> None:  # pragma: no cover - exercised by every test
    """The bookkeeping pool's connections: as the others, but commits without their own fsync."""
    _sqlite_pragmas(dbapi_connection, record)
    cursor = dbapi_connection.cursor()
    cursor.execute(_SYNC_REDONE_IF_LOST)
    cursor.close()


def now() -> float:
    return time.time()
