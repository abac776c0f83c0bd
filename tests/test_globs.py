"""`bot.globs`: the one validation of rules-file globs and the one compiled-spec cache.

Unit tests of `validate_globs` / `compile_globs`, then the rules-file errors of the three
sections that use them (`commercial.paths`, `license_headers.include/exclude/paths.match`,
`triage.paths`), read through `load_text` as users see them on `governance/config`.
"""

from __future__ import annotations

import pytest

from bot.config import load_text
from bot.globs import compile_globs, validate_globs
from rules import RULES

# -- validate_globs ---------------------------------------------------------------------------


def test_globs_are_returned_stripped_in_order():
    assert validate_globs([" ee/** ", "!ee/public/**", "*.py"], allow_empty=False) == [
        "ee/**", "!ee/public/**", "*.py"]


def test_empty_list_is_refused_unless_allowed():
    with pytest.raises(ValueError, match=r"^needs at least one glob$"):
        validate_globs([], allow_empty=False)
    assert validate_globs([], allow_empty=True) == []


def test_empty_list_message_suggests_the_example():
    with pytest.raises(ValueError, match=r"^needs at least one glob, e\.g\. ee/\*\*$"):
        validate_globs([], allow_empty=False, example="ee/**")


@pytest.mark.parametrize("blank", ["", "   ", "!", " ! "])
def test_blank_glob_or_bare_negation_is_refused(blank):
    with pytest.raises(ValueError, match=r"^a glob cannot be empty$"):
        validate_globs(["src/**", blank], allow_empty=True)


def test_unparsable_glob_names_pathspecs_reason():
    with pytest.raises(ValueError, match=r"^invalid glob: .*a\\\\") as info:
        validate_globs(["src/**", "a\\"], allow_empty=False)
    assert "a\\" in str(info.value)


def test_only_negations_are_refused_when_positive_required():
    with pytest.raises(ValueError) as info:
        validate_globs(["!vendor/**", "!*.min.js"], allow_empty=False, require_positive=True,
                       names="files to check")
    assert str(info.value) == "at least one glob must name files to check (not only `!` exclusions)"
    # An exclusion list may be all negations, and one positive glob is enough.
    assert validate_globs(["!vendor/**"], allow_empty=True) == ["!vendor/**"]
    assert validate_globs(["!a/**", "b/**"], allow_empty=False, require_positive=True) == ["!a/**", "b/**"]


def test_default_names_in_positive_message():
    with pytest.raises(ValueError, match=r"^at least one glob must name files \(not only `!` exclusions\)$"):
        validate_globs(["!x"], allow_empty=False, require_positive=True)


def test_checks_run_in_order_empty_then_blank_then_parse_then_positive():
    # All negations and one unparsable: the parse error comes first.
    with pytest.raises(ValueError, match=r"^invalid glob"):
        validate_globs(["!a\\"], allow_empty=False, require_positive=True)
    # A blank entry is reported before an unparsable one.
    with pytest.raises(ValueError, match=r"^a glob cannot be empty$"):
        validate_globs(["a\\", ""], allow_empty=False)


def test_accepts_any_iterable():
    assert validate_globs((g for g in ["a/**"]), allow_empty=False) == ["a/**"]


# -- compile_globs ----------------------------------------------------------------------------


def test_compiled_spec_has_gitignore_semantics():
    spec = compile_globs(["docs/**", "!docs/internal/**", "**/*.md"])
    assert spec.match_file("docs/guide.txt")
    assert not spec.match_file("docs/internal/notes.txt")
    assert spec.match_file("docs/internal/README.md")  # a later glob takes it back in
    assert not spec.match_file("src/main.py")


def test_compiled_specs_are_cached_whatever_the_sequence_type():
    first = compile_globs(["cache-test/**", "!cache-test/x"])
    assert compile_globs(("cache-test/**", "!cache-test/x")) is first
    assert compile_globs(iter(["cache-test/**", "!cache-test/x"])) is first
    assert compile_globs(["cache-test/**"]) is not first


def test_compiling_an_unparsable_glob_raises_every_time():
    for _ in range(2):  # a failure is not cached as a result
        with pytest.raises(Exception, match="a\\\\"):
            compile_globs(["a\\"])


def test_triage_uses_the_shared_cache():
    import rules.triage.paths as triage_paths
    import rules.triage.rule as triage_rule

    assert triage_paths.compile_globs is compile_globs and triage_rule.compile_globs is compile_globs


# -- through the rules file -------------------------------------------------------------------

COMMERCIAL = "commercial:\n  license_url: https://example.org/ee\n  paths: {paths}\n"
HEADERS = "license_headers:\n  license: MIT\n  {key}: {globs}\n"


def errors(text: str) -> list[str]:
    loaded = load_text(text, RULES)
    assert not loaded.valid
    return loaded.errors


@pytest.mark.parametrize("paths, expected", [
    ("[]", "commercial.paths: needs at least one glob, e.g. ee/**"),
    ("['ee/**', ' ']", "commercial.paths: a glob cannot be empty"),
    ("['!ee/public/**']", "commercial.paths: at least one glob must name commercial paths (not only `!` exclusions)"),
    ("['ee/**', 'x\\']", "commercial.paths: invalid glob: "),  # then pathspec's reason
])
def test_commercial_paths_errors(paths, expected):
    found = errors(COMMERCIAL.format(paths=paths))
    assert len(found) == 1 and found[0].startswith(expected), found


def test_commercial_paths_are_stored_stripped():
    section = load_text(COMMERCIAL.format(paths="[' ee/** ', '!ee/public/**']"), RULES).section("commercial")
    assert section.paths == ["ee/**", "!ee/public/**"]


@pytest.mark.parametrize("key, globs, expected", [
    ("include", "[]", "license_headers.include: needs at least one glob"),
    ("include", "['!vendor/**']",
     "license_headers.include: at least one glob must name files to check (not only `!` exclusions)"),
    ("include", "['src/**', '!']", "license_headers.include: a glob cannot be empty"),
    ("exclude", "['']", "license_headers.exclude: a glob cannot be empty"),
    ("paths", "[{match: [], license: MIT}]", "license_headers.paths.0.match: needs at least one glob"),
])
def test_license_headers_glob_errors(key, globs, expected):
    assert errors(HEADERS.format(key=key, globs=globs)) == [expected]


def test_license_headers_exclude_may_be_empty():
    section = load_text(HEADERS.format(key="exclude", globs="[]"), RULES).section("license_headers")
    assert section.exclude == []
