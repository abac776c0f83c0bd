"""End-to-end harness: the bot's aiohttp app on a real port, wired to the fake GitHub.

`BotHarness.deliver()` signs and POSTs a webhook exactly as GitHub does;
`settle()` waits until the durable queue has nothing left to do.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from bot.rule import Rule
from bot.server import STATE_KEY, GuardedRunner, create_app
from bot.settings import Settings
from bot.store import deliveries, installation_writes
from rules import RULES
from tests.probe_rule import ProbeRule

WEBHOOK_SECRET = "test-webhook-secret-do-not-log"
INSTALLATION_ID = 4242


def new_app_key() -> tuple[str, bytes]:
    """A throwaway App key pair: the PEM private key for the bot, the public key for the fake's JWT check."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


def sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class ShiftedClock:
    """Wall-clock time plus an offset that a test or bench moves forward (`advance`), so an hour of
    write windows passes in moments. Hand it to `BotHarness(clock=...)` and to the fake's limits."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


def make_settings(*, api_url: str, private_key: str, db_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        github_app_id="12345", github_private_key=private_key, github_webhook_secret=WEBHOOK_SECRET,
        github_api_url=api_url, database_url=f"sqlite:///{db_path}", workers=4, retry_base_seconds=0.05,
        lease_seconds=5.0, writes_per_minute=60_000, writes_per_hour=60_000, shutdown_grace_seconds=5.0,
        sweep_interval_seconds=0,  # the delivery-log sweep only where a test turns it on (tests/test_sweep.py)
    )
    values.update(overrides)
    return Settings(_env_file=None, **values)


def rules_with_probe() -> tuple[Rule, ...]:
    """Every registered rule and the test-only `ProbeRule` (active only where a rules file has `probe:`)."""
    return (*RULES, ProbeRule())


class GuardedTestServer(TestServer):
    """A TestServer on the production runner, so the intake guard sees every connection."""

    async def _make_runner(self, **kwargs: Any) -> GuardedRunner:
        return GuardedRunner(self.app, **kwargs)


class AllAtOnce:
    """A worker pool's processor that holds each delivery until `count` of them run at once: proof
    that that many workers took work together. `started` lists them; `all_started` is set then."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.started: list[str] = []
        self.all_started = asyncio.Event()

    async def __call__(self, delivery: Any) -> None:
        self.started.append(delivery.id)
        if len(self.started) == self.count:
            self.all_started.set()
        await self.all_started.wait()


def free_port() -> int:
    """A port nothing listens on now (for a bot whose PUBLIC_URL must be known before it starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class BotHarness:
    def __init__(self, settings: Settings, rules: Sequence[Rule] | None = None, *, port: int | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.rules = tuple(rules) if rules is not None else rules_with_probe()
        self.app: web.Application = create_app(settings, self.rules, clock=clock)
        self.server = GuardedTestServer(self.app, host="127.0.0.1", port=port)
        self.session: aiohttp.ClientSession | None = None

    @property
    def state(self):
        return self.app[STATE_KEY]

    @property
    def url(self) -> str:
        return str(self.server.make_url(""))

    async def start(self) -> None:
        await self.server.start_server()
        self.state.listening.set()  # as `bot.server.start` does once the port is bound
        self.session = aiohttp.ClientSession()

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
        await self.server.close()

    async def post(self, path: str, *, body: bytes, headers: dict[str, str]) -> aiohttp.ClientResponse:
        assert self.session is not None
        response = await self.session.post(self.url.rstrip("/") + path, data=body, headers=headers)
        await response.read()
        return response

    async def deliver(self, event: str, payload: dict[str, Any], *, delivery_id: str | None = None,
                      secret: str = WEBHOOK_SECRET, extra_headers: dict[str, str] | None = None) -> aiohttp.ClientResponse:
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
            "X-Hub-Signature-256": sign(body, secret),
            "User-Agent": "GitHub-Hookshot/test",
        }
        headers.update(extra_headers or {})
        return await self.post("/webhook", body=body, headers=headers)

    async def get(self, path: str) -> tuple[int, str]:
        assert self.session is not None
        async with self.session.get(self.url.rstrip("/") + path) as response:
            return response.status, await response.text()

    async def settle(self, timeout: float = 20.0) -> None:
        """Wait until no delivery is queued or in progress."""
        deadline = time.monotonic() + timeout
        while True:
            async with self.state.store.engine.connect() as conn:
                rows = (await conn.execute(select(deliveries.c.id, deliveries.c.state, deliveries.c.last_error).where(
                    deliveries.c.state.in_(("queued", "processing"))))).all()
            if not rows:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"queue did not settle: {[tuple(r) for r in rows]}")
            self.state.queue.wakeup.set()
            await asyncio.sleep(0.02)

    async def settle_advancing(self, clock: ShiftedClock, timeout: float = 30.0) -> float:
        """`settle`, moving `clock` on whenever every delivery left waits (`advance_if_waiting`).
        Returns the seconds skipped."""
        deadline = time.monotonic() + timeout
        skipped = 0.0
        while (step := await self.advance_if_waiting(clock)) is not None:
            skipped += step
            if time.monotonic() > deadline:
                async with self.state.store.engine.connect() as conn:
                    rows = (await conn.execute(select(deliveries.c.id, deliveries.c.state, deliveries.c.last_error).where(
                        deliveries.c.state.in_(("queued", "processing"))))).all()
                raise AssertionError(f"queue did not settle: {[tuple(r) for r in rows]}")
            await asyncio.sleep(0.02)
        return skipped

    async def advance_if_waiting(self, clock: ShiftedClock) -> float | None:
        """When no delivery runs and every queued one waits for a later time (its own retry time, or its
        installation's full write window), jump `clock` to the earliest of those, as if the bot had
        waited, and wake the workers. Returns the seconds skipped (0.0: none), None when nothing is left."""
        async with self.state.store.engine.connect() as conn:
            rows = (await conn.execute(select(deliveries.c.state, deliveries.c.available_at, deliveries.c.installation_id)
                                       .where(deliveries.c.state.in_(("queued", "processing"))))).all()
            ready = dict((await conn.execute(select(installation_writes.c.installation_id,
                                                    installation_writes.c.ready_at))).all())
        if not rows:
            return None
        due = [max(r.available_at, ready.get(r.installation_id, 0.0)) for r in rows if r.state == "queued"]
        now = clock()
        if len(due) < len(rows) or min(due) <= now:
            return 0.0
        step = min(due) - now + 0.001
        clock.advance(step)
        self.state.queue.wakeup.set()
        return step

    async def delivery(self, delivery_id: str) -> dict[str, Any] | None:
        return await self.state.queue.get(delivery_id)

    async def deliver_and_settle(self, event: str, payload: dict[str, Any], **kwargs: Any) -> aiohttp.ClientResponse:
        response = await self.deliver(event, payload, **kwargs)
        await self.settle()
        return response


REPORT_MARKER = "<!-- governance-bot:report -->"


def reports(fake, number: int, full_name: str = "acme/widgets") -> list[dict]:
    """The report comments on an issue or pull request (there should be at most one)."""
    return [c for c in fake.comments(full_name, number) if c["body"].startswith(REPORT_MARKER)]


def the_report(fake, number: int, full_name: str = "acme/widgets") -> str:
    """The one report comment's body; fails when there is none or more than one."""
    found = reports(fake, number, full_name)
    assert len(found) == 1, f"expected one report comment, found {len(found)}"
    return found[0]["body"]
