"""Tests for rules.commercial.boundary: commercial path matching and forbidden-import detection."""

from __future__ import annotations

import time

import pytest

from rules.commercial.boundary import (
    CommercialPaths,
    ForbiddenImport,
    find_forbidden_imports,
    find_imports,
    language_for,
    resolve_go_import,
    resolve_js_specifier,
    resolve_python_module,
)
from rules.common.diff import added_lines, parse_patch

EE = CommercialPaths(["ee/**", "**/*.ee.ts", "enterprise/**"])


def patch_of(*added: str, start: int = 1) -> str:
    """A one-hunk patch that adds ``added`` to a new file."""
    body = "\n".join("+" + line for line in added)
    return f"@@ -0,0 +{start},{len(added)} @@\n{body}"


def hits(path: str, patch: str, commercial: CommercialPaths = EE, **kw) -> list[tuple[int, str]]:
    return [(f.line, f.target) for f in find_forbidden_imports(path, patch, commercial, **kw)]


# ---------------------------------------------------------------------------
# CommercialPaths
# ---------------------------------------------------------------------------


class TestCommercialPaths:
    def test_matches_gitignore_semantics(self):
        assert EE.matches("ee/billing.py")
        assert EE.matches("ee/a/b/c.go")
        assert EE.matches("src/app/billing.ee.ts")
        assert EE.matches("./ee/x.py")
        assert not EE.matches("free/x.py")
        assert not EE.matches("free/ee.py")
        assert not EE.matches("ee_utils/x.py")
        assert not EE.matches("src/ee/x.py")  # "ee/**" is anchored at the root
        assert not EE.matches("src/app/billing.ts")

    def test_empty_globs_match_nothing(self):
        empty = CommercialPaths([])
        assert not empty
        assert not empty.matches("ee/x.py")
        assert not empty.matches_module_dir("ee")

    def test_module_dir_by_language(self):
        assert EE.matches_module_dir("ee", "python")
        assert EE.matches_module_dir("ee/billing", "python")
        assert EE.matches_module_dir("ee/billing", "go")
        assert EE.matches_module_dir("src/billing.ee", "js")  # -> src/billing.ee.ts
        assert not EE.matches_module_dir("src/billing", "js")
        assert not EE.matches_module_dir("ee_utils", "python")
        assert not EE.matches_module_dir("free/ee_stuff", None)
        assert not EE.matches_module_dir("", None)

    def test_module_dir_extension_sensitive_globs(self):
        only_py = CommercialPaths(["pro/**/*.py"])
        assert only_py.matches_module_dir("pro/billing", "python")  # pro/billing.py
        assert only_py.matches_module_dir("pro", "python")  # pro/__init__.py
        assert not only_py.matches_module_dir("pro/billing", "go")
        only_go = CommercialPaths(["pro/**/*.go"])
        assert only_go.matches_module_dir("pro/billing", "go")  # a Go package directory
        assert not only_go.matches_module_dir("pro/billing", "python")

    def test_negated_subdirectory(self):
        cp = CommercialPaths(["ee/**", "!ee/public/**"])
        assert cp.matches_module_dir("ee/private", "python")
        assert not cp.matches_module_dir("ee/public/api", "python")
        # "ee/public" may be the commercial module ee/public.py
        assert cp.matches_module_dir("ee/public", "python")
        assert not cp.matches_module_dir("ee/public/api", "js")

    def test_js_emitted_extension_maps_to_ts(self):
        cp = CommercialPaths(["**/*.ee.ts"])
        assert cp.matches_module_dir("lib/billing.ee.js", "js")
        assert not cp.matches_module_dir("lib/billing.js", "js")


# ---------------------------------------------------------------------------
# Patch parsing
# ---------------------------------------------------------------------------


MULTI_HUNK = """\
@@ -1,4 +1,5 @@
 package main
-import "fmt"
+import "os"
+// new comment
 func a() {}
 func b() {}
@@ -40,3 +41,4 @@ func c() {
     x := 1
+    y := 2
     z := 3
\\ No newline at end of file"""


class TestPatchParsing:
    def test_added_lines_with_new_file_numbers_across_hunks(self):
        assert added_lines(MULTI_HUNK) == [(2, 'import "os"'), (3, "// new comment"), (42, "    y := 2")]

    def test_removed_lines_have_no_new_number(self):
        removed = [pl for pl in parse_patch(MULTI_HUNK) if pl.kind == "-"]
        assert [(pl.new_line, pl.text) for pl in removed] == [(None, 'import "fmt"')]

    def test_hunk_without_counts_and_headers_skipped(self):
        patch = "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -3 +3 @@\n-old\n+new\n"
        assert added_lines(patch) == [(3, "new")]

    def test_empty_and_none(self):
        assert added_lines("") == []
        assert added_lines(None) == []

    def test_long_lines_are_capped(self):
        long = "x" * 50_000
        [(n, text)] = added_lines(patch_of(long))
        assert n == 1 and len(text) == 10_000

    def test_crlf(self):
        assert added_lines("@@ -1 +1,2 @@\r\n a\r\n+b\r\n") == [(2, "b")]


def test_language_for():
    assert language_for("a/b.py") == "python"
    assert language_for("a/b.d.ts") == "js"
    assert language_for("a/b.vue") == "js"
    assert language_for("a/b.mts") == "js"
    assert language_for("cmd/main.go") == "go"
    assert language_for("README.md") is None


# ---------------------------------------------------------------------------
# Python
# ---------------------------------------------------------------------------


class TestPython:
    def test_absolute_import(self):
        assert hits("app/main.py", patch_of("import ee.billing")) == [(1, "ee/billing")]

    def test_import_as_and_list(self):
        found = hits("app/main.py", patch_of("import os, ee.billing as b, json"))
        assert found == [(1, "ee/billing")]

    def test_from_import(self):
        assert hits("app/main.py", patch_of("from ee.billing import charge")) == [(1, "ee/billing")]

    def test_from_package_import_module(self):
        cp = CommercialPaths(["pkg/pro/**"])
        # ``pkg`` is open, ``pkg/pro`` is a commercial module imported by name
        assert hits("app/main.py", patch_of("from pkg import pro, util"), cp) == [(1, "pkg/pro")]
        assert hits("app/main.py", patch_of("from pkg import util"), cp) == []

    def test_relative_single_dot(self):
        cp = CommercialPaths(["app/ee/**"])
        assert hits("app/main.py", patch_of("from . import ee")) == []
        assert hits("app/main.py", patch_of("from . import ee"), cp) == [(1, "app/ee")]
        assert hits("app/main.py", patch_of("from .ee.x import y"), cp) == [(1, "app/ee/x")]

    def test_relative_climbing_into_ee(self):
        assert hits("pkg/sub/mod.py", patch_of("from ...ee import billing")) == [(1, "ee")]
        assert hits("pkg/sub/mod.py", patch_of("from ...ee.billing import x")) == [(1, "ee/billing")]
        # two dots stay inside pkg/: pkg/ee is not commercial
        assert hits("pkg/sub/mod.py", patch_of("from ..ee import billing")) == []
        # climbing above the repository root resolves to nothing
        assert hits("pkg/mod.py", patch_of("from .....ee import x")) == []

    def test_relative_dots_only(self):
        assert hits("pkg/sub/mod.py", patch_of("from ... import ee")) == [(1, "ee")]

    def test_dynamic_imports(self):
        patch = patch_of(
            'mod = importlib.import_module("ee.billing")',
            "m = __import__('ee.x')",
            'other = importlib.import_module("free.billing")',
        )
        assert hits("app/main.py", patch) == [(1, "ee/billing"), (2, "ee/x")]

    def test_free_path_does_not_match_ee(self):
        patch = patch_of("import free.x", "from free.ee_like import y", "import freeee")
        assert hits("app/main.py", patch) == []

    def test_ee_utils_is_not_ee(self):
        patch = patch_of("import ee_utils", "from ee_utils.x import y", "import eex.y")
        assert hits("app/main.py", patch) == []

    def test_src_root(self):
        cp = CommercialPaths(["src/ee/**"])
        assert hits("src/app/main.py", patch_of("from ee.billing import x"), cp) == [(1, "src/ee/billing")]
        assert hits("src/app/main.py", patch_of("from ee.billing import x"), cp, python_roots=["."]) == []

    def test_paren_block_continuation_added(self):
        patch = "@@ -1,3 +1,4 @@\n from ee.billing import (\n     a,\n+    b,\n )"
        assert hits("app/main.py", patch) == [(3, "ee/billing")]

    def test_paren_block_added_reported_once(self):
        patch = patch_of("from ee.billing import (", "    a,", "    b,", ")")
        assert hits("app/main.py", patch) == [(1, "ee/billing")]

    def test_semicolon_and_compound(self):
        patch = patch_of("import os; import ee.x", "try: import ee.y")
        assert hits("app/main.py", patch) == [(1, "ee/x"), (2, "ee/y")]

    def test_comments_and_strings_are_not_imports(self):
        patch = patch_of(
            "# import ee.x",
            'x = "import ee.x"',
            "y = 1  # from ee import z",
            'z = 2  # importlib.import_module("ee.q")',
        )
        assert hits("app/main.py", patch) == []

    def test_resolve_python_module(self):
        assert resolve_python_module("ee.x", "a/b.py") == ("ee/x", "src/ee/x")
        assert resolve_python_module("x", "a/b/c.py", level=2) == ("a/x",)
        assert resolve_python_module("x", "c.py", level=2) == ()


# ---------------------------------------------------------------------------
# JavaScript / TypeScript
# ---------------------------------------------------------------------------


class TestJavaScript:
    @pytest.mark.parametrize(
        "line",
        [
            "import { charge } from '../ee/billing';",
            'import Billing from "../ee/billing"',
            "import * as b from '../ee/billing'",
            "import '../ee/billing';",
            "export * from '../ee/billing';",
            "export { charge } from '../ee/billing';",
            "const b = require('../ee/billing');",
            "const b = await import('../ee/billing');",
            "import type { Plan } from '../ee/billing';",
            "import b = require('../ee/billing');",
            "const b = import(`../ee/billing`);",
        ],
    )
    def test_statement_forms(self, line):
        assert hits("src/app.ts", patch_of(line)) == [(1, "ee/billing")]

    def test_multiline_import_reports_from_line(self):
        patch = patch_of("import {", "  a,", "  b,", "} from '../ee/billing';")
        assert hits("src/app.ts", patch) == [(4, "ee/billing")]

    def test_relative_climbing(self):
        assert hits("packages/web/app.tsx", patch_of("import x from '../../ee/foo'")) == [(1, "ee/foo")]
        assert hits("packages/web/app.tsx", patch_of("import x from '../ee/foo'")) == []

    def test_free_does_not_match(self):
        patch = patch_of("import a from './free/ee'", "import b from '../ee_utils/x'", "import c from './ee'")
        assert hits("src/app.ts", patch) == []

    def test_alias_prefix(self):
        cp = CommercialPaths(["src/ee/**"])
        aliases = {"@/": "src/", "~/": ""}
        assert hits("src/pages/a.vue", patch_of("import x from '@/ee/x'"), cp, aliases=aliases) == [(1, "src/ee/x")]
        assert hits("src/pages/a.vue", patch_of("import x from '@/free/x'"), cp, aliases=aliases) == []
        assert hits("src/pages/a.vue", patch_of("import x from '~/src/ee/y'"), cp, aliases=aliases) == [(1, "src/ee/y")]
        # without the alias mapping, '@/ee/x' is a bare package name: ignored
        assert hits("src/pages/a.vue", patch_of("import x from '@/ee/x'"), cp) == []

    def test_alias_tsconfig_star(self):
        aliases = {"@ee/*": ["ee/*"], "@app/*": ["src/*"]}
        assert hits("src/a.ts", patch_of("import x from '@ee/billing'"), aliases=aliases) == [(1, "ee/billing")]
        assert hits("src/a.ts", patch_of("import x from '@app/billing'"), aliases=aliases) == []

    def test_alias_longest_key_wins(self):
        aliases = {"@app/ee/*": ["ee/*"], "@app/*": ["src/*"]}
        assert hits("web/a.ts", patch_of("import x from '@app/ee/x'"), aliases=aliases) == [(1, "ee/x")]

    def test_removed_and_context_lines_ignored(self):
        patch = (
            "@@ -1,3 +1,3 @@\n"
            " import a from '../ee/kept'\n"
            "-import b from '../ee/removed'\n"
            "+import c from '../ee/added'\n"
            " export {}"
        )
        assert hits("src/a.ts", patch) == [(2, "ee/added")]

    def test_workspace_package_alias(self):
        cp = CommercialPaths(["packages/ee/**"])
        aliases = {"@acme/ee": "packages/ee"}
        assert hits("web/a.ts", patch_of("import x from '@acme/ee'"), cp, aliases=aliases) == [(1, "packages/ee")]
        assert hits("web/a.ts", patch_of("import x from '@acme/ee/sub'"), cp, aliases=aliases) == [
            (1, "packages/ee/sub")
        ]
        assert hits("web/a.ts", patch_of("import x from '@acme/eee'"), cp, aliases=aliases) == []

    def test_bare_packages_ignored(self):
        patch = patch_of("import React from 'react'", "import ee from 'ee'", "const e = require('ee/x')")
        assert hits("src/a.ts", patch) == []

    def test_ee_ts_suffix(self):
        assert hits("src/pay/a.ts", patch_of("import { x } from './billing.ee'")) == [(1, "src/pay/billing.ee")]
        assert hits("src/pay/a.ts", patch_of("import { x } from './billing.ee.js'")) == [
            (1, "src/pay/billing.ee.js")
        ]
        assert hits("src/pay/a.ts", patch_of("import { x } from './billing'")) == []

    def test_comment_lines_ignored(self):
        patch = patch_of("// import x from '../ee/billing'", " * import('../ee/billing')")
        assert hits("src/a.ts", patch) == []

    def test_resolve_js_specifier(self):
        assert resolve_js_specifier("./x", "a/b/c.ts") == ("a/b/x",)
        assert resolve_js_specifier("../../../x", "a/b/c.ts") == ()
        assert resolve_js_specifier("/ee/x", "a/b.ts") == ("ee/x",)
        assert resolve_js_specifier("react", "a/b.ts") == ()
        assert resolve_js_specifier("./x?raw", "a/b.ts") == ("a/x",)


# ---------------------------------------------------------------------------
# Go
# ---------------------------------------------------------------------------


class TestGo:
    MOD = "github.com/org/repo"

    def test_single_import(self):
        patch = patch_of('import "github.com/org/repo/ee/billing"')
        assert hits("cmd/main.go", patch, go_module=self.MOD) == [(1, "ee/billing")]

    def test_grouped_import_added(self):
        patch = patch_of("import (", '\t"fmt"', '\tb "github.com/org/repo/ee/billing"', '\t"github.com/org/repo/free"', ")")
        assert hits("cmd/main.go", patch, go_module=self.MOD) == [(3, "ee/billing")]

    def test_grouped_import_opened_in_unchanged_line(self):
        patch = (
            "@@ -1,6 +1,7 @@\n"
            " package main\n"
            " \n"
            " import (\n"
            ' \t"fmt"\n'
            '+\t_ "github.com/org/repo/ee/plugins"\n'
            " )\n"
            " func main() {}"
        )
        assert hits("cmd/main.go", patch, go_module=self.MOD) == [(5, "ee/plugins")]

    def test_grouped_block_outside_hunk(self):
        # the hunk begins inside the import block: its opener is not in the patch
        patch = '@@ -5,2 +5,3 @@ import (\n \t"fmt"\n+\t"github.com/org/repo/ee/x"\n )'
        assert hits("cmd/main.go", patch, go_module=self.MOD) == [(6, "ee/x")]

    def test_other_module_ignored(self):
        patch = patch_of('import "github.com/other/lib/ee/x"')
        assert hits("cmd/main.go", patch, go_module=self.MOD) == []

    def test_without_module_matches_segments(self):
        patch = patch_of('import "github.com/org/repo/ee/x"', 'import "github.com/org/repo/freeee/x"')
        assert hits("cmd/main.go", patch) == [(1, "ee/x")]

    def test_string_literal_lines_outside_block_ignored(self):
        patch = patch_of("func f() {", '\ts := "github.com/org/repo/ee/x"', "}")
        assert hits("cmd/main.go", patch, go_module=self.MOD) == []

    def test_resolve_go_import(self):
        assert resolve_go_import("github.com/org/repo/ee/x", "github.com/org/repo") == ("ee/x",)
        assert resolve_go_import("github.com/org/repository/ee", "github.com/org/repo") == ()
        assert "ee/x" in resolve_go_import("github.com/org/repo/ee/x")


# ---------------------------------------------------------------------------
# General behaviour
# ---------------------------------------------------------------------------


def test_line_numbers_across_hunks_and_removed_lines_ignored():
    patch = (
        "@@ -1,3 +1,3 @@\n"
        " import os\n"
        "-from ee import old\n"
        "+import json\n"
        " x = 1\n"
        "@@ -50,4 +50,6 @@ def f():\n"
        "     a = 1\n"
        "-    import ee.removed\n"
        "+    b = 2\n"
        "+    import ee.added\n"
        "+    from ee.other import thing\n"
        "     return a\n"
    )
    found = find_forbidden_imports("app/main.py", patch, EE)
    assert found == [
        ForbiddenImport("app/main.py", 52, "import ee.added", "ee/added"),
        ForbiddenImport("app/main.py", 53, "from ee.other import thing", "ee/other"),
    ]


def test_removed_only_patch_reports_nothing():
    patch = "@@ -1,2 +1,0 @@\n-import ee.x\n-from ee import y"
    assert find_forbidden_imports("app/main.py", patch, EE) == []


def test_commercial_file_itself_returns_nothing():
    patch = patch_of("from ee.billing import x", "import x from '../ee/billing'")
    assert find_forbidden_imports("ee/api.py", patch, EE) == []
    assert find_forbidden_imports("src/pay.ee.ts", patch, EE) == []


def test_unknown_language_returns_nothing():
    assert find_forbidden_imports("README.md", patch_of("import ee.x"), EE) == []


def test_no_commercial_paths():
    assert find_forbidden_imports("app/main.py", patch_of("import ee.x"), CommercialPaths([])) == []


def test_find_imports_lists_resolved_only():
    refs = find_imports("src/a.ts", patch_of("import React from 'react'", "import x from './y'"))
    assert [(r.line, r.specifier, r.targets) for r in refs] == [(2, "./y", ("src/y",))]


def test_statement_is_truncated():
    line = "import ee.x  # " + "z" * 500
    [f] = find_forbidden_imports("a.py", patch_of(line), EE)
    assert len(f.statement) <= 200


def test_adversarial_lines_are_fast():
    nasty = [
        "from " + "a." * 4000 + "!",
        "if " + " " * 9000,
        "import(" + "'" * 9000,
        "from '" + "x" * 9000,
        "\t" + '"' * 9000,
        "__import__(" + "'a" * 4000,
    ]
    started = time.perf_counter()
    for path in ("a.py", "a.ts", "a.go"):
        find_forbidden_imports(path, patch_of(*nasty), EE)
    assert time.perf_counter() - started < 2.0


# ---------------------------------------------------------------------------
# Go modules found in go.mod files, and patches rebuilt from contents
# ---------------------------------------------------------------------------


def test_go_nested_modules_resolve_under_their_folder():
    cp = CommercialPaths(["server/enterprise/**"])
    modules = [("github.com/org/repo/server/v8", "server"), ("github.com/org/repo", "")]
    patch = patch_of('import "github.com/org/repo/server/v8/enterprise/ldap"', 'import "github.com/other/enterprise/x"')
    assert hits("server/app/a.go", patch, cp, go_modules=modules) == [(1, "server/enterprise/ldap")]
    # a nested module importing its parent module's commercial folder
    patch = patch_of('import "github.com/org/repo/server/enterprise/x"')
    assert hits("tools/a.go", patch, cp, go_modules=[("github.com/org/repo/tools", "tools"),
                                                       ("github.com/org/repo", "")]) == [(1, "server/enterprise/x")]


def test_go_modules_exclude_third_party_paths_that_end_in_ee():
    patch = patch_of('import "github.com/other/lib/ee/x"')
    assert hits("cmd/a.go", patch) == [(1, "ee/x")]  # without a module: by trailing segments
    assert hits("cmd/a.go", patch, go_modules=[("github.com/org/repo", "")]) == []


def test_resolve_go_import_with_module_folder():
    assert resolve_go_import("example.com/m/ee/x", "example.com/m", "sub") == ("sub/ee/x",)
    assert resolve_go_import("example.com/m", "example.com/m", "sub") == ("sub",)
    assert resolve_go_import("example.com/m", "example.com/m") == ()


class TestPatchFromContents:
    def test_new_lines_are_added_and_numbered(self):
        from rules.commercial.boundary import patch_from_contents

        patch = patch_from_contents("import os\nx = 1\n", "import os\nimport ee.a\nx = 1\nimport ee.b\n")
        assert added_lines(patch) == [(2, "import ee.a"), (4, "import ee.b")]

    def test_moved_and_repeated_lines(self):
        from rules.commercial.boundary import patch_from_contents

        # a line already in the old file is not new where it moved; a second copy is
        patch = patch_from_contents("import ee.a\ny = 2\n", "y = 2\nimport ee.a\nimport ee.a\n")
        assert added_lines(patch) == [(3, "import ee.a")]

    def test_new_file_and_crlf(self):
        from rules.commercial.boundary import patch_from_contents

        assert added_lines(patch_from_contents(None, "a\r\nb\r\n")) == [(1, "a"), (2, "b")]
        assert patch_from_contents("x\n", "") == ""

    def test_block_context_is_kept(self):
        from rules.commercial.boundary import patch_from_contents

        old = 'package main\n\nimport (\n\t"fmt"\n)\n'
        new = 'package main\n\nimport (\n\t"fmt"\n\t"github.com/org/repo/ee/x"\n)\n'
        assert hits("a.go", patch_from_contents(old, new), go_module="github.com/org/repo") == [(5, "ee/x")]
