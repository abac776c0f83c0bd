"""What a webhook batch's group commit costs as one installation's backlog grows.

Every batch of webhooks gives each new delivery its turn (`bot.queue.fair_turns`), which reads
the last turn of each installation's waiting deliveries. This times `GroupCommit.store_rows`
(the statements inside the write transaction, on the event loop) for a batch of 20 deliveries
from 20 installations, one of them the installation whose backlog is N queued deliveries, in
process on a temporary SQLite file. Each batch is rolled back, so the backlog stays N.

    .venv/bin/python -m bench.intake_backlog [--backlogs 0,2000,20000] [--batches 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.queue import GroupCommit, _row  # noqa: E402
from bot.store import Store, deliveries  # noqa: E402

BATCH = 20


def payload(installation: int, number: int) -> dict:
    return {"action": "opened", "installation": {"id": installation}, "number": number,
            "repository": {"full_name": f"org{installation}/repo"}, "pull_request": {"number": number}}


class _RolledBack(Exception):
    pass


async def run(backlog: int, batches: int) -> list[float]:
    with tempfile.TemporaryDirectory(prefix="governance-bench-") as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            await store.create_schema()
            now = time.time()
            flood = [_row(f"flood-{n}", "pull_request", payload(1, n), now=now + n) for n in range(backlog)]
            if flood:
                async with store.transaction() as conn:
                    await conn.execute(deliveries.insert(), flood)
            group = GroupCommit(store)
            timings: list[float] = []
            for b in range(batches):
                rows = [_row(f"b{b}-{i}", "pull_request", payload(i + 1, 100_000 + b), now=time.time())
                        for i in range(BATCH)]

                def stored(conn, rows=rows) -> None:
                    started = time.perf_counter()
                    group.store_rows(conn, rows)
                    timings.append((time.perf_counter() - started) * 1000)
                    raise _RolledBack

                try:
                    await store.write_unit(stored)
                except _RolledBack:
                    pass
            return timings
        finally:
            await store.close()


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backlogs", default="0,2000,20000", help="queued deliveries of one installation, comma-separated")
    parser.add_argument("--batches", type=int, default=200, help="batches timed per backlog (default 200)")
    args = parser.parse_args(argv)
    print(f"store_rows for a batch of {BATCH} deliveries from {BATCH} installations (one of them the backlogged one)")
    for backlog in (int(n) for n in args.backlogs.split(",")):
        timings = sorted(await run(backlog, args.batches))
        print(f"  backlog {backlog:6d}: median {statistics.median(timings):.2f} ms, "
              f"p90 {timings[int(len(timings) * 0.9)]:.2f} ms a batch")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
