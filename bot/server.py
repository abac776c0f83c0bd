"""The HTTP side: /webhook (verify, store, answer), /healthz, /readyz, /metrics.

The webhook answer never waits for rule evaluation or GitHub: a delivery is verified,
stored durably in the queue, and answered 202; workers do the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import gidgethub
from aiohttp import web
from gidgethub import sansio

from bot import metrics
from bot import verdicts
from bot import web as web_pages
from bot.engine import Engine
from bot.github import GitHubApp
from bot.intake import IntakeGuard, WebhooksFirst
from bot.offload import Offload
from bot.logsetup import LineLimiter
from bot.queue import Delivery, DeliveryQueue
from bot.rule import Rule
from bot.settings import Settings, SettingsError
from bot.store import Store
from bot.sweep import DeliverySweeper
from bot.workers import WorkerPool
from bot.writewindow import Clock

log = logging.getLogger(__name__)


@dataclass
class BotState:
    settings: Settings
    store: Store
    queue: DeliveryQueue
    github: GitHubApp
    engine: Engine
    pool: WorkerPool
    intake: IntakeGuard
    sweeper: DeliverySweeper
    webhooks_first: WebhooksFirst
    # Set once the server accepts connections: the start-up sweep's redeliveries must find it listening.
    listening: asyncio.Event = field(default_factory=asyncio.Event)


STATE_KEY = web.AppKey("governance_bot_state", BotState)


_SIGNATURE = re.compile(r"sha256=[0-9a-fA-F]{64}", re.ASCII)


class Refusal(NamedTuple):
    status: int
    answer: str  # the reply's `error` (what the sender sees)
    reason: str  # what the log says went wrong
    fix: str  # what usually fixes it


_NOT_GITHUB = "this request was not sent by GitHub's webhook service"
# Why each refusal happens and what usually fixes it, for the WARNING line an operator reads.
REFUSALS: dict[str, Refusal] = {
    "too_large": Refusal(413, "payload too large", "body over MAX_BODY_BYTES",
                         "GitHub caps webhook payloads at 25 MB; check what is sending this"),
    "no_signature": Refusal(401, "missing X-Hub-Signature-256", "no X-Hub-Signature-256 header",
                            "set a webhook secret in the App's settings, equal to GITHUB_WEBHOOK_SECRET"),
    "not_sha256": Refusal(401, "invalid signature", "signature is not sha256=<64 hex digits>",
                          "only X-Hub-Signature-256 is accepted; set a webhook secret in the App's settings"),
    "bad_signature": Refusal(401, "invalid signature", "signature does not match",
                             "check GITHUB_WEBHOOK_SECRET: it must equal the App's webhook secret"),
    "no_headers": Refusal(400, "missing X-GitHub-Event or X-GitHub-Delivery",
                          "X-GitHub-Event or X-GitHub-Delivery missing", _NOT_GITHUB),
    "bad_headers": Refusal(400, "malformed X-GitHub-Event or X-GitHub-Delivery",
                           "X-GitHub-Event or X-GitHub-Delivery too long", _NOT_GITHUB),
    "content_type": Refusal(415, "expected Content-Type: application/json", "Content-Type is not application/json",
                            "set the App's webhook content type to application/json"),
    "not_json": Refusal(400, "body is not valid JSON", "body is not valid JSON", _NOT_GITHUB),
    "not_object": Refusal(400, "body is not a JSON object", "body is not a JSON object", _NOT_GITHUB),
    "too_deep": Refusal(400, "body is nested too deeply", "body is nested too deeply", _NOT_GITHUB),
    "too_slow": Refusal(408, "the body did not arrive in time", "body did not arrive within WEBHOOK_READ_TIMEOUT",
                        "a slow or stalled sender; GitHub sends its body at once"),
}
refusal_lines = LineLimiter(burst=5, window=60.0)


def _reject(request: web.Request, reason: str, *, close: bool = False) -> web.Response:
    """Answer a refused webhook and say why in the log (rate-limited per reason: a flood stays bounded)."""
    refusal = REFUSALS[reason]
    metrics.webhook_rejected.labels(str(refusal.status)).inc()
    write, left_out = refusal_lines.admit(reason)
    if write:
        delivery = request.headers.get("X-GitHub-Delivery", "-")[:64]
        event = request.headers.get("X-GitHub-Event", "-")[:64]
        more = f" ({left_out} more like it in the last minute not logged)" if left_out else ""
        log.warning("webhook refused (%d): %s: %s [delivery=%s event=%s from=%s]%s", refusal.status,
                    refusal.reason, refusal.fix, delivery, event, request.remote, more)
    response = web.json_response({"error": refusal.answer}, status=refusal.status)
    if close:
        response.force_close()  # the rest of the body is not read: this connection cannot be reused
    return response


async def webhook(request: web.Request) -> web.Response:
    """Headers are checked before a byte of the body is read; the body is read under the intake limits."""
    state = request.app[STATE_KEY]
    settings = state.settings
    signature = request.headers.get("X-Hub-Signature-256")
    if not signature:
        return _reject(request, "no_signature", close=True)
    if not _SIGNATURE.fullmatch(signature):
        return _reject(request, "not_sha256", close=True)
    event = request.headers.get("X-GitHub-Event")
    delivery_id = request.headers.get("X-GitHub-Delivery")
    if not event or not delivery_id:
        return _reject(request, "no_headers", close=True)
    if len(delivery_id) > 128 or len(event) > 64:
        return _reject(request, "bad_headers", close=True)
    if request.content_type != "application/json":
        return _reject(request, "content_type", close=True)
    declared = request.content_length
    if declared is not None and declared > settings.max_body_bytes:
        return _reject(request, "too_large", close=True)
    ticket = state.intake.reserve(request.transport, settings.max_body_bytes if declared is None else declared)
    answering = False
    try:
        try:
            async with asyncio.timeout(settings.webhook_read_timeout):
                body = await request.read()
        except TimeoutError:
            return _reject(request, "too_slow", close=True)
        except web.HTTPRequestEntityTooLarge:
            return _reject(request, "too_large", close=True)
        state.intake.answering(request.transport)
        state.webhooks_first.begin()  # from a whole body on: a client sending slowly never slows processing
        answering = True
        return await _accept(state, request, body, signature, event, delivery_id)
    finally:
        if answering:
            state.webhooks_first.end()
        state.intake.release(ticket)
        state.intake.answered(request.transport)


async def _accept(state: "BotState", request: web.Request, body: bytes, signature: str, event: str,
                  delivery_id: str) -> web.Response:
    secret = state.settings.github_webhook_secret.get_secret_value() if state.settings.github_webhook_secret else ""
    try:
        sansio.validate_event(body, signature=signature, secret=secret)
    except gidgethub.ValidationFailure:
        return _reject(request, "bad_signature")
    try:
        text = body.decode("utf-8")
        payload = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        return _reject(request, "not_json")
    except RecursionError:
        return _reject(request, "too_deep")
    if not isinstance(payload, dict):
        return _reject(request, "not_object")
    if event == "ping":
        log.info("ping from GitHub answered (delivery %s, hook %s)", delivery_id, payload.get("hook_id"))
        return web.json_response({"ok": True, "zen": payload.get("zen")}, status=200)
    try:
        accepted = await state.queue.enqueue(delivery_id, event, payload, text)
    except Exception as exc:  # the database is away: GitHub will show the failure and can redeliver
        log.error("could not store delivery %s: %s", delivery_id, type(exc).__name__)
        return web.json_response({"error": "could not store the delivery"}, status=503)
    if not accepted:
        return web.json_response({"ok": True, "duplicate": True}, status=200)
    metrics.deliveries_received.labels(event).inc()
    return web.json_response({"ok": True, "queued": delivery_id}, status=202)


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def readyz(request: web.Request) -> web.Response:
    if await request.app[STATE_KEY].store.ping():
        return web.json_response({"ok": True, "database": "reachable"})
    return web.json_response({"ok": False, "database": "unreachable"}, status=503)


async def metrics_endpoint(request: web.Request) -> web.Response:
    try:
        metrics.queue_depth.set(await request.app[STATE_KEY].queue.depth())
    except Exception:
        pass  # keep serving the other metrics while the database is away
    return web.Response(body=metrics.render(), content_type="text/plain", charset="utf-8",
                        headers={"X-Content-Type-Options": "nosniff"})


def build_state(settings: Settings, rules: Sequence[Rule], *, github: GitHubApp | None = None,
                clock: Clock = time.time) -> BotState:
    """`clock`: wall-clock seconds for write windows and the queue (tests and benches advance it)."""
    store = Store(settings.database_url)
    # A quarter of the workers at most on one installation: its writes are one at a time anyway, and an
    # installation GitHub answers slowly then holds few workers (bench.throughput slow: the others'
    # deliveries/s beside one answered in 2 s went from 0.73 of their rate alone, at a half, to 1.11).
    queue = DeliveryQueue(store, lease_seconds=settings.lease_seconds, max_attempts=settings.max_attempts,
                          retry_base_seconds=settings.retry_base_seconds,
                          per_installation=max(1, settings.workers // 4), clock=clock)
    github = github or GitHubApp(
        app_id=settings.github_app_id, private_key=settings.private_key_pem() if (
            settings.github_private_key or settings.github_private_key_path) else None,
        api_url=settings.github_api_url, graphql_url=settings.graphql_url,
        writes_per_minute=settings.writes_per_minute, writes_per_hour=settings.writes_per_hour,
        backoff_base=min(settings.retry_base_seconds, 1.0), clock=clock)
    offload = Offload(workers=settings.offload_workers)
    engine = Engine(rules=rules, github=github, store=store, settings=settings, queue=queue, offload=offload)

    async def process(delivery: Delivery) -> None:
        await engine.process(delivery.id, delivery.event, delivery.payload)

    webhooks_first = WebhooksFirst()
    github.yield_point = store.yield_point = webhooks_first.yield_to_webhooks
    pool = WorkerPool(queue, process, workers=settings.workers, shutdown_grace=settings.shutdown_grace_seconds,
                      yield_point=webhooks_first.yield_to_webhooks)
    intake = IntakeGuard(max_connections=settings.max_connections, buffer_bytes=settings.webhook_buffer_bytes)
    sweeper = DeliverySweeper(github, store, interval=settings.sweep_interval_seconds)
    return BotState(settings, store, queue, github, engine, pool, intake, sweeper, webhooks_first)


def create_app(settings: Settings, rules: Sequence[Rule], *, github: GitHubApp | None = None,
               start_workers: bool = True, clock: Clock = time.time) -> web.Application:
    """The webhook server, running the `rules` it is handed (the CLI hands it `rules.RULES`)."""
    app = web.Application(client_max_size=settings.max_body_bytes + 1)
    state = build_state(settings, rules, github=github, clock=clock)
    app[STATE_KEY] = state
    app.router.add_post("/webhook", webhook)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    if settings.metrics_port is None:
        app.router.add_get("/metrics", metrics_endpoint)
    web_pages.add_routes(app, state, rules)

    async def prune_forever() -> None:
        while True:
            try:
                retention = state.settings.delivery_retention_days * 86400
                pruned = await verdicts.prune(state.store, retention)  # the verdicts behind Details links
                if pruned:
                    log.info("pruned %d stored verdicts past retention", pruned)
                pruned = await state.queue.prune(retention)
                if pruned:
                    log.info("pruned %d finished deliveries past retention", pruned)
            except Exception as exc:  # the database is away: try again next time
                log.warning("pruning deliveries failed: %s", type(exc).__name__)
            await asyncio.sleep(3600)

    async def run_background(_app: web.Application):
        """Schema first, then workers and pruning: both need the tables.

        One cleanup context, not an on_startup handler beside it: aiohttp runs cleanup
        contexts before on_startup handlers, so pruning started that way met a fresh
        database before its tables existed.
        """
        # A database that is not up yet (restart, failover, compose start order) is waited for, not fatal.
        await state.store.create_schema_when_reachable()
        try:  # before connections are accepted, so the first webhooks find their statements compiled
            await state.queue.rehearse_intake()
        except Exception as exc:  # the database went away again: webhooks answer 503 until it is back
            log.warning("could not rehearse storing a webhook: %s", type(exc).__name__)
        if start_workers:
            state.pool.start()
        tasks = [asyncio.create_task(prune_forever(), name="prune-deliveries")]
        if state.settings.sweep_interval_seconds > 0:
            tasks.append(asyncio.create_task(state.sweeper.run(state.listening), name="sweep-delivery-log"))
        yield
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def shutdown(_app: web.Application) -> None:
        await state.pool.stop()

    async def cleanup(_app: web.Application) -> None:
        if state.engine.offload is not None:
            await asyncio.to_thread(state.engine.offload.close)
        await state.queue.close()
        await state.github.close()
        await state.store.close()

    app.cleanup_ctx.append(run_background)
    app.on_shutdown.append(shutdown)
    app.on_cleanup.append(cleanup)
    return app


def metrics_app(state: BotState) -> web.Application:
    """/metrics alone, for `METRICS_PORT`: installation ids stay off the public webhook port."""
    app = web.Application()
    app[STATE_KEY] = state
    app.router.add_get("/metrics", metrics_endpoint)
    return app


class GuardedRunner(web.AppRunner):
    """An AppRunner whose server passes every connection through the app's IntakeGuard.

    After a refusal the unread rest of a body is drained for at most a second (aiohttp's
    default is ten), so a refused client gets its answer without holding the connection.
    """

    def __init__(self, app: web.Application, **kwargs: Any) -> None:
        kwargs.setdefault("lingering_time", 1.0)
        super().__init__(app, **kwargs)

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        return self.app[STATE_KEY].intake.install(server)


async def start(app: web.Application, settings: Settings, *, sock: socket.socket | None = None,
                **runner_kwargs: Any) -> list[web.BaseRunner]:
    """Listen on HOST:PORT, or on `sock` already bound there (and METRICS_HOST:METRICS_PORT when set);
    the runners, to clean up in order. A metrics port that cannot be had is a SettingsError."""
    runner = GuardedRunner(app, **runner_kwargs)
    await runner.setup()
    runners: list[web.BaseRunner] = [runner]
    try:
        site = web.SockSite(runner, sock) if sock is not None else web.TCPSite(runner, settings.host, settings.port)
        await site.start()
        app[STATE_KEY].listening.set()
        if settings.metrics_port is not None:
            metrics_runner = web.AppRunner(metrics_app(app[STATE_KEY]))
            await metrics_runner.setup()
            runners.insert(0, metrics_runner)
            metrics_host = settings.metrics_host or settings.host
            try:
                await web.TCPSite(metrics_runner, metrics_host, settings.metrics_port).start()
            except OSError as exc:
                raise SettingsError(f"METRICS_PORT: cannot listen on {metrics_host}:{settings.metrics_port}: "
                                    f"{exc.strerror or exc}") from None
    except BaseException:
        for each in runners:
            await each.cleanup()
        raise
    return runners


def run(app: web.Application, settings: Settings, *, sock: socket.socket | None = None,
        on_started: Callable[[], None] | None = None) -> None:
    """What `web.run_app` does, with the guarded runner and the optional metrics port; returns on SIGTERM/SIGINT.

    `on_started` runs once every port is listening (the start-up log line)."""
    async def main() -> None:
        runners = await start(app, settings, sock=sock, handle_signals=True,
                              shutdown_timeout=settings.shutdown_grace_seconds + 5)
        if on_started is not None:
            on_started()
        try:
            while True:
                await asyncio.sleep(3600)
        finally:
            for runner in runners:
                await runner.cleanup()

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    task = loop.create_task(main())
    try:
        loop.run_until_complete(task)
    except (web.GracefulExit, KeyboardInterrupt):
        pass
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                loop.run_until_complete(task)
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for each in pending:
            each.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
