"""GitHub access: App JWT, installation tokens, and an API client with the policies SPEC §2 asks for.

- Installation tokens are cached until a few minutes before `expires_at`.
- Each installation has an ETag cache, so a repeated GET is a free 304.
- Rate limits follow GitHub's guidance: `retry-after` first, then `x-ratelimit-reset`
  when `x-ratelimit-remaining` is 0, else exponential backoff; 5xx are retried.
  A wait longer than a worker should block becomes `RetryLater`, which reschedules
  the delivery instead of holding a worker.
- Writes go through the installation's `WriteWindow` (never concurrent, GitHub's minute
  and hour limits kept exactly); a full window hands the delivery back (`WindowFull`)
  instead of holding a worker, so one busy installation never holds up the others.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import quote

import aiohttp
import cachetools
import gidgethub
import gidgethub.abc
import gidgethub.aiohttp
from gidgethub import apps

from bot import metrics
from bot.app_key import parse_private_key
from bot.errors import PermanentFailure, RetryLater
from bot.github_errors import explain_http, explain_unreachable, host_of
from bot.logsetup import register_secret
from bot.writewindow import Clock, WindowFull, WriteWindow

log = logging.getLogger(__name__)

USER_AGENT = "governance-bot"
TOKEN_REFRESH_MARGIN = 5 * 60  # seconds before expires_at a token stops being reused
MAX_INLINE_WAIT = 30.0  # longer waits reschedule the delivery instead of blocking a worker
MAX_ATTEMPTS = 4  # per request; beyond that the delivery itself is retried later
# How long "this file does not exist" is believed. A 404 has no ETag, so without this every
# event of an org without a `.github` repository would spend a request (and rate limit) on it.
ABSENT_FILE_TTL = 60.0
# How long a repository's label names are believed without asking (`EventContext.repo_labels`).
# A label deleted meanwhile is created again by GitHub when added to an issue, without our colour.
KNOWN_LABELS_TTL = 60.0
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
# Writes sent to GitHub for the delivery being worked on (the worker's "writes=N" log field).
writes_sent: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("writes_sent", default=None)


class InstallationClient(gidgethub.aiohttp.GitHubAPI):
    """gidgethub's client for one installation, with metrics, pacing and retry policy."""

    def __init__(self, session: aiohttp.ClientSession, *, token: str, installation_id: int, base_url: str,
                 graphql_url: str, cache: cachetools.LRUCache, window: WriteWindow,
                 dry_run_writes: list[tuple[str, str, Any]] | None = None, backoff_base: float = 1.0,
                 absent_files: cachetools.TTLCache | None = None, known_labels: cachetools.TTLCache | None = None,
                 yield_point: Callable[[], Awaitable[None]] | None = None) -> None:
        super().__init__(session, USER_AGENT, oauth_token=token, base_url=base_url, cache=cache)
        # Repository -> its labels (lower-cased name -> name), read recently; shared by the installation's clients.
        self.known_labels: cachetools.TTLCache = known_labels if known_labels is not None else _labels_cache()
        # Paths GitHub recently answered 404 for (see ABSENT_FILE_TTL); shared by the installation's clients.
        self.absent_files: cachetools.TTLCache = absent_files if absent_files is not None else _absent_cache()
        self.backoff_base = backoff_base
        self.installation_id = installation_id
        self.graphql_url = graphql_url
        self.window = window
        self.request_count = 0
        self.dry_run_writes = dry_run_writes
        self.yield_point = yield_point

    async def _request(self, method: str, url: str, headers: Mapping[str, str], body: bytes = b"") -> tuple[int, Mapping[str, str], bytes]:
        is_write = method in WRITE_METHODS and url != self.graphql_url
        if is_write and self.dry_run_writes is not None:
            path = url.removeprefix(self.base_url)
            self.dry_run_writes.append((method, path, json.loads(body) if body else None))
            return 200, {"content-type": "application/json"}, b"{}"
        if self.yield_point is not None:  # webhooks being answered go first (bot.intake.WebhooksFirst)
            await self.yield_point()
        if is_write:
            await self.window.acquire()
            tally = writes_sent.get()
            if tally is not None:
                tally[0] += 1
        try:
            self.request_count += 1
            try:
                status, response_headers, data = await super()._request(method, url, headers, body)
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                metrics.github_api_calls.labels(method, "error").inc()
                raise RetryLater(explain_unreachable(exc, host_of(url))) from None
        finally:
            if is_write:
                self.window.release()
        metrics.github_api_calls.labels(method, str(status)).inc()
        remaining = response_headers.get("x-ratelimit-remaining")
        if remaining is not None and remaining.isdigit():
            metrics.rate_limit_remaining.labels(str(self.installation_id)).set(int(remaining))
        return status, response_headers, data

    async def handle_rate_limit_error(self, *, method: str, url: str, exception: gidgethub.HTTPException,
                                      attempt: int) -> bool:
        wait = retry_delay(exception, attempt, self.backoff_base)
        if wait is None:
            return False
        if attempt >= MAX_ATTEMPTS:
            raise RetryLater(f"{method} {_path(url)} still failing after {attempt} attempts: {exception.status_code}",
                             delay=wait) from None
        if _is_secondary_limit(exception):
            until = self.window.pause(wait)
            if wait > self.window.max_inline_wait:  # hand the delivery back; the installation waits, no worker does
                raise WindowFull(self.installation_id, until, reason="paused by GitHub (secondary rate limit)",
                                 counts_attempt=True, clock=self.window.clock) from None
        if wait > MAX_INLINE_WAIT:
            raise RetryLater(f"rate limited on {method} {_path(url)}; retry in {wait:.0f}s", delay=wait) from None
        log.info("%s %s answered %s; retrying in %.1fs", method, _path(url), int(exception.status_code), wait)
        await asyncio.sleep(wait)
        return True

    async def graphql(self, query: str, **variables: Any) -> Any:  # type: ignore[override]
        """GraphQL at this deployment's endpoint, with the same retry policy as REST."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return await super().graphql(query, endpoint=self.graphql_url, **variables)
            except gidgethub.GitHubBroken as exc:
                if attempt >= MAX_ATTEMPTS:
                    raise RetryLater(f"GraphQL failing: {exc}") from None
                await asyncio.sleep(min(self.backoff_base * 2 ** attempt, MAX_INLINE_WAIT) * random.uniform(0.5, 1.0))
            except gidgethub.BadGraphQLRequest as exc:
                if int(exc.status_code) in (403, 429) and attempt < MAX_ATTEMPTS:
                    await asyncio.sleep(min(self.backoff_base * 2 ** attempt, MAX_INLINE_WAIT))
                    continue
                raise


class AppClient(InstallationClient):
    """The same client acting as the App itself (App JWT), for the `/app/...` endpoints.

    The JWT is put on every request here rather than passed per call, so pagination (`getiter`
    following Link headers) and retries carry it too. JWTs have a credential shape that the log
    redaction removes (`bot.logsetup`).
    """

    def __init__(self, session: aiohttp.ClientSession, *, jwt: Callable[[], str], **kwargs: Any) -> None:
        super().__init__(session, token="", installation_id=0, **kwargs)
        self.jwt = jwt

    async def _request(self, method: str, url: str, headers: Mapping[str, str], body: bytes = b"") -> tuple[int, Mapping[str, str], bytes]:
        headers = {**{k: v for k, v in headers.items() if k.lower() != "authorization"},
                   "authorization": f"bearer {self.jwt()}"}
        return await super()._request(method, url, headers, body)


def _path(url: str) -> str:
    return url.split("?", 1)[0].split("//", 1)[-1].split("/", 1)[-1]


def _is_secondary_limit(exc: gidgethub.HTTPException) -> bool:
    if int(exc.status_code) not in (403, 429):
        return False
    return "retry-after" in exc.headers or "secondary rate limit" in str(exc).lower()


def retry_delay(exc: gidgethub.HTTPException, attempt: int, base: float = 1.0) -> float | None:
    """Seconds to wait before retrying, or None when retrying cannot help.

    Follows GitHub's documented order: `retry-after`; else `x-ratelimit-reset` when
    `x-ratelimit-remaining` is 0; else exponential backoff for 403/429 secondary limits;
    5xx get exponential backoff too.
    """
    status = int(exc.status_code)
    headers = exc.headers or {}
    backoff = min(base * 2 ** (attempt - 1), 60) * random.uniform(0.5, 1.0)
    if status in (403, 429):
        retry_after = headers.get("retry-after")
        if retry_after is not None:
            try:
                return max(float(retry_after), 0.0)
            except ValueError:
                return backoff
        if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset", "").isdigit():
            return max(int(headers["x-ratelimit-reset"]) - time.time(), 0.0) + 1.0
        if status == 429 or "rate limit" in str(exc).lower():
            return backoff if attempt == 1 else max(backoff, 60.0 * min(base, 1.0))
        return None
    if status >= 500:
        return backoff
    return None


async def get_if_present(gh: gidgethub.abc.GitHubAPI, url: str, *,
                         missing: frozenset[int] = frozenset({404}), remember: bool = True) -> Any | None:
    """`gh.getitem(url)`, or None when GitHub answers with one of the `missing` statuses.

    That answer is remembered by the installation's client for ABSENT_FILE_TTL: a 404 has
    no ETag, so unlike a present file it cannot be revalidated for free on the next event.
    `remember=False`: the caller keeps its own memory (the rules file: `bot.rules_memory`).
    """
    absent = getattr(gh, "absent_files", None) if remember else None
    if absent is not None and url in absent:
        return None
    try:
        return await gh.getitem(url)
    except gidgethub.BadRequest as exc:
        if int(exc.status_code) not in missing:
            raise
    if absent is not None:
        absent[url] = True
    return None


def _absent_cache() -> cachetools.TTLCache:
    return cachetools.TTLCache(maxsize=1_000, ttl=ABSENT_FILE_TTL, timer=time.monotonic)


def _labels_cache() -> cachetools.TTLCache:
    return cachetools.TTLCache(maxsize=1_000, ttl=KNOWN_LABELS_TTL, timer=time.monotonic)


def _expiry_ttu(_key: int, value: tuple[str, float], now: float) -> float:
    """cachetools TLRU: a token is usable until a few minutes before it expires."""
    return value[1] - TOKEN_REFRESH_MARGIN


class GitHubApp:
    """Process-wide GitHub access: one ClientSession, token and ETag caches, write windows."""

    def __init__(self, *, app_id: str | None, private_key: str | None, api_url: str, graphql_url: str,
                 writes_per_minute: int = 80, writes_per_hour: int = 500, backoff_base: float = 1.0,
                 clock: Clock = time.time) -> None:
        self.backoff_base = backoff_base
        self.app_id = app_id
        self.private_key = private_key
        self._signing_key: Any = None
        self.api_url = api_url
        self.graphql_url = graphql_url
        self._session: aiohttp.ClientSession | None = None
        self._tokens: cachetools.TLRUCache = cachetools.TLRUCache(maxsize=10_000, ttu=_expiry_ttu, timer=time.time)
        self._token_locks: dict[int, asyncio.Lock] = {}
        self._etag_caches: cachetools.LRUCache = cachetools.LRUCache(maxsize=2_000)
        self._absent_files: cachetools.LRUCache = cachetools.LRUCache(maxsize=2_000)
        self._known_labels: cachetools.LRUCache = cachetools.LRUCache(maxsize=2_000)
        self._windows: dict[int, WriteWindow] = {}
        self._jwt: tuple[str, float] | None = None
        self._app_etags: cachetools.LRUCache = cachetools.LRUCache(maxsize=50)
        self.dry_run_writes: list[tuple[str, str, Any]] | None = None
        self.writes_per_minute = writes_per_minute
        self.writes_per_hour = writes_per_hour
        self.clock = clock
        self._own_account: dict[str, Any] | None = None
        self._own_account_lock = asyncio.Lock()
        # Awaited before each installation request: the server lets webhooks being answered go first.
        self.yield_point: Callable[[], Awaitable[None]] | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def window(self, installation_id: int) -> WriteWindow:
        window = self._windows.get(installation_id)
        if window is None:
            window = self._windows[installation_id] = WriteWindow(
                self.writes_per_minute, self.writes_per_hour, clock=self.clock, installation_id=installation_id)
        return window

    def signing_key(self) -> Any:
        """The App key, parsed once. Given the PEM text, PyJWT parses and checks the RSA key on
        every signature: ~35 ms of CPU on the event loop per installation token, during which no
        webhook is answered. A parsed key signs in about 0.3 ms. `serve` parsed it already while
        checking its settings, before accepting connections (bot.app_key)."""
        if self._signing_key is None:
            self._signing_key = parse_private_key(str(self.private_key))
        return self._signing_key

    async def installation_token(self, installation_id: int) -> str:
        cached = self._tokens.get(installation_id)
        if cached is not None:
            return cached[0]
        lock = self._token_locks.setdefault(installation_id, asyncio.Lock())
        async with lock:
            cached = self._tokens.get(installation_id)
            if cached is not None:
                return cached[0]
            if not self.app_id or not self.private_key:
                raise PermanentFailure("GitHub App credentials are not configured")
            bootstrap = gidgethub.aiohttp.GitHubAPI(self.session, USER_AGENT, base_url=self.api_url)
            try:
                response = await apps.get_installation_access_token(
                    bootstrap, installation_id=str(installation_id), app_id=self.app_id,
                    private_key=self.signing_key(),  # PyJWT accepts a key object where gidgethub says str
                )
            except gidgethub.HTTPException as exc:
                metrics.github_api_calls.labels("POST", str(int(exc.status_code))).inc()
                why = "installation token: " + explain_http(
                    exc, host_of(self.api_url), f"POST /app/installations/{installation_id}/access_tokens")
                if int(exc.status_code) >= 500 or int(exc.status_code) in (403, 429):
                    raise RetryLater(why) from None
                raise PermanentFailure(why) from None
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                raise RetryLater(explain_unreachable(exc, host_of(self.api_url))) from None
            metrics.github_api_calls.labels("POST", "201").inc()
            token = response["token"]
            register_secret(token)
            expires = dt.datetime.fromisoformat(response["expires_at"].replace("Z", "+00:00")).timestamp()
            self._tokens[installation_id] = (token, expires)
            return token

    def app_jwt(self) -> str:
        """The App's JWT (valid ten minutes), reused until two minutes before it expires."""
        now = time.time()
        if self._jwt is None or now >= self._jwt[1]:
            if not self.app_id or not self.private_key:
                raise PermanentFailure("GitHub App credentials are not configured")
            token = apps.get_jwt(app_id=self.app_id, private_key=self.signing_key())
            self._jwt = (token, now + 8 * 60)
        return self._jwt[0]

    def app_client(self) -> AppClient:
        """A client authenticated as the App (its delivery log: `bot.sweep`); writes paced as installation 0."""
        self.app_jwt()  # credentials missing: PermanentFailure now, not on the first request
        return AppClient(self.session, jwt=self.app_jwt, base_url=self.api_url, graphql_url=self.graphql_url,
                         cache=self._app_etags, window=self.window(0), backoff_base=self.backoff_base)

    async def own_account(self, gh: gidgethub.abc.GitHubAPI) -> dict[str, Any]:
        """The App's own bot user, `{"login", "id"}`, read once per process.

        `GET /app` (as the App) names its slug; the account is the user `{slug}[bot]`. Only
        comments written by this account are the bot's own: any other bot can write our markers.
        """
        if self._own_account is not None:
            return self._own_account
        async with self._own_account_lock:
            if self._own_account is None:
                app = await self.app_client().getitem("/app")
                user = await gh.getitem(f"/users/{quote(str(app['slug']) + '[bot]', safe='')}")
                self._own_account = {"login": str(user["login"]), "id": int(user["id"])}
        return self._own_account

    async def client(self, installation_id: int) -> InstallationClient:
        token = await self.installation_token(installation_id)
        cache = self._etag_caches.get(installation_id)
        if cache is None:
            cache = self._etag_caches[installation_id] = cachetools.LRUCache(maxsize=500)
        absent = self._absent_files.get(installation_id)
        if absent is None:
            absent = self._absent_files[installation_id] = _absent_cache()
        labels = self._known_labels.get(installation_id)
        if labels is None:
            labels = self._known_labels[installation_id] = _labels_cache()
        return InstallationClient(
            self.session, token=token, installation_id=installation_id, base_url=self.api_url,
            graphql_url=self.graphql_url, cache=cache, window=self.window(installation_id),
            dry_run_writes=self.dry_run_writes, backoff_base=self.backoff_base, absent_files=absent,
            known_labels=labels, yield_point=self.yield_point,
        )
