"""When each pull request was last evaluated for a `/recheck`, and at which head: throttling.

One evaluation per pull request at a time is the queue's doing (a PR is one subject). On top,
a `/recheck` arriving within `RECHECK_WINDOW` seconds of another `/recheck`'s evaluation of the
same head is folded into it: the bot just did what was asked, and a burst of rechecks (each
about 45 API calls on a large PR) would only spend the installation's budget. The first
`/recheck` after any other evaluation always runs: it is how people ask the bot to look again
after something GitHub sends no event for.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from sqlalchemy import Column, Float, Integer, String, Table, select

from bot.store import metadata

if TYPE_CHECKING:
    from bot.context import EventContext

RECHECK_WINDOW = 30.0

pr_rechecks = Table(
    "pr_rechecks",
    metadata,
    Column("repository", String(300), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("head_sha", String(64), nullable=False),
    Column("finished_at", Float, nullable=False),
)


async def recently_rechecked(ctx: "EventContext", head_sha: str, window: float = RECHECK_WINDOW) -> bool:
    """Whether a `/recheck` evaluated this PR at `head_sha` less than `window` seconds ago."""
    async with ctx.store.engine.connect() as conn:
        row = (await conn.execute(select(pr_rechecks.c.head_sha, pr_rechecks.c.finished_at).where(
            pr_rechecks.c.repository == ctx.repo_full_name, pr_rechecks.c.number == ctx.number))).first()
    return row is not None and row.head_sha == head_sha and time.time() - row.finished_at < window


async def record(ctx: "EventContext", head_sha: str | None) -> None:
    if head_sha is None or ctx.number is None:
        return
    async with ctx.store.transaction() as conn:
        await ctx.store.upsert(conn, pr_rechecks, {
            "repository": ctx.repo_full_name, "number": ctx.number, "head_sha": head_sha, "finished_at": time.time(),
        }, keys=["repository", "number"])
