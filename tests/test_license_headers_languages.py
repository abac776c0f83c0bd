"""Tests for rules.license_headers.core.languages: the comment-syntax table and file-type detection."""

from __future__ import annotations

import fnmatch

import pytest

from rules.license_headers.core.check import find_header
from rules.license_headers.core.fix import FixRefused, insert_header, render_header
from rules.license_headers.core.languages import (
    AMBIGUOUS_EXTENSIONS,
    LANGUAGES,
    Language,
    SkipReason,
    classify,
    detect_language,
    language_by_name,
    shebang_interpreter,
)
from rules.license_headers.core.spdx import expressions_equal

COPYRIGHT = "Copyright (c) 2026 Example Corp"


def name_of(path: str, first_bytes: bytes = b"") -> str | None:
    lang = detect_language(path, first_bytes)
    return lang.name if lang else None


def reachable_by(lang: Language) -> tuple[str, bytes] | None:
    """Some (path, first bytes) that detection maps to ``lang``, or None."""
    candidates: list[tuple[str, bytes]] = [(n, b"") for n in lang.filenames]
    candidates += [(g.replace("*", "sample"), b"") for g in lang.filename_globs]
    candidates += [(f"dir/sample{e}", b"") for e in lang.extensions]
    candidates += [(f"dir/sample{e}", b"") for e in lang.case_sensitive_extensions]
    candidates += [("bin/tool", f"#!/usr/bin/env {i}\n".encode()) for i in lang.interpreters]
    for path, head in candidates:
        if detect_language(path, head) is lang:
            return path, head
    return None


# --- the table ------------------------------------------------------------------------


def test_table_covers_at_least_sixty_languages():
    assert len(LANGUAGES) >= 60
    assert len({lang.name for lang in LANGUAGES}) == len(LANGUAGES)


@pytest.mark.parametrize("lang", LANGUAGES, ids=lambda lang: lang.name)
def test_every_language_is_reachable_by_detection(lang: Language):
    assert reachable_by(lang) is not None, f"no name, extension or shebang selects {lang.name}"


@pytest.mark.parametrize("lang", LANGUAGES, ids=lambda lang: lang.name)
def test_rendered_header_is_recognised(lang: Language):
    header = render_header(lang, "Apache-2.0 OR MIT", COPYRIGHT)
    info = find_header(header, lang)
    assert info.license is not None, header
    assert expressions_equal(info.license, "MIT OR Apache-2.0")
    assert [c.value for c in info.copyrights] == [COPYRIGHT]
    assert info.block_start == 0


@pytest.mark.parametrize("lang", LANGUAGES, ids=lambda lang: lang.name)
def test_inserted_header_is_found_and_stable(lang: Language):
    header = render_header(lang, "Apache-2.0", COPYRIGHT)
    body = "code here\nmore code\n"
    if lang.is_template and lang.template_trim is None:
        with pytest.raises(FixRefused, match="what the template renders"):
            insert_header(body, lang, header)
        return
    fixed = insert_header(body, lang, header)
    assert fixed.endswith(body)
    info = find_header(fixed, lang)
    assert info.license == "Apache-2.0", fixed
    assert insert_header(fixed, lang, header) == fixed


@pytest.mark.parametrize("lang", LANGUAGES, ids=lambda lang: lang.name)
def test_line_style_preferred_when_available(lang: Language):
    header = render_header(lang, "MIT", None)
    if lang.template_trim is not None:
        assert header == f"{lang.template_trim.start}\nSPDX-License-Identifier: MIT\n{lang.template_trim.end}\n"
    elif lang.line:
        assert header == (f"{lang.line[0]} " if lang.line[0] else "") + "SPDX-License-Identifier: MIT\n"
    else:
        assert lang.block is not None
        assert header.startswith(lang.block.start + "\n")
        assert header.rstrip("\n").endswith(lang.block.end)


# --- detection by name, extension, shebang ---------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("Dockerfile", "Dockerfile"),
        ("images/Containerfile", "Dockerfile"),
        ("Dockerfile.dev", "Dockerfile"),
        ("build/app.dockerfile", "Dockerfile"),
        ("Makefile", "Makefile"),
        ("GNUmakefile", "Makefile"),
        ("src/CMakeLists.txt", "CMake"),
        ("Jenkinsfile", "Groovy"),
        ("BUILD", "Starlark"),
        ("pkg/BUILD.bazel", "Starlark"),
        ("MODULE.bazel", "Starlark"),
        (".bashrc", "Shell"),
        ("home/.zshrc", "Zsh"),
        ("Gemfile", "Ruby"),
        ("Vagrantfile", "Ruby"),
        ("go.mod", "Go Module"),
        ("requirements-dev.txt", "Pip Requirements"),
        (".env.production", "Dotenv"),
        (".gitignore", "Ignore List"),
        (".github/CODEOWNERS", "Ignore List"),
        ("meson.build", "Meson"),
        ("justfile", "Just"),
    ],
)
def test_detect_by_file_name(path: str, expected: str):
    assert name_of(path) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("a/b/main.py", "Python"),
        ("a/b/MAIN.PY", "Python"),
        ("lib.rs", "Rust"),
        ("x.go", "Go"),
        ("x.c", "C"),
        ("x.C", "C++"),  # upper-case .C is C++ by convention
        ("x.H", "C++"),
        ("x.cpp", "C++"),
        ("x.tsx", "TypeScript"),
        ("x.mjs", "JavaScript"),
        ("x.yml", "YAML"),
        ("x.R", "R"),
        ("x.S", "Assembly (GNU)"),
        ("x.html", "HTML"),
        ("x.vue", "Vue"),
        ("schema.sql", "SQL"),
        ("x.tf", "HCL"),
        ("x.ps1", "PowerShell"),
        ("x.bat", "Batchfile"),
    ],
)
def test_detect_by_extension(path: str, expected: str):
    assert name_of(path) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("types/index.d.ts", "TypeScript"),
        ("views/home.blade.php", "Blade"),
        ("views/home.php", "PHP"),
        ("build.gradle.kts", "Kotlin"),
        ("src/app.app.src", "Erlang"),
        ("app.min.js", "JavaScript"),
        ("views/page.html.erb", "ERB"),
    ],
)
def test_longest_compound_extension_wins(path: str, expected: str):
    assert name_of(path) == expected


def test_compound_archive_extension_is_not_code():
    detection = classify("dist/release.tar.gz")
    assert detection.language is None
    assert detection.reason is SkipReason.NO_COMMENT_SYNTAX
    assert detection.detail == "archive"


@pytest.mark.parametrize(
    ("shebang", "expected"),
    [
        (b"#!/usr/bin/env python3\n", "Python"),
        (b"#!/usr/bin/python3.11 -u\n", "Python"),
        (b"#! /usr/bin/env pypy3\n", "Python"),
        (b"#!/usr/bin/env -S uv run --script\n", "Python"),
        (b"#!/usr/bin/env node\n", "JavaScript"),
        (b"#!/usr/bin/env -S node --experimental-modules\n", "JavaScript"),
        (b"#!/usr/bin/env -S deno run --allow-net\n", "TypeScript"),
        (b"#!/bin/bash -euo pipefail\n", "Shell"),
        (b"#!/bin/sh\n", "Shell"),
        (b"#!/usr/bin/env zsh\n", "Zsh"),
        (b"#!/usr/bin/env ruby\n", "Ruby"),
        (b"#!/usr/bin/perl -w\n", "Perl"),
        (b"#!/usr/bin/env -i PATH=/bin perl\n", "Perl"),
        (b"#!/usr/bin/make -f\n", "Makefile"),
        (b"#!/usr/bin/env Rscript\n", "R"),
        (b"#!/usr/bin/env php8.2\n", "PHP"),
        (b"\xef\xbb\xbf#!/bin/bash\n", "Shell"),
    ],
)
def test_detect_by_shebang(shebang: bytes, expected: str):
    assert name_of("scripts/run", shebang + b"echo\n") == expected


def test_name_and_extension_beat_shebang():
    assert name_of("tool.rb", b"#!/usr/bin/env python3\n") == "Ruby"
    assert name_of("Makefile", b"#!/bin/sh\n") == "Makefile"


def test_rust_inner_attribute_is_not_a_shebang():
    assert shebang_interpreter(b"#![allow(dead_code)]\n") is None
    detection = classify("src/tool", b"#![allow(dead_code)]\nfn main() {}\n")
    assert detection.language is None
    assert detection.reason is SkipReason.UNKNOWN_LANGUAGE


def test_unknown_interpreter_and_extension():
    detection = classify("bin/x", b"#!/usr/bin/env nonesuch\n")
    assert detection.language is None
    assert detection.reason is SkipReason.UNKNOWN_LANGUAGE
    assert "nonesuch" in detection.detail
    assert classify("data/file.qqq").reason is SkipReason.UNKNOWN_LANGUAGE
    assert classify("README").reason is SkipReason.UNKNOWN_LANGUAGE


# --- ambiguity --------------------------------------------------------------------------


@pytest.mark.parametrize(("ext", "winner"), sorted(AMBIGUOUS_EXTENSIONS.items()))
def test_ambiguous_extension_resolved_by_fixed_rule(ext: str, winner: str):
    claimants = [lang.name for lang in LANGUAGES if ext in lang.extensions]
    assert len(claimants) >= 2 and winner in claimants
    results = {name_of(f"src/file{ext}") for _ in range(3)}
    assert results == {winner}


def test_every_shared_extension_is_listed_as_ambiguous():
    seen: dict[str, list[str]] = {}
    for lang in LANGUAGES:
        for ext in lang.extensions:
            seen.setdefault(ext, []).append(lang.name)
    shared = {ext for ext, names in seen.items() if len(names) > 1}
    assert shared == set(AMBIGUOUS_EXTENSIONS)


def test_names_globs_and_interpreters_are_unique():
    for attr in ("filenames", "filename_globs", "interpreters", "case_sensitive_extensions"):
        values = [v for lang in LANGUAGES for v in getattr(lang, attr)]
        assert len(values) == len(set(values)), attr


def test_globs_do_not_shadow_exact_names():
    for lang in LANGUAGES:
        for name in lang.filenames:
            for other in LANGUAGES:
                if other is lang:
                    continue
                assert not any(fnmatch.fnmatchcase(name, g) for g in other.filename_globs), name


# --- files that cannot hold comments ----------------------------------------------------


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("package.json", "JSON"),
        ("tsconfig.json", "JSON"),
        ("notebook.ipynb", "JSON"),
        ("package-lock.json", "lock file"),
        ("yarn.lock", "lock file"),
        ("pnpm-lock.yaml", "lock file"),
        ("Cargo.lock", "lock file"),
        ("poetry.lock", "lock file"),
        ("go.sum", "lock file"),
        ("composer.lock", "lock file"),
        ("Gemfile.lock", "lock file"),
        ("something.lock", "lock file"),
        ("logo.png", "image"),
        ("photo.JPEG", "image"),
        ("icon.svg", "image"),
        ("release.zip", "archive"),
        ("lib.jar", "archive"),
        ("font.woff2", "font"),
        ("font.ttf", "font"),
        ("manual.pdf", "binary"),
        ("lib.so", "binary"),
        ("LICENSE", "licence text"),
        ("LICENSE-APACHE", "licence text"),
        ("COPYING.md", "licence text"),
    ],
)
def test_files_without_comment_syntax(path: str, detail: str):
    detection = classify(path)
    assert detection.language is None
    assert detection.reason is SkipReason.NO_COMMENT_SYNTAX
    assert detection.detail == detail
    assert detect_language(path) is None


def test_nul_byte_in_first_8k_means_binary():
    detection = classify("bin/blob", b"abc\x00def")
    assert detection.language is None
    assert detection.reason is SkipReason.BINARY
    # Even with a code extension: a NUL byte cannot be in a source file we could edit.
    assert classify("weird.py", b"import os\x00").reason is SkipReason.UNDECODABLE  # counted as not checked
    # Beyond the sniffed window it is not looked for.
    assert classify("big.py", b"#" * 9000 + b"\x00").language is not None


# --- prose ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("README.md", "Markdown"),
        ("docs/guide.markdown", "Markdown"),
        ("docs/index.rst", "reStructuredText"),
        ("docs/book.adoc", "AsciiDoc"),
        ("notes.txt", "Plain Text"),
        ("docs/page.mdx", "MDX"),
    ],
)
def test_prose_is_its_own_category(path: str, expected: str):
    lang = detect_language(path)
    assert lang is not None and lang.name == expected
    assert lang.is_prose


@pytest.mark.parametrize("name", ["Python", "Go", "HTML", "YAML", "TeX"])
def test_code_is_not_prose(name: str):
    lang = language_by_name(name)
    assert lang is not None and not lang.is_prose
