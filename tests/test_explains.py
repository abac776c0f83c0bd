"""A server that explains itself: refused webhooks, finished deliveries and GitHub errors in the log."""

from __future__ import annotations

import asyncio
import json
import logging
import re

import aiohttp
import pytest

from bot import server
from bot.logsetup import LineLimiter, configure_logging
from tests.harness import WEBHOOK_SECRET, BotHarness, make_settings, new_app_key, sign
from tests.payloads import pull_request_event
from tests.test_engine import REPO, setup_repo


@pytest.fixture(autouse=True)
def fresh_limiter(monkeypatch):
    """Each test starts with an empty refusal log budget (it is process-wide by design)."""
    monkeypatch.setattr(server, "refusal_lines", LineLimiter(burst=5, window=60.0))


async def deliver_with(settings, fake, delivery_id: str) -> dict:
    """One pull_request delivery through a bot with these settings; its row once the queue settled."""
    harness = BotHarness(settings)
    await harness.start()
    try:
        await harness.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1), delivery_id=delivery_id)
        return await harness.delivery(delivery_id)
    finally:
        await harness.close()


def refused_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("webhook refused")]


def _headers(body: bytes, **overrides: str) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "X-GitHub-Event": "issues", "X-GitHub-Delivery": "d-1",
               "X-Hub-Signature-256": sign(body)}
    headers.update(overrides)
    return {k: v for k, v in headers.items() if v}


BODY = json.dumps({"action": "opened"}).encode()
CASES = {
    "bad_signature": (BODY, _headers(BODY, **{"X-Hub-Signature-256": sign(BODY, "a-mistyped-secret")}), 401,
                      "signature does not match: check GITHUB_WEBHOOK_SECRET"),
    "no_signature": (BODY, _headers(BODY, **{"X-Hub-Signature-256": ""}), 401,
                     "no X-Hub-Signature-256 header: set a webhook secret in the App's settings"),
    "not_sha256": (BODY, _headers(BODY, **{"X-Hub-Signature-256": "sha1=" + "0" * 40}), 401,
                   "signature is not sha256"),
    "no_headers": (BODY, _headers(BODY, **{"X-GitHub-Event": ""}), 400, "X-GitHub-Event or X-GitHub-Delivery missing"),
    "bad_headers": (BODY, _headers(BODY, **{"X-GitHub-Delivery": "x" * 200}), 400, "too long"),
    "content_type": (BODY, _headers(BODY, **{"Content-Type": "application/x-www-form-urlencoded"}), 415,
                     "set the App's webhook content type to application/json"),
    "not_json": (b"{nope", _headers(b"{nope"), 400, "body is not valid JSON"),
    "not_object": (b"[1]", _headers(b"[1]"), 400, "body is not a JSON object"),
}


@pytest.mark.parametrize("reason", sorted(CASES))
async def test_each_refused_webhook_is_one_warning_with_reason_and_fix(bot, caplog, reason):
    body, headers, status, expected = CASES[reason]
    with caplog.at_level(logging.WARNING, logger="bot"):
        response = await bot.post("/webhook", body=body, headers=headers)
    assert response.status == status
    lines = refused_lines(caplog)
    assert len(lines) == 1, lines
    assert expected in lines[0]
    assert f"({status})" in lines[0]
    assert all(r.levelno == logging.WARNING for r in caplog.records if r.getMessage().startswith("webhook refused"))
    text = caplog.text
    assert WEBHOOK_SECRET not in text
    signature = headers.get("X-Hub-Signature-256", "")
    if signature:
        assert signature.split("=", 1)[1] not in text  # not even the (wrong) HMAC


async def test_oversized_body_is_refused_with_a_line(fake, app_key, tmp_path, caplog):
    harness = BotHarness(make_settings(api_url=fake.url, private_key=app_key[0], db_path=tmp_path / "g.db",
                                       max_body_bytes=2048))
    await harness.start()
    try:
        body = json.dumps({"x": "y" * 4096}).encode()
        with caplog.at_level(logging.WARNING, logger="bot"):
            response = await harness.post("/webhook", body=body, headers=_headers(body))
    finally:
        await harness.close()
    assert response.status == 413
    assert "body over MAX_BODY_BYTES" in refused_lines(caplog)[0]


async def test_a_flood_of_bad_requests_writes_a_bounded_number_of_lines(bot, caplog):
    body, headers, _, _ = CASES["bad_signature"]
    url = bot.url.rstrip("/") + "/webhook"
    statuses: list[int] = []

    async def send(session: aiohttp.ClientSession, count: int) -> None:
        for _ in range(count):
            async with session.post(url, data=body, headers=headers) as response:
                statuses.append(response.status)

    with caplog.at_level(logging.WARNING, logger="bot"):
        connector = aiohttp.TCPConnector(limit=20)
        async with aiohttp.ClientSession(connector=connector) as session:
            await asyncio.gather(*(send(session, 500) for _ in range(20)))
    assert len(statuses) == 10_000 and set(statuses) == {401}
    lines = refused_lines(caplog)
    assert 1 <= len(lines) <= 5  # one minute's budget for this reason, whatever the flood
    assert len(caplog.records) <= 10


def test_the_limiter_says_how_many_lines_it_left_out():
    limiter = LineLimiter(burst=2, window=60.0)
    assert [limiter.admit("k", now=t)[0] for t in (0, 1, 2, 3)] == [True, True, False, False]
    assert limiter.admit("other", now=4) == (True, 0)  # keys are counted apart
    assert limiter.admit("k", now=61) == (True, 2)  # next window: the first line says two were left out


async def test_a_finished_delivery_is_one_info_line(fake, bot, caplog):
    setup_repo(fake)
    with caplog.at_level(logging.INFO, logger="bot"):
        await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1), delivery_id="fin-1")
    lines = [r for r in caplog.records if r.getMessage().startswith("delivery fin-1:")]
    assert len(lines) == 1
    message = lines[0].getMessage()
    writes = len(fake.writes())
    assert lines[0].levelno == logging.INFO
    assert re.fullmatch(rf"delivery fin-1: event=pull_request\.opened repository={REPO} outcome=done "
                        rf"writes={writes} ms=\d+", message), message
    assert writes > 0


async def test_a_final_failure_is_logged_once_as_failed(fake, app_key, tmp_path, caplog):
    setup_repo(fake)
    fake.fail("GET", rf"/repos/{REPO}/pulls/1", status=502, times=100)
    with caplog.at_level(logging.INFO, logger="bot"):
        await deliver_with(make_settings(api_url=fake.url, private_key=app_key[0], db_path=tmp_path / "g.db",
                                         max_attempts=2, retry_base_seconds=0.01), fake, "f-1")
    mine = [r for r in caplog.records if r.getMessage().startswith("delivery f-1:")]
    assert [("outcome=retry" in r.getMessage(), r.levelno) for r in mine] == [(True, logging.WARNING), (False, logging.ERROR)]
    failed = mine[-1].getMessage()
    assert "outcome=failed" in failed and "attempt 2 of 2" in failed and "deliveries retry f-1" in failed
    assert "gave up" not in caplog.text and "will be retried" not in caplog.text


async def test_a_401_keeps_githubs_message_and_hints_at_the_key_pair(fake, tmp_path):
    setup_repo(fake)
    other_key, _ = new_app_key()  # the private key of some other App
    row = await deliver_with(make_settings(api_url=fake.url, private_key=other_key, db_path=tmp_path / "g.db"),
                             fake, "k-1")
    host = fake.url.split("//", 1)[1].rstrip("/")
    assert row["state"] == "failed"
    assert f"{host} answered 401 to POST /app/installations/" in row["last_error"]
    assert "A JSON web token could not be decoded" in row["last_error"]
    assert "GITHUB_APP_ID and the private key belong to the same App" in row["last_error"]


async def test_a_404_on_the_installation_says_the_app_is_not_installed(fake, bot):
    setup_repo(fake)
    fake.fail("POST", r"/app/installations/\d+/access_tokens", status=404, body={"message": "Not Found"})
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1), delivery_id="n-1")
    row = await bot.delivery("n-1")
    assert row["state"] == "failed"
    assert "answered 404" in row["last_error"] and "Not Found" in row["last_error"]
    assert "the App is not installed on that account" in row["last_error"]


async def test_an_unknown_host_is_named(fake, app_key, tmp_path):
    setup_repo(fake)
    row = await deliver_with(make_settings(api_url="http://github.invalid", private_key=app_key[0],
                                           db_path=tmp_path / "g.db", max_attempts=1), fake, "dns-1")
    assert "cannot resolve github.invalid" in row["last_error"]
    assert "GITHUB_API_URL" in row["last_error"]


def test_libraries_stay_at_warning_whatever_log_level():
    root = logging.getLogger()
    saved = (root.level, list(root.handlers), logging.getLogger("bot").level, logging.getLogger("rules").level)
    try:
        configure_logging("DEBUG", "console", [])
        for library in ("aiosqlite", "sqlalchemy.engine", "asyncpg", "aiohttp.access", "asyncio"):
            assert not logging.getLogger(library).isEnabledFor(logging.INFO), library
        assert logging.getLogger("bot.engine").isEnabledFor(logging.DEBUG)
        assert logging.getLogger("rules.cla").isEnabledFor(logging.DEBUG)
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]
        logging.getLogger("bot").setLevel(saved[2])
        logging.getLogger("rules").setLevel(saved[3])
