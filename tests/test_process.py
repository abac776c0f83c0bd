"""The real `governance-bot serve` process: killed after a 202 and restarted, SIGTERM, JSON logs, no secrets."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from tests.harness import WEBHOOK_SECRET, sign
from tests.payloads import pull_request_event
from tests.test_engine import REPO, report_comments, setup_repo

ROOT = Path(__file__).resolve().parent.parent
LAUNCH = ("import sys; from tests.harness import rules_with_probe; "
          "from bot.cli import main; sys.exit(main(['serve'], rules=rules_with_probe()))")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServeProcess:
    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.port = int(env["PORT"])
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.log = open(self.log_path, "ab")
        self.proc = await asyncio.create_subprocess_exec(sys.executable, "-c", LAUNCH, cwd=ROOT, env=self.env,
                                                         stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 20
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                try:
                    async with session.get(f"http://127.0.0.1:{self.port}/healthz") as r:
                        if r.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if self.proc.returncode is not None:
                    raise AssertionError(self.log_path.read_text())
                await asyncio.sleep(0.1)
        raise AssertionError("serve did not start:\n" + self.log_path.read_text())

    async def deliver(self, event: str, payload: dict, delivery_id: str) -> int:
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "X-GitHub-Event": event, "X-GitHub-Delivery": delivery_id,
                   "X-Hub-Signature-256": sign(body)}
        async with aiohttp.ClientSession() as session:
            async with session.post(f"http://127.0.0.1:{self.port}/webhook", data=body, headers=headers) as r:
                return r.status

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(sig)
        code = await asyncio.wait_for(self.proc.wait(), timeout)
        self.log.close()
        return code


@pytest.fixture
def serve_env(fake, app_key, tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "DATABASE_URL"))}
    env.update(GITHUB_APP_ID="12345", GITHUB_PRIVATE_KEY=app_key[0], GITHUB_WEBHOOK_SECRET=WEBHOOK_SECRET,
               GITHUB_API_URL=fake.url, DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}", HOST="127.0.0.1",
               PORT=str(free_port()), WORKERS="2", LEASE_SECONDS="2", RETRY_BASE_SECONDS="0.1",
               LOG_LEVEL="DEBUG", LOG_FORMAT="json", SHUTDOWN_GRACE_SECONDS="10", PYTHONPATH=str(ROOT))
    return env


def delivery_row(env: dict[str, str], delivery_id: str) -> tuple:
    path = env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        return db.execute("SELECT state, attempts FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()


async def wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.05)


def assert_clean_json_logs(path: Path, app_key_pem: str, delivery_id: str, fake) -> None:
    text = path.read_text()
    assert WEBHOOK_SECRET not in text
    for line in app_key_pem.splitlines():
        if len(line) > 20:
            assert line not in text
    for token in fake.issued_tokens():
        assert token not in text
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines, "serve logged nothing"
    parsed = [json.loads(line) for line in lines]  # every line is one JSON object
    assert any(entry.get("delivery") == delivery_id and entry.get("repository") == REPO for entry in parsed)


async def test_killed_after_202_then_restarted_does_the_work_once(fake, serve_env, app_key, tmp_path):
    pr = setup_repo(fake)
    fake.latency = 0.4  # slow GitHub, so the kill lands mid-work
    first = ServeProcess(serve_env, tmp_path / "first.log")
    await first.start()
    assert await first.deliver("pull_request", pull_request_event(fake, REPO, 1), "kill-me") == 202
    await wait_for(lambda: any(r.path == f"/repos/{REPO}/pulls/1" for r in fake.requests))
    first.proc.kill()  # SIGKILL: no chance to clean up
    await first.proc.wait()
    first.log.close()
    assert delivery_row(serve_env, "kill-me")[0] == "processing"

    fake.latency = 0.0
    second = ServeProcess(serve_env, tmp_path / "second.log")
    await second.start()
    try:
        await wait_for(lambda: delivery_row(serve_env, "kill-me")[0] == "done")
    finally:
        await second.stop()
    assert fake.latest_status(REPO, pr["head"]["sha"], "governance/probe")["state"] == "failure"
    assert len(report_comments(fake)) == 1
    assert delivery_row(serve_env, "kill-me")[1] == 2
    assert_clean_json_logs(tmp_path / "second.log", app_key[0], "kill-me", fake)


async def test_sigterm_lets_in_flight_work_finish(fake, serve_env, tmp_path):
    pr = setup_repo(fake)
    fake.latency = 0.2
    proc = ServeProcess(serve_env, tmp_path / "term.log")
    await proc.start()
    assert await proc.deliver("pull_request", pull_request_event(fake, REPO, 1), "term-1") == 202
    await wait_for(lambda: any(r.path == f"/repos/{REPO}/pulls/1" for r in fake.requests))
    code = await proc.stop(signal.SIGTERM)
    assert code == 0
    assert delivery_row(serve_env, "term-1")[0] == "done"
    assert fake.latest_status(REPO, pr["head"]["sha"], "governance/probe") is not None


async def test_serve_refuses_to_start_without_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "serve", cwd=tmp_path, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode == 2
    assert err.decode().strip().splitlines() == [  # every missing setting at once, one line each
        "governance-bot: GITHUB_APP_ID: required for serve (run `governance-bot setup` to create the App)",
        "governance-bot: GITHUB_WEBHOOK_SECRET: required for serve",
        "governance-bot: GITHUB_PRIVATE_KEY or GITHUB_PRIVATE_KEY_PATH: one is required for serve"]

    env.update(GITHUB_APP_ID="1", GITHUB_WEBHOOK_SECRET="x", GITHUB_PRIVATE_KEY="not a key")
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "serve", cwd=tmp_path, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode == 2
    assert "GITHUB_PRIVATE_KEY: not a PEM-encoded private key" in err.decode()
    assert "Traceback" not in err.decode()
