"""The onboarding rule's part of the dashboard: the newcomers it welcomed, their mentors and
first merges, so maintainers can see who is new and who looks after them.

Read from what the rule records once GitHub took its writes (`store.py`): a welcome per
contributor, repository and kind, the mentor given a pull request, the first merge.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from bot.dashboard import Cell, Panel, Row, Scope, SearchField

from .store import first_merges, mentor_assignments, welcomed

PANEL = "newcomers"
SEARCH = "newcomer"  # its own name: the page's search fields share one query (the CLA's is `login`)
SHOWN = 200
EXPORT_FIELDS = ("repository", "login", "first_issue", "first_pull_request", "mentor", "first_merge", "first_seen")


def _iso(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if ts else ""


def _login_filter(scope: Scope, column: Any) -> list[Any]:
    login = scope.query.get(SEARCH, "").strip().lstrip("@").lower()
    return [func.lower(column) == login] if login else []


async def records(scope: Scope) -> list[dict[str, Any]]:
    """One record per newcomer and repository, the most recently seen first (at most SHOWN)."""
    w, m = welcomed.c, first_merges.c
    newcomers: dict[tuple[str, int], dict[str, Any]] = {}

    def newcomer(repository: str, user_id: int, login: str) -> dict[str, Any]:
        return newcomers.setdefault((repository, user_id), {
            "repository": repository, "login": login, "first_issue": None, "first_pull_request": None,
            "mentor": "", "first_merge": None, "first_seen": None})

    async with scope.store.engine.connect() as conn:
        welcomes = (await conn.execute(
            select(welcomed).where(*scope.repository_conditions(w.repository), *_login_filter(scope, w.login))
            .order_by(w.at.desc()).limit(2 * SHOWN))).mappings().all()
        merges = (await conn.execute(
            select(first_merges).where(*scope.repository_conditions(m.repository), *_login_filter(scope, m.login))
            .order_by(m.at.desc()).limit(SHOWN))).mappings().all()
        for row in welcomes:
            record = newcomer(row["repository"], row["user_id"], row["login"])
            record["first_issue" if row["kind"] == "issue" else "first_pull_request"] = row["number"]
            record["first_seen"] = min(record["first_seen"] or row["at"], row["at"])
        for row in merges:
            record = newcomer(row["repository"], row["user_id"], row["login"])
            record["first_merge"] = row["number"]
            record["first_seen"] = min(record["first_seen"] or row["at"], row["at"])
        shown = sorted(newcomers.values(), key=lambda r: r["first_seen"], reverse=True)[:SHOWN]
        pulls = [(r["repository"], r["first_pull_request"]) for r in shown if r["first_pull_request"] is not None]
        mentors: dict[tuple[str, int], str] = {}
        if pulls:
            a = mentor_assignments.c
            wanted = set(pulls)
            mentors = {(row.repository, row.number): row.mentor for row in (await conn.execute(
                select(a.repository, a.number, a.mentor).where(
                    a.repository.in_(sorted({repo for repo, _ in wanted})),
                    a.number.in_(sorted({number for _, number in wanted}))))).all()
                if (row.repository, row.number) in wanted}
    for record in shown:
        record["mentor"] = mentors.get((record["repository"], record["first_pull_request"]), "")
        record["first_seen"] = _iso(record["first_seen"])
    return shown


def _number(number: int | None) -> Cell:
    return Cell(text="" if number is None else f"#{number}")


async def panels(scope: Scope) -> list[Panel]:
    rows = [Row(cells=[Cell(text=r["login"]), Cell(text=r["repository"]),
                       _number(r["first_issue"]), _number(r["first_pull_request"]), Cell(text=r["mentor"]),
                       _number(r["first_merge"]),
                       Cell(text=r["first_seen"])])
            for r in await records(scope)]
    return [Panel(id=PANEL, title="Newcomers", columns=["Contributor", "Repository", "First issue", "First pull request",
                                                        "Mentor", "First merge", "First seen (UTC)"],
                  rows=rows, empty="No first-time contributor has been welcomed yet.", exports=["csv", "json"],
                  search=[SearchField(name=SEARCH, label="Contributor")],
                  description="First-time contributors the onboarding rule welcomed, the mentor it gave their first "
                              "pull request, and their first merged pull request.")]


async def export(scope: Scope, panel: str) -> list[dict[str, Any]] | None:
    if panel != PANEL:
        return None
    return [{name: ("" if r[name] is None else r[name]) for name in EXPORT_FIELDS} for r in await records(scope)]
