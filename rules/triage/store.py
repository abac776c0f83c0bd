"""Label memory: who put a label on an issue or pull request, and who took it off.

Bots that relabel fight people: a label someone removed comes back on the next push, or
a label someone added is stripped because the bot "disagrees". The bot therefore
remembers, per issue/PR and label:

- `applied_by_bot`: the bot added it (and still owns it): only such labels are ever removed
  by the bot, and only its own size label when the size changes;
- `added_by_person`: a person added it (in the UI, or with /label): never removed;
- `removed_by_person`: a person removed it (in the UI, or with /remove-label): never re-added.

People's actions arrive as `labeled`/`unlabeled` webhooks (changes by bots are not a
person's decision and are ignored). If one of those webhooks was missed, the current
labels still tell: a label the bot applied that is gone was removed by someone, so it is
not re-added; a label present that the bot did not apply belongs to a person.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Column, Float, Integer, String, Table, select

from bot.store import metadata
from rules.triage.size import is_size_label

if TYPE_CHECKING:
    from bot.store import Store

triage_labels = Table(
    "triage_labels",
    metadata,
    Column("repository", String(300), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("label", String(200), primary_key=True),  # lower-cased: GitHub compares label names so
    Column("name", String(200), nullable=False),  # as last written
    Column("applied_by_bot", Boolean, nullable=False, default=False),
    Column("added_by_person", Boolean, nullable=False, default=False),
    Column("removed_by_person", Boolean, nullable=False, default=False),
    Column("updated_at", Float, nullable=False),
)


class Change(Enum):
    BOT_ADDED = "bot_added"
    BOT_REMOVED = "bot_removed"
    PERSON_ADDED = "person_added"
    PERSON_REMOVED = "person_removed"


#: What each change sets; columns a change does not name keep their value.
_COLUMNS: dict[Change, dict[str, bool]] = {
    Change.BOT_ADDED: {"applied_by_bot": True, "removed_by_person": False},
    Change.BOT_REMOVED: {"applied_by_bot": False},
    Change.PERSON_ADDED: {"added_by_person": True, "removed_by_person": False, "applied_by_bot": False},
    Change.PERSON_REMOVED: {"removed_by_person": True, "added_by_person": False, "applied_by_bot": False},
}


@dataclass(frozen=True)
class LabelRecord:
    applied_by_bot: bool = False
    added_by_person: bool = False
    removed_by_person: bool = False


@dataclass
class LabelState:
    """The memory of one issue/PR read together with its current labels."""

    current: list[str]  # label names on the issue now, as GitHub spells them
    records: dict[str, LabelRecord] = field(default_factory=dict)  # lower name -> record

    def is_present(self, label: str) -> bool:
        return label.lower() in {name.lower() for name in self.current}

    def _record(self, label: str) -> LabelRecord:
        return self.records.get(label.lower(), LabelRecord())

    def removed_by_person(self, label: str) -> bool:
        """A person took it off, or the bot's label vanished without us seeing who did it."""
        record = self._record(label)
        if record.removed_by_person:
            return True
        return record.applied_by_bot and not self.is_present(label)

    def owned_by_bot(self, label: str) -> bool:
        """On the issue because the bot put it there, and no person has claimed it since."""
        record = self._record(label)
        return self.is_present(label) and record.applied_by_bot and not record.added_by_person

    def may_add(self, label: str) -> bool:
        return not self.is_present(label) and not self.removed_by_person(label)


@dataclass
class LabelPlan:
    add: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)

    def extend_add(self, labels: Iterable[str]) -> None:
        for label in labels:
            if label.lower() not in {name.lower() for name in self.add}:
                self.add.append(label)


def plan_additions(state: LabelState, wanted: Iterable[str]) -> list[str]:
    """The wanted labels the bot may add: not there yet, and not removed by a person."""
    plan = LabelPlan()
    plan.extend_add(label for label in wanted if state.may_add(label))
    return plan.add


def plan_paths(state: LabelState, path_labels: Iterable[str], wanted: Iterable[str], *, sync: bool) -> LabelPlan:
    """Add the wanted path labels; with `sync`, drop the bot's own that no longer apply.

    Only a label the bot put on and nobody has claimed since goes: a person who added or
    re-applied it keeps it, and one who removed it is not overruled when it applies again.
    """
    wanted = list(wanted)
    plan = LabelPlan(add=plan_additions(state, wanted))
    if sync:
        stale = {label.lower() for label in path_labels} - {label.lower() for label in wanted}
        plan.remove = [name for name in state.current if name.lower() in stale and state.owned_by_bot(name)]
    return plan


def plan_size(state: LabelState, wanted: str) -> LabelPlan:
    """Add the size label `wanted`; drop the bot's own stale size labels.

    A size label a person put on (or re-applied) is theirs: the bot then neither adds its
    own nor removes theirs, and clears its own stale ones so there is one size label.
    """
    present_sizes = [name for name in state.current if is_size_label(name)]
    bots = [name for name in present_sizes if state.owned_by_bot(name)]
    people = [name for name in present_sizes if not state.owned_by_bot(name)]
    if people:
        return LabelPlan(add=[], remove=bots)
    add = [wanted] if state.may_add(wanted) else []
    return LabelPlan(add=add, remove=[name for name in bots if name.lower() != wanted.lower()])


async def load(store: "Store", repository: str, number: int, current: list[str]) -> LabelState:
    async with store.engine.connect() as conn:
        rows = (await conn.execute(select(triage_labels).where(
            triage_labels.c.repository == repository, triage_labels.c.number == number))).all()
    records = {row.label: LabelRecord(row.applied_by_bot, row.added_by_person, row.removed_by_person)
               for row in rows}
    return LabelState(current=list(current), records=records)


async def record(store: "Store", repository: str, number: int, changes: Iterable[tuple[Change, str]]) -> None:
    """Remember label changes (one transaction). Call only after GitHub accepted them."""
    changes = list(changes)
    if not changes:
        return
    async with store.transaction() as conn:
        for change, name in changes:
            values = {"repository": repository, "number": number, "label": name.lower(), "name": name,
                      "updated_at": time.time(), **_COLUMNS[change]}
            await store.upsert(conn, triage_labels, values, keys=["repository", "number", "label"])
