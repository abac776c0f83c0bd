"""The commercial rule's part of the dashboard: who approved which pull request's commercial
files, and when (the audit trail of `/approve-commercial`)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import func, select

from bot.dashboard import Cell, Panel, Row, Scope, SearchField

from .approvals import commercial_approvals

PANEL = "approvals"
SHOWN = 200


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


async def records(scope: Scope) -> list[dict[str, Any]]:
    t = commercial_approvals.c
    conditions = scope.repository_conditions(t.repository)
    approver = scope.query.get("approver", "").strip().lstrip("@").lower()
    if approver:
        conditions.append(func.lower(t.approved_by) == approver)
    query = select(commercial_approvals).where(*conditions).order_by(t.approved_at.desc()).limit(SHOWN)
    async with scope.store.engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [{"repository": r["repository"], "pull_request": r["number"], "approved_by": r["approved_by"],
             "approved_at": _iso(r["approved_at"]), "files": json.loads(r["files"] or "[]"),
             "comment_url": r["comment_url"]} for r in rows]


async def panels(scope: Scope) -> list[Panel]:
    rows = [Row(cells=[Cell(text=r["approved_by"]), Cell(text=f"{r['repository']}#{r['pull_request']}"),
                       Cell(text="\n".join(r["files"]) or "(recorded before files were kept)", code=bool(r["files"])),
                       Cell(text=r["approved_at"]), Cell(text="comment", url=r["comment_url"])])
            for r in await records(scope)]
    return [Panel(id=PANEL, title="Commercial approvals", columns=["Approved by", "Pull request", "Files", "When (UTC)",
                                                                   "Evidence"],
                  rows=rows, empty="No commercial change has been approved.", exports=["csv", "json"],
                  search=[SearchField(name="approver", label="Approver")],
                  description="Who approved which pull request's commercial files with /approve-commercial, and "
                              "when. An approval covers those files as they were then.")]


async def export(scope: Scope, panel: str) -> list[dict[str, Any]] | None:
    if panel != PANEL:
        return None
    return [{**r, "files": " ".join(r["files"])} for r in await records(scope)]
