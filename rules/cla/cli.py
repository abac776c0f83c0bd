"""`governance-bot cla export` and `governance-bot cla revoke` (SPEC §1).

Both work on the database alone (DATABASE_URL), so they run where the App's credentials
are not available, e.g. a compliance officer's laptop with a copy of the database. A
revocation queues re-checks of the open PRs that passed on it; the bot serving that
database picks them up.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from bot.settings import SettingsError, load_settings
from bot.store import Store, absent_database

from . import store as signatures

if TYPE_CHECKING:
    from bot.queue import DeliveryQueue

T = TypeVar("T")


def add_cli(subparsers: Any) -> None:
    cla = subparsers.add_parser("cla", help="CLA signatures: export the record, revoke a signature")
    sub = cla.add_subparsers(dest="cla_command", required=True)
    export = sub.add_parser("export", help="print every stored CLA signature with its evidence")
    export.add_argument("--format", choices=("csv", "json"), default="csv", help="output format (default: csv)")
    export.set_defaults(func=cmd_export)
    revoke = sub.add_parser("revoke", help="end a signature (kept in the record, no longer counted)")
    revoke.add_argument("login", help="the signer's GitHub login")
    revoke.add_argument("--owner", help="only the signature given to this organisation or user")
    revoke.set_defaults(func=cmd_revoke)


def _with_store(work: Callable[[Store], Awaitable[T]]) -> T:
    settings = load_settings()
    absent = absent_database(settings.database_url)
    if absent:  # the signatures are elsewhere: an empty new database would hide that
        raise SettingsError(absent)

    async def run() -> T:
        store = Store(settings.database_url)
        try:
            await store.create_schema()
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(run())


def _fail(message: str, code: int = 2) -> int:
    print(f"governance-bot: {message}", file=sys.stderr)
    return code


def cmd_export(args: argparse.Namespace) -> int:
    try:
        rows = _with_store(signatures.export_rows)
    except SettingsError as exc:
        return _fail(str(exc))
    except (SQLAlchemyError, OSError) as exc:
        return _fail(f"cannot read the database: {type(exc).__name__}: {exc}")
    if args.format == "json":
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        writer = csv.DictWriter(sys.stdout, fieldnames=signatures.EXPORT_FIELDS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return 0


async def revoke_and_recheck(store: Store, login: str, owner: str | None, *, queue: DeliveryQueue | None = None,
                             ) -> tuple[list[dict[str, Any]], list[tuple[int, str, int]]]:
    """End the signatures, then queue a re-check of every open PR that passed on one of them.

    The running bot takes the re-checks from the shared queue, so the statuses turn at once
    instead of at each PR's next push; this command needs the database only.
    """
    from bot.engine import REEVALUATE_EVENT, reevaluation
    from bot.queue import DeliveryQueue

    queue = queue or DeliveryQueue(store)  # the server's own queue wakes its workers at once
    pulls: list[tuple[int, str, int]] = []

    async def recheck(conn: Any, revoked: list[dict[str, Any]]) -> None:
        # In the revocation's transaction: if queueing fails, nothing is revoked, and running
        # the command again does both.
        pulls.extend(await signatures.relying_on(conn, {(row["owner_id"], row["user_id"]) for row in revoked}))
        for installation_id, repository, number in pulls:
            delivery_id, payload = reevaluation(installation_id, repository, number, reason=f"cla revoke {login}")
            await queue.enqueue_in(conn, delivery_id, REEVALUATE_EVENT, payload)

    revoked = await signatures.revoke(store, login, owner, then=recheck)
    if pulls:
        queue.wakeup.notify()  # committed: this process's idle workers take the re-checks now
    return revoked, pulls


def cmd_revoke(args: argparse.Namespace) -> int:
    try:
        revoked, pulls = _with_store(lambda store: revoke_and_recheck(store, args.login, args.owner))
    except SettingsError as exc:
        return _fail(str(exc))
    except (SQLAlchemyError, OSError) as exc:
        return _fail(f"cannot update the database: {type(exc).__name__}: {exc}")
    scope = f" for {args.owner}" if args.owner else ""
    if not revoked:
        print(f"no counting CLA signature of {args.login}{scope}", file=sys.stderr)
        return 1
    for row in revoked:
        print(f"revoked: {row['login']} (id {row['user_id']}) version {row['version']} for {row['owner']}, "
              f"signed {signatures.iso(row['signed_at'])} at {row['comment_url']}")
    if pulls:
        shown = ", ".join(f"{repository}#{number}" for _, repository, number in pulls[:20])
        more = f" and {len(pulls) - 20} more" if len(pulls) > 20 else ""
        print(f"re-checking {len(pulls)} open pull request{'s' if len(pulls) != 1 else ''}: {shown}{more}")
    return 0
