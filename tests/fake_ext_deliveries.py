"""GitHub's log of the App's webhook deliveries, and GitHub sending (and re-sending) them.

Modelled on GitHub's REST reference ("List deliveries for an app webhook", "Redeliver a
delivery for an app webhook") and its guide "Handling failed webhook deliveries":

- `GET /app/hook/deliveries` (App JWT): attempts newest first; `per_page` (default 30, at most
  100); the next page's `cursor` comes in the Link header (`rel="next"`); each item has `id`,
  `guid`, `delivered_at`, `redelivery`, `duration`, `status` (`OK`, or what went wrong),
  `status_code`, `event`, `action`, `installation_id`, `repository_id`, `throttled_at`. Only the
  past 72 hours are there: GitHub redelivers nothing older.
- `POST /app/hook/deliveries/{id}/attempts` (App JWT): `202 {}`, then GitHub sends the same
  payload under the same GUID (`X-GitHub-Delivery`), signed with the webhook secret, to the
  webhook URL, and logs that attempt with `redelivery: true`; `422` past the 72 hours, `404` for
  an unknown id.
- GitHub does not retry a failed delivery by itself.

`DeliveryLog.send` is GitHub delivering an event: to `url()` when set and listening, else it is
logged as failed (the bot was down).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from tests.fakegithub import FakeGitHub
from tests.harness import WEBHOOK_SECRET, sign

WINDOW_SECONDS = 72 * 3600
HOOK_ID = 424242
LIST = r"/app/hook/deliveries"
ATTEMPTS = r"/app/hook/deliveries/(?P<id>\d+)/attempts"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class DeliveryLog:
    def __init__(self, fake: FakeGitHub, *, secret: str = WEBHOOK_SECRET) -> None:
        self.fake = fake
        self.secret = secret
        self.url: Callable[[], str | None] = lambda: None  # the App's webhook URL (None: nobody listens)
        self.entries: list[dict[str, Any]] = []
        self.redeliveries_asked: list[int] = []  # ids POSTed to .../attempts, in order
        self._next_id = 9_000_000_000
        self._tasks: set[asyncio.Task] = set()
        fake.override("GET", LIST, self._list)
        fake.override("POST", ATTEMPTS, self._attempts)

    # -- GitHub delivering -----------------------------------------------------------------------

    async def send(self, event: str, payload: dict[str, Any], *, guid: str | None = None, at: float | None = None,
                   redelivery: bool = False) -> dict[str, Any]:
        """Deliver one event (as GitHub does, once) and log the attempt."""
        guid = guid or str(uuid.uuid4())
        body = json.dumps(payload).encode()
        started = time.monotonic()
        status_code, status = 0, "failed to connect to host"
        url = self.url()
        if url:
            headers = {"Content-Type": "application/json", "X-GitHub-Event": event, "X-GitHub-Delivery": guid,
                       "X-GitHub-Hook-ID": str(HOOK_ID), "X-Hub-Signature-256": sign(body, self.secret),
                       "User-Agent": "GitHub-Hookshot/fake"}
            try:
                async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
                    async with session.post(url, data=body, headers=headers) as response:
                        await response.read()
                        status_code = response.status
                status = "OK" if 200 <= status_code < 300 else f"Invalid HTTP Response: {status_code}"
            except asyncio.TimeoutError:
                status = "timed out"
            except aiohttp.ClientError:
                pass
        return self._log(event, payload, guid, at if at is not None else time.time(), redelivery, status_code,
                         status, time.monotonic() - started)

    def record(self, event: str, payload: dict[str, Any], *, at: float | None = None, guid: str | None = None,
               status_code: int = 502, redelivery: bool = False) -> dict[str, Any]:
        """Log an attempt (at `at`, default now) without sending it: 2xx is `OK`, 0 a timeout."""
        status = "OK" if 200 <= status_code < 300 else (
            f"Invalid HTTP Response: {status_code}" if status_code else "timed out")
        return self._log(event, payload, guid or str(uuid.uuid4()), at if at is not None else time.time(),
                         redelivery, status_code, status, 0.1)

    def _log(self, event: str, payload: dict[str, Any], guid: str, at: float, redelivery: bool, status_code: int,
             status: str, duration: float) -> dict[str, Any]:
        self._next_id += 1
        entry = {"id": self._next_id, "guid": guid, "at": at, "redelivery": redelivery, "duration": round(duration, 3),
                 "status": status, "status_code": status_code, "event": event,
                 "action": payload.get("action") if isinstance(payload.get("action"), str) else None,
                 "installation_id": (payload.get("installation") or {}).get("id"),
                 "repository_id": (payload.get("repository") or {}).get("id"), "payload": payload}
        self.entries.append(entry)
        return entry

    async def idle(self) -> None:
        """Wait until every redelivery GitHub was asked for has been sent."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def attempts(self, guid: str) -> list[dict[str, Any]]:
        return [e for e in self.entries if e["guid"] == guid]

    # -- the REST endpoints ------------------------------------------------------------------------

    def _visible(self) -> list[dict[str, Any]]:
        cutoff = time.time() - WINDOW_SECONDS
        return sorted((e for e in self.entries if e["at"] >= cutoff), key=lambda e: (e["at"], e["id"]), reverse=True)

    @staticmethod
    def _item(entry: dict[str, Any]) -> dict[str, Any]:
        return {"id": entry["id"], "guid": entry["guid"], "delivered_at": _iso(entry["at"]),
                "redelivery": entry["redelivery"], "duration": entry["duration"], "status": entry["status"],
                "status_code": entry["status_code"], "event": entry["event"], "action": entry["action"],
                "installation_id": entry["installation_id"], "repository_id": entry["repository_id"],
                "throttled_at": None}

    async def _list(self, request: web.Request, _match: Any, fake: FakeGitHub) -> web.StreamResponse:
        try:
            per_page = int(request.query.get("per_page", 30))
        except ValueError:
            return web.json_response({"message": "Invalid per_page"}, status=400)
        per_page = 30 if per_page < 1 else min(per_page, 100)
        items = self._visible()
        start = 0
        cursor = request.query.get("cursor")
        if cursor is not None:
            ids = [e["id"] for e in items]
            try:
                start = ids.index(int(cursor.removeprefix("v1_"))) + 1
            except ValueError:
                return web.json_response({"message": "Invalid cursor"}, status=422)
        page = items[start:start + per_page]
        headers = {}
        if start + per_page < len(items):
            query = urlencode({"per_page": per_page, "cursor": f"v1_{page[-1]['id']}"})
            headers["Link"] = f'<{fake.url}/app/hook/deliveries?{query}>; rel="next"'
        return web.json_response([self._item(e) for e in page], headers=headers)

    async def _attempts(self, request: web.Request, match: Any, _fake: FakeGitHub) -> web.StreamResponse:
        delivery_id = int(match["id"])
        entry = next((e for e in self.entries if e["id"] == delivery_id), None)
        if entry is None:
            return web.json_response({"message": "Not Found"}, status=404)
        if entry["at"] < time.time() - WINDOW_SECONDS:
            return web.json_response({"message": "Validation Failed",
                                      "errors": ["Delivery is too old to be redelivered"]}, status=422)
        self.redeliveries_asked.append(delivery_id)
        task = asyncio.create_task(self.send(entry["event"], entry["payload"], guid=entry["guid"], redelivery=True))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.json_response({}, status=202)
