"""Issue 17, Medium 1 and Low: unsigned floods and malformed signed input never stall or crash the webhook.

Slow clients are raw sockets that send headers and all but the last byte of a body; the checks are
on what the server did (answers, closed connections, the guard's peaks), never on timings.
"""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from sqlalchemy import func, select

from bot.store import deliveries
from tests.harness import BotHarness, make_settings, sign

FAKE_SIGNATURE = "sha256=" + "0" * 64


async def stored_count(bot) -> int:
    async with bot.state.store.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(deliveries)))


async def slow_client(bot: BotHarness, *, length: int, signature: str | None = FAKE_SIGNATURE,
                      send_body: bool = True) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection that sends a webhook's headers and all of its body but the last byte."""
    host, port = bot.server.host, bot.server.port
    reader, writer = await asyncio.open_connection(host, port)
    lines = ["POST /webhook HTTP/1.1", f"Host: {host}:{port}", "Content-Type: application/json",
             "X-GitHub-Event: issues", f"X-GitHub-Delivery: {uuid.uuid4()}", f"Content-Length: {length}"]
    if signature is not None:
        lines.append(f"X-Hub-Signature-256: {signature}")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    if send_body:
        writer.write(b"{" + b" " * (length - 2))
    await writer.drain()
    return reader, writer


async def closed_by_server(reader: asyncio.StreamReader, timeout: float = 10.0) -> bytes:
    """Everything the server sent before closing (b"" if it closed without answering)."""
    return await asyncio.wait_for(reader.read(), timeout)


async def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


async def small_bot(fake, app_key, tmp_path, **overrides) -> BotHarness:
    settings = make_settings(api_url=fake.url, private_key=app_key[0], db_path=tmp_path / "intake.db", **overrides)
    harness = BotHarness(settings)
    await harness.start()
    return harness


async def test_missing_or_non_sha256_signature_is_refused_before_the_body_is_read(bot):
    """The body is never sent: the answer can only come from the headers."""
    for signature in (None, "sha1=" + "0" * 40, "sha256=abc", "sha256=" + "z" * 64):
        reader, writer = await slow_client(bot, length=10_000_000, signature=signature, send_body=False)
        answer = await closed_by_server(reader)
        assert answer.startswith(b"HTTP/1.1 401"), (signature, answer[:40])
        writer.close()
    assert await stored_count(bot) == 0


async def test_non_ascii_signature_is_401_not_500(bot):
    body = json.dumps({"action": "opened"}).encode()
    host, port = bot.server.host, bot.server.port
    reader, writer = await asyncio.open_connection(host, port)
    head = (f"POST /webhook HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nX-GitHub-Event: issues\r\n"
            f"X-GitHub-Delivery: d-1\r\nContent-Length: {len(body)}\r\nConnection: close\r\n").encode()
    writer.write(head + "X-Hub-Signature-256: sha256=".encode() + "é".encode() * 32 + b"\r\n\r\n" + body)
    await writer.drain()
    answer = await closed_by_server(reader)
    assert answer.startswith(b"HTTP/1.1 401"), answer[:60]
    writer.close()
    assert await stored_count(bot) == 0


async def test_signed_body_nested_100000_deep_is_400_not_500(bot):
    body = b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = await bot.post("/webhook", body=body, headers={
        "Content-Type": "application/json", "X-GitHub-Event": "issues", "X-GitHub-Delivery": "deep-1",
        "X-Hub-Signature-256": sign(body)})
    assert response.status == 400
    assert "nested" in (await response.json())["error"]
    assert await stored_count(bot) == 0


async def test_a_body_that_does_not_arrive_in_time_is_408_and_the_connection_closed(fake, app_key, tmp_path):
    harness = await small_bot(fake, app_key, tmp_path, webhook_read_timeout=0.3)
    try:
        reader, writer = await slow_client(harness, length=5000)
        answer = await closed_by_server(reader)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:40]
        writer.close()
        assert await stored_count(harness) == 0
    finally:
        await harness.close()


@pytest.mark.parametrize("max_connections, buffered_bodies, reason", [
    (20, 30, "connection limit"), (100, 4, "body buffer limit")])
async def test_slow_connections_holding_their_last_byte_do_not_stop_a_signed_webhook(
        fake, app_key, tmp_path, max_connections, buffered_bodies, reason):
    """60 clients hold back their last byte (no read timeout helps here: it is 10 minutes); the
    connection cap or the body buffer drops the oldest, and a signed delivery sent afterwards is
    stored and answered 202."""
    body_size = 64 * 1024
    harness = await small_bot(fake, app_key, tmp_path, webhook_read_timeout=600, max_connections=max_connections,
                              max_body_bytes=body_size, webhook_buffer_bytes=buffered_bodies * body_size)
    guard = harness.state.intake
    clients = []
    try:
        for _ in range(60):
            clients.append(await slow_client(harness, length=body_size))
        await wait_for(lambda: guard.dropped_connections + guard.dropped_readers >= 40)
        response = await harness.deliver("issues", {"action": "opened"}, delivery_id="real-1")
        assert response.status == 202
        assert await harness.delivery("real-1") is not None
        assert guard.peak_connections <= max_connections
        assert guard.peak_buffered <= buffered_bodies * body_size
        # The oldest slow clients were closed by the server without being answered.
        dropped = 0
        for reader, _writer in clients[:40]:
            assert await closed_by_server(reader) == b""
            dropped += 1
        assert dropped == 40
        assert await stored_count(harness) == 1
        status, text = await harness.get("/metrics")
        assert f'governance_connections_dropped_total{{reason="{reason}"}}' in text
    finally:
        for _reader, writer in clients:
            writer.close()
        await harness.close()


async def test_metrics_can_be_served_apart_from_the_webhook_port(fake, app_key, tmp_path, unused_tcp_port_factory):
    from bot.server import start

    metrics_port = unused_tcp_port_factory()
    settings = make_settings(api_url=fake.url, private_key=app_key[0], db_path=tmp_path / "m.db",
                             host="127.0.0.1", port=unused_tcp_port_factory(), metrics_port=metrics_port)
    harness = BotHarness(settings)
    runners = await start(harness.app, settings)
    import aiohttp

    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{settings.port}/metrics") as response:
                assert response.status == 404
            async with session.get(f"http://127.0.0.1:{settings.port}/healthz") as response:
                assert response.status == 200
            async with session.get(f"http://127.0.0.1:{metrics_port}/metrics") as response:
                assert response.status == 200
                assert "governance_webhook_rejected_total" in await response.text()
    finally:
        for runner in runners:
            await runner.cleanup()
