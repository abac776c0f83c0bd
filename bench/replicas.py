"""Deliveries per second with one and with several `serve` replicas sharing one PostgreSQL.

A throwaway PostgreSQL (tests/pg.py: initdb in a temporary folder, loopback only) and the
in-repo fake GitHub answering every request after `--latency` seconds (default 50 ms, about
what api.github.com costs from a nearby region). Each run gets a fresh database and fake:
`--deliveries` signed `pull_request` events over `--prs` PRs spread across `--installations`
installations (the probe rule fails every PR, so a PR's first evaluation writes two statuses,
a label and the report comment; later ones read and find nothing to change), arriving in
installation-interleaved order and split evenly over the replicas as a load balancer would.

Per-installation write windows are lifted (WRITES_PER_MINUTE/WRITES_PER_HOUR), so the figures measure
the bot and the queue; in production GitHub's ~80 writes a minute per installation bounds
write-heavy bursts of any one installation whatever the number of replicas.

    .venv/bin/python -m bench.replicas [--replicas 1,2] [--deliveries 300] [--prs 100] [--installations 6]
                                       [--workers 8] [--latency 0.05]

Prints figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make `bench` and `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp  # noqa: E402
import asyncpg  # noqa: E402

from bench import common  # noqa: E402
from tests.fakegithub import FakeGitHub  # noqa: E402
from tests.pg import TEST_DATABASE, PostgresServer, find_bin_dir  # noqa: E402

ACTIONS = ("opened", "synchronize", "edited", "reopened")
# Settings this benchmark sets itself; inherited values would change what is measured.
OWNED_PREFIXES = ("GITHUB_", "DATABASE_URL", "WORKERS", "WRITES_PER_MINUTE", "WRITES_PER_HOUR", "LOG_", "HOST", "PORT",
                  "LEASE_SECONDS", "MAX_ATTEMPTS", "RETRY_BASE_SECONDS", "SHUTDOWN_GRACE_SECONDS", "BENCH_")
SENDERS_PER_REPLICA = 10


class Replica:
    """One `governance-bot serve` process (probe rule registered) on the shared database."""

    def __init__(self, name: str, env: dict[str, str], workdir: Path) -> None:
        self.name = name
        self.port = common.free_port()
        self.env = {**env, "PORT": str(self.port)}
        self.log_path = workdir / f"{name}.log"
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, timeout: float = 60.0) -> None:
        self._log = open(self.log_path, "ab")
        self.proc = await asyncio.create_subprocess_exec(sys.executable, "-c", common.LAUNCHER,
                                                         cwd=self.log_path.parent, env=self.env,
                                                         stdout=self._log, stderr=self._log)
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.proc.returncode is not None:
                    raise RuntimeError(f"{self.name} exited at start:\n" + self.log_path.read_text()[-4000:])
                try:
                    async with session.get(f"{self.url}/readyz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        raise RuntimeError(f"{self.name} did not become ready")

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 30)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        self._log.close()

    def processed(self) -> int:
        count = 0
        for line in self.log_path.read_text().splitlines():
            try:
                count += "outcome=done" in json.loads(line).get("message", "")
            except ValueError:
                continue
        return count

    def cpu_seconds(self) -> float:
        return common.cpu_seconds(self.proc.pid) if self.proc else float("nan")


def replica_env(fake: FakeGitHub, private_key: str, db_url: str, workers: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(OWNED_PREFIXES)}
    env.update(GITHUB_APP_ID="12345", GITHUB_PRIVATE_KEY=private_key, GITHUB_WEBHOOK_SECRET=common.WEBHOOK_SECRET,
               GITHUB_API_URL=fake.url, DATABASE_URL=db_url, HOST="127.0.0.1", WORKERS=str(workers),
               LOG_LEVEL="INFO", LOG_FORMAT="json", SHUTDOWN_GRACE_SECONDS="3", PYTHONPATH=str(common.ROOT),
               **common.UNPACED)
    return env


def plan(fake: FakeGitHub, args: argparse.Namespace, run: str) -> list[common.Signed]:
    per_installation = max(1, args.prs // args.installations)
    repos = max(1, min(4, per_installation))
    targets = common.interleave(common.populate(fake, installations=args.installations, repos_per_installation=repos,
                                                prs_per_repo=max(1, per_installation // repos)))
    items = []
    for index in range(args.deliveries):
        target = targets[index % len(targets)]
        action = ACTIONS[(index // len(targets)) % len(ACTIONS)]
        items.append(common.pr_delivery(fake, target, run, index, action))
    return items


async def wait_done(db: asyncpg.Connection, expected: int, timeout: float) -> list[asyncpg.Record]:
    deadline = time.monotonic() + timeout
    while True:
        rows = await db.fetch("SELECT state, attempts, finished_at FROM deliveries")
        if sum(r["state"] in ("done", "failed") for r in rows) >= expected or time.monotonic() > deadline:
            return rows
        await asyncio.sleep(0.1)


async def run_once(args: argparse.Namespace, server: PostgresServer, key: tuple[str, bytes], count: int) -> float:
    server.reset_database(TEST_DATABASE)
    db_url = server.url(TEST_DATABASE)
    fake = FakeGitHub(public_key_pem=key[1])
    fake.ratelimit_limit = 10**9  # the fake's single shared budget would otherwise be the limit
    await fake.start()
    run = common.run_tag()
    items = plan(fake, args, run)
    with tempfile.TemporaryDirectory(prefix="governance-bench-replicas-") as tmp:
        replicas = [Replica(f"replica{i + 1}", replica_env(fake, key[0], db_url, args.workers), Path(tmp))
                    for i in range(count)]
        db = None
        try:
            await asyncio.gather(*(r.start() for r in replicas))
            db = await asyncpg.connect(db_url)
            fake.latency = args.latency
            machine = common.MachineLoad()
            cpu_before = [r.cpu_seconds() for r in replicas]
            started = time.time()
            sent = await asyncio.gather(*(common.send_all(r.url, items[i::count], SENDERS_PER_REPLICA)
                                          for i, r in enumerate(replicas)))
            rows = await wait_done(db, len(items), timeout=args.timeout)
            done = [r for r in rows if r["state"] == "done"]
            seconds = max(r["finished_at"] for r in done) - started if done else float("nan")
            rate = len(done) / seconds if done else 0.0
            statuses = sum((s.statuses for s in sent), Counter())
            retried = sum(1 for r in rows if r["attempts"] > 1)
            print(f"  {count} replica(s) x WORKERS={args.workers}: {len(done)}/{len(items)} deliveries done in "
                  f"{seconds:.1f} s = {rate:.1f} deliveries/s")
            print(f"    webhook answers {dict(statuses)}; retried {retried}; failed "
                  f"{sum(r['state'] == 'failed' for r in rows)}; GitHub requests {len(fake.requests)} "
                  f"({len(fake.requests) / max(len(done), 1):.1f} per delivery)")
            split = ", ".join(f"{r.name} {r.processed()} ({r.cpu_seconds() - c:.1f} CPU s)"
                              for r, c in zip(replicas, cpu_before))
            print(f"    processed by: {split}; machine {machine.busy_cores():.2f} of {os.cpu_count()} cores busy")
            return rate
        finally:
            fake.latency = 0.0
            if db is not None:
                await db.close()
            await asyncio.gather(*(r.stop() for r in replicas))
            await fake.close()


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", default="1,2", help="comma-separated replica counts to run")
    parser.add_argument("--deliveries", type=int, default=300)
    parser.add_argument("--prs", type=int, default=96)
    parser.add_argument("--installations", type=int, default=6)
    parser.add_argument("--workers", type=int, default=8, help="WORKERS per replica")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the fake GitHub takes per request")
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args(argv)
    bin_dir = find_bin_dir()
    if bin_dir is None:
        print("PostgreSQL is not installed (initdb/pg_ctl not found); apt-get install postgresql")
        return 2
    counts = [int(c) for c in args.replicas.split(",") if c.strip()]
    print(f"{args.deliveries} deliveries over {args.prs} PRs in {args.installations} installations, fake GitHub at "
          f"{args.latency * 1000:.0f} ms a request, write windows lifted; load average before: {common.loadavg()}")
    server = PostgresServer(bin_dir)
    try:
        server.start()
        server.create_database(TEST_DATABASE)
        key = common.new_app_key()
        rates = {}
        for count in counts:
            common.heading(f"{count} replica(s)")
            rates[count] = await run_once(args, server, key, count)
        common.heading("summary (deliveries/s)")
        base = rates.get(counts[0]) or float("nan")
        for count, rate in rates.items():
            print(f"  {count} replica(s): {rate:6.1f}  ({rate / base:.2f}x of {counts[0]})")
    finally:
        server.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
