"""Tests for rules.license_headers.core.fix: rendering headers and inserting them on tricky files."""

from __future__ import annotations

import pytest

from rules.license_headers.core.check import VerdictKind, check_file, find_header
from rules.license_headers.core.fix import header_for, insert_header, render_header
from rules.license_headers.core.languages import Language, language_by_name

CR = "Copyright (c) 2026 Example Corp"
TEMPLATE = "Copyright (c) {year} Example Corp"


def lang(name: str) -> Language:
    found = language_by_name(name)
    assert found is not None, name
    return found


def fix(text: str | bytes, name: str, license: str = "Apache-2.0", copyright_line: str | None = CR):
    language = lang(name)
    header = render_header(language, license, copyright_line)
    first = insert_header(text, language, header, copyright_template=TEMPLATE if copyright_line else None)
    second = insert_header(first, language, header, copyright_template=TEMPLATE if copyright_line else None)
    assert second == first, "a second --fix run must change nothing"
    return first


def assert_ok(path: str, text: str | bytes, license: str = "Apache-2.0"):
    verdict = check_file(path, text, expected_license=license, copyright_template=TEMPLATE,
                         include_prose=True)
    assert verdict.kind is VerdictKind.OK, verdict.message


# --- rendering ----------------------------------------------------------------------------


def test_render_line_style():
    assert render_header(lang("Python"), "MIT", CR) == (
        "# Copyright (c) 2026 Example Corp\n# SPDX-License-Identifier: MIT\n"
    )
    assert render_header(lang("Go"), "MIT") == "// SPDX-License-Identifier: MIT\n"
    assert render_header(lang("SQL"), "MIT") == "-- SPDX-License-Identifier: MIT\n"
    assert render_header(lang("Batchfile"), "MIT") == "@REM SPDX-License-Identifier: MIT\n"


def test_render_block_style_when_no_line_comment():
    assert render_header(lang("CSS"), "MIT", CR) == (
        "/*\n * Copyright (c) 2026 Example Corp\n * SPDX-License-Identifier: MIT\n */\n"
    )
    assert render_header(lang("HTML"), "MIT") == "<!--\nSPDX-License-Identifier: MIT\n-->\n"
    assert render_header(lang("OCaml"), "MIT") == "(*\n * SPDX-License-Identifier: MIT\n *)\n"


def test_header_for_fills_in_the_year():
    assert header_for(lang("Python"), "MIT", TEMPLATE, 2031) == (
        "# Copyright (c) 2031 Example Corp\n# SPDX-License-Identifier: MIT\n"
    )
    assert header_for(lang("Python"), "MIT", None, 2031) == "# SPDX-License-Identifier: MIT\n"


# --- insertion after preludes ---------------------------------------------------------------


def test_plain_file_gets_header_and_blank_line():
    assert fix("import os\n", "Python") == (
        "# Copyright (c) 2026 Example Corp\n# SPDX-License-Identifier: Apache-2.0\n\nimport os\n"
    )


def test_shebang_and_coding_line_stay_first():
    text = "#!/usr/bin/env python3\n# -*- coding: latin-1 -*-\nimport os\n"
    out = fix(text, "Python")
    assert out == (
        "#!/usr/bin/env python3\n# -*- coding: latin-1 -*-\n"
        "# Copyright (c) 2026 Example Corp\n# SPDX-License-Identifier: Apache-2.0\n\nimport os\n"
    )
    assert_ok("tool.py", out)


def test_xml_declaration_stays_first():
    text = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE note SYSTEM "note.dtd">\n<note/>\n'
    out = fix(text, "XML")
    assert out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE note SYSTEM "note.dtd">\n<!--\n')
    assert out.endswith("-->\n\n<note/>\n")
    assert_ok("pom.xml", out)


def test_html_doctype_stays_first():
    out = fix("<!DOCTYPE html>\n<html></html>\n", "HTML")
    assert out.startswith("<!DOCTYPE html>\n<!--\n")
    assert_ok("index.html", out)


def test_php_open_tag_stays_first():
    out = fix("<?php\ndeclare(strict_types=1);\n", "PHP")
    assert out == (
        "<?php\n// Copyright (c) 2026 Example Corp\n// SPDX-License-Identifier: Apache-2.0\n\n"
        "declare(strict_types=1);\n"
    )
    assert_ok("src/a.php", out)


def test_php_file_starting_in_html_gets_its_own_php_block():
    out = fix("<p><?= $x ?></p>\n", "PHP")
    assert out.startswith("<?php\n// Copyright")
    assert out.endswith("?>\n<p><?= $x ?></p>\n")
    assert_ok("views/a.php", out)


def test_go_build_constraint_stays_first_with_its_blank_line():
    text = "//go:build linux && amd64\n// +build linux,amd64\n\npackage x\n"
    out = fix(text, "Go")
    assert out == (
        "//go:build linux && amd64\n// +build linux,amd64\n\n"
        "// Copyright (c) 2026 Example Corp\n// SPDX-License-Identifier: Apache-2.0\n\npackage x\n"
    )
    assert_ok("x_linux.go", out)


def test_go_build_constraint_without_blank_line_gets_one():
    out = fix("//go:build linux\npackage x\n", "Go")
    assert out.startswith("//go:build linux\n\n// Copyright")
    assert_ok("x_linux.go", out)


def test_markdown_front_matter_stays_first():
    text = "---\ntitle: Home\nlayout: page\n---\n# Welcome\n"
    out = fix(text, "Markdown")
    assert out.startswith("---\ntitle: Home\nlayout: page\n---\n<!--\n")
    assert out.endswith("-->\n\n# Welcome\n")
    assert_ok("docs/index.md", out)


def test_toml_front_matter_stays_first():
    out = fix("+++\ntitle = 'x'\n+++\nBody\n", "Markdown")
    assert out.startswith("+++\ntitle = 'x'\n+++\n<!--")


def test_yaml_document_marker_and_directive():
    out = fix("%YAML 1.2\n---\nkey: value\n", "YAML")
    assert out.startswith("%YAML 1.2\n---\n# Copyright")
    assert_ok("config.yaml", out)


def test_docker_parser_directive_stays_first():
    out = fix("# syntax=docker/dockerfile:1\nFROM alpine\n", "Dockerfile")
    assert out.startswith("# syntax=docker/dockerfile:1\n# Copyright")
    assert_ok("Dockerfile", out)


def test_ruby_magic_comment_stays_first():
    out = fix("# frozen_string_literal: true\nputs 1\n", "Ruby")
    assert out.startswith("# frozen_string_literal: true\n# Copyright")


def test_batch_echo_off_stays_first():
    out = fix("@echo off\r\necho hi\r\n", "Batchfile")
    assert out.startswith("@echo off\r\n@REM Copyright")


def test_rust_inner_attribute_is_not_mistaken_for_a_shebang():
    out = fix("#![allow(dead_code)]\nfn main() {}\n", "Rust")
    assert out.startswith("// Copyright")


# --- BOM, line endings, encodings -------------------------------------------------------------


def test_bom_stays_first_in_text():
    out = fix("\ufeffimport os\n", "Python")
    assert out.startswith("\ufeff# Copyright (c) 2026")
    assert out.count("\ufeff") == 1
    assert_ok("a.py", out)


def test_bom_stays_first_in_bytes_and_bytes_come_back():
    out = fix(b"\xef\xbb\xbf<?xml version='1.0'?>\n<a/>\n", "XML")
    assert isinstance(out, bytes)
    assert out.startswith(b"\xef\xbb\xbf<?xml version='1.0'?>\n<!--\n")
    assert_ok("a.xml", out)


def test_crlf_stays_crlf():
    text = "#!/bin/sh\r\necho one\r\necho two\r\n"
    out = fix(text, "Shell")
    assert out == (
        "#!/bin/sh\r\n# Copyright (c) 2026 Example Corp\r\n"
        "# SPDX-License-Identifier: Apache-2.0\r\n\r\necho one\r\necho two\r\n"
    )
    assert "\n" not in out.replace("\r\n", "")


def test_non_utf8_bytes_survive():
    text = b"# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n"
    out = fix(text, "Python")
    assert isinstance(out, bytes)
    assert out.endswith(b"\nname = 'caf\xe9'\n")
    assert out.startswith(b"# -*- coding: latin-1 -*-\n# Copyright")


def test_empty_file_and_missing_final_newline():
    assert fix("", "Python") == "# Copyright (c) 2026 Example Corp\n# SPDX-License-Identifier: Apache-2.0\n"
    assert fix("#!/bin/sh", "Shell") == (
        "#!/bin/sh\n# Copyright (c) 2026 Example Corp\n# SPDX-License-Identifier: Apache-2.0\n"
    )
    assert fix("x = 1", "Python").endswith("\n\nx = 1")


# --- idempotence and in-place correction ---------------------------------------------------------


def test_correct_file_is_returned_unchanged():
    text = "// Copyright (c) 2019-2024 Example Corp\n// SPDX-License-Identifier: Apache-2.0\n\nclass A {}\n"
    language = lang("Java")
    header = render_header(language, "Apache-2.0", CR)
    assert insert_header(text, language, header, copyright_template=TEMPLATE) is text
    data = text.encode()
    assert insert_header(data, language, header, copyright_template=TEMPLATE) is data


def test_equivalent_expression_is_left_alone():
    text = "# SPDX-License-Identifier: MIT OR Apache-2.0\nx = 1\n"
    assert fix(text, "Python", license="Apache-2.0 OR MIT", copyright_line=None) == text


def test_wrong_license_corrected_in_place():
    text = "# Copyright (c) 2020 Example Corp\n# SPDX-License-Identifier: MIT\n\nx = 1\n"
    out = fix(text, "Python")
    assert out == "# Copyright (c) 2020 Example Corp\n# SPDX-License-Identifier: Apache-2.0\n\nx = 1\n"
    assert out.count("SPDX-License-Identifier") == 1


def test_wrong_license_in_block_comment_keeps_the_terminator():
    text = "/* SPDX-License-Identifier: GPL-2.0-only */\nint x;\n"
    out = fix(text, "C", copyright_line=None)
    assert out == "/* SPDX-License-Identifier: Apache-2.0 */\nint x;\n"


def test_wrong_license_with_crlf_and_bom():
    text = "\ufeff// SPDX-License-Identifier: MIT\r\n\r\nint x;\r\n"
    out = fix(text, "C", copyright_line=None)
    assert out == "\ufeff// SPDX-License-Identifier: Apache-2.0\r\n\r\nint x;\r\n"


def test_extra_spdx_lines_are_merged_into_one():
    text = "# SPDX-License-Identifier: MIT\n# SPDX-License-Identifier: BSD-3-Clause\nx = 1\n"
    out = fix(text, "Python", copyright_line=None)
    assert out == "# SPDX-License-Identifier: Apache-2.0\nx = 1\n"


def test_missing_copyright_added_next_to_spdx_line():
    text = " /*\n * SPDX-License-Identifier: Apache-2.0\n */\nint x;\n"
    out = fix(text, "C")
    assert out == " /*\n * Copyright (c) 2026 Example Corp\n * SPDX-License-Identifier: Apache-2.0\n */\nint x;\n"
    assert_ok("a.c", out)


def test_missing_copyright_next_to_one_line_block_comment():
    out = fix("/* SPDX-License-Identifier: Apache-2.0 */\nint x;\n", "C")
    assert out == "/* Copyright (c) 2026 Example Corp */\n/* SPDX-License-Identifier: Apache-2.0 */\nint x;\n"


def test_existing_copyright_block_gains_the_spdx_line():
    text = "// Copyright (c) 2019, 2021-2023 Example Corp\n// All rights reserved.\n\npackage x\n"
    out = fix(text, "Go")
    assert out == (
        "// Copyright (c) 2019, 2021-2023 Example Corp\n// SPDX-License-Identifier: Apache-2.0\n"
        "// All rights reserved.\n\npackage x\n"
    )
    assert_ok("x.go", out)


def test_foreign_copyright_gets_our_full_header():
    text = "# Copyright 2019 Somebody Else\nx = 1\n"
    out = fix(text, "Python")
    assert out == (
        "# Copyright (c) 2026 Example Corp\n# SPDX-License-Identifier: Apache-2.0\n\n"
        "# Copyright 2019 Somebody Else\nx = 1\n"
    )
    assert_ok("a.py", out)


def test_without_template_any_copyright_line_is_completed():
    text = "# Copyright 2019 Somebody\nx = 1\n"
    out = fix(text, "Python", copyright_line=None)
    assert out == "# Copyright 2019 Somebody\n# SPDX-License-Identifier: Apache-2.0\nx = 1\n"


def test_header_without_spdx_is_refused():
    with pytest.raises(ValueError):
        insert_header("x = 1\n", lang("Python"), "# just a comment\n")


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("a.py", "#!/usr/bin/env python3\n# coding: utf-8\n'''Doc.'''\n"),
        ("a.ts", "#!/usr/bin/env -S deno run\nexport {}\n"),
        ("a.rb", "#!/usr/bin/env ruby\n# frozen_string_literal: true\nputs 1\n"),
        ("a.css", "@charset 'utf-8';\nbody {}\n"),
        ("a.vue", "<template><div/></template>\n"),
        ("a.hs", "{-# LANGUAGE GADTs #-}\nmodule A where\n"),
        ("a.sql", "SELECT 1;\n"),
        ("a.lua", "local x = 1\n"),
        ("Makefile", "all:\n\ttrue\n"),
        ("a.ps1", "#Requires -Version 7\nWrite-Host hi\n"),
        ("a.rst", "Title\n=====\n"),
        ("a.txt", "Just words.\n"),
        ("a.j2", "<!DOCTYPE html>\n<p>{{ x }}</p>\n"),
        ("a.yaml", "---\nk: v\n"),
    ],
)
def test_fix_then_check_passes(path: str, text: str):
    from rules.license_headers.core.languages import detect_language

    language = detect_language(path, text.encode())
    assert language is not None
    header = header_for(language, "Apache-2.0", TEMPLATE, 2026)
    out = insert_header(text, language, header, copyright_template=TEMPLATE)
    assert out != text
    assert_ok(path, out)
    assert insert_header(out, language, header, copyright_template=TEMPLATE) == out
    assert find_header(out, language).license == "Apache-2.0"
