"""Several real `governance-bot serve` replicas on one PostgreSQL database, against the fake GitHub.

Each delivery is processed exactly once however the load balancer spreads (or repeats) it;
one installation is worked by one replica at a time; a replica killed with SIGKILL has its
work finished by the other; a database restart makes replicas wait, not crash.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
import asyncpg
import pytest

from tests.harness import WEBHOOK_SECRET
from tests.payloads import pull_request_event
from tests.test_process import ROOT, ServeProcess, free_port

if TYPE_CHECKING:
    from tests.pg import PostgresServer

pytest_plugins = ["tests.pg"]

RULES_FILE = "probe:\n  title_prefix: feat\n"
REPORT_MARKER = "<!-- governance-bot:report -->"
INSTALLATIONS = (11, 12, 13, 14)


@dataclass(frozen=True)
class PR:
    repo: str
    number: int
    installation: int
    passes: bool


def populate(fake, repos_per_installation: int = 2, prs_per_repo: int = 5,
             installations: tuple[int, ...] = INSTALLATIONS) -> list[PR]:
    """Repositories under several installations, each with the probe rule and some PRs (half failing)."""
    fake.add_user("dana")
    prs: list[PR] = []
    for installation in installations:
        for r in range(repos_per_installation):
            repo = f"org{installation}/repo{r}"
            fake.add_repo(repo, installation_id=installation)
            fake.set_file(repo, ".github/governance.yml", RULES_FILE)
            for number in range(1, prs_per_repo + 1):
                passes = (number + r) % 2 == 0
                title = "feat: add a thing" if passes else "fix: a thing"
                fake.add_pull_request(repo, number, author="dana", title=title,
                                      head_sha=f"{installation:08x}{r:08x}{number:024x}")
                prs.append(PR(repo, number, installation, passes))
    return prs


def event_for(fake, pr: PR, action: str) -> dict:
    payload = pull_request_event(fake, pr.repo, pr.number, action)
    payload["installation"]["id"] = pr.installation
    return payload


def replica_env(fake, app_key, db_url: str, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "DATABASE_URL"))}
    env.update(GITHUB_APP_ID="12345", GITHUB_PRIVATE_KEY=app_key[0], GITHUB_WEBHOOK_SECRET=WEBHOOK_SECRET,
               GITHUB_API_URL=fake.url, DATABASE_URL=db_url, HOST="127.0.0.1", PORT=str(free_port()),
               WORKERS="4", LEASE_SECONDS="5", RETRY_BASE_SECONDS="0.1", LOG_LEVEL="INFO", LOG_FORMAT="json",
               SHUTDOWN_GRACE_SECONDS="5", WRITES_PER_MINUTE="60000", WRITES_PER_HOUR="60000", PYTHONPATH=str(ROOT))
    env.update(overrides)
    return env


@pytest.fixture
async def launch(fake, app_key, pg_url, tmp_path) -> AsyncIterator[Callable[..., Awaitable[ServeProcess]]]:
    """Start replicas on the test database; every one still running is killed at the end."""
    started: list[ServeProcess] = []

    async def start(name: str, wait: bool = True, **overrides: str) -> ServeProcess:
        replica = ServeProcess(replica_env(fake, app_key, pg_url, **overrides), tmp_path / f"{name}.log")
        started.append(replica)
        if wait:
            await replica.start()
        return replica

    yield start
    for replica in started:
        if replica.proc is not None and replica.proc.returncode is None:
            replica.proc.kill()
            await replica.proc.wait()
        if hasattr(replica, "log"):
            replica.log.close()


@pytest.fixture
async def db(pg_url) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(pg_url)
    yield conn
    await conn.close()


async def rows(db: asyncpg.Connection) -> dict[str, asyncpg.Record]:
    return {r["id"]: r for r in await db.fetch("SELECT id, state, attempts, lease_owner, last_error FROM deliveries")}


async def wait_all_done(db: asyncpg.Connection, expected: int, timeout: float) -> dict[str, asyncpg.Record]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        current = await rows(db)
        if len(current) == expected and all(r["state"] == "done" for r in current.values()):
            return current
        if asyncio.get_running_loop().time() > deadline:
            pending = {k: (r["state"], r["last_error"]) for k, r in current.items() if r["state"] != "done"}
            raise AssertionError(f"{len(current)}/{expected} stored; not done: {pending}")
        await asyncio.sleep(0.1)


class RoutingWatch:
    """Polls the deliveries table: no installation may be held by two replicas, nor a subject twice.

    Each sample is one statement, a consistent snapshot, so anything it reports really happened.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.violations: list[str] = []
        self.samples = 0
        self._task: asyncio.Task | None = None

    async def _run(self, db: asyncpg.Connection) -> None:
        while True:
            held = await db.fetch(
                "SELECT installation_id, subject, lease_owner FROM deliveries "
                "WHERE state = 'processing' AND lease_until >= extract(epoch from clock_timestamp())")
            self.samples += 1
            owners: dict[int, set[str]] = {}
            for row in held:
                owners.setdefault(row["installation_id"], set()).add(row["lease_owner"])
            self.violations += [f"installation {i} held by {sorted(o)}" for i, o in owners.items() if len(o) > 1]
            subjects = Counter(row["subject"] for row in held)
            self.violations += [f"subject {s} held {n} times" for s, n in subjects.items() if n > 1]
            await asyncio.sleep(0.01)

    async def start(self) -> None:
        self._db = await asyncpg.connect(self.url)  # its own connection: samples run beside the test's queries
        self._task = asyncio.create_task(self._run(self._db))

    async def stop(self) -> None:
        assert self._task is not None
        if self._task.done():
            self._task.result()  # the watch itself failed: say so
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self._db.close()


async def done_lines(tmp_path: Path, count: int, timeout: float = 10.0) -> tuple[list[str], list[str]]:
    """Replicas a and b's "outcome=done" delivery ids, once `count` of them are logged.

    A replica writes a delivery's line just after the database marks it done, so right after
    the database says everything is done the logs may still trail by a moment. Past the
    timeout, what is there is returned and the caller's assertion says what is missing.
    """
    def logged() -> tuple[list[str], list[str]]:
        return processed_in_log(tmp_path / "a.log"), processed_in_log(tmp_path / "b.log")

    async def enough() -> bool:
        by_a, by_b = logged()
        return len(by_a) + len(by_b) >= count

    try:
        await wait_for_async(enough, timeout=timeout)
    except AssertionError:
        pass
    return logged()


def processed_in_log(path: Path) -> list[str]:
    """Delivery ids of the "delivery ID: … outcome=done" lines a replica logged."""
    ids = []
    for line in path.read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if "outcome=done" in entry.get("message", ""):
            ids.append(entry["delivery"])
    return ids


def assert_github_consistent(fake, prs: list[PR]) -> None:
    """One report comment on each failing PR and none on passing ones; statuses match the titles."""
    for pr in prs:
        sha = fake.pull_request(pr.repo, pr.number)["head"]["sha"]
        reports = [c for c in fake.comments(pr.repo, pr.number) if c["body"].startswith(REPORT_MARKER)]
        assert len(reports) == (0 if pr.passes else 1), (pr, len(reports))
        probe = fake.latest_status(pr.repo, sha, "governance/probe")
        assert probe is not None and probe["state"] == ("success" if pr.passes else "failure"), (pr, probe)
        assert fake.latest_status(pr.repo, sha, "governance/config")["state"] == "success"


async def test_two_replicas_process_each_delivery_exactly_once(fake, launch, db, pg_url, tmp_path):
    prs = populate(fake)  # 4 installations x 2 repositories x 5 PRs
    fake.latency = 0.01  # work overlaps, so routing and serialisation are really exercised
    a, b = await asyncio.gather(launch("a"), launch("b"))
    watch = RoutingWatch(pg_url)
    await watch.start()

    actions = ("opened", "synchronize", "edited", "reopened", "synchronize")
    plan = [(f"d{k:03d}", prs[k % len(prs)], actions[k // len(prs)]) for k in range(200)]
    answers: dict[str, list[int]] = {}

    async def send(index: int, delivery_id: str, pr: PR, action: str) -> None:
        payload = event_for(fake, pr, action)
        if index % 10 == 0:  # the load balancer retried it on the other replica: sent to both at once
            answers[delivery_id] = list(await asyncio.gather(
                a.deliver("pull_request", payload, delivery_id), b.deliver("pull_request", payload, delivery_id)))
        else:
            answers[delivery_id] = [await (a if index % 2 else b).deliver("pull_request", payload, delivery_id)]

    for start in range(0, len(plan), 25):
        await asyncio.gather(*(send(i, *plan[i]) for i in range(start, min(start + 25, len(plan)))))
    final = await wait_all_done(db, 200, timeout=40)
    await watch.stop()

    for index, (delivery_id, _pr, _action) in enumerate(plan):
        assert sorted(answers[delivery_id]) == ([200, 202] if index % 10 == 0 else [202]), delivery_id
    assert {r["attempts"] for r in final.values()} == {1}  # nobody claimed anything twice
    by_a, by_b = await done_lines(tmp_path, len(final))
    assert sorted(by_a + by_b) == sorted(final)  # each delivery processed once, by one replica
    assert by_a and by_b  # both replicas did work
    assert watch.samples > 20 and watch.violations == []
    assert_github_consistent(fake, prs)
    # Writes are diffed: one report comment per failing PR, and statuses written once per PR and context.
    status_writes = Counter(r.path for r in fake.writes() if "/statuses/" in r.path)
    assert set(status_writes.values()) == {2}, status_writes


async def test_sigkilled_replica_work_is_finished_by_the_other(fake, launch, db, pg_url, tmp_path):
    prs = populate(fake, repos_per_installation=2, prs_per_repo=3)  # 24 PRs
    fake.latency = 0.03  # slow GitHub, so the kill lands mid-work
    a, b = await asyncio.gather(launch("a", LEASE_SECONDS="1.5"), launch("b", LEASE_SECONDS="1.5"))
    watch = RoutingWatch(pg_url)
    await watch.start()

    plan = [(f"k{k:03d}", prs[k % len(prs)], "opened" if k < len(prs) else "synchronize") for k in range(48)]
    await asyncio.gather(*(
        (a if k % 2 else b).deliver("pull_request", event_for(fake, pr, action), delivery_id)
        for k, (delivery_id, pr, action) in enumerate(plan)))

    orphaned = await kill_while_working(a, db)  # SIGKILL: no hand-back, no completion; its leases must expire

    # B keeps serving new deliveries meanwhile.
    late = [(f"late{k}", prs[k], "edited") for k in range(6)]
    for delivery_id, pr, action in late:
        assert await b.deliver("pull_request", event_for(fake, pr, action), delivery_id) == 202
    final = await wait_all_done(db, len(plan) + len(late), timeout=40)
    await watch.stop()

    assert {k for k, r in final.items() if r["attempts"] == 2} == orphaned  # taken over once, after expiry
    assert {r["attempts"] for k, r in final.items() if k not in orphaned} == {1}
    by_a, by_b = await done_lines(tmp_path, len(final))
    assert orphaned <= set(by_b) and not orphaned & set(by_a)
    assert max(Counter(by_a + by_b).values()) == 1
    assert watch.violations == []
    assert_github_consistent(fake, prs)
    assert b.proc.returncode is None


async def test_database_restart_makes_a_replica_wait_not_crash(fake, launch, pg_server: PostgresServer, db, pg_url):
    prs = populate(fake, repos_per_installation=1, prs_per_repo=2, installations=(11,))
    replica = await launch("r")
    assert await replica.deliver("pull_request", event_for(fake, prs[0], "opened"), "before") == 202
    await wait_all_done(db, 1, timeout=20)
    await db.close()

    await asyncio.to_thread(pg_server.stop)  # fast shutdown: every connection is cut
    try:
        assert await get(replica, "/readyz") == 503
        assert await get(replica, "/healthz") == 200
        payload = event_for(fake, prs[1], "opened")
        assert await replica.deliver("pull_request", payload, "during") == 503  # GitHub may redeliver it
        await asyncio.sleep(1.5)  # workers' claims fail meanwhile
        assert replica.proc.returncode is None
    finally:
        await asyncio.to_thread(pg_server.start)

    await wait_for_async(lambda: _status_is(replica, "/readyz", 200), timeout=20)
    assert await replica.deliver("pull_request", payload, "during") == 202  # the redelivery
    conn = await asyncpg.connect(pg_url)
    try:
        final = await wait_all_done(conn, 2, timeout=20)
    finally:
        await conn.close()
    assert final["during"]["attempts"] == 1
    assert_github_consistent(fake, prs)
    assert replica.proc.returncode is None


async def test_replica_started_before_its_database_waits_for_it(fake, launch, pg_server: PostgresServer, pg_url,
                                                                tmp_path):
    prs = populate(fake, repos_per_installation=1, prs_per_repo=1, installations=(11,))
    await asyncio.to_thread(pg_server.stop)
    try:
        replica = await launch("early", wait=False)
        starting = asyncio.create_task(replica.start())
        log = tmp_path / "early.log"
        await wait_for_async(lambda: _contains(log, "database not reachable yet"), timeout=20)
        await asyncio.sleep(1.0)  # a few more attempts
        assert not starting.done() and replica.proc.returncode is None
    finally:
        await asyncio.to_thread(pg_server.start)
    await starting
    assert await replica.deliver("pull_request", event_for(fake, prs[0], "opened"), "first") == 202
    conn = await asyncpg.connect(pg_url)
    try:
        await wait_all_done(conn, 1, timeout=20)
    finally:
        await conn.close()
    assert_github_consistent(fake, prs)


async def kill_while_working(replica: ServeProcess, db: asyncpg.Connection) -> set[str]:
    """SIGKILL the replica while it holds work; return the deliveries it held.

    It is frozen (SIGSTOP) while its leases are read, so what it held is exactly what it left.
    """
    mine = f"%:{replica.proc.pid}:%"
    held_by_it = "SELECT id FROM deliveries WHERE state = 'processing' AND lease_owner LIKE $1"
    for _ in range(100):
        await wait_for_async(lambda: db.fetchval(f"SELECT EXISTS ({held_by_it})", mine))
        replica.proc.send_signal(signal.SIGSTOP)
        await asyncio.sleep(0.1)  # let statements it had already sent (a COMMIT) land first
        held = {r["id"] for r in await db.fetch(held_by_it, mine)}
        if held:
            replica.proc.kill()
            await replica.proc.wait()
            return held
        replica.proc.send_signal(signal.SIGCONT)  # it finished in between: try again
    raise AssertionError("the replica never held work long enough to be killed mid-way")


async def _contains(path: Path, text: str) -> bool:
    return path.exists() and text in path.read_text()


async def get(replica: ServeProcess, path: str) -> int:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{replica.port}{path}") as response:
            return response.status


async def _status_is(replica: ServeProcess, path: str, status: int) -> bool:
    try:
        return await get(replica, path) == status
    except aiohttp.ClientError:
        return False


async def wait_for_async(predicate: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.02)
