"""The `triage:` section of the rules file: defaults, and one clear `field.path: message` per mistake."""

from __future__ import annotations

from bot.config import json_schema, load_text
from rules import RULES
from rules.triage.config import TriageConfig


def errors(text: str) -> list[str]:
    loaded = load_text(text, RULES)
    assert not loaded.valid
    return loaded.errors


def test_spec_example_is_valid_and_reads_back():
    loaded = load_text("""
triage:
  issue_labels: [needs-triage]
  keywords:
    bug: ["(?i)\\\\bcrash", "(?i)traceback"]
  paths:
    area/docs: ["docs/**", "**/*.md"]
  size_labels: true
  commands:
    anyone_may_apply: [question, good first issue]
  colors: {needs-triage: "ededed"}
""", RULES)
    assert loaded.valid, loaded.errors
    section = loaded.section("triage")
    assert section.keywords == {"bug": ["(?i)\\bcrash", "(?i)traceback"]}
    assert section.anyone_may_apply("Good First Issue") and not section.anyone_may_apply("bug")
    assert section.color_of("NEEDS-TRIAGE") == "ededed"


def test_defaults_read_well():
    config = TriageConfig()
    assert config.enabled and config.size_labels
    assert config.issue_labels == [] and config.keywords == {} and config.paths == {}
    assert config.size_thresholds.limits() == [("XS", 10), ("S", 30), ("M", 100), ("L", 500), ("XL", 1000)]
    assert load_text("triage:\n", RULES).section("triage") == TriageConfig()


def test_invalid_pattern_names_its_label_and_position():
    assert errors("triage:\n  keywords:\n    bug: ['ok', '(unclosed']\n") == [
        "triage.keywords.bug.1: invalid regular expression '(unclosed': missing ): (unclosed (patterns use RE2 syntax)"]


def test_patterns_re2_cannot_run_in_linear_time_are_refused():
    found = errors("triage:\n  keywords:\n    dup: ['(a)\\1']\n    look: ['(?=x)y']\n")
    assert [e.split(":")[0] for e in found] == ["triage.keywords.dup.0", "triage.keywords.look.0"]


def test_globs_are_checked():
    found = errors("triage:\n  paths:\n    area/docs: ['', '!', '# comment']\n")
    assert found == [
        "triage.paths.area/docs.0: a glob cannot be empty",
        "triage.paths.area/docs.1: a glob cannot be empty",
        "triage.paths.area/docs.2: '# comment' is a comment in gitignore syntax, so it matches nothing; escape it as \\#",
    ]


def test_thresholds_must_grow():
    assert errors("triage:\n  size_thresholds: {M: 20}\n") == ["triage.size_thresholds: M (20) must be larger than S (30)"]
    assert errors("triage:\n  size_thresholds: {XS: 0}\n")[0].startswith("triage.size_thresholds.XS:")
    assert errors("triage:\n  size_thresholds: {xxl: 5000}\n") == ["triage.size_thresholds.xxl: unknown key"]


def test_colours_and_label_names():
    assert errors("triage:\n  colors: {bug: red}\n") == [
        "triage.colors.bug: colour 'red' is not six hex digits like \"d73a4a\""]
    assert load_text("triage:\n  colors: {bug: '#D73A4A'}\n", RULES).section("triage").colors == {"bug": "d73a4a"}
    long_name = "x" * 51
    assert errors(f"triage:\n  issue_labels: [{long_name}]\n") == [
        f"triage.issue_labels.0: label '{long_name}' is longer than GitHub's 50 characters"]
    assert errors("triage:\n  commands:\n    anyone_may_apply: ['']\n") == [
        "triage.commands.anyone_may_apply.0: a label name must not be empty"]


def test_unknown_keys_are_errors():
    assert sorted(errors("triage:\n  labels: [x]\n  commands: {anyone: [x]}\n")) == [
        "triage.commands.anyone: unknown key", "triage.labels: unknown key"]


def test_configured_labels_include_size_labels_only_when_on():
    on = TriageConfig(issue_labels=["needs-triage"])
    assert "size/xl" in on.configured_labels() and "needs-triage" in on.configured_labels()
    assert "size/xl" not in TriageConfig(size_labels=False).configured_labels()


def test_schema_documents_the_section_with_defaults():
    schema = json_schema(RULES)
    triage = schema["$defs"]["TriageConfig"]["properties"]
    assert triage["size_labels"]["default"] is True
    assert "issue_labels" in triage and "size_thresholds" in triage
