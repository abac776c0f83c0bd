"""`Outcome.merge` keeps every field of every rule's outcome (issue 11)."""

from __future__ import annotations

import dataclasses

import pytest

from bot.rule import Comment, Outcome, Reevaluate, ReportSection, StatusUpdate


def full_outcome(tag: str) -> Outcome:
    async def remember() -> None:
        return None

    return Outcome(
        statuses=[StatusUpdate(f"governance/{tag}", "success", tag)],
        report=ReportSection(tag, tag, needs_action=False),
        add_labels=[f"add-{tag}"], remove_labels=[f"remove-{tag}"], label_colors={f"add-{tag}": "ededed"},
        comments=[Comment(tag)], replies=[tag], reviewers=[f"r-{tag}"], add_assignees=[f"a-{tag}"],
        remove_assignees=[f"u-{tag}"], reevaluate=[Reevaluate("acme/x", 1)], after_apply=[remember])


def test_every_field_is_merged():
    first, second = full_outcome("one"), full_outcome("two")
    merged = Outcome()
    merged.merge(first)
    merged.merge(second)
    for field in dataclasses.fields(Outcome):
        if field.name == "report":  # each rule's section is kept apart by the engine
            assert merged.report is None
            continue
        value = getattr(merged, field.name)
        expected = getattr(first, field.name)
        if isinstance(value, list):
            assert value == [*getattr(first, field.name), *getattr(second, field.name)], field.name
        else:
            assert value == {**expected, **getattr(second, field.name)}, field.name


def test_a_field_of_an_unknown_kind_is_refused_rather_than_dropped():
    @dataclasses.dataclass
    class Extended(Outcome):
        score: int = 0

    with pytest.raises(TypeError, match="score"):
        Extended().merge(Extended(score=3))
