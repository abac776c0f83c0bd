"""Per-installation write windows: GitHub's content-creation limits, kept exactly.

GitHub allows an installation at most 80 content-creating requests (POST, PATCH, PUT,
DELETE) a minute and 500 an hour, and asks for them one at a time. A `WriteWindow`
remembers when the installation's last writes were answered (at most
max(per_minute, per_hour) times, so its state is small and bounded) and lets a write start
only while both rolling windows have room: a burst up to the minute limit goes out at
once, never one more. A write is stamped when its answer arrives: GitHub counts it no later
than that, so spacing starts from stamps keeps any 60 s (or hour) of arrivals within the limit.

When the window is full for longer than a moment, `acquire` raises `WindowFull` with the
time it frees: the worker hands its delivery back to the queue for that time and the queue
skips the installation until then (`bot.pacing`, `bot.queue`), so no worker sleeps on it.
"""

from __future__ import annotations

import asyncio
import struct
import time
from collections import deque
from collections.abc import Callable
from contextvars import ContextVar

from bot.errors import RetryLater

Clock = Callable[[], float]  # wall-clock seconds; injectable so tests and benches can advance time

MINUTE = 60.0
HOUR = 3600.0
# A wait this short is taken inline (the window frees within a blink); longer ones hand the delivery back.
MAX_INLINE_WAIT = 0.25


# Set by the worker pool around a delivery: called once its evaluation is done and its writes begin.
writes_begin_hook: ContextVar[Callable[[], None] | None] = ContextVar("writes_begin_hook", default=None)


def writes_begin() -> None:
    """The delivery has read and decided everything; from here it checks its head and writes.

    GitHub takes an installation's writes one at a time, so from here the delivery's pace is its
    installation's write lane, not a worker's: the pool lets the worker go and claim other work
    while this delivery finishes in the background (`bot.workers`). Outside a pool: nothing.
    """
    hook = writes_begin_hook.get()
    if hook is not None:
        hook()


class WindowFull(RetryLater):
    """The installation may not write before `until` (its window is full, or GitHub paused it).

    `counts_attempt`: False for our own pacing (a full window is not a failure, however
    often it happens); True for a secondary-limit answer, so endless refusals still end.
    """

    def __init__(self, installation_id: int | None, until: float, *, reason: str = "write window full",
                 counts_attempt: bool = False, clock: Clock = time.time) -> None:
        wait = max(0.0, until - clock())
        super().__init__(f"installation {installation_id}: {reason}; writes resume in {wait:.1f}s", delay=wait)
        self.installation_id = installation_id
        self.until = until
        self.counts_attempt = counts_attempt


class WriteWindow:
    """One installation's writes: never concurrent, at most `per_minute` a minute and `per_hour` an hour."""

    def __init__(self, per_minute: int = 80, per_hour: int = 500, *, clock: Clock = time.time,
                 installation_id: int | None = None, max_inline_wait: float = MAX_INLINE_WAIT) -> None:
        self.per_minute = int(per_minute)
        self.per_hour = int(per_hour)
        self.clock = clock
        self.installation_id = installation_id
        self.max_inline_wait = max_inline_wait
        self.stamps: deque[float] = deque(maxlen=max(self.per_minute, self.per_hour))
        self.resume_at = 0.0  # a secondary-limit pause (wall clock); 0: none
        self.as_of = 0.0  # when this state last changed (orders saves from several replicas)
        self.lock = asyncio.Lock()
        self.holders = 0  # deliveries of this installation in progress in this process
        self.touched = False  # written through (or paused) since this process created it
        self.loading: asyncio.Future[None] | None = None  # a saved state being read (bot.pacing)

    def ready_at(self) -> float:
        """The earliest time the next write may start (in the past when there is room now)."""
        ready = self.resume_at
        stamps = self.stamps
        if len(stamps) >= self.per_minute:
            ready = max(ready, stamps[-self.per_minute] + MINUTE)
        if len(stamps) >= self.per_hour:
            ready = max(ready, stamps[-self.per_hour] + HOUR)
        return ready

    def pause(self, seconds: float) -> float:
        """GitHub answered with a secondary limit: no write before `seconds` from now. Returns that time."""
        now = self.clock()
        self.resume_at = max(self.resume_at, now + seconds)
        self.touched, self.as_of = True, now
        return self.resume_at

    async def acquire(self) -> None:
        """Wait for this installation's turn to write; the caller must `release()` after the answer.

        Raises `WindowFull` (holding nothing) when the window frees later than `max_inline_wait`.
        """
        await self.lock.acquire()
        try:
            while True:
                wait = self.ready_at() - self.clock()
                if wait <= 0:
                    return
                if wait > self.max_inline_wait:
                    paused = self.resume_at > self.clock()
                    raise WindowFull(self.installation_id, self.ready_at(), clock=self.clock,
                                     reason="paused by GitHub (secondary rate limit)" if paused else "write window full")
                await asyncio.sleep(wait)
        except BaseException:
            self.lock.release()
            raise

    def release(self) -> None:
        """The write was answered (or failed): it counts from now."""
        now = self.clock()
        self.stamps.append(now)
        self.touched, self.as_of = True, now
        self.lock.release()

    # -- state for another replica (bot.pacing)
    def pack(self) -> bytes:
        """The stamps that still count (the last hour's), as little-endian doubles."""
        horizon = self.clock() - HOUR
        recent = [s for s in self.stamps if s > horizon]
        return struct.pack(f"<{len(recent)}d", *recent)

    def merge(self, packed: bytes, resume_at: float, as_of: float) -> None:
        """Add what another replica saved: the union of both histories, so a move never grants a second window."""
        count = len(packed) // 8
        saved = struct.unpack(f"<{count}d", packed[: count * 8]) if count else ()
        if saved:
            merged = sorted(set(self.stamps).union(saved))
            self.stamps.clear()
            self.stamps.extend(merged[-self.stamps.maxlen:] if self.stamps.maxlen else merged)
        self.resume_at = max(self.resume_at, resume_at or 0.0)
        self.as_of = max(self.as_of, as_of)
