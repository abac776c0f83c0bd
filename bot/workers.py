"""The worker pool: `WORKERS` tasks per process that claim deliveries and process them.

A worker renews its delivery's lease while it works, records the outcome (done, retry
later, failed), and on shutdown finishes in-flight work within a grace period and hands
the rest back to the queue. Idle workers sleep on the queue's `Wakeup`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot import metrics
from bot.errors import PermanentFailure, RetryLater
from bot.github import writes_sent
from bot.listen import Listener
from bot.logsetup import delivery_context
from bot.queue import Delivery, DeliveryQueue
from bot.store import is_unreachable
from bot.writewindow import WindowFull, writes_begin_hook

log = logging.getLogger(__name__)


Processor = Callable[[Delivery], Awaitable[None]]


class WorkerPool:
    """`WORKERS` tasks that claim and process deliveries until stopped."""

    def __init__(self, queue: DeliveryQueue, processor: Processor, *, workers: int, idle_poll: float = 0.5,
                 shutdown_grace: float = 20.0, yield_point: Callable[[], Awaitable[None]] | None = None) -> None:
        self.queue = queue
        self.processor = processor
        self.workers = workers
        self.idle_poll = idle_poll
        self.shutdown_grace = shutdown_grace
        self.yield_point = yield_point  # webhooks being answered go first (bot.intake.WebhooksFirst)
        self._tasks: list[asyncio.Task] = []
        self._stopping = asyncio.Event()
        self._active = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.listener: Listener | None = None  # PostgreSQL: other replicas' notifications
        self._listening: asyncio.Task[None] | None = None
        self._writing: set[asyncio.Task[None]] = set()  # deliveries finishing their writes without a worker
        self._polled_at = float("-inf")  # loop time of the idle workers' last poll (`_wait_for_work`)
        self._polling: int | None = None  # the worker whose claim is that poll's

    def start(self) -> None:
        self.queue.wakeup.limit = self.workers
        for index in range(self.workers):
            self._tasks.append(asyncio.create_task(self._run(index), name=f"worker-{index}"))
        if self.queue.store.is_postgres:
            self.listener = Listener(self.queue.store, self.queue.wakeup)
            self._listening = asyncio.create_task(self.listener.run(), name="listen-for-replicas")

    async def _run(self, index: int) -> None:
        delivery: Delivery | None = None  # claimed with the previous one's completion, if any
        while not self._stopping.is_set():
            if delivery is None:
                if self.yield_point is not None:
                    await self.yield_point()
                try:
                    delivery = await self.queue.claim()
                except Exception as exc:  # database down: wait and try again, never crash
                    log.warning("claim failed (%s); retrying", type(exc).__name__)
                    await self._sleep(1.0)
                    continue
                if delivery is None:
                    await self._wait_for_work(index)
                    continue
                if self._polling == index:  # a poll found work that no notice announced: maybe more of it
                    self._polling = None
                    self.queue.wakeup.notify(self.workers)
                self._hold()
            current, delivery = delivery, None
            delivery = await self._work_on(current)
        if delivery is not None:  # claimed as the pool stopped: `stop` hands it back (`release_mine`)
            self._release_hold()

    def _hold(self) -> None:
        """This process holds one more delivery (claimed, until its outcome is recorded)."""
        self._active += 1
        self._idle.clear()

    def _release_hold(self) -> None:
        self._active -= 1
        if self._active == 0:
            self._idle.set()

    async def _work_on(self, delivery: Delivery) -> Delivery | None:
        """Process a held delivery until it is done, or until it begins writing (`writes_begin`).

        From its writes on, a delivery waits for GitHub's answers in its installation's write lane
        (one write at a time per installation) and needs no worker: it finishes in the background
        and this worker goes on to claim other work. At 50 ms a request a failing first evaluation
        spends ~5 of its ~6 round trips there. How many deliveries of one installation may be held
        at once stays bounded by the claim (`per_installation`), written or not.

        Returns the next delivery when completing this one claimed it (never for a delivery that
        finished in the background: its worker is busy elsewhere).
        """
        loop = asyncio.get_running_loop()
        handed: asyncio.Future[Delivery | None] = loop.create_future()
        background = [False]

        def begin_writes() -> None:
            if not handed.done() and not self._stopping.is_set():
                background[0] = True
                handed.set_result(None)

        async def held() -> None:
            hook = writes_begin_hook.set(begin_writes)
            following: Delivery | None = None
            try:
                following = await self._process(delivery, chain=lambda: not background[0])
            except Exception as exc:  # bookkeeping failed (database away): the lease expires, work is redone
                self.queue.let_go(delivery.id)  # by whichever worker claims it then, one of ours included
                log.error("could not record the outcome of delivery %s (%s); it will be retried when its lease "
                          "expires", delivery.id, type(exc).__name__)
            finally:
                writes_begin_hook.reset(hook)
                if background[0]:
                    self._release_hold()
                elif not handed.done():
                    handed.set_result(following)
                    if following is None:
                        self._release_hold()
                # Another worker may be waiting for this subject or installation.
                self.queue.wakeup.notify()

        task = loop.create_task(held(), name=f"delivery-{delivery.id}")
        try:
            following = await asyncio.shield(handed)
        except asyncio.CancelledError:  # the pool is being stopped: the delivery's task ends with it
            task.cancel()
            raise
        if background[0]:
            self._writing.add(task)
            task.add_done_callback(self._writing.discard)
        return following

    async def _wait_for_work(self, index: int) -> None:
        """Until a notice (new or finished work) or, without one, this worker's turn to poll.

        Work can become claimable without a notice: a write window reopening, a retry's time
        coming, a dead replica's lease running out. The idle workers look for it in turns, one
        claim every `idle_poll` seconds for the pool instead of one per worker: with a backlog that
        may not be taken yet, each such claim walks all of it (~4 ms at 20,000 queued on SQLite).
        """
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            waiter = asyncio.create_task(self.queue.wakeup.wait(self.idle_poll))
            stopper = asyncio.create_task(self._stopping.wait())
            try:
                await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
                stopper.cancel()
            notified = waiter.done() and not waiter.cancelled() and waiter.result()
            if notified:
                if self._polling == index:
                    self._polling = None
                return
            if loop.time() - self._polled_at >= self.idle_poll * 0.9:  # nobody polled meanwhile
                self._polled_at = loop.time()
                self._polling = index
                return

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except asyncio.TimeoutError:
            pass

    async def _process(self, delivery: Delivery, *, chain: Callable[[], bool] = lambda: True) -> Delivery | None:
        """Process one claimed delivery and record its outcome; one log line says how it ended.

        Returns the next delivery when completing this one claimed it (one transaction for both),
        which it does only where `chain()` says a worker waits for it.
        A delivery claimed while the pool is stopping is handed back by `stop` (`release_mine`).
        """
        following: Delivery | None = None
        token = delivery_context.set(
            {"delivery": delivery.id, "event": delivery.event, "action": delivery.action,
             "repository": delivery.repository}
        )
        tally = [0]
        tally_token = writes_sent.set(tally)
        started = time.monotonic()
        heartbeat = asyncio.create_task(self._heartbeat(delivery.id))
        outcome: str | None = None  # set once the outcome is recorded: the line says what the queue holds
        level, detail, unexpected = logging.INFO, "", None
        try:
            try:
                await self.processor(delivery)
            finally:
                heartbeat.cancel()  # before the outcome is recorded, so a renewal cannot race the completion
        except asyncio.CancelledError:
            raise
        except WindowFull as exc:
            outcome, level, detail = await self._hand_back(delivery, exc)
        except RetryLater as exc:
            final = await self._record(self.queue.fail, delivery, f"retry: {exc}", permanent=False, delay=exc.delay)
            metrics.deliveries_failed.labels(delivery.event, str(final).lower()).inc()
            outcome, level, detail = self._retry_or_failed(delivery, final, str(exc))
        except PermanentFailure as exc:
            await self._record(self.queue.fail, delivery, str(exc), permanent=True)
            metrics.deliveries_failed.labels(delivery.event, "true").inc()
            outcome, level, detail = "failed", logging.ERROR, f": {exc} (not retried)"
        except Exception as exc:
            final = await self._record(self.queue.fail, delivery, f"{type(exc).__name__}: {exc}", permanent=False)
            metrics.deliveries_failed.labels(delivery.event, str(final).lower()).inc()
            outcome, level, detail = self._retry_or_failed(delivery, final, f"{type(exc).__name__}: {exc}")
            unexpected = exc  # not an error we anticipated: the traceback says where
        else:
            # On SQLite (one process) the next claim shares the completion's commit. Not on PostgreSQL:
            # there, the moment between them is when another replica may take an installation over.
            chained = not self._stopping.is_set() and not self.queue.store.is_postgres and chain()
            following = await self._record(self.queue.complete, delivery.id, claim_next=chained)
            metrics.deliveries_processed.labels(delivery.event).inc()
            outcome = "done"
        finally:
            heartbeat.cancel()
            elapsed = time.monotonic() - started
            metrics.processing_seconds.labels(delivery.event).observe(elapsed)
            if outcome is not None:
                event = f"{delivery.event}.{delivery.action}" if delivery.action else delivery.event
                log.log(level, "delivery %s: event=%s repository=%s outcome=%s writes=%d ms=%.0f%s", delivery.id, event,
                        delivery.repository or "-", outcome, tally[0], elapsed * 1000, detail, exc_info=unexpected)
            writes_sent.reset(tally_token)
            delivery_context.reset(token)
        return following

    async def _hand_back(self, delivery: Delivery, exc: WindowFull) -> tuple[str, int, str]:
        """The installation may not write before `exc.until`: the delivery waits in the queue, not in a worker.

        Claims skip the installation until then (bot.pacing wrote when); a timer wakes a worker then.
        A pause GitHub imposed counts as an attempt (so endless refusals end); our own full window does not.
        Returns the outcome for the delivery's log line.
        """
        if exc.counts_attempt:
            final = await self._record(self.queue.fail, delivery, f"retry: {exc}", permanent=False, delay=exc.delay)
            metrics.deliveries_failed.labels(delivery.event, str(final).lower()).inc()
            result = self._retry_or_failed(delivery, final, str(exc))
        else:
            await self._record(self.queue.defer, delivery, exc.until, f"waiting: {exc}")
            result = ("waiting", logging.INFO, f": {exc}")
        delay = max(0.0, exc.until - self.queue.clock()) + 0.01
        asyncio.get_running_loop().call_later(delay, self.queue.wakeup.notify)
        return result

    def _retry_or_failed(self, delivery: Delivery, final: bool, reason: str) -> tuple[str, int, str]:
        """A failure that may pass is a WARNING while it will be retried, one ERROR when it is final."""
        if final:
            return "failed", logging.ERROR, f": {reason} (attempt {delivery.attempts} of {self.queue.max_attempts}; " \
                                            f"`governance-bot deliveries retry {delivery.id}` runs it again)"
        return "retry", logging.WARNING, f": {reason} (attempt {delivery.attempts} of {self.queue.max_attempts})"

    async def _record(self, action: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
        """Run a bookkeeping write, retried while the database is briefly unreachable.

        Retrying for up to one lease keeps "processed once" through a database restart:
        past that, the lease may have expired and another worker redoes the work anyway.
        """
        deadline = time.monotonic() + self.queue.lease_seconds
        delay = 0.2
        while True:
            try:
                return await action(*args, **kwargs)
            except Exception as exc:
                if not is_unreachable(exc) or time.monotonic() + delay > deadline:
                    raise
                log.warning("database unreachable (%s) while recording a delivery's outcome; retrying",
                            type(exc).__name__)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def _heartbeat(self, delivery_id: str) -> None:
        interval = max(self.queue.lease_seconds / 3, 0.2)
        while True:
            await asyncio.sleep(interval)
            try:
                if not await self.queue.heartbeat(delivery_id):
                    log.warning("lease on delivery %s was lost (expired and taken over)", delivery_id)
                    return
            except Exception as exc:
                log.warning("lease renewal failed: %s", type(exc).__name__)

    async def wait_idle(self) -> None:
        await self._idle.wait()

    async def stop(self) -> None:
        """Stop claiming, let in-flight work finish for a bounded time, release the rest."""
        self._stopping.set()
        if self._listening is not None:
            self._listening.cancel()
            await asyncio.gather(self._listening, return_exceptions=True)
            self._listening = None
        if not self._tasks:
            return
        done, pending = await asyncio.wait([*self._tasks, *self._writing], timeout=self.shutdown_grace)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        try:
            released = await self.queue.release_mine()
        except Exception as exc:  # database away: the leases expire and another worker takes over
            log.warning("could not hand back unfinished deliveries (%s); their leases will expire",
                        type(exc).__name__)
            released = 0
        if released:
            log.info("released %d unfinished deliveries for another worker", released)
        self._tasks.clear()
