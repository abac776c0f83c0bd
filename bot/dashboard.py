"""What a rule shows on the dashboard, as data (the web side draws it; bot/ imports no rule).

A rule answers `Rule.dashboard(scope)` with panels: a table (with optional search fields,
exports and one action per row) and/or a chart. Actions come back through
`Rule.dashboard_action(scope, panel, action, key, confirmed)`: the first call (not confirmed)
says what will happen, the second does it. Everything is plain text; pages escape it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy import func

if TYPE_CHECKING:
    from bot.queue import DeliveryQueue
    from bot.store import Store


@dataclass
class Scope:
    """One installation, as one viewer may see it."""

    store: "Store"
    queue: "DeliveryQueue"
    installation_id: int
    account: str  # the organisation or user the App is installed on
    account_id: int | None
    owner: bool  # the viewer owns the account: every repository, and organisation-wide actions
    repositories: frozenset[str]  # lower-case full names the viewer administers (when not owner)
    query: Mapping[str, str] = field(default_factory=dict)  # the panel's search fields, as submitted
    actor: str = ""  # the viewer's login (recorded with what they do)

    def allows(self, repository: str | None) -> bool:
        return self.owner or (repository or "").lower() in self.repositories

    def repository_conditions(self, column: Any) -> list[Any]:
        """SQL conditions on a `owner/name` column: the account's repositories this viewer may see.
        An installation is on one account, so its repositories are ACCOUNT/…."""
        prefix = self.account.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"
        conditions: list[Any] = [func.lower(column).like(prefix, escape="\\")]
        if not self.owner:
            conditions.append(func.lower(column).in_(sorted(self.repositories) or [""]))
        return conditions


class SearchField(BaseModel):
    name: str
    label: str
    kind: str = "text"  # an <input> type: text, date


class Cell(BaseModel):
    text: str
    url: str | None = None  # http(s) only; shown as a link
    code: bool = False  # shown verbatim (several lines, e.g. YAML)
    badge: str = ""  # a state shown as a coloured badge (success, failure, done, failed, ...)


class RowAction(BaseModel):
    name: str  # e.g. "revoke"
    label: str  # the button
    danger: bool = False


class Row(BaseModel):
    cells: list[Cell]
    key: str = ""  # what an action acts on (e.g. a login); no action without it


class Series(BaseModel):
    label: str
    points: list[tuple[str, float]]  # (x label, value), in order


class Chart(BaseModel):
    title: str
    kind: str = "line"  # "line" or "bars" (bars stack the series)
    series: list[Series]
    caption: str = ""


class Panel(BaseModel):
    id: str  # unique on the page; used in URLs
    title: str
    description: str = ""
    columns: list[str] = []
    rows: list[Row] = []
    empty: str = "Nothing yet."
    search: list[SearchField] = []
    exports: list[str] = []  # "csv", "json"
    action: RowAction | None = None
    charts: list[Chart] = []


class ActionAnswer(BaseModel):
    """Not confirmed: `confirm` says what will happen (with `items`, e.g. the PRs to re-check).
    Confirmed: `done` says what happened; `error` when it could not be done."""

    confirm: str = ""
    items: list[str] = []
    done: str = ""
    error: str = ""
