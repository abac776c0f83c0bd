"""Stored verdicts behind the statuses' Details links (SPEC §4).

Each status the engine sets is recorded with the rule's full verdict (`VerdictDetails`) under
a token: the HMAC of (installation, repository, head SHA, context) with a key derived from the
webhook secret. The token is the only way to a page: it cannot be guessed or enumerated, and it
is the same for the same head and context, so re-posting an unchanged status is still a no-op.
Verdicts are pruned with the deliveries; an older one answers 404 even before it is pruned.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, Boolean, Column, Float, Index, Integer, String, Table, Text, select
from sqlalchemy.engine import Connection

from bot import keys
from bot.rule import DetailRow, StatusUpdate, VerdictDetails
from bot.settings import Settings
from bot.store import Store, deliveries, metadata

if TYPE_CHECKING:
    from bot.context import EventContext

MAX_ROWS = 2000  # a page lists at most this many rows; the rest are counted
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{43}")

verdicts = Table(
    "verdicts",
    metadata,
    Column("token", String(64), primary_key=True),
    Column("installation_id", BigInteger),
    Column("repository", String(300), nullable=False),
    Column("number", Integer),
    Column("sha", String(64), nullable=False),
    Column("context", String(100), nullable=False),
    Column("state", String(16), nullable=False),
    Column("description", Text, nullable=False),
    Column("private", Boolean, nullable=False),
    Column("details", Text, nullable=False),  # VerdictDetails as JSON
    Column("recorded_at", Float, nullable=False),
)
Index("ix_verdicts_recorded", verdicts.c.recorded_at)


@dataclass
class StoredVerdict:
    installation_id: int | None
    repository: str
    number: int | None
    sha: str
    context: str
    state: str
    description: str
    private: bool
    details: VerdictDetails
    recorded_at: float


def token(key: bytes, installation_id: int | None, repository: str, sha: str, context: str) -> str:
    message = json.dumps([installation_id, repository.lower(), sha.lower(), context]).encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def page_url(settings: Settings, value: str) -> str:
    return f"{settings.public_url}/v/{value}"


def capped(details: VerdictDetails) -> VerdictDetails:
    """At most MAX_ROWS rows, the rest counted in a last row (a PR may touch thousands of files)."""
    if len(details.rows) <= MAX_ROWS:
        return details
    left = len(details.rows) - MAX_ROWS
    rows = details.rows[:MAX_ROWS] + [DetailRow(kind="note", subject="…", problem=f"{left} more not listed")]
    return details.model_copy(update={"rows": rows})


async def is_private(ctx: "EventContext") -> bool:
    """Whether the repository is private; unknown counts as private (pages then show only the status)."""
    value = ctx.repository.get("private")
    if isinstance(value, bool):
        return value
    if ctx.is_pull_request and ctx.number is not None:
        pr = await ctx.pull_request()
        value = ((pr.get("base") or {}).get("repo") or {}).get("private")
        if isinstance(value, bool):
            return value
    return True


async def record(ctx: "EventContext", statuses: list[StatusUpdate], default_sha: str | None) -> None:
    """Point each status's Details link at its verdict page and store the verdict behind it.

    Without PUBLIC_URL (or a webhook secret) statuses keep the rule's own link and nothing is stored.
    """
    if not ctx.settings.public_url or not statuses:
        return
    key = keys.derive(ctx.settings, keys.VERDICT_LINKS)
    if key is None:
        return
    rows: list[dict[str, Any]] = []
    private: bool | None = None
    now = time.time()
    for status in statuses:
        sha = status.sha or default_sha
        if not sha:
            continue
        value = token(key, ctx.installation_id, ctx.repo_full_name, sha, status.context)
        status.target_url = page_url(ctx.settings, value)
        if private is None:
            private = await is_private(ctx)
        details = capped(status.details or VerdictDetails(summary=status.description))
        rows.append({"token": value, "installation_id": ctx.installation_id, "repository": ctx.repo_full_name,
                     "number": ctx.number if ctx.is_pull_request else None, "sha": sha, "context": status.context,
                     "state": status.state, "description": status.description, "private": private,
                     "details": details.model_dump_json(), "recorded_at": now})
    if not rows:
        return
    outcome = json.dumps([f"{row['context']}: {row['state']}" for row in rows])
    upsert = ctx.store.upsert_by_keys(verdicts, ("token",))  # every column is in each row
    mark = deliveries.update().where(deliveries.c.id == ctx.delivery_id).values(outcome=outcome)

    def store(conn: Connection) -> None:
        conn.execute(upsert, rows)
        # What this delivery did, for the dashboard (same transaction: no extra commit per delivery).
        conn.execute(mark)

    await ctx.store.write_unit(store, redone_if_lost=True)


async def recorded(ctx: "EventContext", sha: str, context: str) -> bool | None:
    """Whether a verdict for this head's `context` status is stored; None when verdicts are not
    stored at all (no PUBLIC_URL or webhook secret), so nothing can be told from their absence.

    Every evaluation of a pull request's head records the verdict of its `governance/config`
    status before posting any status. So with none recorded, the head carries no status of this
    bot: for the head an opened or synchronized pull request brings, the engine then posts without
    reading the head's statuses first (one request fewer for each new head). Other events may
    re-evaluate a head older than the verdicts kept, so they read. A verdict lost (a power cut
    before its commit reached the disk) only means statuses posted again with the same state.
    """
    if not ctx.settings.public_url:
        return None
    key = keys.derive(ctx.settings, keys.VERDICT_LINKS)
    if key is None:
        return None
    value = token(key, ctx.installation_id, ctx.repo_full_name, sha, context)
    query = select(verdicts.c.token).where(verdicts.c.token == value)
    return await ctx.store.read_unit(lambda conn: conn.execute(query).first()) is not None


async def load(store: Store, value: str, *, max_age: float) -> StoredVerdict | None:
    """The verdict behind a token, or None if the token is malformed, unknown or past retention."""
    if not TOKEN_RE.fullmatch(value):
        return None
    async with store.engine.connect() as conn:
        row = (await conn.execute(select(verdicts).where(verdicts.c.token == value))).mappings().first()
    if row is None or row["recorded_at"] < time.time() - max_age:
        return None
    return StoredVerdict(
        installation_id=row["installation_id"], repository=row["repository"], number=row["number"], sha=row["sha"],
        context=row["context"], state=row["state"], description=row["description"], private=bool(row["private"]),
        details=VerdictDetails.model_validate_json(row["details"]), recorded_at=row["recorded_at"])


async def prune(store: Store, older_than_seconds: float) -> int:
    cutoff = time.time() - older_than_seconds
    async with store.transaction() as conn:
        result = await conn.execute(verdicts.delete().where(verdicts.c.recorded_at < cutoff))
    return result.rowcount or 0
