"""The dashboard's own panels (the framework's data, not any rule's): recent deliveries with the
statuses each one set, deliveries per hour by outcome, and each repository's effective rules."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Sequence
from typing import Any

import yaml
from sqlalchemy import func, select

from bot import config
from bot.dashboard import Cell, Chart, Panel, Row, RowAction, Scope, SearchField, Series
from bot.github import GitHubApp
from bot.rule import Rule
from bot.store import deliveries
from bot.verdicts import verdicts

log = logging.getLogger(__name__)

RECENT = 50
CHART_HOURS = 48
MAX_CHART_ROWS = 50_000
MAX_REPOSITORIES = 30
STATES = ("done", "failed", "queued", "processing")


def when(timestamp: float | None) -> str:
    if not timestamp:
        return ""
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _visible(scope: Scope, query):
    query = query.where(deliveries.c.installation_id == scope.installation_id)
    if not scope.owner:
        query = query.where(func.lower(deliveries.c.repository).in_(sorted(scope.repositories) or [""]))
    return query


async def deliveries_panel(scope: Scope) -> Panel:
    """The latest deliveries: what arrived, what became of it, the statuses it set, the error."""
    columns = [c for c in deliveries.c if c.name not in ("payload", "lease_owner", "lease_until")]
    query = _visible(scope, select(*columns)).order_by(deliveries.c.received_at.desc()).limit(RECENT)
    state = scope.query.get("state", "")
    if state in STATES:
        query = query.where(deliveries.c.state == state)
    async with scope.store.engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    table = []
    for row in rows:
        event = row["event"] + (f".{row['action']}" if row["action"] else "")
        subject = row["subject"] or row["repository"] or ""
        table.append(Row(key=row["id"] if row["state"] == "failed" else "", cells=[
            Cell(text=when(row["received_at"])), Cell(text=event), Cell(text=subject),
            Cell(text=row["state"], badge=row["state"]), Cell(text=str(row["attempts"])),
            Cell(text="\n".join(_outcome(row["outcome"]))), Cell(text=(row["last_error"] or "")[:500]),
            Cell(text=row["id"], code=False)]))
    return Panel(id="deliveries", title="Recent deliveries", columns=[
        "Received", "Event", "Subject", "State", "Tries", "Statuses set", "Error", "Delivery"],
        rows=table, empty="No delivery in the retention window.",
        description=f"The latest {RECENT} webhook deliveries of this installation. A failed one can be run again.",
        search=[SearchField(name="state", label="State (done, failed, queued, processing)")],
        action=RowAction(name="retry", label="Retry"))


def _outcome(value: str | None) -> list[str]:
    try:
        items = json.loads(value) if value else []
    except ValueError:
        return []
    return [str(item) for item in items] if isinstance(items, list) else []


async def deliveries_chart(scope: Scope, *, now: float | None = None) -> Chart:
    now = now or time.time()
    start_hour = int(now // 3600) - CHART_HOURS + 1
    query = _visible(scope, select(deliveries.c.received_at, deliveries.c.state)).where(
        deliveries.c.received_at >= start_hour * 3600).limit(MAX_CHART_ROWS)
    counts = {state: [0] * CHART_HOURS for state in STATES}
    async with scope.store.engine.connect() as conn:
        for received_at, state in (await conn.execute(query)).all():
            slot = int(received_at // 3600) - start_hour
            if 0 <= slot < CHART_HOURS and state in counts:
                counts[state][slot] += 1
    labels = [dt.datetime.fromtimestamp((start_hour + i) * 3600, dt.timezone.utc).strftime("%d %b %H:00")
              for i in range(CHART_HOURS)]
    return Chart(title="Deliveries per hour by outcome", kind="bars", caption=f"the last {CHART_HOURS} hours, UTC",
                 series=[Series(label=state, points=list(zip(labels, map(float, counts[state]))))
                         for state in STATES if any(counts[state]) or state in ("done", "failed")])


async def repositories(scope: Scope) -> list[str]:
    """Repositories of this installation the bot has worked on (and the viewer may see)."""
    names: set[str] = set()
    async with scope.store.engine.connect() as conn:
        for table in (deliveries, verdicts):
            rows = await conn.execute(select(table.c.repository).distinct().where(
                table.c.installation_id == scope.installation_id, table.c.repository.is_not(None)))
            names.update(r[0] for r in rows.all())
    if not scope.owner:
        names = {n for n in names if n.lower() in scope.repositories} | set(scope.repositories)
    unique = {n.lower(): n for n in sorted(names)}
    return sorted(unique.values(), key=str.lower)


async def rules_panel(scope: Scope, github: GitHubApp, rules: Sequence[Rule]) -> Panel:
    """Each repository's effective rules (organisation defaults merged), or why they are invalid."""
    names = await repositories(scope)
    rows: list[Row] = []
    gh = None
    for name in names[:MAX_REPOSITORIES]:
        try:
            gh = gh or await github.client(scope.installation_id)
            loaded = await config.load(gh, name.split("/", 1)[0], name, rules)
        except Exception as exc:  # one unreadable repository must not hide the others
            log.warning("dashboard: cannot read the rules of %s: %s", name, type(exc).__name__)
            rows.append(Row(cells=[Cell(text=name), Cell(text="unreadable", badge="error"),
                                   Cell(text=f"GitHub could not be read ({type(exc).__name__}).")]))
            continue
        if not loaded.exists:
            rows.append(Row(cells=[Cell(text=name), Cell(text="no rules file"), Cell(text="The bot does nothing here.")]))
        elif not loaded.valid:
            rows.append(Row(cells=[Cell(text=name), Cell(text="invalid", badge="failure"),
                                   Cell(text="\n".join(loaded.errors), code=True)]))
        else:
            rows.append(Row(cells=[Cell(text=name), Cell(text="valid", badge="success"),
                                   Cell(text=_effective(loaded), code=True)]))
    more = f" (the first {MAX_REPOSITORIES} of {len(names)})" if len(names) > MAX_REPOSITORIES else ""
    return Panel(id="rules", title="Rules of each repository", columns=["Repository", "Rules file", "Effective rules"],
                 rows=rows, empty="The bot has not worked on any repository of this installation yet.",
                 description="The rules each repository runs: its .github/governance.yml merged over the "
                             f"organisation's defaults, with every default filled in{more}.")


def _effective(loaded: config.LoadedConfig) -> str:
    assert loaded.rules_file is not None
    data: dict[str, Any] = loaded.rules_file.model_dump(mode="json", exclude_none=True)
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True).rstrip()
