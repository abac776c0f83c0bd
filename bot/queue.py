"""The durable delivery queue: a `deliveries` table that workers claim from.

Why a table and not memory: a delivery answered with 202 must survive a crash, and
several replicas must share the work. A claim is one atomic UPDATE that also enforces
"one subject at a time" (a subject is a repository plus a PR/issue number) and "one
replica per installation at a time" (so the in-process write pacing of an installation
holds across replicas); a claim holds a lease that the worker renews, so work held by a
dead process returns to the queue when its lease expires.

Claims skip an installation whose write window is full (`installation_writes.ready_at`,
see bot.pacing) and take deliveries in turn order (`fair_turns`): one installation flooding
the queue does not push another's deliveries behind its whole backlog.

On PostgreSQL the claim runs under a transaction-scoped advisory lock: claims are
serialised across every replica, so the "nobody else holds this subject/installation"
checks are exact (row locks alone, e.g. FOR UPDATE SKIP LOCKED, cannot see a competing
claim of a *different* row of the same subject). A claim is one short statement on
indexed columns, held for milliseconds; GitHub's API limits bind long before it does.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import os
import random
import socket
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, String, bindparam, func, literal_column, select, text, update
from sqlalchemy.engine import Connection

from bot import sqlite_inline
from bot.listen import notify, notify_in_unit
from bot.store import Store, deliveries, delivery_payloads, installation_writes
from bot.wakeup import Wakeup

log = logging.getLogger(__name__)

_CLAIM_LOCK_KEY = 7_402_117_002
_CLAIM_LOCK = text("SELECT pg_advisory_xact_lock(:k)")  # claims are serialised across replicas
# The last turn of each of these installations' waiting deliveries (`fair_turns`). One max() per
# installation, each a single seek at the end of ix_deliveries_installation_turn: a GROUP BY over
# `installation_id IN (...)` read every queued row of those installations, so each webhook batch
# cost more the longer an installation's backlog (2.1 ms at 20,000 queued, against 0.03 ms).
# Parameter `ids`: a JSON array on SQLite (its json_each gives the rows), a list on PostgreSQL.
_LAST_TURN_OF = "(SELECT max(d.turn_at) FROM deliveries AS d WHERE d.installation_id = {id} AND d.state = 'queued')"
_LAST_TURNS_SQLITE = text(f"SELECT j.value, {_LAST_TURN_OF.format(id='j.value')} FROM json_each(:ids) AS j")
_LAST_TURNS_POSTGRES = text(f"SELECT i, {_LAST_TURN_OF.format(id='i')} FROM unnest(CAST(:ids AS bigint[])) AS i")
# SQLite without json_each (JSON1 is built in from 3.38): the GROUP BY.
_LAST_TURNS_GROUPED = (select(deliveries.c.installation_id, func.max(deliveries.c.turn_at))
                       .where(deliveries.c.installation_id.in_(bindparam("ids", expanding=True)),
                              deliveries.c.state == "queued")
                       .group_by(deliveries.c.installation_id))
_JSON_EACH = sqlite3.sqlite_version_info >= (3, 38)
# A delivery's payload text (a row stored before `delivery_payloads` has its own), returned by the claim
# itself and read by `get`. Written out: SQLite's dialect renders RETURNING columns unqualified, and
# `WHERE id = id` would match any row.
_PAYLOAD_TEXT = literal_column(
    "coalesce((SELECT kept.payload FROM delivery_payloads AS kept WHERE kept.id = deliveries.id), deliveries.payload)")
# Built once; parameters: delivery_id, owner, finished_at.
_COMPLETE = (
    update(deliveries)
    .where(deliveries.c.id == bindparam("delivery_id"), deliveries.c.lease_owner == bindparam("owner"))
    .values(state="done", finished_at=bindparam("finished_at"), lease_owner=None, lease_until=None, last_error=None)
)
# How far apart, in turn order, one installation's waiting deliveries are placed (see `fair_turns`).
TURN_SPACING = 1.0


@dataclass(frozen=True)
class Delivery:
    id: str
    event: str
    action: str | None
    installation_id: int | None
    repository: str | None
    subject: str | None
    payload: dict[str, Any]
    attempts: int


def subject_of(event: str, payload: dict[str, Any]) -> str | None:
    """The unit of serialisation: `owner/repo#number` (or a merge group's head)."""
    repo = (payload.get("repository") or {}).get("full_name")
    if not repo:
        return None
    for key in ("pull_request", "issue"):
        item = payload.get(key)
        if isinstance(item, dict) and item.get("number") is not None:
            return f"{repo}#{item['number']}"
    if isinstance(payload.get("number"), int):
        return f"{repo}#{payload['number']}"
    group = payload.get("merge_group")
    if isinstance(group, dict) and group.get("head_sha"):
        return f"{repo}@{group['head_sha']}"
    return None


def describe(event: str, payload: dict[str, Any]) -> tuple[str | None, int | None, str | None]:
    action = payload.get("action") if isinstance(payload.get("action"), str) else None
    installation = payload.get("installation") or {}
    installation_id = installation.get("id") if isinstance(installation.get("id"), int) else None
    repository = (payload.get("repository") or {}).get("full_name")
    return action, installation_id, repository if isinstance(repository, str) else None


def owner_id() -> str:
    """This queue's lease-owner name: `host:pid:random`, so an operator can tell which replica holds what."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _row(delivery_id: str, event: str, payload: dict[str, Any], raw: str | None = None, *,
         now: float) -> dict[str, Any]:
    """A new `deliveries` row, queued now (its turn is set when it is stored: `fair_turns`)."""
    action, installation_id, repository = describe(event, payload)
    return dict(
        id=delivery_id, event=event, action=action, installation_id=installation_id,
        repository=repository, subject=subject_of(event, payload),
        payload=raw if raw is not None else json.dumps(payload), received_at=now,
        state="queued", attempts=0, available_at=now, turn_at=now,
    )


def _last_turns(conn: Connection, ids: list[int]) -> tuple[Any, dict[str, Any]]:
    """`_LAST_TURNS_*` for this database, with its parameter."""
    if conn.dialect.name == "postgresql":
        return _LAST_TURNS_POSTGRES, {"ids": ids}
    if _JSON_EACH:
        return _LAST_TURNS_SQLITE, {"ids": json.dumps(ids)}
    return _LAST_TURNS_GROUPED, {"ids": ids}


def fair_turns(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Give each new delivery its turn: its arrival, but at least TURN_SPACING after the last turn of
    its installation's deliveries still waiting (start-time fair queuing, per installation).

    Claims walk turns in order, so an installation that queues 500 deliveries at once has them
    spread over 500 s of turns, and one arriving from another installation meanwhile is taken
    next, not after the 500. An installation with nothing waiting starts afresh at its arrival.
    """
    ids = {row["installation_id"] for row in rows if row["installation_id"] is not None}
    last: dict[int, float] = {}
    if ids:
        last = {int(inst): turn for inst, turn in conn.execute(*_last_turns(conn, sorted(ids))).all()
                if turn is not None}
    for row in rows:
        installation_id = row["installation_id"]
        if installation_id is None:
            continue
        previous = last.get(installation_id)
        if previous is not None:
            row["turn_at"] = max(row["received_at"], previous + TURN_SPACING)
        last[installation_id] = row["turn_at"]


class _Rehearsed(Exception):
    """Ends `GroupCommit.rehearse`'s transaction: raised inside it, so it is rolled back."""


class GroupCommit:
    """Stores webhook deliveries in shared transactions: one commit (one fsync) for every delivery
    that arrived while the previous commit was running, instead of one commit each.

    With one commit per delivery, 20 concurrent webhooks queue behind each other's fsync and
    collide on SQLite's single write lock. Each caller still returns only after the transaction
    holding its row has committed, so a 202 still means "durably stored".
    """

    MAX_BATCH = 200

    def __init__(self, store: Store) -> None:
        self.store = store
        self._pending: list[tuple[dict[str, Any], asyncio.Future[bool]]] = []
        self._flusher: asyncio.Task[None] | None = None
        # Built once: building a statement cost about as much CPU as running it, inside the write lock.
        self._insert_rows = store.insert(deliveries).on_conflict_do_nothing(index_elements=["id"]).returning(
            deliveries.c.id)
        self._insert_payloads = store.insert(delivery_payloads)

    async def submit(self, values: dict[str, Any]) -> bool:
        """Store one delivery row; True if accepted, False if it is a duplicate (see `enqueue`)."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((values, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="delivery-group-commit")
        return await future

    async def rehearse(self, row: dict[str, Any]) -> None:
        """Run a batch's statements for `row` in a transaction that is rolled back: nothing is stored.

        Before the server accepts connections (`bot.server`): the first webhooks otherwise paid for
        compiling the statements (SQLAlchemy caches each on first use) and starting the commit
        thread, all of them waiting on the first batch.
        """
        def rehearsal(conn: Connection) -> None:
            self.store_rows(conn, [row])
            notify_in_unit(self.store, conn, 1)
            raise _Rehearsed

        try:
            await self.store.write_unit(rehearsal, urgent=True)
        except _Rehearsed:
            pass
        if not self.store.is_postgres:
            await sqlite_inline.start_commit_thread()

    async def drain(self) -> None:
        """Wait for rows still being committed (shutdown), so none is cut off mid-transaction."""
        if self._flusher is not None and not self._flusher.done():
            await asyncio.gather(self._flusher, return_exceptions=True)

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[: self.MAX_BATCH], self._pending[self.MAX_BATCH:]
            rows = [values for values, _ in batch]

            def store(conn: Connection) -> list[bool]:
                accepted = self.store_rows(conn, rows)
                if any(accepted):
                    notify_in_unit(self.store, conn, sum(accepted))  # other replicas' idle workers too
                return accepted

            try:
                accepted = await self.store.write_unit(store, urgent=True)
            except Exception as exc:  # the database is away: every caller answers 503, GitHub redelivers
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), ok in zip(batch, accepted):
                if not future.done():
                    future.set_result(ok)

    def store_rows(self, conn: Connection, rows: list[dict[str, Any]]) -> list[bool]:
        """Insert the batch in one statement (one trip to the database), then settle known ids; the
        payloads of those accepted go to `delivery_payloads`, in one more.

        Building and sending one INSERT per row was most of a webhook's time inside the write
        transaction, and every other webhook waited behind it. Synchronous: run inside a
        `Store.write_unit` (or `AsyncConnection.run_sync`), the batch's statements in one switch.
        """
        fair_turns(conn, rows)
        slim = [{**values, "payload": ""} for values in rows]
        if not conn.dialect.insert_executemany_returning:  # SQLite before 3.35
            new_ids = {values["id"] for values in slim if conn.execute(
                self.store.insert(deliveries).values(**values).on_conflict_do_nothing(index_elements=["id"])
            ).rowcount == 1}
        else:
            new_ids = set(conn.execute(self._insert_rows, slim).scalars())
        accepted, payloads = [], []
        for values in rows:
            if values["id"] in new_ids:
                new_ids.discard(values["id"])  # the same id twice in one batch: only the first is new
                payloads.append({"id": values["id"], "payload": values["payload"]})
                accepted.append(True)
            else:
                accepted.append(self._requeue_failed(conn, values))
        if payloads:
            conn.execute(self._insert_payloads, payloads)
        return accepted

    def _requeue_failed(self, conn: Connection, values: dict[str, Any]) -> bool:
        # A known id: GitHub's redelivery of one that failed here is queued again; anything else is a duplicate.
        requeued = conn.execute(
            update(deliveries)
            .where(deliveries.c.id == values["id"], deliveries.c.state == "failed")
            .values(state="queued", attempts=0, available_at=values["available_at"], turn_at=values["turn_at"],
                    lease_owner=None, lease_until=None, payload="")
        )
        if requeued.rowcount != 1:
            return False
        conn.execute(self.store.upsert_by_keys(delivery_payloads, ("id",)),
                     {"id": values["id"], "payload": values["payload"]})
        return True


class DeliveryQueue:
    def __init__(self, store: Store, *, lease_seconds: float = 60.0, max_attempts: int = 6,
                 retry_base_seconds: float = 2.0, per_installation: int | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock  # wall-clock seconds; the write windows' clock (tests and benches advance it)
        # At most this many of this process's workers on one installation, so an installation whose
        # writes are being paced (or that floods us) leaves the other workers to everybody else.
        self.per_installation = per_installation
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self.retry_base_seconds = retry_base_seconds
        self.owner = owner_id()
        self.wakeup = Wakeup()
        self._group_commit = GroupCommit(store)
        self._claim_statement: Any = None
        # What this process holds (delivery id -> installation, subject): a new delivery that a claim here
        # could not take (its installation at `per_installation`, its subject held) wakes no worker.
        self._holding: dict[str, tuple[int | None, str | None]] = {}
        self._held_per_installation: collections.Counter[int] = collections.Counter()
        self._held_subjects: collections.Counter[str] = collections.Counter()

    async def enqueue(self, delivery_id: str, event: str, payload: dict[str, Any], raw: str | None = None) -> bool:
        """Store a delivery. True if it was accepted for processing, False if it is a duplicate.

        A delivery id already queued, in progress or done is a duplicate; one that
        failed is GitHub's redelivery and is queued again.
        """
        row = _row(delivery_id, event, payload, raw, now=self.clock())
        accepted = await self._group_commit.submit(row)
        if accepted and self.could_claim(row["installation_id"], row["subject"]):
            self.wakeup.notify()
        return accepted

    def could_claim(self, installation_id: int | None, subject: str | None) -> bool:
        """Whether a claim here could take a new delivery of this installation and subject now.

        False when this process already holds its subject, or `per_installation` deliveries of its
        installation: waking a worker for it would only run a claim that finds nothing, and with a
        backlog in few installations such a claim walks the whole queue (bench.ack_latency busy-0:
        5-10 ms each, at every webhook). The delivery is taken when one of those is done: each
        completion wakes a worker.
        """
        if subject is not None and self._held_subjects[subject]:
            return False
        return (installation_id is None or self.per_installation is None
                or self._held_per_installation[installation_id] < self.per_installation)

    def _held_here(self) -> dict[str, list[Any]]:
        """The claim's `subjects_here` and `full_here`, as this process knows them now."""
        limit = self.per_installation
        return {"subjects_here": list(self._held_subjects) or [""],
                "full_here": [i for i, n in self._held_per_installation.items()
                              if limit is not None and n >= limit] or [-1]}

    def _took(self, delivery: Delivery | None) -> Delivery | None:
        if delivery is not None:
            self.let_go(delivery.id)
            self._holding[delivery.id] = (delivery.installation_id, delivery.subject)
            if delivery.installation_id is not None:
                self._held_per_installation[delivery.installation_id] += 1
            if delivery.subject is not None:
                self._held_subjects[delivery.subject] += 1
        return delivery

    def let_go(self, delivery_id: str) -> None:
        """This process no longer holds the delivery (done, handed back, or given up to its lease)."""
        installation_id, subject = self._holding.pop(delivery_id, (None, None))
        if installation_id is not None:
            self._held_per_installation[installation_id] -= 1
            if self._held_per_installation[installation_id] <= 0:
                del self._held_per_installation[installation_id]
        if subject is not None:
            self._held_subjects[subject] -= 1
            if self._held_subjects[subject] <= 0:
                del self._held_subjects[subject]

    async def enqueue_in(self, conn: Any, delivery_id: str, event: str, payload: dict[str, Any]) -> bool:
        """`enqueue` inside the caller's transaction: stored if, and only if, that commits."""
        row = _row(delivery_id, event, payload, now=self.clock())
        accepted = (await conn.run_sync(lambda sync_conn: self._group_commit.store_rows(sync_conn, [row])))[0]
        if accepted:
            await notify(self.store, conn)
        return accepted

    async def rehearse_intake(self) -> None:
        """Take a webhook's path into the queue once, storing nothing (see `GroupCommit.rehearse`)."""
        payload = {"action": "opened", "installation": {"id": 0}, "number": 1,
                   "repository": {"full_name": "rehearsal/rehearsal"}, "pull_request": {"number": 1}}
        await self._group_commit.rehearse(_row("rehearsal", "pull_request", payload, now=self.clock()))

    async def close(self) -> None:
        await self._group_commit.drain()

    async def claim(self) -> Delivery | None:
        """Atomically take the oldest ready delivery that nobody else may be working on.

        Claimable: queued and due, or processing under an expired lease (its owner died),
        and neither its subject held by anyone, nor its installation held by *another*
        owner or waiting for its write window (deliveries without a subject or installation
        are free). Among those, the earliest turn (`fair_turns`).
        """
        return self._took(self._delivery(await self.store.write_unit(self._claim_in_unit(), redone_if_lost=True)))

    def _claim_in_unit(self) -> Callable[[Connection], tuple[Any, str] | None]:
        """The claim as a step of a write unit: returns the claimed row and its payload's text, or None."""
        now = self.clock()
        if self._claim_statement is None:
            self._claim_statement = self._build_claim()
        params = {"now": now, "owner": self.owner, "claim_lease_until": now + self.lease_seconds}
        statement, is_postgres = self._claim_statement, self.store.is_postgres

        def claim_one(conn: Connection) -> tuple[Any, str] | None:
            if is_postgres:
                conn.execute(_CLAIM_LOCK, {"k": _CLAIM_LOCK_KEY})
            row = conn.execute(statement, {**params, **self._held_here()}).first()
            return None if row is None else (row, row.payload_text or "")

        return claim_one

    @staticmethod
    def _delivery(claimed: tuple[Any, str] | None) -> Delivery | None:
        if claimed is None:
            return None
        row, text = claimed
        try:
            payload = json.loads(text)
        except ValueError:
            payload = {}
        return Delivery(row.id, row.event, row.action, row.installation_id, row.repository, row.subject, payload,
                        row.attempts)

    def _build_claim(self) -> Any:
        """The claim statement, built once: building it (aliases, subqueries) cost more CPU than running it.
        Parameters: `now`, `owner`, `claim_lease_until`."""
        now, owner = bindparam("now", type_=Float), bindparam("owner", type_=String)
        d = deliveries.alias("d")
        p = deliveries.alias("p")
        i = deliveries.alias("i")
        subject_busy = (
            select(p.c.id)
            .where(p.c.subject == d.c.subject, p.c.state == "processing", p.c.lease_until >= now, p.c.id != d.c.id)
            .exists()
        )
        installation_elsewhere = (
            select(i.c.id)
            .where(i.c.installation_id == d.c.installation_id, i.c.state == "processing", i.c.lease_until >= now,
                   i.c.lease_owner != owner)
            .exists()
        )
        if self.per_installation is not None:  # exact: counted in the database, under the claim's lock
            h = deliveries.alias("h")
            at_limit_here = (
                select(func.count())
                .select_from(h)
                .where(h.c.installation_id == d.c.installation_id, h.c.state == "processing", h.c.lease_until >= now,
                       h.c.lease_owner == owner)
                .scalar_subquery()
            ) >= self.per_installation
            installation_elsewhere = installation_elsewhere | at_limit_here
        w = installation_writes.c
        window_full = select(w.installation_id).where(w.installation_id == d.c.installation_id, w.ready_at > now).exists()
        # What this process holds it knows without asking (`_holding`): rows of a subject it holds, or of an
        # installation it holds `per_installation` deliveries of, are stepped over by these two cheap terms,
        # placed first, before the subqueries (a claim walking a backlog of 2,000 rows in a few installations
        # that were all busy here took ~5 ms; see `could_claim`). They only save work: a claim running
        # beside another of this process may not see it yet, and the subqueries stay the rule.
        held_here = (d.c.subject.is_(None) | d.c.subject.not_in(bindparam("subjects_here", expanding=True))) & (
            d.c.installation_id.is_(None) | d.c.installation_id.not_in(bindparam("full_here", expanding=True)))
        free = held_here & (d.c.subject.is_(None) | ~subject_busy) & (
            d.c.installation_id.is_(None) | ~(installation_elsewhere | window_full))
        # Two lookups that stop at the first free row instead of sorting every ready row: a lease that
        # expired (its owner died; rare, few rows), else the queued delivery of the earliest turn, walked
        # in turn order on ix_deliveries_turn. Rows that may not be taken are stepped over: those held
        # here by the two cheap terms, the rest by their subqueries (one index probe each), so a claim
        # that finds nothing in a large backlog costs about 1 ms at 2,000 rows.
        expired = (
            select(d.c.id).where(d.c.state == "processing", d.c.lease_until < now, free)
            .order_by(d.c.received_at).limit(1)
        ).scalar_subquery()
        queued = (
            select(d.c.id).where(d.c.state == "queued", d.c.available_at <= now, free)
            .order_by(d.c.turn_at).limit(1)
        ).scalar_subquery()
        candidate = func.coalesce(expired, queued)
        stmt = (
            update(deliveries)
            .where(
                deliveries.c.id == candidate,
                ((deliveries.c.state == "queued") | ((deliveries.c.state == "processing") & (deliveries.c.lease_until < now))),
            )
            .values(state="processing", lease_owner=owner, lease_until=bindparam("claim_lease_until", type_=Float),
                    attempts=deliveries.c.attempts + 1)
            .returning(deliveries.c.id, deliveries.c.event, deliveries.c.action, deliveries.c.installation_id,
                       deliveries.c.repository, deliveries.c.subject, deliveries.c.attempts,
                       _PAYLOAD_TEXT.label("payload_text"))
        )
        return stmt

    async def heartbeat(self, delivery_id: str) -> bool:
        """Renew this process's lease; False if it no longer holds it (it expired and was taken over)."""
        async with self.store.transaction() as conn:
            result = await conn.execute(
                update(deliveries)
                .where(deliveries.c.id == delivery_id, deliveries.c.lease_owner == self.owner,
                       deliveries.c.state == "processing")
                .values(lease_until=self.clock() + self.lease_seconds)
            )
        return (result.rowcount or 0) == 1

    async def complete(self, delivery_id: str, *, claim_next: bool = False) -> Delivery | None:
        """Mark a delivery done. `claim_next`: and claim the next one in the same transaction (a
        worker going on to its next delivery saves a commit), which is returned (None: nothing to do)."""
        values = {"delivery_id": delivery_id, "owner": self.owner, "finished_at": self.clock()}
        claim = self._claim_in_unit() if claim_next else None

        def complete_one(conn: Connection) -> Any:
            conn.execute(_COMPLETE, values)
            notify_in_unit(self.store, conn)  # its subject and installation are free for any replica now
            return claim(conn) if claim is not None else None

        self.let_go(delivery_id)  # before the chained claim reads what this process holds
        return self._took(self._delivery(await self.store.write_unit(complete_one, redone_if_lost=True)))

    async def fail(self, delivery: Delivery, error: str, *, permanent: bool, delay: float | None = None) -> bool:
        """Record a failure; returns True if the delivery is now final (`failed`)."""
        final = permanent or delivery.attempts >= self.max_attempts
        if final:
            values: dict[str, Any] = dict(state="failed", finished_at=self.clock())
        else:
            backoff = self.retry_base_seconds * (2 ** (delivery.attempts - 1))
            backoff = min(backoff, 600.0) * random.uniform(0.8, 1.2)
            values = dict(state="queued", available_at=self.clock() + max(backoff, delay or 0.0))
        self.let_go(delivery.id)
        async with self.store.transaction() as conn:
            await conn.execute(
                update(deliveries)
                .where(deliveries.c.id == delivery.id, deliveries.c.lease_owner == self.owner)
                .values(last_error=error[:2000], lease_owner=None, lease_until=None, **values)
            )
            await notify(self.store, conn)  # its subject and installation are free again
        if not final:
            self.wakeup.notify()
        return final

    async def defer(self, delivery: Delivery, until: float, reason: str) -> None:
        """Hand a delivery back until `until` without counting the attempt: its installation's write
        window is full (not a failure), so it runs again, once, when the window has room."""
        self.let_go(delivery.id)
        async with self.store.transaction() as conn:
            await conn.execute(
                update(deliveries)
                .where(deliveries.c.id == delivery.id, deliveries.c.lease_owner == self.owner)
                .values(state="queued", available_at=until, lease_owner=None, lease_until=None,
                        attempts=deliveries.c.attempts - 1, last_error=reason[:2000])
            )
            await notify(self.store, conn)  # its subject is free again
        self.wakeup.notify()

    async def release_mine(self) -> int:
        """Give back work this process holds (shutdown); the attempt is not counted."""
        for delivery_id in list(self._holding):
            self.let_go(delivery_id)
        async with self.store.transaction() as conn:
            result = await conn.execute(
                update(deliveries)
                .where(deliveries.c.lease_owner == self.owner, deliveries.c.state == "processing")
                .values(state="queued", lease_owner=None, lease_until=None, available_at=self.clock(),
                        attempts=deliveries.c.attempts - 1)
            )
            if result.rowcount:
                await notify(self.store, conn, result.rowcount)
        return result.rowcount or 0

    async def prune(self, older_than_seconds: float) -> int:
        """Forget finished deliveries older than the retention window (their payloads add up).

        Their ids then no longer count as duplicates; GitHub offers redelivery for a few days
        only, so a retention of two weeks keeps the dedupe promise with room to spare."""
        cutoff = self.clock() - older_than_seconds
        finished = (deliveries.c.state.in_(("done", "failed")), deliveries.c.finished_at < cutoff)
        async with self.store.transaction() as conn:
            await conn.execute(delivery_payloads.delete().where(
                delivery_payloads.c.id.in_(select(deliveries.c.id).where(*finished))))
            result = await conn.execute(deliveries.delete().where(*finished))
        return result.rowcount or 0

    async def retry_failed(self, delivery_id: str | None = None) -> list[str]:
        """Queue failed deliveries again (one, or every one): a running server's workers take them.

        Only `failed` rows change, in one UPDATE: a delivery queued, in progress or done is left
        alone, so a retry can never make the bot run a delivery twice at once.
        """
        now = time.time()  # a retry takes its turn behind what is waiting now, as a redelivery does
        condition = deliveries.c.state == "failed"
        if delivery_id is not None:
            condition = condition & (deliveries.c.id == delivery_id)
        async with self.store.transaction() as conn:
            result = await conn.execute(
                update(deliveries).where(condition)
                .values(state="queued", attempts=0, available_at=now, turn_at=now, lease_owner=None,
                        lease_until=None, finished_at=None)
                .returning(deliveries.c.id))
            retried = list(result.scalars())
            if retried:
                await notify(self.store, conn, len(retried))  # PostgreSQL: wake the replicas' idle workers
        if retried:
            self.wakeup.notify()
        return retried

    async def depth(self) -> int:
        async with self.store.engine.connect() as conn:
            value = await conn.scalar(
                select(func.count()).select_from(deliveries).where(deliveries.c.state.in_(("queued", "processing")))
            )
        return int(value or 0)

    async def find(self, *, state: str | None = None, repository: str | None = None,
                   limit: int = 50) -> list[dict[str, Any]]:
        """Deliveries, newest first, without their payloads (`deliveries list`)."""
        columns = [c for c in deliveries.c if c.name != "payload"]
        query = select(*columns).order_by(deliveries.c.received_at.desc()).limit(limit)
        if state:
            query = query.where(deliveries.c.state == state)
        if repository:
            query = query.where(func.lower(deliveries.c.repository) == repository.lower())
        async with self.store.engine.connect() as conn:
            return [dict(row) for row in (await conn.execute(query)).mappings()]

    async def get(self, delivery_id: str) -> dict[str, Any] | None:
        """One delivery, with its payload."""
        columns = [c for c in deliveries.c if c.name != "payload"]
        query = select(*columns, _PAYLOAD_TEXT.label("payload")).where(deliveries.c.id == delivery_id)
        async with self.store.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return dict(row) if row else None
