"""The triage rule's part of the dashboard: the labels people took off, which the bot then
never puts back (`store.py`). Many removals of one label say its keywords or paths are wrong."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import select

from bot.dashboard import Cell, Panel, Row, Scope, SearchField

from .store import triage_labels

PANEL = "labels-removed"
SEARCH = "removed_label"  # its own name: the page's search fields share one query
SHOWN = 200


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


async def records(scope: Scope) -> list[dict[str, Any]]:
    t = triage_labels.c
    conditions = [*scope.repository_conditions(t.repository), t.removed_by_person.is_(True)]
    label = scope.query.get(SEARCH, "").strip().lower()
    if label:
        conditions.append(t.label == label)
    query = select(triage_labels).where(*conditions).order_by(t.updated_at.desc()).limit(SHOWN)
    async with scope.store.engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [{"label": r["name"], "repository": r["repository"], "number": r["number"],
             "removed_at": _iso(r["updated_at"])} for r in rows]


def _summary(records: list[dict[str, Any]]) -> str:
    counts = Counter(r["label"] for r in records)
    return ", ".join(f"{name} ×{n}" for name, n in counts.most_common(5))


async def panels(scope: Scope) -> list[Panel]:
    found = await records(scope)
    rows = [Row(cells=[Cell(text=r["label"]), Cell(text=r["repository"]), Cell(text=f"#{r['number']}"),
                       Cell(text=r["removed_at"])]) for r in found]
    summary = _summary(found)
    return [Panel(id=PANEL, title="Labels people took off", columns=["Label", "Repository", "Issue or PR", "When (UTC)"],
                  rows=rows, empty="Nobody has taken off a label.", exports=["csv", "json"],
                  search=[SearchField(name=SEARCH, label="Label")],
                  description="Labels a person removed from an issue or pull request; the triage rule never puts "
                              "them back there. A label removed often may need other keywords or paths."
                              + (f" Most removed of these: {summary}." if summary else ""))]


async def export(scope: Scope, panel: str) -> list[dict[str, Any]] | None:
    return await records(scope) if panel == PANEL else None
