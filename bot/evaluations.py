"""When each pull request was last evaluated, and at which head: `/recheck` throttling.

One evaluation per pull request at a time is the queue's doing (a PR is one subject). On top,
a `/recheck` arriving within `RECHECK_WINDOW` seconds of an evaluation of the same head is
folded into it: the bot just did what was asked, and a burst of rechecks (each about 45 API
calls on a large PR) would only spend the installation's budget.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from sqlalchemy import Column, Float, Integer, String, Table, select

from bot.store import metadata

if TYPE_CHECKING:
    from bot.context import EventContext

RECHECK_WINDOW = 30.0

pr_evaluations = Table(
    "pr_evaluations",
    metadata,
    Column("repository", String(300), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("head_sha", String(64), nullable=False),
    Column("finished_at", Float, nullable=False),
)


async def recently_evaluated(ctx: "EventContext", head_sha: str, window: float = RECHECK_WINDOW) -> bool:
    """Whether this PR was evaluated at `head_sha` less than `window` seconds ago."""
    async with ctx.store.engine.connect() as conn:
        row = (await conn.execute(select(pr_evaluations.c.head_sha, pr_evaluations.c.finished_at).where(
            pr_evaluations.c.repository == ctx.repo_full_name, pr_evaluations.c.number == ctx.number))).first()
    return row is not None and row.head_sha == head_sha and time.time() - row.finished_at < window


async def record(ctx: "EventContext", head_sha: str | None) -> None:
    if head_sha is None or ctx.number is None:
        return
    async with ctx.store.transaction() as conn:
        await ctx.store.upsert(conn, pr_evaluations, {
            "repository": ctx.repo_full_name, "number": ctx.number, "head_sha": head_sha, "finished_at": time.time(),
        }, keys=["repository", "number"])
