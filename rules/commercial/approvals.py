"""Approvals of commercial changes, stored per pull request with a digest of the commercial
paths the PR touched when they were given and a digest of those files' contents (blob SHAs)
at the head they were given at: an approval holds until either changes."""

from __future__ import annotations

import json

from sqlalchemy import Column, Float, Index, Integer, String, Table, Text, select

from bot.context import EventContext
from bot.store import metadata

from .evaluation import Approval

commercial_approvals = Table(
    "commercial_approvals",
    metadata,
    Column("repository", String(300), primary_key=True),
    Column("number", Integer, primary_key=True),
    # The approving comment; one row per approval, so the history stays auditable.
    Column("comment_url", String(500), primary_key=True),
    Column("approved_by", String(100), nullable=False),
    Column("approved_at", Float, nullable=False),
    Column("files_digest", String(64), nullable=False),
    Column("files", Text),  # JSON list of the commercial paths approved (older rows: NULL)
    Column("head_sha", String(64)),
    # NULL for approvals recorded before contents were bound: those no longer count.
    Column("content_digest", String(64)),
)
Index("ix_commercial_approvals_digest", commercial_approvals.c.repository, commercial_approvals.c.number,
      commercial_approvals.c.files_digest)


async def stored_approvals(ctx: EventContext, digest: str, content: str) -> list[Approval]:
    """Approvals of this PR for exactly this set of commercial paths with exactly these
    contents, newest first."""
    t = commercial_approvals
    async with ctx.store.engine.connect() as conn:
        rows = (await conn.execute(select(t).where(
            t.c.repository == ctx.repo_full_name, t.c.number == ctx.number, t.c.files_digest == digest,
            t.c.content_digest == content,
        ).order_by(t.c.approved_at.desc()))).all()
    return [Approval(r.approved_by, r.approved_at, r.files_digest, r.comment_url, tuple(json.loads(r.files or "[]")),
                     r.head_sha, r.content_digest)
            for r in rows]


async def record_approval(ctx: EventContext, approval: Approval) -> None:
    async with ctx.store.transaction() as conn:
        await ctx.store.upsert(conn, commercial_approvals, {
            "repository": ctx.repo_full_name, "number": ctx.number, "comment_url": approval.comment_url,
            "approved_by": approval.approved_by, "approved_at": approval.approved_at,
            "files_digest": approval.files_digest, "files": json.dumps(list(approval.files)),
            "head_sha": approval.head_sha, "content_digest": approval.content_digest,
        }, keys=["repository", "number", "comment_url"])
