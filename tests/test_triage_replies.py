"""Arguments and replies of /label, /remove-label, /assign, /unassign."""

from __future__ import annotations

from bot.commands import parse_commands
from rules.triage.replies import code, code_list, parse_labels, parse_users


def args(line: str) -> tuple[str, ...]:
    (command,) = parse_commands(line)
    return command.args


def test_label_names_may_be_quoted_and_are_deduplicated():
    parsed = parse_labels(args('/label bug "good first issue" \'area/docs\' BUG'))
    assert parsed.names == ["bug", "good first issue", "area/docs"] and parsed.invalid == []


def test_label_names_longer_than_github_allows_are_invalid():
    parsed = parse_labels(["x" * 51, "ok"])
    assert parsed.names == ["ok"] and parsed.invalid == ["x" * 51]


def test_assign_without_names_means_the_sender():
    assert parse_users((), "olga").logins == ["olga"]


def test_assign_names_with_or_without_at_and_commas():
    parsed = parse_users(args("/assign @dana, eve @Dana"), "olga")
    assert parsed.logins == ["dana", "eve"] and parsed.invalid == []


def test_things_that_are_not_logins_are_invalid():
    parsed = parse_users(["@-dash", "a--b", "x" * 40, "@ok-name", "<script>"], "olga")
    assert parsed.logins == ["ok-name"]
    assert parsed.invalid == ["@-dash", "a--b", "x" * 40, "<script>"]


def test_user_text_is_shown_as_code():
    assert code("@everyone") == "`@everyone`"
    assert code("a`b\nc") == "`a'b c`"
    assert code_list(["a", "b"]) == "`a`, `b`"
    assert len(code("x" * 500)) == 82
