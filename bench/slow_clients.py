"""Unsigned slow clients against the real server: memory, file descriptors and a signed delivery.

Issue 17, Medium 1. N clients each open a connection to POST /webhook with a forged
`X-Hub-Signature-256: sha256=<64 zeros>` and a Content-Length of --body-mib MiB, send all of
the body but its last byte, and hold on. Then a signed delivery (a ping) is sent and timed.
Printed: the server's peak RSS before and after the clients, how many of them the server
closed, and how the signed ping was answered. Run before/after a change in the same minute.

    .venv/bin/python -m bench.slow_clients [--clients 20] [--body-mib 25] [--hold 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp  # noqa: E402

from bench import common  # noqa: E402
from tests.harness import sign  # noqa: E402


async def slow_client(port: int, body_bytes: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = ("POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"X-GitHub-Event: issues\r\nX-GitHub-Delivery: {uuid.uuid4()}\r\n"
            f"X-Hub-Signature-256: sha256={'0' * 64}\r\nContent-Length: {body_bytes}\r\n\r\n")
    writer.write(head.encode())
    chunk = b" " * (1 << 20)
    left = body_bytes - 1
    try:
        while left > 0:
            writer.write(chunk[: min(left, len(chunk))])
            left -= min(left, len(chunk))
            await writer.drain()
    except (ConnectionError, OSError):
        pass  # closed by the server while sending
    return reader, writer


async def closed(reader: asyncio.StreamReader) -> bool:
    """Whether the server closed this connection (EOF, or a reset: it closed with our bytes unread)."""
    try:
        await asyncio.wait_for(reader.read(), 0.5)
        return True
    except ConnectionError:
        return True
    except asyncio.TimeoutError:
        return False


async def run(args: argparse.Namespace) -> None:
    settings = {"WEBHOOK_READ_TIMEOUT": str(args.read_timeout)} if args.read_timeout else {}
    async with common.bench_env(settings=settings) as (_fake, server):
        common.heading(f"{args.clients} slow clients x {args.body_mib} MiB, holding their last byte")
        print(f"server at start: {common.rss_line(server.memory())}")
        started = time.monotonic()
        clients = await asyncio.gather(*(slow_client(server.port, args.body_mib << 20) for _ in range(args.clients)),
                                       return_exceptions=True)
        clients = [c for c in clients if not isinstance(c, BaseException)]
        print(f"clients connected and sent in {time.monotonic() - started:.1f} s")
        await asyncio.sleep(args.hold)
        print(f"server after {args.hold:g} s of holding: {common.rss_line(server.memory())}")
        body = json.dumps({"zen": "ping", "hook_id": 1}).encode()
        t0 = time.monotonic()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            try:
                async with session.post(f"{server.url}/webhook", data=body, headers={
                        "Content-Type": "application/json", "X-GitHub-Event": "ping",
                        "X-GitHub-Delivery": str(uuid.uuid4()), "X-Hub-Signature-256": sign(body)}) as response:
                    answer = f"{response.status} in {(time.monotonic() - t0) * 1000:.0f} ms"
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                answer = f"no answer ({type(exc).__name__}) after {time.monotonic() - t0:.1f} s"
        print(f"signed ping during the flood: {answer}")
        gone = sum(await asyncio.gather(*(closed(r) for r, _w in clients)))
        print(f"slow clients closed by the server: {gone} of {len(clients)}")
        print(f"server at the end: {common.rss_line(server.memory())}; machine load {common.loadavg()}")
        for _r, writer in clients:
            writer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--body-mib", type=int, default=25)
    parser.add_argument("--hold", type=float, default=5.0, help="seconds the clients hold before the ping")
    parser.add_argument("--read-timeout", type=float, default=0.0,
                        help="WEBHOOK_READ_TIMEOUT for the server (default: the product default)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
