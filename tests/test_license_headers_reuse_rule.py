"""Issue 13 on a pull request, end to end through the fake GitHub: REUSE information read
from the base branch (a PR cannot annotate its own files away), `.license` sidecars, a
full-text notice, header regions beyond the leading comment, and the files in scope that
could not be checked named in the report. Fixtures are written for this test."""

from __future__ import annotations

import re

from tests.fake_ext_license_headers import contents_reads, set_files
from tests.payloads import pull_request_event
from tests.test_license_headers_rule import REPORT_MARKER, added, listed_files, modified

REPO = "acme/reuse"
CONTEXT = "governance/license-headers"
RULES = """\
license_headers:
  license: Apache-2.0
  copyright: "Copyright {year} {holder}"
  notice: |
    Licensed under the Example Licence terms of the Apache License, Version 2.0;
    you may not use this file except in compliance with the License.
  include: ["**/*", "docs/**/*.md", "docs/**/*.rst"]
"""
REUSE_TOML = """\
version = 1

[[annotations]]
path = "assets/**"
SPDX-FileCopyrightText = "2024 Example Corp"
SPDX-License-Identifier = "Apache-2.0"

[[annotations]]
path = "legacy/*.py"
precedence = "override"
SPDX-FileCopyrightText = "2024 Example Corp"
SPDX-License-Identifier = "Apache-2.0"
"""
NESTED_TOML = """\
version = 1

[[annotations]]
path = "*.py"
precedence = "aggregate"
SPDX-FileCopyrightText = "2024 Example Corp"
SPDX-License-Identifier = "MIT"
"""
NOTICE_GO = ("// Copyright 2021 Ann Example\n//\n// Licensed under the Example Licence terms of the Apache License,\n"
             "// Version 2.0; you may not use this file except in compliance with the License.\n\npackage x\n")


def setup(fake) -> None:
    fake.add_user("dana")
    fake.add_repo(REPO)
    set_files(fake, REPO, {".github/governance.yml": RULES, "REUSE.toml": REUSE_TOML,
                           "mixed/REUSE.toml": NESTED_TOML, "legacy/old.py": "x = 0\n",
                           "tools/run.sh.license": "SPDX-FileCopyrightText: 2020 Bo Example\n"
                                                   "SPDX-License-Identifier: Apache-2.0\n",
                           "tools/run.sh": "echo 0\n"})


async def evaluate(fake, bot, files: list[dict], number: int = 1) -> tuple[dict, str]:
    pr = fake.add_pull_request(REPO, number, author="dana", files=files, head_sha=f"{number:02x}" * 20)
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, number, "opened"))
    status = fake.latest_status(REPO, pr["head"]["sha"], CONTEXT)
    bodies = [c["body"] for c in fake.comments(REPO, number) if c["body"].startswith(REPORT_MARKER)]
    return status, (bodies[0] if bodies else "")


async def test_reuse_from_the_base_branch_notices_and_regions_on_a_pull_request(fake, bot):
    setup(fake)
    files = [
        added("assets/table.py", "TABLE = [1]\n"),  # REUSE.toml (closest): licensed
        modified("legacy/old.py", "# SPDX-License-Identifier: GPL-2.0-only\nx = 1\n"),  # override wins
        added("mixed/both.py", "# Copyright 2024 Cy\n# SPDX-License-Identifier: Apache-2.0\n"),  # aggregate: + MIT
        modified("tools/run.sh", "echo 1\n"),  # its sidecar (unchanged, on the base) licenses it
        added("src/notice.go", NOTICE_GO),
        added("inc/a.h", "#pragma once\n/* Copyright 2020 Dee\n * SPDX-License-Identifier: Apache-2.0 */\nint a;\n"),
        added("docs/opt.md", "---\nc: Copyright 2020 Eve\nSPDX-License-Identifier: Apache-2.0\n---\n# x\n"),
        added("docs/page.rst", "..\n  Copyright 2020 Fay\n\n  SPDX-License-Identifier: Apache-2.0\n\nTitle\n"),
        added("LICENSES/Apache-2.0.txt", "Apache License\nVersion 2.0\n"),
        added("tools/thing.unknownext", "opaque\n"),
        # The PR tries to annotate its own file away: REUSE.toml is read from the base branch.
        modified("REUSE.toml", REUSE_TOML + '\n[[annotations]]\npath = "src/sneaky.py"\n'
                 'SPDX-FileCopyrightText = "2024 X"\nSPDX-License-Identifier = "Apache-2.0"\n'),
        added("src/sneaky.py", "x = 1\n"),
    ]
    status, body = await evaluate(fake, bot, files)
    assert status["state"] == "failure"
    # With REUSE a file needs no comment syntax: tools/thing.unknownext lacks any declaration.
    assert sorted(listed_files(body)) == ["mixed/both.py", "src/sneaky.py", "tools/thing.unknownext"]
    assert "declares `(MIT) AND (Apache-2.0)`, expected `Apache-2.0`" in body \
        or "declares `(Apache-2.0) AND (MIT)`, expected `Apache-2.0`" in body
    # The report pastes the notice, not an SPDX line, since one is configured.
    assert re.search(r"# Copyright \d{4} <copyright holder>\n#\n# Licensed under the Example Licence", body)
    assert "- `tools/thing.unknownext`: missing header" in body
    assert "LICENSES/" not in body and "could not be checked" not in body
    assert all(ref == "main" for ref in contents_reads(fake, "REUSE.toml"))
    assert contents_reads(fake, "REUSE.toml")


async def test_an_invalid_reuse_toml_on_the_base_fails_with_a_clear_answer(fake, bot):
    setup(fake)
    fake.set_file(REPO, "REUSE.toml", "version = 2\n")
    status, body = await evaluate(fake, bot, [added("src/a.py", "x = 1\n")])
    assert status["state"] == "failure"
    assert "REUSE.toml or .reuse/dep5 is invalid" in status["description"]
    assert "REUSE.toml: version must be 1" in body


async def test_a_sidecar_added_by_the_pr_licenses_its_file(fake, bot):
    setup(fake)
    status, body = await evaluate(fake, bot, [
        added("bin/tool.dat2", "opaque\n"),
        added("bin/tool.dat2.license", "SPDX-FileCopyrightText: 2024 Gus\nSPDX-License-Identifier: Apache-2.0\n"),
        added("src/gen.py", "#!/usr/bin/env python3\nimport sys\n\n\ndef main():\n    print('# DO NOT EDIT')\n"),
    ])
    assert status["state"] == "failure"
    assert listed_files(body) == ["src/gen.py"]  # a script printing a marker is not generated
    assert "could not be checked" not in body


async def test_files_that_cannot_be_checked_are_counted_and_named(fake, bot):
    fake.add_user("dana")
    fake.add_repo(REPO)
    fake.set_file(REPO, ".github/governance.yml", "license_headers:\n  license: Apache-2.0\n")
    status, body = await evaluate(fake, bot, [
        added("src/ok.py", "# SPDX-License-Identifier: Apache-2.0\nx = 1\n"),
        added("tools/thing.unknownext", "opaque\n"),
        added("src/weird.py", b"x = 1\x00\n", patch=False),  # GitHub calls it binary
        added("logo.png", b"\x89PNG\r\n\x1a\n\x00", patch=False),  # no comment syntax: simply skipped
    ])
    assert status["state"] == "success"
    assert status["description"] == ("The one file checked carries the expected licence header; 2 files in scope "
                                     "could not be checked (see details).")
    assert body == ""  # nothing needs the contributor's action: no comment
    # Once another file fails, the report names them.
    status, body = await evaluate(fake, bot, [
        added("src/bad.py", "x = 1\n"),
        added("tools/thing.unknownext", "opaque\n"),
        added("src/weird.py", b"x = 1\x00\n", patch=False),
    ], number=2)
    assert status["state"] == "failure"
    assert "2 files in scope could not be checked (review their licence by hand):" in body
    assert "- `src/weird.py`: undecodable (GitHub reports a binary file)" in body
    assert "- `tools/thing.unknownext`: unknown comment syntax" in body
    assert "logo.png" not in body
    assert not any(r.path.endswith(("/REUSE.toml", "/.reuse/dep5")) and r.status == 200 for r in fake.requests)


async def test_dep5_on_the_base_counts_and_one_added_by_the_pr_does_not(fake, bot):
    fake.add_user("dana")
    fake.add_repo(REPO)
    set_files(fake, REPO, {".github/governance.yml": "license_headers:\n  license: MIT\n",
                           ".reuse/dep5": "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
                                          "Files: data/*\nCopyright: 2024 Example\nLicense: MIT\n"})
    status, body = await evaluate(fake, bot, [
        added("data/deep/table.py", "T = 1\n"),  # dep5's * crosses folders
        added("os400/run.cmd", "/* SPDX-License-Identifier: MIT */\nCMD PROMPT('x')\n"),  # IBM i CL, not batch
        added("gen/new.py", "x = 1\n"),
        modified(".reuse/dep5", "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
                                "Files: *\nCopyright: 2024 X\nLicense: MIT\n"),
    ])
    assert status["state"] == "failure"
    assert listed_files(body) == ["gen/new.py"]
    assert contents_reads(fake, ".reuse/dep5") and all(ref == "main" for ref in contents_reads(fake, ".reuse/dep5"))
