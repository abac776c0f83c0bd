"""Shared plumbing for the benchmarks: the real `governance-bot serve` process, the fake GitHub, senders.

The server runs as a subprocess exactly as in production (`governance-bot serve`, settings from the
environment), with the test-only probe rule registered so that an event does realistic work: the
rules file makes the probe fail, so each pull request gets statuses, a label and a report comment.
GitHub is the in-repo fake (tests/fakegithub.py) running inside the benchmark process; everything
stays on loopback and every loop is bounded.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import math
import multiprocessing
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/x.py` as well as `python -m bench.x`
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bot.store import Store, deliveries  # noqa: E402
from tests.fakegithub import FakeGitHub  # noqa: E402
from tests.harness import WEBHOOK_SECRET, new_app_key, sign  # noqa: E402
from tests.payloads import pull_request_event  # noqa: E402

# The rules file every benchmark repository carries: the probe wants titles starting with "feat",
# and every PR is titled "fix: ...", so each evaluation fails and writes status + label + report.
RULES_FILE = "probe:\n  title_prefix: feat\n"
PR_AUTHOR = "dana"

# Lifts the per-installation write windows (WRITES_PER_MINUTE / WRITES_PER_HOUR) for capacity runs.
UNPACED = {"WRITES_PER_MINUTE": "1000000", "WRITES_PER_HOUR": "1000000"}

# Settings the benchmark owns; inherited values would change what is measured.
_OWNED_PREFIXES = ("GITHUB_", "DATABASE_URL", "PUBLIC_URL", "WORKERS", "WRITES_PER_MINUTE", "WRITES_PER_HOUR", "LOG_",
                   "HOST", "PORT", "LEASE_SECONDS", "MAX_ATTEMPTS", "RETRY_BASE_SECONDS", "SHUTDOWN_GRACE_SECONDS",
                   "MAX_BODY_BYTES")

# What the server process runs: the probe rule registered (as tests/test_process.py does), optional
# A/B experiments applied to the process's own copy of the code (bot/ is never edited), then `serve`.
# Experiments exist to explain figures; the product runs none of them.
EXPERIMENTS = {
    "sync-normal": "SQLite PRAGMA synchronous=NORMAL instead of FULL (no fsync per commit in WAL mode)",
    "sync-off": "SQLite PRAGMA synchronous=OFF (no fsync at all)",
    "write-lock": "one in-process asyncio.Lock around every SQLite write transaction (writers queue in the "
                  "event loop instead of sleeping in SQLite's busy handler)",
    "no-pre-ping": "SQLite engine without pool_pre_ping (no SELECT 1 round trip on every connection checkout)",
    "quiet-logs": "LOG_LEVEL=WARNING instead of INFO",
    "slow-steps": "time every callback and task step the server's event loop runs; those over 2 ms go to "
                  "slow-steps.txt in its work dir, with when they started (printed by benches that look for it)",
    "count-sql": "count the SQL statements the server runs, by text, into sql-counts.txt in its work dir "
                 "(printed by benches that look for it)",
}
LAUNCHER = """
import os, sys
from tests.harness import rules_with_probe
experiments = set(filter(None, os.environ.get("BENCH_EXPERIMENTS", "").split(",")))
import bot.store as store
if experiments & {"sync-normal", "sync-off"}:
    mode = "OFF" if "sync-off" in experiments else "NORMAL"
    original_pragmas = store._sqlite_pragmas
    def pragmas(conn, record):
        original_pragmas(conn, record)
        cursor = conn.cursor()
        cursor.execute("PRAGMA synchronous=" + mode)
        cursor.close()
    store._sqlite_pragmas = pragmas
if "write-lock" in experiments:
    import asyncio, contextlib
    original_transaction = store.Store.transaction
    @contextlib.asynccontextmanager
    async def transaction(self):
        if self.is_postgres:
            async with original_transaction(self) as conn:
                yield conn
            return
        lock = self.__dict__.setdefault("bench_write_lock", asyncio.Lock())
        async with lock:
            async with original_transaction(self) as conn:
                yield conn
    store.Store.transaction = transaction
if "no-pre-ping" in experiments:
    original_create = store.create_async_engine
    def create_async_engine(url, **kwargs):
        if not url.startswith("postgresql"):
            kwargs["pool_pre_ping"] = False
        return original_create(url, **kwargs)
    store.create_async_engine = create_async_engine
if "count-sql" in experiments:
    import atexit, collections, re
    from sqlalchemy import event as sa_event
    from sqlalchemy.engine import Engine
    sql_counts = collections.Counter()
    @sa_event.listens_for(Engine, "before_cursor_execute")
    def count_statement(conn, cursor, statement, parameters, context, executemany):
        sql_counts[re.sub(r"\\s+", " ", statement)[:160]] += 1
    def dump_counts():
        with open("sql-counts.txt", "w") as out:
            for text, n in sql_counts.most_common():
                out.write(f"{n}\\t{text}\\n")
    atexit.register(dump_counts)
if "slow-steps" in experiments:
    # Handle._run is what the loop calls for every callback and task step; timing it costs ~1 us.
    import asyncio.events, atexit, time as step_time
    slow_steps = []
    original_run = asyncio.events.Handle._run
    def timed_run(self):
        started = step_time.perf_counter()
        original_run(self)
        took = step_time.perf_counter() - started
        if took > 0.002:
            slow_steps.append((started, took, step_name(self)))
    def step_name(handle):
        # A task's step: its name and where its coroutine stopped after the step (or finished).
        task = getattr(getattr(handle, "_callback", None), "__self__", None)
        if isinstance(task, asyncio.Task):
            coro = task.get_coro()
            frame = getattr(coro, "cr_frame", None)
            where = f"{frame.f_code.co_filename.rsplit('/', 2)[-1]}:{frame.f_lineno}" if frame else "finished"
            return f"task {task.get_name()} ({getattr(coro, '__qualname__', '?')}) now at {where}"
        return repr(handle)[:200]
    asyncio.events.Handle._run = timed_run
    def dump_steps():
        to_wall = step_time.time() - step_time.perf_counter()
        with open("slow-steps.txt", "w") as out:
            for started, took, what in slow_steps:
                out.write(f"{started + to_wall:.4f}\\t{took * 1000:.1f}\\t{what}\\n")
    atexit.register(dump_steps)
if os.environ.get("BENCH_SLOW_CALLBACK_MS"):
    # asyncio debug mode: every callback or task step that holds the event loop longer than this
    # is logged ("Executing <Task ...> took 0.012 seconds"); an ack waits for each of those.
    import asyncio.base_events
    original_init = asyncio.base_events.BaseEventLoop.__init__
    def loop_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.set_debug(True)
        self.slow_callback_duration = float(os.environ["BENCH_SLOW_CALLBACK_MS"]) / 1000
    asyncio.base_events.BaseEventLoop.__init__ = loop_init
from bot.cli import main
if os.environ.get("BENCH_PROFILE"):
    import cProfile
    profiler = cProfile.Profile()
    profiler.enable()
    code = main(["serve"], rules=rules_with_probe())
    profiler.disable()
    profiler.dump_stats(os.environ["BENCH_PROFILE"])
    sys.exit(code)
sys.exit(main(["serve"], rules=rules_with_probe()))
"""


# ---------------------------------------------------------------------------------------------- figures

def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation), the usual definition for latency reports."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_line(ms: list[float]) -> str:
    return (f"p50 {percentile(ms, 50):7.2f} ms  p90 {percentile(ms, 90):7.2f} ms  "
            f"p99 {percentile(ms, 99):7.2f} ms  max {max(ms) if ms else float('nan'):7.2f} ms")


def heading(text: str) -> None:
    print(f"\n== {text}", flush=True)


# ---------------------------------------------------------------------------------------------- fake GitHub state

@dataclass(frozen=True)
class Target:
    """One pull request the benchmark sends events for."""
    installation_id: int
    repository: str
    number: int


def populate(fake: FakeGitHub, *, installations: int, repos_per_installation: int, prs_per_repo: int,
             first_installation: int = 101, owner_prefix: str = "org") -> list[Target]:
    """Repositories with the failing probe rules file and open PRs, one owner per installation."""
    fake.add_user(PR_AUTHOR)
    targets: list[Target] = []
    for i in range(installations):
        installation_id = first_installation + i
        for r in range(repos_per_installation):
            repository = f"{owner_prefix}{installation_id}/repo{r}"
            fake.add_repo(repository, installation_id=installation_id)
            fake.set_file(repository, ".github/governance.yml", RULES_FILE)
            for number in range(1, prs_per_repo + 1):
                fake.add_pull_request(repository, number, author=PR_AUTHOR, title=f"fix: change {number}")
                targets.append(Target(installation_id, repository, number))
    return targets


def interleave(targets: list[Target]) -> list[Target]:
    """Round-robin over installations, so arrival order mixes them as real traffic does."""
    by_installation: dict[int, list[Target]] = {}
    for target in targets:
        by_installation.setdefault(target.installation_id, []).append(target)
    queues = list(by_installation.values())
    mixed: list[Target] = []
    for index in range(max((len(q) for q in queues), default=0)):
        mixed.extend(q[index] for q in queues if index < len(q))
    return mixed


@dataclass(frozen=True)
class Signed:
    """A webhook delivery ready to POST: headers (signature included) and body."""
    delivery_id: str
    headers: dict[str, str]
    body: bytes


def signed_delivery(event: str, payload: dict[str, Any], delivery_id: str) -> Signed:
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", "X-GitHub-Event": event, "X-GitHub-Delivery": delivery_id,
               "X-Hub-Signature-256": sign(body), "User-Agent": "GitHub-Hookshot/bench"}
    return Signed(delivery_id, headers, body)


#: Pad every PR payload to at least this many bytes (0: as tests/payloads.py builds them, ~4.6 KB).
#: GitHub's pull_request payloads are ~24 KB (the full repository, user and link objects).
PAYLOAD_PAD_BYTES = 0


def pr_delivery(fake: FakeGitHub, target: Target, run: str, index: int, action: str = "opened") -> Signed:
    """A signed `pull_request` delivery built from the fake's current state (tests/payloads.py)."""
    payload = pull_request_event(fake, target.repository, target.number, action)
    payload["installation"]["id"] = target.installation_id
    if PAYLOAD_PAD_BYTES:
        pad(payload, PAYLOAD_PAD_BYTES)
    return signed_delivery("pull_request", payload, f"{run}-{index:06d}")


def pad(payload: dict[str, Any], size: int) -> None:
    """Add `*_url` fields to the repository, as GitHub's own are, until the payload is `size` bytes."""
    repository = payload.setdefault("repository", {})
    base = f"https://api.github.com/repos/{repository.get('full_name', 'o/r')}"
    length, n = len(json.dumps(payload)), 0
    while length < size:
        key, value = f"extra_{n}_url", f"{base}/extra-{n}{{/number}}"
        repository[key] = value
        length += len(key) + len(value) + 8
        n += 1


def run_tag() -> str:
    return "bench" + uuid.uuid4().hex[:8]


# ---------------------------------------------------------------------------------------------- the server

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS / VmHWM (peak RSS) of a process, in KiB, from /proc/<pid>/status."""
    values: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    except OSError:
        pass
    return values


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all threads), from /proc/<pid>/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class MachineLoad:
    """CPU use of the whole machine over an interval, to show when other work competed with the bench."""

    def __init__(self) -> None:
        self.start = self._sample()

    @staticmethod
    def _sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return sum(fields) - idle, sum(fields)

    def busy_cores(self) -> float:
        """Average number of busy cores since construction (all processes)."""
        busy, total = self._sample()
        d_busy, d_total = busy - self.start[0], total - self.start[1]
        return (d_busy / d_total) * (os.cpu_count() or 1) if d_total else float("nan")


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class Server:
    """`governance-bot serve` as a subprocess on a free loopback port, with its own SQLite file."""

    def __init__(self, *, fake: FakeGitHub, private_key: str, workdir: Path, settings: dict[str, str] | None = None,
                 profile_to: Path | None = None, experiments: Iterable[str] = (), py_spy_to: Path | None = None) -> None:
        self.port = free_port()
        self.py_spy_to = py_spy_to  # py-spy's collapsed stacks of the server (bench/py_spy_top.py reads them)
        self._py_spy: asyncio.subprocess.Process | None = None
        self.workdir = workdir
        self.db_path = workdir / "bench.db"
        self.log_path = workdir / "serve.log"
        self.profile_to = profile_to
        env = {k: v for k, v in os.environ.items() if not k.startswith(_OWNED_PREFIXES)}
        env.update(GITHUB_APP_ID="12345", GITHUB_PRIVATE_KEY=private_key, GITHUB_WEBHOOK_SECRET=WEBHOOK_SECRET,
                   GITHUB_API_URL=fake.url, DATABASE_URL=f"sqlite:///{self.db_path}", HOST="127.0.0.1",
                   PORT=str(self.port), LOG_LEVEL="INFO", LOG_FORMAT="console", SHUTDOWN_GRACE_SECONDS="3",
                   PUBLIC_URL=self.url,  # as README's set-up has it: verdicts stored behind the Details links
                   PYTHONPATH=str(ROOT))
        env.update(settings or {})
        experiments = list(experiments)
        unknown = set(experiments) - set(EXPERIMENTS)
        if unknown:
            raise ValueError(f"unknown experiment(s): {', '.join(sorted(unknown))}")
        if "quiet-logs" in experiments:
            env["LOG_LEVEL"] = "WARNING"
        env["BENCH_EXPERIMENTS"] = ",".join(experiments)
        if profile_to is not None:
            env["BENCH_PROFILE"] = str(profile_to)
        self.env = env
        self.first_send: float | None = None  # time.time() of a timed run's first send (bench sets it)
        self.proc: asyncio.subprocess.Process | None = None
        self.store: Store | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def start(self, timeout: float = 30.0) -> None:
        # cwd is the run's temp dir, so a developer's `.env` in the checkout cannot leak into the figures.
        self._log = open(self.log_path, "ab")
        self.proc = await asyncio.create_subprocess_exec(sys.executable, "-c", LAUNCHER, cwd=self.workdir, env=self.env,
                                                         stdout=self._log, stderr=self._log)
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.proc.returncode is not None:
                    raise RuntimeError("serve exited at start:\n" + self.log_path.read_text()[-4000:])
                try:
                    async with session.get(f"{self.url}/readyz") as r:
                        if r.status == 200:
                            self.store = Store(f"sqlite:///{self.db_path}")
                            await self._start_py_spy()
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        raise RuntimeError("serve did not become ready:\n" + self.log_path.read_text()[-4000:])

    async def _start_py_spy(self) -> None:
        """Sample the server with py-spy (from PyPI) until it exits: where its Python CPU time goes (`--gil`: only the thread holding the interpreter, so waits in select and SQLite do not count)."""
        if self.py_spy_to is None:
            return
        py_spy = Path(sys.executable).with_name("py-spy")
        if not py_spy.exists():
            raise RuntimeError(f"{py_spy} not found: .venv/bin/pip install py-spy")
        self._py_spy = await asyncio.create_subprocess_exec(
            str(py_spy), "record", "--pid", str(self.pid), "--rate", "250", "--format", "raw", "--gil", "--nonblocking",
            "--output", str(self.py_spy_to), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        await asyncio.sleep(0.5)  # attached before the first delivery

    async def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM (so a profile is written), then SIGKILL this one process if it lingers."""
        if self.store is not None:
            await self.store.close()
            self.store = None
        if self.proc is None:
            return None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), timeout)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        self._log.close()
        if self._py_spy is not None:  # it writes its file once the process it samples is gone
            await asyncio.wait_for(self._py_spy.wait(), timeout)
        return self.proc.returncode

    def memory(self) -> dict[str, int]:
        return proc_status(self.pid)

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    # -- the delivery queue, read straight from the server's database (read-only queries)
    async def states(self, prefix: str) -> Counter[str]:
        assert self.store is not None
        return await run_states(self.store, prefix)

    async def timings(self, prefix: str) -> list[Any]:
        """id, installation, received_at, finished_at, state, attempts of this run's deliveries."""
        assert self.store is not None
        async with self.store.engine.connect() as conn:
            return list((await conn.execute(select(
                deliveries.c.id, deliveries.c.installation_id, deliveries.c.received_at, deliveries.c.finished_at,
                deliveries.c.state, deliveries.c.attempts).where(deliveries.c.id.like(f"{prefix}%")))).all())

    async def errors(self, prefix: str) -> Counter[str]:
        """last_error of this run's deliveries that are not done (why a run did not finish)."""
        assert self.store is not None
        async with self.store.engine.connect() as conn:
            rows = (await conn.execute(select(deliveries.c.state, deliveries.c.last_error).where(
                deliveries.c.id.like(f"{prefix}%"), deliveries.c.state != "done"))).all()
        return Counter(f"{state}: {(error or '-')[:160]}" for state, error in rows)

    async def wait_done(self, prefix: str, expected: int, timeout: float, poll: float = 0.1) -> Counter[str]:
        """Poll until `expected` deliveries of this run are done or failed, or the timeout passes."""
        deadline = time.monotonic() + timeout
        while True:
            states = await self.states(prefix)
            if states["done"] + states["failed"] >= expected or time.monotonic() > deadline:
                return states
            await asyncio.sleep(poll)


async def run_states(store: Store, prefix: str) -> Counter[str]:
    """How many of a run's deliveries (ids starting with `prefix`) are in each state."""
    async with store.engine.connect() as conn:
        rows = (await conn.execute(select(deliveries.c.state, func.count()).where(
            deliveries.c.id.like(f"{prefix}%")).group_by(deliveries.c.state))).all()
    return Counter({state: count for state, count in rows})


def print_sql_counts(path: Path, top: int = 30) -> None:
    """The `count-sql` experiment's tally: the statements the server ran most, with how many times."""
    if not path.exists():
        return
    rows = [line.split("\t", 1) for line in path.read_text().splitlines() if "\t" in line]
    print(f"  SQL statements run by the server: {sum(int(n) for n, _ in rows)} in all; the most frequent:")
    for n, text in rows[:top]:
        print(f"    {int(n):7d}  {text}")


def print_slow_steps(path: Path, since: float | None, top: int = 15) -> None:
    """The `slow-steps` experiment's record: the event loop's steps over 2 ms, the longest first,
    each with when it started (seconds after `since`, the first send, when the bench set it)."""
    if not path.exists():
        return
    rows = [line.split("\t", 2) for line in path.read_text().splitlines() if line.count("\t") == 2]
    steps = [(float(took), float(at), what) for at, took, what in rows]
    origin = since if since is not None else min((at for _, at, _ in steps), default=0.0)
    print(f"  event-loop steps over 2 ms: {len(steps)}, {sum(t for t, _, _ in steps):.0f} ms in all; the longest:")
    for took, at, what in sorted(steps, reverse=True)[:top]:
        print(f"    {took:6.1f} ms at {at - origin:+7.3f} s  {what[:160]}")


@asynccontextmanager
async def bench_env(*, settings: dict[str, str] | None = None, latency: float = 0.0, profile_to: Path | None = None,
                    experiments: Iterable[str] = (), key: tuple[str, bytes] | None = None,
                    keep_log: Path | None = None, py_spy_to: Path | None = None):
    """A fresh fake GitHub and a fresh server (own temp dir and database); both torn down after.

    `keep_log`: copy the server's log there when done (the temp dir and its database go away).
    """
    private, public = key or new_app_key()
    fake = FakeGitHub(public_key_pem=public)
    # The fake keeps one primary rate limit for everybody (5,000 an hour); GitHub has one per
    # installation. Lifted here so that a run measures the bot, not the fake's shared budget.
    fake.ratelimit_limit = 10**9
    await fake.start()
    fake.latency = latency
    with tempfile.TemporaryDirectory(prefix="governance-bench-") as tmp:
        server = Server(fake=fake, private_key=private, workdir=Path(tmp), settings=settings, profile_to=profile_to,
                        experiments=experiments, py_spy_to=py_spy_to)
        try:
            await server.start()
            yield fake, server
        finally:
            fake.latency = 0.0
            await server.stop()
            print_sql_counts(server.workdir / "sql-counts.txt")
            print_slow_steps(server.workdir / "slow-steps.txt", server.first_send)
            await fake.close()
            if keep_log is not None and server.log_path.exists():
                keep_log.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(server.log_path, keep_log)


# ---------------------------------------------------------------------------------------------- senders

@dataclass
class SendResult:
    latencies_ms: list[float] = field(default_factory=list)
    sent_ms: list[float] = field(default_factory=list)  # when each of latencies_ms was due, ms after the first send
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    started: float = 0.0  # time.time() of the first send
    wall: float = 0.0     # seconds from first send to last answer

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.wall if self.wall else float("nan")

    def worst_line(self, count: int = 5) -> str:
        """The slowest acks and when they were sent: tells a cold start from a stall mid-run."""
        worst = sorted(zip(self.latencies_ms, self.sent_ms), reverse=True)[:count]
        return ", ".join(f"{ms:.1f} ms at +{at / 1000:.2f} s" for ms, at in worst)


async def send_all(url: str, items: list[Signed], concurrency: int, rate: float | None = None) -> SendResult:
    """`concurrency` senders POST the deliveries; each keeps its own keep-alive connection.

    Closed loop (rate None): a sender posts its next delivery as soon as the previous one is
    answered, so the server is saturated and latency includes queueing behind the other senders.
    Open loop (rate R): delivery i is due at start + i/R; latency is counted from when it was due,
    so a server that falls behind is charged for the wait (no coordinated omission).
    Latency ends when the answer's body has been read.
    """
    result = SendResult()
    cursor = iter(range(len(items)))
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=30)

    async def sender(session: aiohttp.ClientSession, t0: float) -> None:
        for index in cursor:
            item = items[index]
            if rate:
                due = t0 + index / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            else:
                due = time.perf_counter()
            try:
                async with session.post(f"{url}/webhook", data=item.body, headers=item.headers) as response:
                    await response.read()
                    status = response.status
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                result.errors[type(exc).__name__] += 1
                continue
            result.latencies_ms.append((time.perf_counter() - due) * 1000)
            result.sent_ms.append((due - t0) * 1000)
            result.statuses[status] += 1

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        result.started = time.time()
        t0 = time.perf_counter()
        await asyncio.gather(*(sender(session, t0) for _ in range(concurrency)))
        result.wall = time.perf_counter() - t0
    return result


def _send_all_sync(url: str, items: list[Signed], concurrency: int, rate: float | None) -> SendResult:
    return asyncio.run(send_all(url, items, concurrency, rate))


async def send_all_in_subprocess(url: str, items: list[Signed], concurrency: int,
                                 rate: float | None = None) -> SendResult:
    """`send_all` in a child process, so the fake GitHub's work in this process cannot delay the clock.

    Without this, every answer the fake gives the busy workers would sit on the senders' event
    loop and inflate the measured ack latency.
    """
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        await asyncio.get_running_loop().run_in_executor(pool, _noop)  # pay the child's start-up before timing
        return await asyncio.get_running_loop().run_in_executor(pool, _send_all_sync, url, items, concurrency, rate)


def _noop() -> None:
    return None


# ---------------------------------------------------------------------------------------------- API accounting

def classify(fake: FakeGitHub, since: int = 0) -> Counter[str]:
    """The fake's recorded requests by kind: token, GET 2xx/304/404, writes by method."""
    kinds: Counter[str] = Counter()
    for request in fake.requests[since:]:
        if request.method == "POST" and request.path.startswith("/app/installations/"):
            kinds["token POST"] += 1
        elif request.method == "GET":
            if request.status == 304:
                kinds["GET 304"] += 1
            elif request.status == 404:
                kinds["GET 404"] += 1
            else:
                kinds["GET 2xx"] += 1
        elif request.path == "/graphql":
            kinds["GraphQL"] += 1
        else:
            kinds[request.method] += 1
    return kinds


def endpoint(method: str, path: str, status: int) -> str:
    """`GET /repos/{repo}/pulls/{n}` style name of a recorded request, for per-endpoint counts."""
    path = re.sub(r"^/repos/[^/]+/\.github/", "/repos/{owner}/.github/", path)
    path = re.sub(r"^/repos/[^/{]+/[^/]+", "/repos/{repo}", path)
    path = re.sub(r"/[0-9a-f]{40}(?=/|$)", "/{sha}", path)
    path = re.sub(r"/\d+(?=/|$)", "/{n}", path)
    path = re.sub(r"/labels/[^/]+$", "/labels/{name}", path)
    return f"{method} {path} {status}"


def by_endpoint(fake: FakeGitHub, since: int = 0) -> Counter[str]:
    return Counter(endpoint(r.method, r.path, r.status) for r in fake.requests[since:])


def per_event_lines(kinds: Counter[str], events: int) -> Iterator[str]:
    order = ["GET 2xx", "GET 304", "GET 404", "POST", "PATCH", "PUT", "DELETE", "GraphQL", "token POST"]
    total = sum(v for k, v in kinds.items() if k != "token POST")
    for kind in order + sorted(set(kinds) - set(order)):
        if kinds.get(kind):
            yield f"  {kind:<10} {kinds[kind] / events:6.2f} per event  ({kinds[kind]} total)"
    yield f"  {'all API':<10} {total / events:6.2f} per event  (token requests excluded)"
    writes = sum(kinds.get(k, 0) for k in ("POST", "PATCH", "PUT", "DELETE"))
    yield f"  {'writes':<10} {writes / events:6.2f} per event  (POST/PATCH/PUT/DELETE: what GitHub's 80/min, 500/h count)"


def rss_line(memory: dict[str, int]) -> str:
    return f"peak RSS (VmHWM) {memory.get('VmHWM', 0) / 1024:.1f} MiB, current RSS {memory.get('VmRSS', 0) / 1024:.1f} MiB"
