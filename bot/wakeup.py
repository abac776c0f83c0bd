"""Waking idle workers when there is something to claim."""

from __future__ import annotations

import asyncio
import collections


class Wakeup:
    """Wakes idle workers one per reason to look (a new delivery, a finished one), not all at once.

    An asyncio.Event woke every idle worker at every webhook: under a burst each of them ran a
    claim that found nothing (its subject or installation already held) while holding SQLite's
    write lock, in front of the webhooks being stored. A notice that finds no idle worker is
    kept (up to `limit`), so one sent just before a worker starts waiting is not lost.
    """

    def __init__(self, limit: int = 8) -> None:
        self.limit = limit
        self._credits = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def notify(self, count: int = 1) -> None:
        while count > 0 and self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                count -= 1
        self._credits = min(self._credits + count, self.limit)

    def set(self) -> None:
        """Wake every idle worker (a test settling the queue, a shutdown)."""
        self.notify(len(self._waiters))

    async def wait(self, timeout: float) -> bool:
        """True when notified, False after `timeout` seconds without a notice."""
        if self._credits:
            self._credits -= 1
            return True
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                await waiter
            return True
        except TimeoutError:
            return False
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.notify(1)  # notified just as we were cancelled: pass the notice on
            raise
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
