"""The pure REUSE part of the licence-header rule (rules/license_headers/core/reuse.py), checked
against what the REUSE specification 3.3 says: globbing, precedence, dep5, ignore blocks."""

from __future__ import annotations

import pytest

from rules.license_headers.core.reuse import (
    Precedence,
    ReuseError,
    ReuseIndex,
    ReuseInfo,
    extract,
    is_reuse_metadata,
    resolve,
    strip_ignored,
)


def toml(*annotations: str) -> str:
    return "version = 1\n" + "".join(f"\n[[annotations]]\n{a}\n" for a in annotations)


def licenses(index: ReuseIndex, path: str, own: ReuseInfo | None = None) -> tuple[str, ...]:
    return resolve(index.global_info(path), own).licenses


@pytest.mark.parametrize(("pattern", "path", "hit"), [
    ("src/*.py", "src/a.py", True),
    ("src/*.py", "src/sub/a.py", False),  # * does not cross /
    ("src/**", "src/sub/a.py", True),
    ("**/*.md", "docs/a/b.md", True),
    ("*.png", "logo.png", True),
    ("*.png", "img/logo.png", False),
    ("data\\\\*.csv", "data*.csv", True),  # an escaped star is literal
    ("data\\\\*.csv", "dataX.csv", False),
    (".hidden/*", ".hidden/x", True),
])
def test_reuse_toml_globs(pattern, path, hit):
    index = ReuseIndex.parse({"REUSE.toml": toml(f'path = "{pattern}"\nSPDX-License-Identifier = "MIT"')})
    assert (licenses(index, path) == ("MIT",)) is hit


def test_last_matching_annotation_of_a_file_wins():
    index = ReuseIndex.parse({"REUSE.toml": toml('path = "**"\nSPDX-License-Identifier = "MIT"',
                                                 'path = "vendor/**"\nSPDX-License-Identifier = "BSD-3-Clause"')})
    assert licenses(index, "vendor/x.c") == ("BSD-3-Clause",)
    assert licenses(index, "src/x.c") == ("MIT",)


def test_closest_prefers_the_file_and_fills_in_what_it_lacks():
    index = ReuseIndex.parse({"REUSE.toml": toml(
        'path = "**"\nSPDX-License-Identifier = "MIT"\nSPDX-FileCopyrightText = "2024 Corp"')})
    own_licence = ReuseInfo(("Apache-2.0",), (), "file")
    result = resolve(index.global_info("a.py"), own_licence)
    assert result.licenses == ("Apache-2.0",)
    assert result.copyrights == ("2024 Corp",)  # the file had no copyright: the annotation's
    assert licenses(index, "a.py", ReuseInfo((), ("Copyright 2020 Ann",), "file")) == ("MIT",)
    assert licenses(index, "a.py", None) == ("MIT",)


def test_the_deepest_reuse_toml_is_closest():
    index = ReuseIndex.parse({
        "REUSE.toml": toml('path = "**"\nSPDX-License-Identifier = "MIT"'),
        "lib/REUSE.toml": toml('path = "**"\nSPDX-License-Identifier = "ISC"'),
    })
    assert licenses(index, "lib/a.c") == ("ISC",)
    assert licenses(index, "src/a.c") == ("MIT",)


def test_aggregate_adds_to_the_file():
    index = ReuseIndex.parse({"REUSE.toml": toml('path = "**"\nprecedence = "aggregate"\n'
                                                 'SPDX-License-Identifier = "MIT"')})
    assert licenses(index, "a.py", ReuseInfo(("Apache-2.0",), (), "file")) == ("MIT", "Apache-2.0")


def test_override_ignores_the_file_and_the_outermost_wins():
    index = ReuseIndex.parse({
        "REUSE.toml": toml('path = "third_party/**"\nprecedence = "override"\nSPDX-License-Identifier = "BSD-2-Clause"'),
        "third_party/REUSE.toml": toml('path = "**"\nprecedence = "override"\nSPDX-License-Identifier = "MIT"'),
    })
    result = resolve(index.global_info("third_party/x.c"), ReuseInfo(("GPL-2.0-only",), (), "file"))
    assert result.licenses == ("BSD-2-Clause",) and not result.file_read


def test_dep5_last_paragraph_wins_and_star_crosses_slashes():
    dep5 = ("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
            "Files: *\nCopyright: 2020 A\nLicense: MIT\n\n"
            "Files: docs/*.txt img/?.png\nCopyright: 2021 B\n 2022 C\nLicense: CC-BY-4.0\n")
    index = ReuseIndex.parse({}, dep5)
    assert licenses(index, "docs/deep/a.txt") == ("CC-BY-4.0",)
    assert licenses(index, "img/a.png") == ("CC-BY-4.0",)
    assert licenses(index, "img/ab.png") == ("MIT",)
    info = index.global_info("docs/a.txt")[Precedence.AGGREGATE][0]
    assert info.copyrights == ("2021 B", "2022 C") and info.source == ".reuse/dep5"
    # dep5 aggregates with the file's own information.
    assert licenses(index, "src/a.py", ReuseInfo(("Apache-2.0",), (), "file")) == ("MIT", "Apache-2.0")


@pytest.mark.parametrize(("files", "dep5", "message"), [
    ({"REUSE.toml": "version = 2\n"}, None, "REUSE.toml: version must be 1"),
    ({"REUSE.toml": "version = 1\n[[annotations]]\nSPDX-License-Identifier = 'MIT'\n"}, None,
     "annotation 1: path is required"),
    ({"REUSE.toml": "version = 1\n[[annotations]]\npath = 'a'\nprecedence = 'first'\n"}, None,
     "precedence must be closest, aggregate or override"),
    ({"REUSE.toml": "version = 1\n[[annotations]]\npath = 3\n"}, None, "path must be a string or a list"),
    ({"REUSE.toml": "version = [\n"}, None, "not valid TOML"),
    ({"REUSE.toml": "version = 1\n"}, "Files: *\nLicense: MIT\n", "both REUSE.toml and .reuse/dep5"),
    ({}, "Files: *\nthis line has no field\n", "cannot read line"),
])
def test_invalid_files_are_clear_errors(files, dep5, message):
    with pytest.raises(ReuseError, match=message):
        ReuseIndex.parse(files, dep5)


def test_tags_anywhere_minus_ignore_blocks_and_cut_as_reuse_lint_cuts_them():
    text = ("#!/bin/sh\necho hi\n# SPDX-License-Identifier: MIT\n"
            "# REUSE-IgnoreStart\nprint('SPDX-License-Identifier: GPL-2.0-only')\n# REUSE-IgnoreEnd\n"
            "/* SPDX-License-Identifier: Apache-2.0 */\n"
            "  |*  SPDX-License-Identifier: ISC  *|\n"
            '<meta name="x" content="SPDX-License-Identifier: 0BSD" />\n'
            "# SPDX-FileCopyrightText: 2024 Ann\n")
    info = extract(text)
    assert info.licenses == ("MIT", "Apache-2.0", "ISC", "0BSD")
    assert info.copyrights == ("SPDX-FileCopyrightText: 2024 Ann",)
    assert strip_ignored("a REUSE-IgnoreStart b") == "a "  # an unclosed block ignores the rest


@pytest.mark.parametrize(("path", "meta"), [
    ("LICENSES/MIT.txt", True), (".reuse/dep5", True), ("REUSE.toml", True), ("lib/REUSE.toml", True),
    ("logo.png.license", True), ("src/license.py", False), ("LICENSE", False),
])
def test_reuse_metadata(path, meta):
    assert is_reuse_metadata(path) is meta
