"""The missed-delivery sweep: ask GitHub to redeliver what never reached the bot (SPEC §2).

GitHub does not retry a webhook delivery that failed (the bot restarting, a deploy, a timeout):
it records the failure in the App's delivery log and stops. GitHub's own advice ("Handling
failed webhook deliveries") is a scheduled script that reads the log (`GET /app/hook/deliveries`,
App JWT, newest first, paginated by a cursor in the Link header) and asks for a redelivery
(`POST /app/hook/deliveries/{id}/attempts`) of each delivery whose status is not `OK`, within
the three days GitHub keeps deliveries redeliverable. This is that script, inside the server:

- a GUID is missing when none of its attempts in the log is `OK` and the bot holds it neither
  queued, in progress nor done (`deliveries`);
- each missing GUID is asked for once: `redelivery_requests` records it before the request, so
  two replicas (or `deliveries sweep` beside a server) never ask twice; a request GitHub could not
  take (5xx, unreachable) is forgotten again so the next sweep asks;
- one replica sweeps at a time (a lease row in `delivery_sweep`), at start-up and every
  `SWEEP_INTERVAL_SECONDS`; a routine sweep reads back only to where the last successful one
  started (less a margin), so it costs one request, two when a page boundary falls there.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import gidgethub
from sqlalchemy import BigInteger, Column, Float, String, Table, delete, select, update

from bot import metrics
from bot.errors import RetryLater
from bot.github import GitHubApp
from bot.queue import owner_id
from bot.store import Store, deliveries, metadata

log = logging.getLogger(__name__)

WINDOW_SECONDS = 72 * 3600  # GitHub redelivers deliveries of the past three days
# Read back this far before the last sweep's start: GitHub may log a failure a little after it began
# (its 10-second timeout), and the previous sweep may have read the log just before that.
OVERLAP_SECONDS = 600.0
LEASE_SECONDS = 300.0
PER_PAGE = 100
RATE_LIMIT_RESERVE = 50  # stop asking when the App's remaining requests fall this low
HELD_STATES = ("queued", "processing", "done")
_SWEEP = "app"

delivery_sweep = Table(
    "delivery_sweep",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("holder", String(64)),  # the replica sweeping now (see `bot.queue.owner_id`)
    Column("lease_until", Float, nullable=False),
    Column("last_started", Float),  # wall clock
    Column("covered_until", Float),  # every delivery logged before this was looked at
)

redelivery_requests = Table(
    "redelivery_requests",
    metadata,
    Column("guid", String(128), primary_key=True),
    Column("delivery_id", BigInteger, nullable=False),  # the log entry whose redelivery was asked for
    Column("event", String(64)),
    Column("action", String(64)),
    Column("delivered_at", Float),
    Column("requested_at", Float, nullable=False),
    Column("outcome", String(200)),  # None: accepted by GitHub; else why it could not be
)


@dataclass(frozen=True)
class Missing:
    """A GUID the log shows as never delivered and the bot does not hold."""

    guid: str
    delivery_id: int
    event: str
    action: str | None
    delivered_at: float
    status: str

    def describe(self) -> str:
        when = dt.datetime.fromtimestamp(self.delivered_at, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
        event = f"{self.event}.{self.action}" if self.action else self.event
        return f"{self.guid} {event} at {when} ({self.status})"


@dataclass
class SweepReport:
    since: float
    log_requests: int = 0
    looked_at: int = 0
    missing: list[Missing] = field(default_factory=list)
    requested: list[Missing] = field(default_factory=list)
    refused: list[tuple[Missing, str]] = field(default_factory=list)
    complete: bool = True


def _timestamp(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class DeliverySweeper:
    def __init__(self, github: GitHubApp, store: Store, *, interval: float = 300.0) -> None:
        self.github = github
        self.store = store
        self.interval = interval
        self.owner = owner_id()

    # -- the lease -----------------------------------------------------------------------------

    async def _acquire(self, now: float, *, force: bool) -> float | None:
        """Take the sweep lease; the previous coverage (0: none) or None when another replica sweeps
        (or, unless `force`, swept less than an interval ago)."""
        t = delivery_sweep.c
        async with self.store.transaction() as conn:
            await conn.execute(self.store.insert(delivery_sweep).values(name=_SWEEP, lease_until=0.0)
                               .on_conflict_do_nothing(index_elements=["name"]))
            free = (t.lease_until < now) | (t.holder == self.owner)
            if not force:
                free = free & (t.last_started.is_(None) | (t.last_started <= now - 0.9 * self.interval))
            taken = await conn.execute(update(delivery_sweep).where(t.name == _SWEEP, free).values(
                holder=self.owner, lease_until=now + LEASE_SECONDS, last_started=now))
            if taken.rowcount != 1:
                return None
            covered = (await conn.execute(select(t.covered_until).where(t.name == _SWEEP))).scalar()
        return float(covered or 0.0)

    async def _release(self, *, covered_until: float | None) -> None:
        values: dict[str, Any] = {"holder": None, "lease_until": 0.0}
        if covered_until is not None:
            values["covered_until"] = covered_until
        t = delivery_sweep.c
        async with self.store.transaction() as conn:
            await conn.execute(update(delivery_sweep).where(t.name == _SWEEP, t.holder == self.owner).values(**values))

    # -- one sweep -----------------------------------------------------------------------------

    async def sweep(self, *, since_hours: float | None = None, force: bool = False) -> SweepReport | None:
        """One sweep; None when another replica is sweeping (or swept within the interval).

        `since_hours`: look that far back (at most the 72-hour window) instead of from the last sweep.
        Raises when GitHub or the database fails; the coverage then stays where it was.
        """
        now = time.time()
        covered = await self._acquire(now, force=force or since_hours is not None)
        if covered is None:
            return None
        started = time.monotonic()
        window_start = now - WINDOW_SECONDS
        resume_from = max(window_start, covered - OVERLAP_SECONDS)
        since = resume_from if since_hours is None else max(window_start, now - since_hours * 3600)
        report = SweepReport(since=since)
        try:
            await self._sweep(report)
            await self._forget_past_window(window_start)
        except BaseException:
            metrics.sweeps.labels("failed").inc()
            await asyncio.shield(self._release(covered_until=None))
            raise
        finally:
            metrics.sweep_seconds.observe(time.monotonic() - started)
        metrics.sweeps.labels("complete" if report.complete else "partial").inc()
        # Coverage only grows without a gap: a shorter `--since` leaves it where it was.
        await self._release(covered_until=now if report.complete and since <= resume_from else None)
        return report

    async def _sweep(self, report: SweepReport) -> None:
        gh = self.github.app_client()
        attempts = await self._read_log(gh, report)
        failed = {guid: items for guid, items in attempts.items() if all(i.get("status") != "OK" for i in items)}
        if not failed:
            return
        held = await self._held(list(failed))
        for guid, items in failed.items():
            if guid in held:
                continue
            newest = max(items, key=lambda i: (_timestamp(i.get("delivered_at")) or 0.0, i.get("id") or 0))
            oldest = min(_timestamp(i.get("delivered_at")) or 0.0 for i in items)
            report.missing.append(Missing(guid, int(newest["id"]), str(newest.get("event") or ""),
                                          newest.get("action"), oldest, str(newest.get("status") or "")))
        report.missing.sort(key=lambda m: m.delivered_at)  # redelivered in the order they happened
        metrics.sweep_missing.inc(len(report.missing))
        for missing in report.missing:
            limit = getattr(gh, "rate_limit", None)
            if limit is not None and limit.remaining < RATE_LIMIT_RESERVE:
                log.warning("the App's rate limit is low (%d left); the sweep resumes next time", limit.remaining)
                report.complete = False
                return
            if not await self._claim(missing):
                continue  # asked for already (by this or another replica)
            outcome = await self._redeliver(gh, missing)
            if outcome is None:
                report.requested.append(missing)
                metrics.sweep_redeliveries.inc()
            else:
                report.refused.append((missing, outcome))

    async def _read_log(self, gh: Any, report: SweepReport) -> dict[str, list[dict[str, Any]]]:
        """Every attempt logged since `report.since`, by GUID, reading pages newest first until one ends
        before it (or GitHub's log ends)."""
        attempts: dict[str, list[dict[str, Any]]] = {}
        before = gh.request_count
        try:
            async with contextlib.aclosing(gh.getiter(f"/app/hook/deliveries?per_page={PER_PAGE}")) as items:
                async for item in items:
                    if not isinstance(item, dict) or not isinstance(item.get("guid"), str):
                        continue
                    delivered = _timestamp(item.get("delivered_at"))
                    if delivered is None or delivered < report.since:
                        break  # newest first: the rest is older still (the next page is never asked for)
                    report.looked_at += 1
                    attempts.setdefault(item["guid"], []).append(item)
        finally:
            report.log_requests = gh.request_count - before
        return attempts

    async def _held(self, guids: list[str]) -> set[str]:
        t = deliveries.c
        held: set[str] = set()
        async with self.store.engine.connect() as conn:
            for start in range(0, len(guids), 500):
                chunk = guids[start:start + 500]
                held.update((await conn.execute(select(t.id).where(t.id.in_(chunk), t.state.in_(HELD_STATES)))).scalars())
        return held

    async def _claim(self, missing: Missing) -> bool:
        """Record that this GUID's redelivery is being asked for; False if someone already has."""
        values = dict(guid=missing.guid, delivery_id=missing.delivery_id, event=missing.event[:64],
                      action=(missing.action or None) and str(missing.action)[:64],
                      delivered_at=missing.delivered_at, requested_at=time.time())
        async with self.store.transaction() as conn:
            result = await conn.execute(self.store.insert(redelivery_requests).values(**values)
                                        .on_conflict_do_nothing(index_elements=["guid"]))
        return result.rowcount == 1

    async def _redeliver(self, gh: Any, missing: Missing) -> str | None:
        """Ask GitHub to deliver again; None when it accepted, else why not (then it is not asked again)."""
        try:
            await gh.post(f"/app/hook/deliveries/{missing.delivery_id}/attempts", data={})
            log.info("asked GitHub to redeliver %s", missing.describe())
            return None
        except gidgethub.BadRequest as exc:
            status = int(exc.status_code)
            if status in (403, 429):
                await self._unclaim(missing.guid)
                raise RetryLater(f"rate limited asking for a redelivery: {status}") from None
            reason = f"GitHub refused the redelivery: {status} {exc}"[:200]
        except BaseException:
            # GitHub did not take the request (5xx, unreachable): the next sweep asks again.
            await asyncio.shield(self._unclaim(missing.guid))
            raise
        log.warning("cannot redeliver %s: %s", missing.describe(), reason)
        t = redelivery_requests.c
        async with self.store.transaction() as conn:
            await conn.execute(update(redelivery_requests).where(t.guid == missing.guid).values(outcome=reason))
        return reason

    async def _forget_past_window(self, window_start: float) -> None:
        """Drop what was asked for before the window: GitHub no longer lists those deliveries."""
        t = redelivery_requests.c
        async with self.store.transaction() as conn:
            await conn.execute(delete(redelivery_requests).where(t.requested_at < window_start - 86400))

    async def _unclaim(self, guid: str) -> None:
        async with self.store.transaction() as conn:
            await conn.execute(delete(redelivery_requests).where(redelivery_requests.c.guid == guid))

    # -- in the server ---------------------------------------------------------------------------

    async def run(self, listening: asyncio.Event, *, startup_wait: float = 30.0) -> None:
        """Sweep once the server listens (a redelivery sent earlier would fail again), then every interval.

        A failed sweep is logged and counted; the next interval tries again from the same point.
        """
        try:
            await asyncio.wait_for(listening.wait(), timeout=startup_wait)
        except TimeoutError:
            pass
        force = True  # at start-up, even if another replica swept a moment ago
        while True:
            try:
                report = await self.sweep(force=force)
                if report is not None and (report.requested or report.refused):
                    log.info("delivery sweep: %d missing, %d redeliveries asked for (%d log requests)",
                             len(report.missing), len(report.requested), report.log_requests)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("delivery sweep failed (%s: %s); trying again in %.0f s",
                            type(exc).__name__, str(exc)[:200], self.interval)
            force = False
            await asyncio.sleep(self.interval)
