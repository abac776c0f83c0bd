"""GitHub's secondary rate limits on content-creating requests, modelled in the fake.

GitHub's REST documentation ("Rate limits for the REST API", secondary rate limits): no more
than 80 content-generating requests per minute and no more than 500 per hour (per
installation for an App), and "make requests serially instead of concurrently". Past a limit
GitHub answers 403 (or 429) "You have exceeded a secondary rate limit", with `retry-after`.

`slow`: installations whose every request GitHub answers only after that many seconds (one
installation's slow answers must not cost the others anything).

`gates`: installations whose writes wait until their event is set (a write held in flight).

`SecondaryLimits.install(fake)` puts this in front of the fake's handlers and keeps a log of
every write with its installation (from the token it was made with), its start and end on
`clock` (the bot's clock in tests that advance time), whether another write of the same
installation was in flight, and whether it was refused. A write is POST/PATCH/PUT/DELETE,
GraphQL and token creation aside.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakegithub import FakeGitHub

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
TOKEN_PATH = re.compile(r"/app/installations/(\d+)/access_tokens")
SECONDARY_MESSAGE = ("You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
                     "If you reach out to GitHub Support for help, please include the request ID.")


@dataclass
class WriteRecord:
    installation: int | None
    method: str
    path: str
    start: float
    end: float = float("nan")
    overlapped: bool = False  # another write of this installation was in flight when this one arrived
    refused: bool = False  # answered with a secondary rate limit


class SecondaryLimits:
    def __init__(self, *, per_minute: int = 80, per_hour: int = 500, retry_after: int = 60,
                 write_latency: float = 0.0, clock: Callable[[], float] = time.time,
                 slow: dict[int, float] | None = None, gates: dict[int, asyncio.Event] | None = None) -> None:
        self.per_minute = per_minute
        self.per_hour = per_hour
        self.retry_after = retry_after
        self.write_latency = write_latency  # how long a write is held (so overlapping writes show)
        self.clock = clock
        self.slow = dict(slow or {})
        self.gates = dict(gates or {})
        self.log: list[WriteRecord] = []
        self._installation_of: dict[str, int] = {}
        self._in_flight: defaultdict[int | None, int] = defaultdict(int)

    def install(self, fake: FakeGitHub) -> SecondaryLimits:
        original = fake._dispatch

        async def dispatch(request: web.Request, method: str, path: str, query: dict[str, str],
                           body: Any) -> web.StreamResponse:
            is_write = method in WRITE_METHODS and path != "/graphql" and not TOKEN_PATH.fullmatch(path)
            if self.slow:
                token = request.headers.get("Authorization", "").partition(" ")[2].strip()
                await asyncio.sleep(self.slow.get(self._installation_of.get(token, -1), 0.0))
            if not is_write:
                response = await original(request, method, path, query, body)
                self._learn_token(path, response)
                return response
            return await self._write(request, original, method, path, query, body)

        fake._dispatch = dispatch  # type: ignore[method-assign]
        return self

    def _learn_token(self, path: str, response: web.StreamResponse) -> None:
        match = TOKEN_PATH.fullmatch(path)
        if match and response.status == 201 and isinstance(response, web.Response) and response.body:
            self._installation_of[json.loads(response.body)["token"]] = int(match[1])

    async def _write(self, request: web.Request, original: Any, method: str, path: str, query: dict[str, str],
                     body: Any) -> web.StreamResponse:
        token = request.headers.get("Authorization", "").partition(" ")[2].strip()
        installation = self._installation_of.get(token)
        now = self.clock()
        record = WriteRecord(installation, method, path, now, overlapped=self._in_flight[installation] > 0)
        counted = [r.start for r in self.log if r.installation == installation and r.start > now - 3600]
        self.log.append(record)
        if len(counted) >= self.per_hour or sum(1 for t in counted if t > now - 60) >= self.per_minute:
            record.refused, record.end = True, now
            return web.json_response({"message": SECONDARY_MESSAGE,
                                      "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"},
                                     status=403, headers={"retry-after": str(self.retry_after)})
        self._in_flight[installation] += 1
        try:
            if self.write_latency:
                await asyncio.sleep(self.write_latency)
            if installation in self.gates:
                await self.gates[installation].wait()
            return await original(request, method, path, query, body)
        finally:
            self._in_flight[installation] -= 1
            record.end = self.clock()

    # -- what the tests assert on
    def writes(self, installation: int | None = None) -> list[WriteRecord]:
        return [r for r in self.log if installation is None or r.installation == installation]

    def most_in_any(self, seconds: float, installation: int) -> int:
        """The most writes of the installation that arrived within any `seconds`-long span."""
        return most_in_any([r.start for r in self.writes(installation)], seconds)


def most_in_any(times: list[float], seconds: float) -> int:
    """The most of these times within any `seconds`-long span."""
    times, most, first = sorted(times), 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= seconds:
            first += 1
        most = max(most, last - first + 1)
    return most
