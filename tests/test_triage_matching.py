"""Keyword labels (RE2 on issue text) and path labels (gitignore globs on changed files)."""

from __future__ import annotations

import re
import time

import pytest

from rules.triage.keywords import (
    MAX_TEXT_CHARS,
    PatternError,
    compile_pattern,
    issue_text,
    keyword_labels,
)
from rules.triage.paths import changed_paths, path_labels

KEYWORDS = {"bug": ["(?i)\\bcrash", "(?i)traceback"], "perf": ["(?i)\\bslow(er|ness)?\\b"]}


@pytest.mark.parametrize(("title", "body", "labels"), [
    ("App CRASHES", "", ["bug"]),
    ("Hello", "Traceback (most recent call last)", ["bug"]),
    ("it is slower now and crashes", None, ["bug", "perf"]),
    ("recrash", "slowly", []),
    (None, None, []),
])
def test_keyword_labels_in_rules_file_order(title, body, labels):
    assert keyword_labels(KEYWORDS, issue_text(title, body)) == labels


def test_patterns_are_case_sensitive_unless_they_say_otherwise():
    assert keyword_labels({"x": ["Crash"]}, "crash") == []
    assert keyword_labels({"x": ["(?i)Crash"]}, "crash") == ["x"]


def test_title_and_body_do_not_run_together():
    assert keyword_labels({"x": ["endstart"]}, issue_text("the end", "start")) == []


def test_pathological_patterns_run_in_linear_time_on_a_megabyte():
    text = "a" * 1_000_000 + "!"
    # Python's backtracking engine takes exponential time on this; RE2 is linear.
    started = time.monotonic()
    assert keyword_labels({"evil": ["(a+)+$", "(a|aa)+$", "(a*)*b"]}, text) == []
    assert time.monotonic() - started < 5


def test_text_is_capped_far_beyond_githubs_own_limit():
    assert MAX_TEXT_CHARS > 65_536 * 4
    assert len(issue_text("t", "x" * (MAX_TEXT_CHARS + 10))) == MAX_TEXT_CHARS


def test_invalid_patterns_raise_a_readable_error():
    with pytest.raises(PatternError, match=r"missing \)"):
        compile_pattern("(a")
    with pytest.raises(PatternError, match="invalid perl operator"):
        compile_pattern("(?<!a)b")
    assert compile_pattern("(?P<word>\\w+)").search("hi") is not None


def test_re2_is_what_runs_the_patterns():
    assert not isinstance(compile_pattern("a+"), re.Pattern)
    assert type(compile_pattern("a+")).__module__.startswith("re2")


PATHS = {"area/docs": ["docs/**", "**/*.md", "!docs/generated/**"], "area/api": ["/api/"], "lang/go": ["*.go"]}


@pytest.mark.parametrize(("files", "labels"), [
    (["docs/guide/intro.rst"], ["area/docs"]),
    (["README.md"], ["area/docs"]),
    (["src/deep/notes.md"], ["area/docs"]),
    (["docs/generated/ref.html"], []),  # a later negation takes it back out
    (["api/v1/handler.go"], ["area/api", "lang/go"]),
    (["src/api/handler.py"], []),  # "/api/" is anchored at the root
    (["cmd/main.go"], ["lang/go"]),
    ([], []),
])
def test_path_labels_follow_gitignore_semantics(files, labels):
    assert path_labels(PATHS, files) == labels


def test_renamed_files_count_under_both_paths():
    files = [{"filename": "src/intro.txt", "previous_filename": "docs/intro.txt", "status": "renamed"},
             {"filename": "src/a.py", "status": "modified"}]
    assert changed_paths(files) == ["src/intro.txt", "docs/intro.txt", "src/a.py"]
    assert path_labels({"area/docs": ["docs/**"]}, changed_paths(files)) == ["area/docs"]
