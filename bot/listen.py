"""Wake-ups between replicas on PostgreSQL (LISTEN/NOTIFY).

A replica's idle workers are woken by its own webhooks (`bot.wakeup`), but work becomes
claimable through other replicas too: a webhook that the load balancer sent elsewhere, a
subject or installation another replica has just finished with, a shutting-down replica
handing its work back. Without a signal, that work waited for the next idle poll (half a
second). Each of those writes sends `NOTIFY` in its own transaction (delivered only if it
commits), and every replica keeps one connection listening, which wakes one idle worker.

The poll stays as the safety net: a notification lost while the listening connection is
being re-established costs at most one poll interval, never the work.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store import Store
from bot.wakeup import Wakeup

log = logging.getLogger(__name__)

CHANNEL = "governance_deliveries"
_NOTIFY = text("SELECT pg_notify(:channel, :count)")
HEALTH_CHECK_SECONDS = 30.0  # a half-open connection (failover, cut network) never reports its end
HEALTH_CHECK_TIMEOUT = 10.0
RECONNECT_DELAYS = (0.5, 1.0, 2.0, 5.0)


async def notify(store: Store, conn: AsyncConnection, count: int = 1) -> None:
    """Tell every replica there may be `count` deliveries to claim, when `conn`'s transaction commits."""
    if store.is_postgres:
        await conn.execute(_NOTIFY, {"channel": CHANNEL, "count": str(count)})


def notify_in_unit(store: Store, conn: Connection, count: int = 1) -> None:
    """`notify` inside `Store.write_unit`."""
    if store.is_postgres:
        conn.execute(_NOTIFY, {"channel": CHANNEL, "count": str(count)})


class Listener:
    """Holds one pooled connection on LISTEN and turns each notification into one wake-up."""

    def __init__(self, store: Store, wakeup: Wakeup) -> None:
        self.store = store
        self.wakeup = wakeup
        self.received = 0
        self.sessions = 0  # LISTENs established so far (1 + reconnections)
        self.server_pid: int | None = None
        self.listening = asyncio.Event()  # set while LISTEN is in place (tests wait for it)

    def _on_notification(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        self.received += 1
        self.wakeup.notify(int(payload) if payload.isdigit() else 1)  # as many workers as deliveries

    async def run(self) -> None:
        """Listen until cancelled, re-establishing the connection when it is lost."""
        failures = 0
        while True:
            lost = asyncio.Event()
            try:
                async with self.store.engine.connect() as conn:
                    raw = await conn.get_raw_connection()
                    driver = raw.driver_connection
                    driver.add_termination_listener(lambda *_: lost.set())
                    await driver.add_listener(CHANNEL, self._on_notification)
                    self.server_pid = driver.get_server_pid()  # for an operator's pg_stat_activity, and tests
                    self.sessions += 1
                    self.listening.set()
                    failures = 0
                    # Work committed while we were not listening is found by this poll.
                    self.wakeup.notify()
                    try:
                        await self._until_lost(driver, lost)
                    finally:
                        self.listening.clear()
                        if not driver.is_closed():
                            async with asyncio.timeout(HEALTH_CHECK_TIMEOUT):  # a stuck server cannot hold up shutdown
                                await driver.remove_listener(CHANNEL, self._on_notification)
                log.warning("the notification connection closed; listening again")
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is away: the idle poll covers the gap
                log.warning("cannot listen for other replicas' work (%s); retrying", type(exc).__name__)
            await asyncio.sleep(RECONNECT_DELAYS[min(failures, len(RECONNECT_DELAYS) - 1)])
            failures += 1

    @staticmethod
    async def _until_lost(driver: Any, lost: asyncio.Event) -> None:
        """Return when the connection ends, or stops answering a periodic `SELECT 1`."""
        while True:
            try:
                async with asyncio.timeout(HEALTH_CHECK_SECONDS):
                    await lost.wait()
                return
            except TimeoutError:
                pass
            try:
                async with asyncio.timeout(HEALTH_CHECK_TIMEOUT):
                    await driver.execute("SELECT 1")
            except Exception:  # any failure means this connection cannot be trusted
                driver.terminate()
                return
