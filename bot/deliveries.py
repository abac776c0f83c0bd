"""`governance-bot deliveries …`: the deliveries command group (SPEC §1).

`list`, `show` and `retry` read and write the `deliveries` table the server's queue uses (SQLite
or PostgreSQL, `DATABASE_URL`), so they work while the server runs: `retry` puts a failed
delivery back in the durable queue and a running server's workers claim it like any other (once:
claims are atomic). `sweep [--since HOURS]` searches the App's delivery log for what never reached
the bot and asks GitHub to redeliver it, as the server does every `SWEEP_INTERVAL_SECONDS`
(`bot.sweep`); it prints each redelivery it asked for, and a GUID the server (or another sweep)
already asked for is not asked for again. Every sub-command of the group lives here; `add_parser`
builds the group for `bot/cli.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from bot.settings import SettingsError, load_settings

if TYPE_CHECKING:  # the database stack is imported when a command runs, not to parse arguments
    from bot.queue import DeliveryQueue

STATES = ("queued", "processing", "done", "failed")


def _when(timestamp: float | None) -> str:
    if not timestamp:
        return "-"
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _event(row: dict[str, Any]) -> str:
    return f"{row['event']}.{row['action']}" if row.get("action") else row["event"]


def _one_line(text: str | None, width: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


async def _with_queue(work: Callable[["DeliveryQueue"], Awaitable[int]]) -> int:
    """Open the database the server uses (never a new SQLite file: see `absent_database`)."""
    from bot.queue import DeliveryQueue
    from bot.store import Store, absent_database

    settings = load_settings()
    absent = absent_database(settings.database_url)
    if absent:
        raise SettingsError(absent)
    store = Store(settings.database_url)
    try:
        await store.create_schema()
        return await work(DeliveryQueue(store))
    finally:
        await store.close()


def _run(work: Callable[["DeliveryQueue"], Awaitable[int]]) -> int:
    try:
        return asyncio.run(_with_queue(work))
    except SettingsError as exc:
        for line in exc.lines:
            print(f"governance-bot: {line}", file=sys.stderr)
        return 2
    except Exception as exc:  # the database is away or refuses us: one line, no traceback
        print(f"governance-bot: database: {type(exc).__name__}: {_one_line(str(exc), 300)}", file=sys.stderr)
        return 2


def cmd_list(args: argparse.Namespace) -> int:
    async def work(queue: "DeliveryQueue") -> int:
        rows = await queue.find(state=args.state, repository=args.repository, limit=args.limit)
        if not rows:
            print("(no deliveries)")
            return 0
        print(f"{'ID':<38} {'RECEIVED (UTC)':<19} {'STATE':<10} {'TRIES':>5}  {'EVENT':<28} {'REPOSITORY':<30} ERROR")
        for row in rows:
            print(f"{row['id']:<38} {_when(row['received_at']):<19} {row['state']:<10} {row['attempts']:>5}  "
                  f"{_one_line(_event(row), 28):<28} {_one_line(row['repository'] or '-', 30):<30} "
                  f"{_one_line(row['last_error'], 80)}".rstrip())
        return 0

    return _run(work)


def cmd_show(args: argparse.Namespace) -> int:
    async def work(queue: "DeliveryQueue") -> int:
        row = await queue.get(args.id)
        if row is None:
            print(f"governance-bot: no delivery {args.id}", file=sys.stderr)
            return 1
        fields = [("id", row["id"]), ("event", _event(row)), ("repository", row["repository"] or "-"),
                  ("subject", row["subject"] or "-"), ("installation", row["installation_id"] or "-"),
                  ("state", row["state"]), ("attempts", row["attempts"]), ("received", _when(row["received_at"])),
                  ("finished", _when(row["finished_at"])), ("next try", _when(row["available_at"])
                                                            if row["state"] == "queued" else "-"),
                  ("held by", row["lease_owner"] or "-"), ("last error", row["last_error"] or "-")]
        for name, value in fields:
            print(f"{name + ':':<14}{value}")
        try:
            payload = json.dumps(json.loads(row["payload"]), indent=2, sort_keys=True)
        except ValueError:
            payload = row["payload"]
        print("payload:")
        print(payload)
        return 0

    return _run(work)


def cmd_retry(args: argparse.Namespace) -> int:
    if bool(args.id) == bool(args.failed):
        print("governance-bot: deliveries retry: give one delivery ID, or --failed for every failed one",
              file=sys.stderr)
        return 2

    async def work(queue: "DeliveryQueue") -> int:
        retried = await queue.retry_failed(args.id)
        if args.failed:
            print(f"queued {len(retried)} failed deliveries again" if retried else "no failed deliveries")
            return 0
        if retried:
            print(f"queued {args.id} again; a running `governance-bot serve` processes it")
            return 0
        row = await queue.get(args.id)
        if row is None:
            print(f"governance-bot: no delivery {args.id}", file=sys.stderr)
        else:
            print(f"governance-bot: {args.id} is {row['state']}, not failed: nothing to retry", file=sys.stderr)
        return 1

    return _run(work)


def _positive_hours(value: str) -> float:
    try:
        hours = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of hours: {value!r}") from None
    if not 0 < hours <= 72:
        raise argparse.ArgumentTypeError("must be more than 0 and at most 72 (GitHub redelivers three days)")
    return hours


async def _sweep(since_hours: float | None) -> int:
    from bot.github import GitHubApp
    from bot.store import Store, absent_database
    from bot.sweep import DeliverySweeper

    settings = load_settings()
    if not settings.github_app_id:
        raise SettingsError("GITHUB_APP_ID: required to read the App's delivery log")
    absent = absent_database(settings.database_url)
    if absent:  # which deliveries the bot holds is in the server's database, not a new empty one
        raise SettingsError(absent)
    github = GitHubApp(app_id=settings.github_app_id, private_key=settings.private_key_pem(),
                       api_url=settings.github_api_url, graphql_url=settings.graphql_url)
    store = Store(settings.database_url)
    try:
        await store.create_schema()
        report = await DeliverySweeper(github, store).sweep(since_hours=since_hours, force=True)
    finally:
        await github.close()
        await store.close()
    if report is None:
        print("another replica is sweeping the delivery log now; try again in a few minutes")
        return 1
    for missing in report.requested:
        print(f"redelivery asked: {missing.describe()}")
    for missing, reason in report.refused:
        print(f"not redelivered: {missing.describe()}: {reason}")
    asked_before = len(report.missing) - len(report.requested) - len(report.refused)
    print(f"{report.looked_at} logged attempts read ({report.log_requests} requests), {len(report.missing)} never "
          f"delivered, {len(report.requested)} redeliveries asked" +
          (f", {asked_before} asked for already" if asked_before else ""))
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_sweep(args.since))
    except SettingsError as exc:
        print(f"governance-bot: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # GitHub or the database: one line, no traceback, and nothing was lost
        print(f"governance-bot: the sweep failed: {type(exc).__name__}: {str(exc)[:300]}", file=sys.stderr)
        return 1


def add_parser(sub: argparse._SubParsersAction) -> None:
    group = sub.add_parser("deliveries", help="what the bot received and did; retry failed deliveries; recover "
                                               "what GitHub could not deliver",
                           description="Reads the delivery queue the server uses (DATABASE_URL); works while it runs.")
    group_sub = group.add_subparsers(dest="deliveries_command", required=True)

    listing = group_sub.add_parser("list", help="deliveries, newest first")
    listing.add_argument("--state", choices=STATES, help="only deliveries in this state")
    listing.add_argument("--repository", metavar="OWNER/NAME", help="only this repository's deliveries")
    listing.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    listing.set_defaults(func=cmd_list)

    show = group_sub.add_parser("show", help="one delivery: its state, attempts, last error and payload")
    show.add_argument("id", help="the X-GitHub-Delivery id")
    show.set_defaults(func=cmd_show)

    retry = group_sub.add_parser("retry", help="queue a failed delivery (or every failed one) again")
    retry.add_argument("id", nargs="?", help="the delivery to retry")
    retry.add_argument("--failed", action="store_true", help="retry every failed delivery")
    retry.set_defaults(func=cmd_retry)

    sweep = group_sub.add_parser("sweep", help="ask GitHub to redeliver deliveries that never reached the bot")
    sweep.add_argument("--since", type=_positive_hours, metavar="HOURS",
                       help="look this many hours back (default: since the last sweep, at most 72)")
    sweep.set_defaults(func=cmd_sweep)
