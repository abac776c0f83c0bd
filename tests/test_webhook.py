"""SPEC §2: what POST /webhook answers, and that nothing is stored or done for bad input."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from bot.store import deliveries
from tests.harness import WEBHOOK_SECRET, BotHarness, make_settings, sign

PING = {"zen": "Keep it logically awesome.", "hook_id": 1}


async def stored_count(bot) -> int:
    async with bot.state.store.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(deliveries)))


def headers(body: bytes, **overrides: str) -> dict[str, str]:
    result = {"Content-Type": "application/json", "X-GitHub-Event": "issues", "X-GitHub-Delivery": "d-1",
              "X-Hub-Signature-256": sign(body)}
    result.update(overrides)
    return {k: v for k, v in result.items() if v is not None}


async def test_bad_signature_is_refused_and_nothing_stored(bot):
    body = json.dumps({"action": "opened"}).encode()
    response = await bot.post("/webhook", body=body, headers=headers(body, **{"X-Hub-Signature-256": sign(body, "wrong")}))
    assert response.status == 401
    assert await stored_count(bot) == 0


async def test_missing_signature_and_sha1_alone_are_refused(bot):
    body = json.dumps({"action": "opened"}).encode()
    plain = headers(body)
    del plain["X-Hub-Signature-256"]
    assert (await bot.post("/webhook", body=body, headers=plain)).status == 401
    sha1 = "sha1=" + hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha1).hexdigest()
    assert (await bot.post("/webhook", body=body, headers={**plain, "X-Hub-Signature": sha1})).status == 401
    assert await stored_count(bot) == 0


async def test_missing_event_or_delivery_header_is_400(bot):
    body = json.dumps({"action": "opened"}).encode()
    no_event = headers(body)
    del no_event["X-GitHub-Event"]
    no_delivery = headers(body)
    del no_delivery["X-GitHub-Delivery"]
    assert (await bot.post("/webhook", body=body, headers=no_event)).status == 400
    assert (await bot.post("/webhook", body=body, headers=no_delivery)).status == 400
    assert await stored_count(bot) == 0


async def test_not_json_is_400_and_wrong_content_type_is_415(bot):
    body = b"this is not json"
    assert (await bot.post("/webhook", body=body, headers=headers(body))).status == 400
    form = b"payload=%7B%7D"
    response = await bot.post("/webhook", body=form, headers=headers(form, **{"Content-Type": "application/x-www-form-urlencoded"}))
    assert response.status == 415
    assert await stored_count(bot) == 0


async def test_oversize_body_is_413(fake, app_key, tmp_path):
    settings = make_settings(api_url=fake.url, private_key=app_key[0], db_path=tmp_path / "small.db",
                             max_body_bytes=4096)
    harness = BotHarness(settings)
    await harness.start()
    try:
        body = json.dumps({"action": "opened", "padding": "x" * 10_000}).encode()
        response = await harness.post("/webhook", body=body, headers=headers(body))
        assert response.status == 413
        assert await stored_count(harness) == 0
    finally:
        await harness.close()


async def test_ping_is_200(bot):
    response = await bot.deliver("ping", PING)
    assert response.status == 200
    assert await stored_count(bot) == 0


async def test_accepted_delivery_is_stored_before_202_and_duplicates_get_200(bot):
    payload = {"action": "created", "installation": {"id": 1}}  # no repository: stored, nothing to govern
    first = await bot.deliver("installation", payload, delivery_id="dup-1")
    assert first.status == 202
    row = await bot.delivery("dup-1")
    assert row is not None and row["event"] == "installation" and row["action"] == "created"
    await bot.settle()
    second = await bot.deliver("installation", payload, delivery_id="dup-1")
    assert second.status == 200
    assert (await bot.delivery("dup-1"))["attempts"] == 1


async def test_health_ready_and_metrics(bot):
    assert (await bot.get("/healthz"))[0] == 200
    status, text = await bot.get("/readyz")
    assert status == 200 and "reachable" in text
    await bot.deliver("installation", {"action": "created", "installation": {"id": 1}}, delivery_id="m-1")
    await bot.settle()
    status, text = await bot.get("/metrics")
    assert status == 200
    for name in ("governance_deliveries_received_total", "governance_deliveries_processed_total",
                 "governance_deliveries_failed_total", "governance_queue_depth", "governance_processing_seconds",
                 "governance_github_api_calls_total", "governance_github_rate_limit_remaining"):
        assert name in text
    assert 'governance_deliveries_received_total{event="installation"}' in text


async def test_readyz_is_503_when_the_database_is_unreachable(fake, app_key, tmp_path):
    settings = make_settings(api_url=fake.url, private_key=app_key[0], db_path=tmp_path / "r.db")
    harness = BotHarness(settings)
    await harness.start()
    try:
        store = harness.state.store
        await store.engine.dispose()
        store.engine = create_async_engine("sqlite+aiosqlite:////nonexistent-folder/governance.db")
        status, _ = await harness.get("/readyz")
        assert status == 503
        # aiosqlite stops a connection that failed to open without awaiting it; let its thread
        # finish while this test's event loop still runs (else it reports "Event loop is closed").
        await asyncio.sleep(0.1)
    finally:
        await harness.close()


async def test_pruning_at_start_finds_the_tables_of_a_fresh_database(fake, app_key, tmp_path, monkeypatch, caplog):
    """Pruning starts with the server; on a new database it must wait for the schema, not fail."""
    from bot.queue import DeliveryQueue
    outcomes: list[object] = []
    original = DeliveryQueue.prune

    async def recording_prune(self, older_than_seconds: float) -> int:
        try:
            outcomes.append(await original(self, older_than_seconds))
        except Exception as exc:
            outcomes.append(exc)
            raise
        return outcomes[-1]

    monkeypatch.setattr(DeliveryQueue, "prune", recording_prune)
    harness = BotHarness(make_settings(api_url=fake.url, private_key=app_key[0], db_path=tmp_path / "fresh.db"))
    await harness.start()
    try:
        for _ in range(100):
            if outcomes:
                break
            await asyncio.sleep(0.01)
        assert outcomes == [0]
        assert "pruning deliveries failed" not in caplog.text
    finally:
        await harness.close()
