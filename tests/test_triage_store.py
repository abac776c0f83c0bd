"""Label memory: the decisions it drives (pure) and its table (SQLite round trip)."""

from __future__ import annotations

import pytest

from bot.store import Store
from rules.triage.store import (
    Change,
    LabelRecord,
    LabelState,
    load,
    plan_additions,
    plan_size,
    record,
)

pytest_plugins = ["tests.pg"]

BOT = LabelRecord(applied_by_bot=True)
PERSON = LabelRecord(added_by_person=True)
REMOVED = LabelRecord(removed_by_person=True)


def test_additions_skip_labels_present_or_removed_by_a_person():
    state = LabelState(current=["Bug"], records={"area/docs": REMOVED})
    assert plan_additions(state, ["bug", "area/docs", "area/api", "area/api"]) == ["area/api"]


def test_a_bot_label_that_vanished_counts_as_removed_by_a_person():
    state = LabelState(current=[], records={"area/docs": BOT})
    assert state.removed_by_person("area/docs")
    assert plan_additions(state, ["area/docs"]) == []


def test_size_is_added_and_the_bots_stale_size_replaced():
    state = LabelState(current=["size/S", "bug"], records={"size/s": BOT})
    plan = plan_size(state, "size/L")
    assert (plan.add, plan.remove) == (["size/L"], ["size/S"])


def test_same_size_changes_nothing():
    state = LabelState(current=["size/S"], records={"size/s": BOT})
    plan = plan_size(state, "size/S")
    assert (plan.add, plan.remove) == ([], [])


def test_a_persons_size_label_wins():
    # Present without a record (added before the bot was installed, or by a person): theirs.
    state = LabelState(current=["size/XL"], records={})
    assert (plan_size(state, "size/S").add, plan_size(state, "size/S").remove) == ([], [])
    # Re-applied by a person after the bot put it there: theirs too.
    state = LabelState(current=["size/S"], records={"size/s": LabelRecord(applied_by_bot=True, added_by_person=True)})
    assert (plan_size(state, "size/L").add, plan_size(state, "size/L").remove) == ([], [])
    # A person's size next to the bot's: the bot's stale one goes, nothing is added.
    state = LabelState(current=["size/S", "size/XXL"], records={"size/s": BOT, "size/xxl": PERSON})
    assert (plan_size(state, "size/M").add, plan_size(state, "size/M").remove) == ([], ["size/S"])


def test_a_size_a_person_removed_is_not_re_added():
    state = LabelState(current=[], records={"size/m": REMOVED})
    assert plan_size(state, "size/M").add == []
    assert plan_size(state, "size/L").add == ["size/L"]


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request, tmp_path):
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else f"sqlite:///{tmp_path / 'memory.db'}"
    store = Store(url)
    await store.create_schema()
    yield store
    await store.close()


async def test_records_round_trip_and_later_changes_win(store):
    await record(store, "acme/w", 1, [(Change.BOT_ADDED, "Area/Docs"), (Change.BOT_ADDED, "size/S")])
    state = await load(store, "acme/w", 1, ["Area/Docs", "size/S"])
    assert state.owned_by_bot("area/docs") and state.owned_by_bot("size/s")

    await record(store, "acme/w", 1, [(Change.PERSON_REMOVED, "area/docs"), (Change.BOT_REMOVED, "size/S")])
    state = await load(store, "acme/w", 1, [])
    assert state.records["area/docs"] == REMOVED
    assert state.records["size/s"] == LabelRecord()

    await record(store, "acme/w", 1, [(Change.PERSON_ADDED, "area/docs")])
    state = await load(store, "acme/w", 1, ["area/docs"])
    assert state.records["area/docs"] == PERSON and not state.removed_by_person("area/docs")


async def test_bot_adding_keeps_a_persons_claim(store):
    await record(store, "acme/w", 2, [(Change.PERSON_ADDED, "bug")])
    await record(store, "acme/w", 2, [(Change.BOT_ADDED, "bug")])
    state = await load(store, "acme/w", 2, ["bug"])
    assert not state.owned_by_bot("bug")


async def test_memory_is_per_issue_and_repository(store):
    await record(store, "acme/w", 1, [(Change.PERSON_REMOVED, "bug")])
    assert (await load(store, "acme/w", 2, [])).records == {}
    assert (await load(store, "acme/other", 1, [])).records == {}
