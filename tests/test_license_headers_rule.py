"""The licence-header rule end to end (SPEC §3 `license_headers`, §4, §5 Licence headers and
Large pull requests), plus unit tests of the parts it adds on top of rules/headers' core."""

from __future__ import annotations

import json
import re

import pytest

from bot.config import load_text
from rules import RULES
from rules.common.diff import content_from_patch
from rules.common.gitattributes import parse_gitattributes
from rules.license_headers.config import DEFAULT_EXCLUDE
from rules.license_headers.core.check import FileVerdict, VerdictKind
from rules.license_headers.core.languages import detect_language
from rules.license_headers.core.policy import HeaderPolicy, names_prose
from rules.license_headers.reads import blob_query, graphql_string
from rules.license_headers.report import LIST_CAP, code, summarize
from rules.license_headers.rule import CONTEXT
from tests.fake_ext_license_headers import fail_graphql_objects, truncate_trees
from tests.payloads import pull_request_event

REPO = "acme/widgets"
REPORT_MARKER = "<!-- governance-bot:report -->"
COPYRIGHT = "Copyright (c) {year} Example Corp"
RULES_FILE = f"""
license_headers:
  license: Apache-2.0
  copyright: "{COPYRIGHT}"
  paths:
    - match: ["ee/**"]
      license: LicenseRef-Example-Commercial
"""
GITATTRIBUTES = "generated/** linguist-generated\nexternal/** linguist-vendored\n"
PY_HEADER = "# Copyright (c) 2019-2024 Example Corp\n# SPDX-License-Identifier: Apache-2.0\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"


# -- helpers -------------------------------------------------------------------------------------


def new_file_patch(text: str) -> str:
    """The `patch` GitHub lists for a file added with this content."""
    lines = text.split("\n")
    final_newline = text.endswith("\n")
    if final_newline:
        lines.pop()
    patch = f"@@ -0,0 +1,{len(lines)} @@\n" + "\n".join("+" + line for line in lines)
    return patch if final_newline else patch + "\n\\ No newline at end of file"


def added(name: str, content: str | bytes, *, patch: bool = True) -> dict:
    spec: dict = {"filename": name, "status": "added", "content": content,
                  "additions": content.count("\n") if isinstance(content, str) else 0}
    if patch and isinstance(content, str):
        spec["patch"] = new_file_patch(content)
    return spec


def modified(name: str, content: str, **extra) -> dict:
    # A modified file's patch is a diff, not its content: the rule must read the file.
    return {"filename": name, "status": "modified", "content": content, "additions": 1, "deletions": 1,
            "patch": "@@ -1,2 +1,2 @@\n-old\n+new\n context", **extra}


def setup_repo(fake, rules_text: str = RULES_FILE) -> None:
    fake.add_user("dana")
    fake.add_repo(REPO)
    fake.set_file(REPO, ".github/governance.yml", rules_text)
    fake.set_file(REPO, ".gitattributes", GITATTRIBUTES)
    fake.set_file(REPO, "ee/x.py", PY_HEADER.replace("Apache-2.0", "LicenseRef-Example-Commercial") + "x = 0\n")
    fake.set_file(REPO, "web/app.ts", "export const a = 0;\n")
    fake.set_file(REPO, "src/orig.py", PY_HEADER + "moved = True\n")
    fake.set_file(REPO, "old.py", "gone = True\n")


def open_pr(fake, files: list[dict], number: int = 1) -> dict:
    return fake.add_pull_request(REPO, number, author="dana", files=files, head_sha=f"{number:040x}")


async def evaluate(fake, bot, number: int = 1, action: str = "opened") -> None:
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, number, action))


def status(fake, number: int = 1) -> dict | None:
    return fake.latest_status(REPO, fake.pull_request(REPO, number)["head"]["sha"], CONTEXT)


def report(fake, number: int = 1) -> str:
    bodies = [c["body"] for c in fake.comments(REPO, number) if c["body"].startswith(REPORT_MARKER)]
    assert len(bodies) == 1, bodies
    return bodies[0]


def listed_files(body: str) -> list[str]:
    """The files the report lists as offending (bullets that start with a code span)."""
    return re.findall(r"^- `([^`]+)`: ", body, re.M)


def graphql_queries(fake) -> list[str]:
    return [r.body["query"] for r in fake.requests if r.method == "POST" and r.path == "/graphql"]


def content_reads(fake) -> list[str]:
    # The rules file, .gitattributes and the REUSE probes are read from the base branch, not per file.
    return [r.path for r in fake.requests if "/contents/" in r.path and "governance.yml" not in r.path
            and ".gitattributes" not in r.path and not r.path.endswith(("/REUSE.toml", "/.reuse/dep5"))]


MIXED_FILES = [
    added("src/no_header.py", "import os\n"),
    added("src/good.py", PY_HEADER + "\nimport sys\n"),
    # No patch (GitHub omits it for large files): read through GraphQL.
    added("scripts/run.py", "#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\n" + PY_HEADER + "print('hi')\n",
          patch=False),
    added("cmd/main.go", "package main\n\nfunc main() {}\n"),
    modified("web/app.ts", "export const a = 1;\n"),
    added("docs/guide.md", "# Guide\n"),
    added("package.json", '{"name": "widgets"}\n'),
    added("assets/logo.png", PNG, patch=False),
    added("vendor/lib/util.py", "x = 1\n"),
    added("external/dep.py", "x = 1\n"),
    added("generated/api.py", "x = 1\n"),
    added("api/types.pb.go", "// Code generated by protoc-gen-go. DO NOT EDIT.\npackage api\n"),
    added("src/__init__.py", "", patch=False),
    modified("ee/x.py", PY_HEADER + "x = 1\n"),
    {"filename": "src/moved.py", "status": "renamed", "previous_filename": "src/orig.py"},
    {"filename": "old.py", "status": "removed", "deletions": 1},
]
OFFENDING = ["cmd/main.go", "ee/x.py", "src/no_header.py", "web/app.ts"]


# -- end to end ----------------------------------------------------------------------------------


async def test_mixed_pr_fails_listing_exactly_the_offending_files_then_a_fix_passes(fake, bot):
    setup_repo(fake)
    open_pr(fake, MIXED_FILES)
    await evaluate(fake, bot)

    failing = status(fake)
    assert failing["state"] == "failure"
    assert failing["description"].startswith("4 files need a licence header fix")
    assert len(failing["description"]) <= 140
    body = report(fake)
    assert sorted(listed_files(body)) == OFFENDING
    assert "declares `Apache-2.0`, expected `LicenseRef-Example-Commercial`" in body
    # The exact header for each file type and licence involved, in its comment syntax.
    year = re.search(r"Copyright \(c\) (\d{4}) Example Corp", body)[1]
    assert f"```python\n# Copyright (c) {year} Example Corp\n# SPDX-License-Identifier: Apache-2.0\n```" in body
    assert (f"```python\n# Copyright (c) {year} Example Corp\n"
            "# SPDX-License-Identifier: LicenseRef-Example-Commercial\n```") in body
    assert f"```go\n// Copyright (c) {year} Example Corp\n// SPDX-License-Identifier: Apache-2.0\n```" in body
    assert f"```typescript\n// Copyright (c) {year} Example Corp\n// SPDX-License-Identifier: Apache-2.0\n```" in body

    # Files decided by name, and added files whose patch is their content, are never fetched.
    queries = "\n".join(graphql_queries(fake))
    for path in ("scripts/run.py", "web/app.ts", "ee/x.py", "src/moved.py", "src/__init__.py"):
        assert f':{path}"' in queries
    for path in ("logo.png", "package.json", "guide.md", "vendor/", "external/", "generated/", "no_header.py",
                 "src/good.py", "cmd/main.go", "types.pb.go", "old.py"):
        assert path not in queries
    assert content_reads(fake) == []
    assert len(graphql_queries(fake)) == 1

    # The author pushes headers everywhere: success, and the same report says so.
    fixed = {"src/no_header.py": PY_HEADER + "import os\n",
             "cmd/main.go": PY_HEADER.replace("#", "//") + "package main\n",
             "web/app.ts": PY_HEADER.replace("#", "//") + "export const a = 1;\n",
             "ee/x.py": PY_HEADER.replace("Apache-2.0", "LicenseRef-Example-Commercial") + "x = 1\n"}
    files = []
    for spec in MIXED_FILES:
        name = spec["filename"]
        if name in fixed:
            spec = added(name, fixed[name]) if spec["status"] == "added" else modified(name, fixed[name])
        files.append(spec)
    fake.push(REPO, 1, head_sha="f" * 40, files=files)
    await evaluate(fake, bot, action="synchronize")
    passing = status(fake)
    assert passing["state"] == "success"
    assert passing["description"] == "All 7 files checked carry the expected licence header."
    body = report(fake)
    assert "Everything passes" in body and listed_files(body) == []


async def test_nothing_is_posted_when_every_header_is_right(fake, bot):
    setup_repo(fake)
    open_pr(fake, [added("src/good.py", PY_HEADER), added("README.md", "# hi\n")])
    await evaluate(fake, bot)
    assert status(fake)["state"] == "success"
    assert [c for c in fake.comments(REPO, 1) if c["body"].startswith(REPORT_MARKER)] == []


async def test_equivalent_spdx_expression_passes_and_missing_copyright_fails(fake, bot):
    setup_repo(fake, "license_headers:\n  license: Apache-2.0 OR MIT\n  copyright: 'Copyright {year} Acme'\n")
    open_pr(fake, [
        added("a.py", "# Copyright 2020, 2022-2024 Acme\n# SPDX-License-Identifier: MIT OR Apache-2.0\n"),
        added("b.py", "# SPDX-License-Identifier: Apache-2.0 OR MIT\n"),
        added("c.py", "# Copyright 2021 Someone Else\n# SPDX-License-Identifier: (MIT OR Apache-2.0)\n"),
    ])
    await evaluate(fake, bot)
    assert status(fake)["state"] == "failure"
    body = report(fake)
    assert listed_files(body) == ["b.py", "c.py"]
    assert "no copyright line matching `Copyright {year} Acme`" in body


async def test_prose_is_checked_only_when_include_names_it(fake, bot):
    setup_repo(fake, "license_headers:\n  license: MIT\n  include: ['**/*', 'docs/**/*.md']\n")
    open_pr(fake, [added("docs/guide.md", "# Guide\n"), added("README.md", "# Widgets\n"),
                   added("notes.txt", "todo\n")])
    await evaluate(fake, bot)
    body = report(fake)
    assert listed_files(body) == ["docs/guide.md"]
    assert "```markdown\n<!--\nSPDX-License-Identifier: MIT\n-->\n```" in body


async def test_exclude_and_per_path_licence_last_match_wins(fake, bot):
    setup_repo(fake, """
license_headers:
  license: MIT
  exclude: ["testdata/**"]
  paths:
    - match: ["lib/**"]
      license: Apache-2.0
    - match: ["lib/gpl/**"]
      license: GPL-2.0-only
""")
    open_pr(fake, [added("testdata/x.py", "x = 1\n"), added("vendor/y.py", "y = 1\n"),
                   added("lib/a.py", "# SPDX-License-Identifier: Apache-2.0\n"),
                   added("lib/gpl/b.py", "# SPDX-License-Identifier: Apache-2.0\n")])
    await evaluate(fake, bot)
    body = report(fake)
    # `exclude` replaces the default list, so vendor/ is checked here.
    assert listed_files(body) == ["lib/gpl/b.py", "vendor/y.py"]
    assert "expected `GPL-2.0-only`" in body


async def test_graphql_error_on_one_file_is_read_through_rest(fake, bot):
    setup_repo(fake)
    failed = fail_graphql_objects(fake, {"web/app.ts"})
    open_pr(fake, [modified("web/app.ts", "export const a = 1;\n"), modified("ee/x.py", PY_HEADER + "x = 1\n")])
    await evaluate(fake, bot)
    assert failed == ["web/app.ts"]
    assert content_reads(fake) == [f"/repos/{REPO}/contents/web/app.ts"]
    assert sorted(listed_files(report(fake))) == ["ee/x.py", "web/app.ts"]


async def test_failed_graphql_query_falls_back_to_rest_for_the_batch(fake, bot):
    setup_repo(fake)
    fake.fail("POST", r"/graphql", status=400, times=1, body={"message": "Problems parsing JSON"})
    open_pr(fake, [modified("web/app.ts", "export const a = 1;\n"),
                   modified("src/fine.py", PY_HEADER + "x = 1\n")])
    await evaluate(fake, bot)
    assert sorted(content_reads(fake)) == [f"/repos/{REPO}/contents/src/fine.py",
                                           f"/repos/{REPO}/contents/web/app.ts"]
    assert listed_files(report(fake)) == ["web/app.ts"]


async def test_paths_are_escaped_in_the_graphql_query(fake, bot):
    setup_repo(fake)
    odd = 'src/we"ird \\ dir/é {x}.py'
    open_pr(fake, [modified(odd, "x = 1\n"), modified("src/ok.py", PY_HEADER)])
    await evaluate(fake, bot)
    assert content_reads(fake) == []  # GraphQL understood the escaped path
    body = report(fake)
    assert listed_files(body) == [odd]
    assert f"- {code(odd)}: missing header" in body


async def test_pr_beyond_3000_files_is_read_through_trees_and_graphql(fake, bot):
    setup_repo(fake, "license_headers:\n  license: MIT\n")
    files = [added(f"img/i{i:04d}.png", PNG, patch=False) for i in range(2800)]
    files += [added(f"pkg/m{i:04d}.py", "# SPDX-License-Identifier: MIT\nx = 1\n") for i in range(201)]
    files[2900] = added("pkg/m0100.py", "x = 1\n")
    files.append(added("pkg/empty.py", ""))
    open_pr(fake, files)
    await evaluate(fake, bot)
    assert status(fake)["state"] == "failure"
    assert listed_files(report(fake)) == ["pkg/m0100.py"]
    assert any("/git/trees/" in r.path for r in fake.requests)
    # The trees list gives no patch: the 201 Python files are read 100 a query; images and
    # the empty file (size 0 in the tree) are never read.
    queries = graphql_queries(fake)
    assert [q.count("object(expression:") for q in queries] == [100, 100, 1]
    assert not any(".png" in q or "empty.py" in q for q in queries)


async def test_pr_too_large_to_list_fails_closed(fake, bot):
    setup_repo(fake, "license_headers:\n  license: MIT\n")
    truncate_trees(fake)
    open_pr(fake, [added(f"pkg/m{i:04d}.py", "# SPDX-License-Identifier: MIT\n") for i in range(3001)])
    await evaluate(fake, bot)
    failing = status(fake)
    assert failing["state"] == "failure"
    assert "more files than GitHub can list" in failing["description"]
    assert "Nothing was checked" in report(fake)


async def test_invalid_licence_in_rules_file_fails_the_config_status(fake, bot):
    setup_repo(fake, "license_headers:\n  license: Apache2\n")
    open_pr(fake, [added("a.py", "x = 1\n")])
    await evaluate(fake, bot)
    sha = fake.pull_request(REPO, 1)["head"]["sha"]
    config = fake.latest_status(REPO, sha, "governance/config")
    assert config["state"] == "failure" and "license_headers.license" in config["description"]
    assert status(fake) is None


# -- configuration ---------------------------------------------------------------------------------


def config_errors(text: str) -> list[str]:
    return load_text(text, RULES).errors


def test_config_defaults():
    section = load_text("license_headers:\n  license: MIT\n", RULES).rules_file.license_headers
    assert section.include == ["**/*"] and section.exclude == DEFAULT_EXCLUDE
    assert section.copyright is None and section.paths == []


@pytest.mark.parametrize("text, expected", [
    ("license_headers:\n  license: Apache2\n", "license_headers.license: 'Apache2' is not on the SPDX licence list"),
    ("license_headers:\n  license: MIT OR\n", "license_headers.license: not a valid SPDX expression"),
    ("license_headers:\n  license: MIT\n  copyright: '(c) {years} Acme'\n",
     "license_headers.copyright: unknown placeholder {years}"),
    ("license_headers:\n  license: MIT\n  copyright: ''\n", "license_headers.copyright: cannot be empty"),
    ("license_headers:\n  license: MIT\n  include: []\n", "license_headers.include: needs at least one glob"),
    ("license_headers:\n  license: MIT\n  paths: [{match: ['ee/**'], license: 'Apache 2.0'}]\n",
     "license_headers.paths.0.license: not a valid SPDX expression"),
    ("license_headers:\n  license: MIT\n  paths: [{match: [], license: MIT}]\n",
     "license_headers.paths.0.match: needs at least one glob"),
    ("license_headers:\n  licence: MIT\n", "license_headers.licence: unknown key"),
    ("license_headers: {}\n", "license_headers.license: Field required"),
])
def test_config_errors_are_clear(text: str, expected: str):
    errors = config_errors(text)
    assert any(e.startswith(expected) for e in errors), errors


# -- unit: patches, scope, prose, queries, report ---------------------------------------------------


@pytest.mark.parametrize("text", ["a\nb\n", "a\nb", "\ufeff# x\r\nprint(1)\r\n", "\n\n", "x"])
def test_complete_new_file_patch_gives_the_content(text: str):
    assert content_from_patch(new_file_patch(text)) == text


@pytest.mark.parametrize("patch", [
    None, "",
    "@@ -1,2 +1,2 @@\n-a\n+b\n c",  # a modification
    "@@ -0,0 +1,3 @@\n+a\n+b",  # fewer lines than announced (cut short)
    "@@ -0,0 +1,1 @@\n+a\n@@ -0,0 +5,1 @@\n+b",  # a second hunk
    "@@ -0,0 +1,2 @@\n+a\n b",  # a context line
])
def test_incomplete_or_foreign_patch_is_not_content(patch):
    assert content_from_patch(patch) is None


@pytest.mark.parametrize("pattern, expected", [
    ("**/*", False), ("docs/**", False), ("*", False), ("docs/**/*.md", True), ("*.rst", True),
    ("README.md", True), ("notes/*.txt", True), ("!*.md", False), ("*.py", False), ("docs/*.md/", True),
])
def test_include_names_prose(pattern: str, expected: bool):
    assert names_prose(pattern) is expected


def test_scope_applies_include_exclude_gitattributes_and_paths():
    policy = HeaderPolicy(license="MIT", include=["**/*", "docs/*.md"], exclude=DEFAULT_EXCLUDE,
                          paths=[(["ee/**"], "LicenseRef-EE"), (["ee/open/**"], "MIT OR Apache-2.0")],
                          attributes=parse_gitattributes("gen/** linguist-generated\n"))
    assert policy.scope("a/vendor/x.py").reason == "excluded"
    assert policy.scope("web/app.min.js").reason == "excluded"
    assert policy.scope("gen/x.py").reason == "linguist-generated"
    assert policy.scope("ee/x.py").license == "LicenseRef-EE"
    assert policy.scope("ee/open/x.py").license == "MIT OR Apache-2.0"
    assert policy.scope("docs/a.md").include_prose and not policy.scope("README.md").include_prose
    assert policy.prejudge(policy.scope("README.md")).skip_reason.value == "prose"
    assert policy.prejudge(policy.scope("docs/a.md")) is None
    assert policy.prejudge(policy.scope("logo.png")).skip_reason.value == "no comment syntax"
    assert policy.prejudge(policy.scope("bin/tool")) is None  # may have a shebang: must be read


def test_blob_query_escapes_paths_as_graphql_strings():
    paths = ['a"b.py', "c\\d.py", "e\nf.py", "é.py"]
    query = blob_query("acme", "widgets", "abc", paths)
    literals = re.findall(r'object\(expression: ("(?:[^"\\]|\\.)*")\)', query)
    assert [json.loads(s) for s in literals] == [f"abc:{p}" for p in paths]
    assert graphql_string("é") == '"é"' and "\n" not in graphql_string("a\nb")
    assert [a for a in re.findall(r"(f\d+): object", query)] == ["f0", "f1", "f2", "f3"]


def test_code_spans_hold_any_path():
    assert code("a`b") == "``a`b``"
    assert code("`x") == "`` `x ``"
    assert code("a\nb@c") == "`a?b@c`"


def _failure(i: int) -> FileVerdict:
    return FileVerdict(f"src/m{i:03d}.py", VerdictKind.MISSING_HEADER, language=detect_language("x.py"),
                       expected="MIT")


def test_report_lists_at_most_fifty_files_then_how_many_more():
    summary = summarize([_failure(i) for i in range(LIST_CAP + 7)], copyright_template=None, year=2026)
    assert summary.state == "failure"
    assert len(listed_files(summary.body)) == LIST_CAP
    assert "- and 7 more" in summary.body
    assert "**Python** files licensed `MIT` (`src/m000.py` and 56 others):" in summary.body
    assert summary.description == "57 files need a licence header fix: paste the header shown in the report comment."


def test_report_without_failures():
    ok = FileVerdict("a.py", VerdictKind.OK, language=detect_language("a.py"), expected="MIT")
    skipped = FileVerdict("a.png", VerdictKind.SKIPPED)
    assert summarize([ok, skipped], copyright_template=None, year=2026).description == \
        "The one file checked carries the expected licence header."
    assert summarize([skipped], copyright_template=None, year=2026).description == \
        "No changed file needs a licence header."


HOSTILE_DECLARED = [
    "<img/src=https://attacker.example/t.png/onerror=x>",
    "@acme/security-team",
    "**MIT** [x](https://attacker.example) `a``b`",
    "<!-- governance-bot:report -->",
]


def outside_code(body: str) -> str:
    """The report with every code span and fenced block taken out: where text is live Markdown."""
    body = re.sub(r"^(`{3,})[^\n]*\n.*?^\1\s*$", "", body, flags=re.M | re.S)
    return re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", body, flags=re.S)


@pytest.mark.parametrize("declared", HOSTILE_DECLARED)
async def test_an_invalid_declared_licence_is_shown_only_as_code(fake, bot, declared):
    """Issue 17: `SPDX-License-Identifier: <img…>` or `@acme/security-team` was echoed raw into the report."""
    setup_repo(fake)
    open_pr(fake, [added("src/evil.py", f"# Copyright (c) 2024 Example Corp\n# SPDX-License-Identifier: {declared}\n")])
    await evaluate(fake, bot)
    assert status(fake)["state"] == "failure"
    body = report(fake)
    live = outside_code(body.removeprefix(REPORT_MARKER))
    for fragment in ("<img", "@acme", "**MIT**", "[x](", "governance-bot:report"):
        assert fragment not in live, live
