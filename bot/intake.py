"""Bounds on what unsigned clients can hold: open connections and buffered webhook bodies.

A webhook body must be read whole before its signature can be checked, so anyone can open
connections and send bodies slowly. Two limits keep that from starving GitHub's deliveries
or the process's memory and file descriptors:

- at most `max_connections` connections are open; at the limit, a new connection closes the
  oldest one that is still sending its request (a connection whose request is being answered
  is left alone);
- at most `buffer_bytes` of webhook bodies are buffered at once (each request reserves its
  Content-Length first); at the limit, the request that has been sending its body longest is
  dropped to make room.

"Newest wins" is deliberate: GitHub sends a delivery in one go, so its request is never the
oldest one for long, while a connection holding back its last byte always ends up oldest.
Each body read is also bounded in time (`WEBHOOK_READ_TIMEOUT`).

Webhooks also go first on the event loop (`WebhooksFirst`): processing shares the loop with
the answers, and GitHub's 10 s for an answer is the one deadline the bot does not control.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections import OrderedDict
from dataclasses import dataclass, field

from aiohttp import web

from bot import metrics

log = logging.getLogger(__name__)


@dataclass
class _Reader:
    transport: asyncio.BaseTransport | None
    nbytes: int
    dropped: bool = False


@dataclass
class IntakeGuard:
    max_connections: int
    buffer_bytes: int
    peak_connections: int = 0
    peak_buffered: int = 0
    dropped_connections: int = 0
    dropped_readers: int = 0
    _open: OrderedDict[asyncio.BaseTransport, None] = field(default_factory=OrderedDict)
    _answering: set[asyncio.BaseTransport] = field(default_factory=set)
    _readers: OrderedDict[int, _Reader] = field(default_factory=OrderedDict)
    _buffered: int = 0
    _next: int = 0

    # -- connections ------------------------------------------------------------------------

    def install(self, server: web.Server) -> web.Server:
        """Wrap an aiohttp low-level server so every connection passes through the guard."""
        made, lost = server.connection_made, server.connection_lost

        def connection_made(handler, transport) -> None:  # noqa: ANN001 (aiohttp's own types)
            self.connection_opened(transport)
            made(handler, transport)

        def connection_lost(handler, exc=None) -> None:  # noqa: ANN001
            transport = handler.transport
            if transport is not None:
                self.connection_closed(transport)
            lost(handler, exc)

        server.connection_made = connection_made  # type: ignore[method-assign]
        server.connection_lost = connection_lost  # type: ignore[method-assign]
        return server

    def connection_opened(self, transport: asyncio.BaseTransport) -> None:
        while len(self._open) >= self.max_connections:
            victim = next((t for t in self._open if t not in self._answering), None)
            if victim is None:
                break  # every connection is being answered: let this one in, it is brief
            self._open.pop(victim)
            self.dropped_connections += 1
            metrics.connections_dropped.labels("connection limit").inc()
            victim.close()
        self._open[transport] = None
        self.peak_connections = max(self.peak_connections, len(self._open))

    def connection_closed(self, transport: asyncio.BaseTransport) -> None:
        self._open.pop(transport, None)
        self._answering.discard(transport)

    def answering(self, transport: asyncio.BaseTransport | None) -> None:
        """The request on `transport` has been read: its connection is not evicted until `answered`."""
        if transport is not None:
            self._answering.add(transport)

    def answered(self, transport: asyncio.BaseTransport | None) -> None:
        if transport is not None:
            self._answering.discard(transport)

    # -- body buffering -----------------------------------------------------------------------

    def reserve(self, transport: asyncio.BaseTransport | None, nbytes: int) -> int:
        """Reserve `nbytes` of body buffer, dropping the oldest readers if needed; returns a ticket."""
        while self._buffered + nbytes > self.buffer_bytes and self._readers:
            _, victim = self._readers.popitem(last=False)
            victim.dropped = True
            self._buffered -= victim.nbytes
            self.dropped_readers += 1
            metrics.connections_dropped.labels("body buffer limit").inc()
            if victim.transport is not None:
                victim.transport.close()
        self._next += 1
        self._readers[self._next] = _Reader(transport, nbytes)
        self._buffered += nbytes
        self.peak_buffered = max(self.peak_buffered, self._buffered)
        return self._next

    def release(self, ticket: int) -> None:
        reader = self._readers.pop(ticket, None)
        if reader is not None:
            self._buffered -= reader.nbytes


class WebhooksFirst:
    """Processing steps wait while webhooks are being answered, for at most `max_wait` each.

    A webhook's answer takes several turns of the event loop (read, verify, store, answer), and
    every turn runs whatever else is ready: with the workers CPU-bound, each answer waited behind
    their steps (`bench.ack_latency` busy-0: p99 ~50 ms against ~18 ms with the workers idle).
    Workers call `yield_to_webhooks` before each GitHub request, claim and database step. While a
    webhook is being answered, the step waits. When none is, the waiting steps go on one per turn
    of the loop, in the order they came, so a webhook arriving meanwhile finds at most one step
    ahead of it instead of all of them; steps arriving while others still wait queue behind them.
    With no webhook and nobody waiting a step goes on after one turn of the loop (so the loop reads
    what arrived meanwhile). `max_wait` bounds each wait: a steady stream of webhooks slows
    processing, never stops it.
    """

    def __init__(self, max_wait: float = 0.05) -> None:
        self.max_wait = max_wait
        self.answering = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._releasing = False

    def begin(self) -> None:
        self.answering += 1

    def end(self) -> None:
        self.answering = max(0, self.answering - 1)
        if not self.answering and self._waiters and not self._releasing:
            self._releasing = True
            asyncio.get_running_loop().call_soon(self._release_one)

    def _release_one(self) -> None:
        self._releasing = False
        if self.answering:
            return  # the next `end` goes on from here
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                break
        if self._waiters:
            self._releasing = True
            asyncio.get_running_loop().call_soon(self._release_one)

    async def yield_to_webhooks(self) -> None:
        if not self.answering and not self._waiters:
            # Still one turn of the loop: a webhook that arrived during this step is read before the
            # step goes on (a delivery's last steps ran ~5 ms in one go: report, verdicts, completion).
            await asyncio.sleep(0)
            return
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(waiter)
        if not self.answering and not self._releasing:  # queued behind steps being let go
            self._releasing = True
            loop.call_soon(self._release_one)
        timer = loop.call_later(self.max_wait, _settle, waiter)
        try:
            await waiter
        finally:
            timer.cancel()


def _settle(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
