"""Tests for rules.headers check/spdx/gitattributes: reading headers and judging files."""

from __future__ import annotations

import pytest

from rules.common.generated import is_generated
from rules.common.gitattributes import GitAttributes, parse_gitattributes
from rules.license_headers.core.check import (
    SCAN_LINES,
    SkipReason,
    VerdictKind,
    check_file,
    copyright_pattern,
    find_header,
)
from rules.license_headers.core.languages import Prelude, language_by_name
from rules.license_headers.core.spdx import ParsedExpression, SpdxError, expressions_equal, parse_expression

PY = language_by_name("Python")
JAVA = language_by_name("Java")
GO = language_by_name("Go")
HTML = language_by_name("HTML")
LUA = language_by_name("Lua")
TEMPLATE = "Copyright (c) {year} Example Corp"

# Marker strings are assembled so this test module does not itself look generated.
AT_GENERATED = "@" + "generated"
DNE = "DO NOT " + "EDIT"


# --- SPDX expressions -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Apache-2.0 OR MIT", "MIT OR Apache-2.0"),
        ("MIT", "mit"),
        ("MIT AND (Apache-2.0 OR BSD-3-Clause)", "(BSD-3-Clause OR Apache-2.0) AND MIT"),
        ("GPL-2.0-only WITH Classpath-exception-2.0", "GPL-2.0-only WITH Classpath-exception-2.0"),
        ("LicenseRef-Foo", "LicenseRef-Foo"),
        ("LicenseRef-Example-Commercial", "licenseref-example-commercial"),
        ("GPL-2.0+", "GPL-2.0-or-later"),
    ],
)
def test_equivalent_expressions(a: str, b: str):
    assert expressions_equal(a, b)
    assert expressions_equal(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("MIT", "Apache-2.0"),
        ("Apache-2.0 OR MIT", "Apache-2.0 AND MIT"),
        ("Apache-2.0 OR MIT", "Apache-2.0"),
        ("GPL-2.0-only WITH Classpath-exception-2.0", "GPL-2.0-only"),
        ("GPL-2.0-only", "GPL-2.0-or-later"),
        ("LicenseRef-Foo", "LicenseRef-Bar"),
        ("MIT", "MIT OR"),  # unparseable never equals anything
    ],
)
def test_different_expressions(a: str, b: str):
    assert not expressions_equal(a, b)


@pytest.mark.parametrize(
    "text", ["", "   ", "MIT OR", "(MIT", "MIT Apache-2.0", "Apache 2.0", "MIT/Apache-2.0",
             "MIT WITH Apache-2.0", "Classpath-exception-2.0", "MIT */"],
)
def test_unparseable_expression_is_an_error_value(text: str):
    result = parse_expression(text)
    assert isinstance(result, SpdxError)
    assert isinstance(result, ValueError)
    assert "invalid SPDX expression" in str(result)
    assert result.reason


def test_parse_expression_normalises_and_lists_unknown_ids():
    parsed = parse_expression("mit or apache-2.0")
    assert isinstance(parsed, ParsedExpression)
    assert parsed.normalized == "MIT OR Apache-2.0"
    assert parsed.unknown == ()
    ref = parse_expression("LicenseRef-Foo")
    assert isinstance(ref, ParsedExpression) and ref.unknown == ()
    odd = parse_expression("Apache2")
    assert isinstance(odd, ParsedExpression) and odd.unknown == ("Apache2",)


# --- copyright template -----------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "Copyright (c) 2024 Example Corp",
        "Copyright (c) 2019-2026 Example Corp",
        "Copyright (c) 2019–2026 Example Corp",
        "Copyright (c) 2019 - 2026 Example Corp",
        "Copyright (c) 2019, 2021 Example Corp",
        "Copyright (c) 2019, 2021-2023 Example Corp",
        "copyright (C) 2024 Example Corp",
        "COPYRIGHT © 2024 Example Corp",
        "Copyright ©2024 Example Corp",
        "Copyright   (c)   2024    Example   Corp",
        "Copyright (c) 2024 Example Corp. All rights reserved.",
    ],
)
def test_copyright_pattern_accepts(line: str):
    assert copyright_pattern(TEMPLATE).search(line), line


@pytest.mark.parametrize(
    "line",
    [
        "Copyright (c) 2024 Other Corp",
        "Copyright (c) 2024 Example Corporation",
        "Copyright (c) Example Corp",
        "Copyright (c) 24 Example Corp",
        "Copyright (c) 2024 ExampleCorp",
        "Copyright (c) 2024 example corp",  # only the word Copyright ignores case
    ],
)
def test_copyright_pattern_rejects(line: str):
    assert not copyright_pattern(TEMPLATE).search(line), line


def test_copyright_pattern_escapes_literals():
    pattern = copyright_pattern("Copyright {year} A.B. [Team]+")
    assert pattern.search("Copyright 2020 A.B. [Team]+")
    assert not pattern.search("Copyright 2020 AxBx [Team]+")


# --- find_header ------------------------------------------------------------------------


def test_header_after_shebang_and_coding_line():
    text = (
        "#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\n\n"
        "# Copyright (c) 2024 Example Corp\n# SPDX-License-Identifier: Apache-2.0\n\nimport os\n"
    )
    info = find_header(text, PY)
    assert info.prelude == (Prelude.SHEBANG, Prelude.CODING)
    assert info.license == "Apache-2.0"
    assert [c.value for c in info.copyrights] == ["Copyright (c) 2024 Example Corp"]
    assert info.licenses[0].line == 4
    assert info.insert_line == 3


def test_reading_stops_at_first_non_comment_line():
    text = "import os\n# SPDX-License-Identifier: MIT\n"
    assert find_header(text, PY).license is None


def test_blank_lines_between_comment_groups_are_allowed():
    text = "// Copyright 2024 X\n//\n\n// SPDX-License-Identifier: MIT\n\nclass A {}\n"
    assert find_header(text, JAVA).license == "MIT"


def test_block_comment_header():
    text = "/*\n * Copyright 2024 X\n * SPDX-License-Identifier: MIT OR Apache-2.0\n */\nclass A {}\n"
    info = find_header(text, JAVA)
    assert info.license == "MIT OR Apache-2.0"
    assert info.block_start == 0 and info.block_end == 4


def test_single_line_block_comment_value_excludes_terminator():
    assert find_header("/* SPDX-License-Identifier: MIT */\nint x;\n", JAVA).license == "MIT"
    assert find_header("<!-- SPDX-License-Identifier: MIT -->\n<p/>\n", HTML).license == "MIT"


def test_longer_block_token_wins_over_line_token():
    text = "--[[\nSPDX-License-Identifier: MIT\n]]\nlocal x = 1\n"
    assert find_header(text, LUA).license == "MIT"


def test_code_after_block_end_ends_the_block():
    text = "/* hello */ int x;\n// SPDX-License-Identifier: MIT\n"
    assert find_header(text, JAVA).license is None


def test_only_the_leading_lines_are_scanned():
    filler = "#\n" * (SCAN_LINES + 5)
    assert find_header(filler + "# SPDX-License-Identifier: MIT\n", PY).license is None
    assert find_header("#\n" * 20 + "# SPDX-License-Identifier: MIT\n", PY).license == "MIT"


def test_go_build_lines_before_header():
    text = "//go:build linux\n\n// SPDX-License-Identifier: MIT\n\npackage x\n"
    info = find_header(text, GO)
    assert info.prelude == (Prelude.GO_BUILD,)
    assert info.license == "MIT"
    # The other legal order: header first, constraint after it.
    text = "// SPDX-License-Identifier: MIT\n\n//go:build linux\n\npackage x\n"
    assert find_header(text, GO).license == "MIT"


def test_bom_is_ignored():
    assert find_header("\ufeff# SPDX-License-Identifier: MIT\n", PY).license == "MIT"
    assert find_header("\ufeff# SPDX-License-Identifier: MIT\n", PY).bom


def test_several_spdx_lines_are_anded():
    text = "# SPDX-License-Identifier: MIT\n# SPDX-License-Identifier: Apache-2.0\n"
    info = find_header(text, PY)
    assert expressions_equal(info.expression or "", "Apache-2.0 AND MIT")


# --- generated files --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"// Code generated by protoc-gen-go. {DNE}.\npackage x\n",
        f"# {AT_GENERATED} by some tool\n",
        f"/**\n * This file is {AT_GENERATED}.\n */\n",
        f"// Generated by the protocol buffer compiler.  {DNE}!\n",
        "// <auto-generated>\n//   by a tool\n// </auto-generated>\n",
        "# This file is autogenerated by pip-compile with Python 3.11\n",
    ],
)
def test_generated_markers(text: str):
    assert is_generated(text)


def test_not_generated():
    assert not is_generated("# ordinary file\nimport os\n")
    assert not is_generated("x = 1\n" * 100 + f"# {DNE}\n")  # too far down to be a marker
    assert not is_generated("# do not edit lightly\n")


# --- check_file verdicts ----------------------------------------------------------------

GOOD = "# Copyright (c) 2025 Example Corp\n# SPDX-License-Identifier: Apache-2.0\n\nx = 1\n"


def check(path: str, text: str | bytes, **kw):
    kw.setdefault("expected_license", "Apache-2.0")
    kw.setdefault("copyright_template", TEMPLATE)
    kw.setdefault("include_prose", False)
    return check_file(path, text, **kw)


def test_ok():
    verdict = check("src/a.py", GOOD)
    assert verdict.kind is VerdictKind.OK and verdict.passed
    assert verdict.language is PY
    assert verdict.declared == "Apache-2.0"


def test_ok_with_equivalent_expression():
    text = "// SPDX-License-Identifier: MIT OR Apache-2.0\npackage x\n"
    verdict = check("x.go", text, expected_license="Apache-2.0 OR MIT", copyright_template=None)
    assert verdict.kind is VerdictKind.OK


def test_missing_header():
    verdict = check("src/a.py", "x = 1\n")
    assert verdict.kind is VerdictKind.MISSING_HEADER and not verdict.passed
    assert "SPDX-License-Identifier" in verdict.message


def test_wrong_license_reports_declared_and_expected():
    verdict = check("src/a.py", GOOD.replace("Apache-2.0", "MIT"))
    assert verdict.kind is VerdictKind.WRONG_LICENSE
    assert verdict.declared == "MIT" and verdict.expected == "Apache-2.0"
    assert "MIT" in verdict.message and "Apache-2.0" in verdict.message


def test_unparseable_declared_license_is_wrong_not_a_crash():
    verdict = check("src/a.py", GOOD.replace("Apache-2.0", "Apache 2.0"))
    assert verdict.kind is VerdictKind.WRONG_LICENSE
    assert verdict.detail


def test_invalid_expected_license_raises():
    with pytest.raises(SpdxError):
        check("src/a.py", GOOD, expected_license="Apache-2.0 OR")


def test_missing_copyright():
    verdict = check("src/a.py", GOOD.replace("Example Corp", "Someone Else"))
    assert verdict.kind is VerdictKind.MISSING_COPYRIGHT
    assert check("src/a.py", GOOD, copyright_template=None).kind is VerdictKind.OK


def test_copyright_anywhere_in_the_header_block():
    text = "# Portions Copyright (c) 2020-2024 Example Corp\n# SPDX-License-Identifier: Apache-2.0\n"
    assert check("a.py", text).kind is VerdictKind.OK


def test_per_path_licence_expression():
    text = "// SPDX-License-Identifier: LicenseRef-Example-Commercial\nexport {}\n"
    verdict = check("ee/a.ts", text, expected_license="LicenseRef-Example-Commercial",
                    copyright_template=None)
    assert verdict.kind is VerdictKind.OK


@pytest.mark.parametrize(
    ("path", "text", "reason"),
    [
        ("bin/blob", b"\x7fELF\x00\x00", SkipReason.BINARY),
        ("package.json", '{"name": "x"}\n', SkipReason.NO_COMMENT_SYNTAX),
        ("yarn.lock", "# yarn lockfile v1\n", SkipReason.NO_COMMENT_SYNTAX),
        ("img/logo.png", b"\x89PNG\r\n\x1a\n", SkipReason.NO_COMMENT_SYNTAX),
        ("api/x.pb.go", f"// Code generated by protoc. {DNE}.\npackage api\n", SkipReason.GENERATED),
        ("docs/index.md", "# Title\n", SkipReason.PROSE),
        ("notes.txt", "hello\n", SkipReason.PROSE),
        ("data/file.qqq", "stuff\n", SkipReason.UNKNOWN_LANGUAGE),
    ],
)
def test_skipped(path: str, text: str | bytes, reason: SkipReason):
    verdict = check(path, text)
    assert verdict.kind is VerdictKind.SKIPPED and verdict.passed
    assert verdict.skip_reason is reason
    assert reason.value in verdict.message


def test_prose_is_checked_when_included():
    verdict = check("docs/index.md", "# Title\n", include_prose=True)
    assert verdict.kind is VerdictKind.MISSING_HEADER
    text = (
        "---\ntitle: Home\n---\n<!--\nCopyright (c) 2026 Example Corp\n"
        "SPDX-License-Identifier: Apache-2.0\n-->\n\n# Title\n"
    )
    assert check("docs/index.md", text, include_prose=True).kind is VerdictKind.OK


def test_bytes_input_is_accepted():
    assert check("a.py", GOOD.encode()).kind is VerdictKind.OK
    latin1 = "# Copyright (c) 2025 Example Corp — é\n".encode("latin-1", "replace")
    latin1 += b"# SPDX-License-Identifier: Apache-2.0\n# caf\xe9\n"
    assert check("a.py", latin1).kind is VerdictKind.OK


def test_shebang_only_file_is_detected_and_checked():
    verdict = check("scripts/deploy", "#!/bin/bash\nset -e\n")
    assert verdict.kind is VerdictKind.MISSING_HEADER
    assert verdict.language is language_by_name("Shell")


# --- .gitattributes ---------------------------------------------------------------------

ATTRS = """
# generated code
*.pb.go linguist-generated
gen/** linguist-generated=true
gen/handwritten.go -linguist-generated
api/*.ts linguist-generated
api/keep.ts linguist-generated=false
vendor/ linguist-vendored
third_party/** linguist-vendored
third_party/ours/** -linguist-vendored
!*.md linguist-generated
"odd name/*.js" linguist-generated
"""


@pytest.mark.parametrize(
    ("path", "generated"),
    [
        ("x.pb.go", True),
        ("deep/dir/x.pb.go", True),
        ("x.go", False),
        ("gen/a/b/c.go", True),
        ("gen/handwritten.go", False),  # last match wins
        ("api/client.ts", True),
        ("api/sub/client.ts", False),  # "*" does not cross "/"
        ("api/keep.ts", False),
        ("README.md", False),  # negative patterns are ignored in gitattributes
        ("odd name/a.js", True),
    ],
)
def test_linguist_generated(path: str, generated: bool):
    assert parse_gitattributes(ATTRS).is_linguist_generated(path) is generated


@pytest.mark.parametrize(
    ("path", "vendored"),
    [
        ("vendor/lib.js", False),  # a directory pattern does not reach files inside
        ("third_party/x/y.c", True),
        ("third_party/ours/y.c", False),
        ("src/main.c", False),
    ],
)
def test_linguist_vendored(path: str, vendored: bool):
    assert parse_gitattributes(ATTRS).is_linguist_vendored(path) is vendored


def test_unspecify_and_macros():
    attrs = parse_gitattributes("*.js linguist-generated\nlib/*.js !linguist-generated\n*.bin binary\n")
    assert attrs.is_linguist_generated("a.js")
    assert not attrs.is_linguist_generated("lib/a.js")
    assert attrs.attribute("lib/a.js", "linguist-generated") is None
    assert attrs.attribute("x.bin", "diff") is False


def test_nested_gitattributes_override_the_root():
    attrs = GitAttributes.from_files({
        "sub/.gitattributes": "*.js -linguist-generated\n",
        ".gitattributes": "*.js linguist-generated\n",
    })
    assert attrs.is_linguist_generated("a.js")
    assert attrs.is_linguist_generated("other/a.js")
    assert not attrs.is_linguist_generated("sub/a.js")
    assert not attrs.is_linguist_generated("sub/deeper/a.js")
