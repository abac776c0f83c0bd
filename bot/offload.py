"""CPU-heavy rule work off the event loop: a process pool the framework owns, under a budget.

While the loop computes, no webhook is answered and no lease is renewed. Rules hand pure,
picklable functions (import scans of patches, keyword matching) to `EventContext.offload`,
which runs them here in worker processes. Each delivery has a budget of seconds of such
work (`RULE_WORK_BUDGET_SECONDS`): a job still running when the delivery's budget is spent
is stopped (its worker is killed and the pool replaced) and `WorkBudgetExceeded` tells the
engine to set the rule's status to `error` with a line in the report, instead of retrying
work that will not get cheaper.

Workers come from a `forkserver`: a clean process started once, so a worker never inherits
the bot's threads or open connections.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from bot.errors import PermanentFailure

log = logging.getLogger(__name__)

T = TypeVar("T")


class WorkBudgetExceeded(PermanentFailure):
    """The delivery's rule work took longer than its budget; retrying would not make it cheaper."""

    def __init__(self, budget: float) -> None:
        super().__init__(f"rule work took longer than its budget of {budget:g} s")
        self.budget = budget


class Budget:
    """Seconds of offloaded work left to one delivery (shared by every rule of the event)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.spent = 0.0

    @property
    def remaining(self) -> float:
        return self.seconds - self.spent


class Offload:
    """The process pool. Started on first use; `close()` stops it."""

    def __init__(self, workers: int = 2) -> None:
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            context = multiprocessing.get_context("forkserver")
            self._executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        return self._executor

    async def run(self, budget: Budget, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` in a worker process, within what is left of `budget`."""
        if budget.remaining <= 0:
            raise WorkBudgetExceeded(budget.seconds)
        started = time.monotonic()
        executor = self._pool()
        # Submitted from a thread: the first job (and the first after `_replace`) starts the forkserver
        # and a worker, which held the event loop ~50 ms; a thread hop is nothing beside rule work.
        future = asyncio.wrap_future(await asyncio.to_thread(executor.submit, fn, *args))
        try:
            return await asyncio.wait_for(future, budget.remaining)
        except TimeoutError:
            log.warning("rule work over its %.3g s budget (%s); stopping its worker", budget.seconds,
                        getattr(fn, "__qualname__", fn))
            self._replace()
            raise WorkBudgetExceeded(budget.seconds) from None
        finally:
            budget.spent += time.monotonic() - started

    def _replace(self) -> None:
        """Kill the workers (one of them runs the job over budget) and start afresh on next use.
        The executor cannot cancel a running job; its processes are ended here, by their own ids."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        processes = list(getattr(executor, "_processes", {}).values())
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.kill()

    def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
