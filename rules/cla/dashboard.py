"""The CLA's part of the dashboard: the signatures (legal evidence) with search, export and
revocation, and a chart of signatures over time.

Signatures are scoped to the installation's account. An owner sees all of them; a repository
maintainer sees those given on their repositories. Revoking ends the signature for the whole
account, so only owners may, through the same path as `cla revoke` (re-checks queued in the
revocation's transaction, on the server's own queue so its workers start at once).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from bot.dashboard import ActionAnswer, Cell, Chart, Panel, Row, RowAction, Scope, SearchField, Series

from . import store as signatures
from .cli import revoke_and_recheck

PANEL = "signatures"
SHOWN = 200
CHART_POINTS = 60
CHART_MIN_DAYS = 30


def _day(value: str, *, end: bool = False) -> float | None:
    try:
        day = dt.datetime.strptime(value.strip(), "%Y-%m-%d").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        return None
    return (day + dt.timedelta(days=1)).timestamp() if end else day.timestamp()


def _where(scope: Scope, *, filtered: bool) -> list[Any]:
    s = signatures.cla_signatures.c
    conditions: list[Any] = [s.owner_id == scope.account_id] if scope.account_id is not None else [
        func.lower(s.owner) == scope.account.lower()]
    if not scope.owner:
        conditions.append(func.lower(s.repository).in_(sorted(scope.repositories) or [""]))
    if not filtered:
        return conditions
    login = scope.query.get("login", "").strip().lstrip("@").lower()
    if login:
        escaped = login.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(func.lower(s.login).like(f"%{escaped}%", escape="\\"))
    version = scope.query.get("version", "").strip()
    if version:
        conditions.append(s.version == version)
    start, end = _day(scope.query.get("from", "")), _day(scope.query.get("to", ""), end=True)
    if start is not None:
        conditions.append(s.signed_at >= start)
    if end is not None:
        conditions.append(s.signed_at < end)
    return conditions


async def records(scope: Scope, *, filtered: bool = True, limit: int | None = None) -> list[dict[str, Any]]:
    s = signatures.cla_signatures.c
    query = select(signatures.cla_signatures).where(*_where(scope, filtered=filtered)).order_by(
        s.signed_at.desc(), s.id.desc())
    if limit is not None:
        query = query.limit(limit)
    async with scope.store.engine.connect() as conn:
        return [dict(row) for row in (await conn.execute(query)).mappings().all()]


def export_record(row: dict[str, Any]) -> dict[str, Any]:
    """One signature as `cla export` prints it."""
    record = {name: row[name] for name in signatures.EXPORT_FIELDS}
    record["signed_at"], record["revoked_at"] = signatures.iso(row["signed_at"]), signatures.iso(row["revoked_at"])
    return record


def _chart(rows: list[dict[str, Any]]) -> Chart:
    """Signatures given, cumulated by day (revoked ones included: they were given)."""
    times = sorted(row["signed_at"] for row in rows)
    points: list[tuple[str, float]] = []
    if times:
        last = max(dt.datetime.now(dt.timezone.utc).date(), dt.datetime.fromtimestamp(times[-1], dt.timezone.utc).date())
        first = min(dt.datetime.fromtimestamp(times[0], dt.timezone.utc).date(),
                    last - dt.timedelta(days=CHART_MIN_DAYS - 1))
        days = (last - first).days + 1
        step = max(1, -(-days // CHART_POINTS))
        index = 0
        for offset in range(0, days + step - 1, step):
            day = min(first + dt.timedelta(days=offset), last)
            edge = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.timezone.utc).timestamp()
            while index < len(times) and times[index] < edge:
                index += 1
            points.append((day.isoformat(), float(index)))
    return Chart(title="CLA signatures over time", kind="line", caption="cumulative, by day signed",
                 series=[Series(label="signatures", points=points or [("", 0.0)])])


async def panels(scope: Scope) -> list[Panel]:
    rows = await records(scope, limit=SHOWN)
    everything = await records(scope, filtered=False)
    table = []
    for row in rows:
        revoked = signatures.iso(row["revoked_at"]) or ""
        table.append(Row(key="" if row["revoked_at"] else row["login"], cells=[
            Cell(text=row["login"]), Cell(text=row["version"]), Cell(text=signatures.iso(row["signed_at"]) or ""),
            Cell(text=f"{row['repository']}#{row['pull_request']}"), Cell(text="comment", url=row["comment_url"]),
            Cell(text=revoked or "counting", badge="failure" if revoked else "success")]))
    shown = f" (the newest {SHOWN} shown; export for all)" if len(rows) == SHOWN else ""
    return [Panel(
        id=PANEL, title="CLA signatures", columns=["Login", "Version", "Signed (UTC)", "Where", "Evidence", "State"],
        rows=table, empty="No signature matches.", exports=["csv", "json"],
        description=f"Who signed which CLA version, when and where{shown}. Search by login, version and date.",
        search=[SearchField(name="login", label="Login"), SearchField(name="version", label="Version"),
                SearchField(name="from", label="Signed from", kind="date"),
                SearchField(name="to", label="Signed until", kind="date")],
        action=RowAction(name="revoke", label="Revoke", danger=True) if scope.owner else None,
        charts=[_chart(everything)])]


async def export(scope: Scope, panel: str) -> list[dict[str, Any]] | None:
    if panel != PANEL:
        return None
    return [export_record(row) for row in reversed(await records(scope))]


async def action(scope: Scope, panel: str, name: str, key: str, confirmed: bool) -> ActionAnswer | None:
    if panel != PANEL or name != "revoke":
        return None
    if not scope.owner:
        return ActionAnswer(error="Only an owner of the organisation can revoke a CLA signature (it counts for "
                                  "every repository).")
    login = key.strip().lstrip("@")
    active = [row for row in await records(scope, filtered=False)
              if row["revoked_at"] is None and row["login"].lower() == login.lower()]
    if not login or not active:
        return ActionAnswer(error=f"{login or 'That account'} has no counting CLA signature for {scope.account}.")
    if not confirmed:
        async with scope.store.engine.connect() as conn:
            pulls = await signatures.relying_on(conn, {(row["owner_id"], row["user_id"]) for row in active})
        versions = ", ".join(sorted({row["version"] for row in active}))
        text = (f"Revoke the CLA signature of {login} (version {versions}) for {scope.account}? It stays on record "
                "and no longer counts. ")
        text += ("These open pull requests passed on it and will be checked again:" if pulls else
                 "No open pull request relies on it.")
        return ActionAnswer(confirm=text, items=[f"{repository}#{number}" for _, repository, number in pulls])
    revoked, pulls = await revoke_and_recheck(scope.store, login, scope.account, queue=scope.queue)
    if not revoked:
        return ActionAnswer(error=f"{login} has no counting CLA signature for {scope.account} any more.")
    done = f"Revoked the CLA signature of {login} for {scope.account}, by {scope.actor}. "
    done += f"Re-checking {len(pulls)} open pull request{'s' if len(pulls) != 1 else ''}." if pulls else (
        "No open pull request relied on it.")
    return ActionAnswer(done=done, items=[f"{repository}#{number}" for _, repository, number in pulls])
