"""`governance-bot deliveries …`: the deliveries command group (SPEC §1).

`sweep [--since HOURS]` searches the App's delivery log for what never reached the bot and asks
GitHub to redeliver it, as the server does every `SWEEP_INTERVAL_SECONDS` (`bot.sweep`); it
prints each redelivery it asked for. It shares the server's database, so a GUID the server (or
another sweep) already asked for is not asked for again. Every sub-command of the group lives here;
`add_parser` builds the group for `bot/cli.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.settings import SettingsError, load_settings


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
    from bot.store import Store
    from bot.sweep import DeliverySweeper

    settings = load_settings()
    if not settings.github_app_id:
        raise SettingsError("GITHUB_APP_ID: required to read the App's delivery log")
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
    group = sub.add_parser("deliveries", help="what GitHub delivered, and recovering what it could not")
    group_sub = group.add_subparsers(dest="deliveries_command", required=True)
    sweep = group_sub.add_parser("sweep", help="ask GitHub to redeliver deliveries that never reached the bot")
    sweep.add_argument("--since", type=_positive_hours, metavar="HOURS",
                       help="look this many hours back (default: since the last sweep, at most 72)")
    sweep.set_defaults(func=cmd_sweep)
