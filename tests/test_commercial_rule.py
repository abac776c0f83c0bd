"""The commercial-path rule end to end (SPEC §3 `commercial`, §4, §5 Commercial paths, §6),
plus unit tests of its pure parts."""

from __future__ import annotations

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.config import load_text
from bot.engine import Engine
from rules import RULES
from rules.commercial.approvals import commercial_approvals
from rules.commercial.boundary import CommercialPaths, ForbiddenImport
from rules.commercial.evaluation import Approval, Evaluation, Touch, commercial_touches, files_digest
from rules.commercial.report import CONTEXT, code, decide_status, render_section
from tests.fake_ext_push import push
from tests.fake_ext_replies import reply_bodies
from tests.harness import BotHarness, make_settings
from tests.payloads import issue_comment_event, pull_request_event

pytest_plugins = ["tests.pg"]

REPO = "acme/widgets"
LICENSE = "https://example.org/ee-license"
RULES_FILE = f"""
commercial:
  paths: ["ee/**", "**/*.ee.ts"]
  license_url: {LICENSE}
  maintainers: ["acme/ee-team", "carol"]
"""
REPORT_MARKER = "<!-- governance-bot:report -->"


# -- helpers -------------------------------------------------------------------------------------


def hunk(*added: str) -> str:
    return f"@@ -0,0 +1,{len(added)} @@\n" + "\n".join("+" + line for line in added)


def changed(name: str, *added: str, status: str = "modified", previous: str | None = None,
            content: str | None = None, patch: bool = True) -> dict:
    spec: dict = {"filename": name, "status": status, "additions": len(added), "deletions": 0}
    if patch:
        spec["patch"] = hunk(*added)
    if previous:
        spec["previous_filename"] = previous
    if content is not None:
        spec["content"] = content
    return spec


def setup_repo(fake, rules_text: str = RULES_FILE) -> None:
    fake.add_repo(REPO)
    fake.set_file(REPO, ".github/governance.yml", rules_text)
    for login in ("outsider", "carol", "tina", "mo", "walt"):
        fake.add_user(login)
    fake.add_team_member("acme", "ee-team", "tina")
    fake.set_permission(REPO, "mo", "maintain")
    fake.set_permission(REPO, "walt", "write")


def open_pr(fake, files: list[dict], *, author: str = "outsider", number: int = 1) -> dict:
    return fake.add_pull_request(REPO, number, author=author, files=files, head_sha=f"{number:040x}")


async def evaluate(fake, bot, number: int = 1, action: str = "opened") -> None:
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, number, action))


def status(fake, pr: dict) -> dict | None:
    return fake.latest_status(REPO, fake.pull_request(REPO, pr["number"])["head"]["sha"], CONTEXT)


def commercial_statuses(fake, sha: str) -> list[dict]:
    return [s for s in fake.statuses(REPO, sha) if s["context"] == CONTEXT]


def report(fake, number: int = 1) -> str | None:
    found = [c["body"] for c in fake.comments(REPO, number) if c["body"].startswith(REPORT_MARKER)]
    assert len(found) <= 1
    return found[0] if found else None


def replies(fake, number: int = 1) -> list[str]:
    return reply_bodies(fake, REPO, number)


async def comment(fake, bot, body: str, author: str, number: int = 1) -> dict:
    created = fake.add_comment(REPO, number, author=author, body=body)
    await bot.deliver_and_settle("issue_comment", issue_comment_event(fake, REPO, number, created))
    return created


async def approvals(bot) -> list:
    async with bot.state.store.engine.connect() as conn:
        return (await conn.execute(select(commercial_approvals))).all()


# -- commercial paths ----------------------------------------------------------------------------


async def test_outside_contributor_touching_ee_fails_with_label_and_report(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, [changed("ee/billing.py", "x = 1"), changed("README.md", "hi")])
    await evaluate(fake, bot)
    st = status(fake, pr)
    assert st["state"] == "failure"
    assert "/approve-commercial" in st["description"] and st["target_url"] == LICENSE
    assert fake.issue_labels(REPO, 1) == ["commercial"]
    body = report(fake)
    assert "### ❌ Commercial paths" in body
    assert "`ee/billing.py`" in body and "README.md" not in body
    assert f"]({LICENSE})" in body
    assert "`carol`" in body and "`acme/ee-team`" in body and "admin or maintain" in body


async def test_maintainer_approval_passes_on_the_comment_event_itself(fake, bot, monkeypatch):
    async def no_reevaluation(self, ctx, repository, number):
        return None

    monkeypatch.setattr(Engine, "enqueue_reevaluation", no_reevaluation)
    setup_repo(fake)
    pr = open_pr(fake, [changed("ee/billing.py", "x = 1")])
    await evaluate(fake, bot)
    assert status(fake, pr)["state"] == "failure"
    await comment(fake, bot, "Looks fine.\n/approve-commercial", author="carol")
    st = status(fake, pr)
    assert st["state"] == "success" and "carol" in st["description"]
    assert "Everything passes" in report(fake)  # the report too, in the same event
    [row] = await approvals(bot)
    assert (row.repository, row.number, row.approved_by) == (REPO, 1, "carol")
    assert row.comment_url.endswith(f"#issuecomment-{fake.comments(REPO, 1)[-1]['id']}")
    assert row.approved_at > 0 and len(row.files_digest) == 64
    assert replies(fake) == []  # the status is the answer; no chatter


async def test_approval_refreshes_report_and_holds_until_commercial_files_change(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, [changed("ee/billing.py", "x = 1", content="x = 1\n")])
    await evaluate(fake, bot)
    await comment(fake, bot, "/approve-commercial", author="tina")  # a member of acme/ee-team
    assert status(fake, pr)["state"] == "success"
    body = report(fake)
    assert "Everything passes" in body  # the approving comment evaluated the whole PR

    # A push that leaves the commercial file as it was (same blob) keeps the approval.
    fake.push(REPO, 1, head_sha="a" * 40, files=[changed("ee/billing.py", "x = 1", content="x = 1\n"),
                                                 changed("docs/notes.md", "more")])
    await evaluate(fake, bot, action="synchronize")
    assert fake.latest_status(REPO, "a" * 40, CONTEXT)["state"] == "success"

    # A push that edits the approved file's contents drops it: nobody approved that code.
    fake.push(REPO, 1, head_sha="c" * 40, files=[changed("ee/billing.py", "x = 2", content="x = 2\n")])
    await evaluate(fake, bot, action="synchronize")
    st = fake.latest_status(REPO, "c" * 40, CONTEXT)
    assert st["state"] == "failure" and "/approve-commercial" in st["description"]
    await comment(fake, bot, "/approve-commercial", author="tina")
    assert fake.latest_status(REPO, "c" * 40, CONTEXT)["state"] == "success"
    rows = await approvals(bot)
    assert sorted(r.head_sha for r in rows) == ["1".zfill(40), "c" * 40]
    assert len({r.content_digest for r in rows}) == 2

    # A push that touches another commercial file drops it.
    fake.push(REPO, 1, head_sha="b" * 40, files=[changed("ee/billing.py", "x = 2", content="x = 2\n"),
                                                 changed("ee/tax.py", "t = 1")])
    await evaluate(fake, bot, action="synchronize")
    st = fake.latest_status(REPO, "b" * 40, CONTEXT)
    assert st["state"] == "failure" and "2 commercial files" in st["description"]
    assert "`ee/tax.py`" in report(fake)


async def test_non_maintainer_approval_is_refused_and_changes_nothing(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, [changed("ee/billing.py", "x = 1")])
    await evaluate(fake, bot)
    sha = pr["head"]["sha"]
    before_statuses = commercial_statuses(fake, sha)
    before_report = report(fake)
    for who in ("walt", "outsider"):  # write permission is not enough; the author cannot approve
        await comment(fake, bot, "/approve-commercial", author=who)
    assert status(fake, pr)["state"] == "failure"
    assert commercial_statuses(fake, sha) == before_statuses
    assert report(fake) == before_report
    assert await approvals(bot) == []
    refusals = replies(fake)
    assert len(refusals) == 2
    assert refusals[0].startswith("@walt `/approve-commercial` is for commercial maintainers")
    assert refusals[1].startswith("@outsider ")


async def test_team_member_own_pr_passes_and_is_labelled(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, [changed("ee/billing.py", "x = 1")], author="tina")
    await evaluate(fake, bot)
    st = status(fake, pr)
    assert st["state"] == "success" and "author is a commercial maintainer" in st["description"]
    assert fake.issue_labels(REPO, 1) == ["commercial"]
    assert report(fake) is None  # nothing needs action: no report comment


@pytest.mark.parametrize("author", ["carol", "mo"])
async def test_listed_user_and_maintain_role_authors_pass(fake, bot, author):
    setup_repo(fake)
    pr = open_pr(fake, [changed("ee/billing.py", "x = 1")], author=author)
    await evaluate(fake, bot)
    assert status(fake, pr)["state"] == "success"


async def test_write_role_author_is_not_a_maintainer(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, [changed("ee/billing.py", "x = 1")], author="walt")
    await evaluate(fake, bot)
    assert status(fake, pr)["state"] == "failure"


async def test_rename_out_of_ee_counts_as_touching_it(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, [changed("lib/billing.py", status="renamed", previous="ee/billing.py")])
    await evaluate(fake, bot)
    assert status(fake, pr)["state"] == "failure"
    assert "commercial" in fake.issue_labels(REPO, 1)
    assert "`ee/billing.py` → `lib/billing.py`" in report(fake)


async def test_ee_ts_file_name_is_matched(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, [changed("packages/cli/src/license.ee.ts", "export const x = 1;")])
    await evaluate(fake, bot)
    assert status(fake, pr)["state"] == "failure"
    assert "`packages/cli/src/license.ee.ts`" in report(fake)


async def test_no_commercial_path_touched_passes_quietly(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, [changed("app/main.py", "import os"), changed("free/ee_like.py", "y = 2")])
    await evaluate(fake, bot)
    st = status(fake, pr)
    assert st["state"] == "success" and st["description"] == "No commercial path touched."
    assert fake.issue_labels(REPO, 1) == []
    assert report(fake) is None


async def test_pr_that_drops_commercial_from_the_rules_file_is_still_checked(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, [
        changed(".github/governance.yml", "extends: false", content="extends: false\n"),
        changed("ee/billing.py", "x = 1"),
    ])
    await evaluate(fake, bot)
    assert status(fake, pr)["state"] == "failure"  # rules come from the default branch


async def test_report_lists_at_most_fifty_files(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, [changed(f"ee/m{i:02}.py", "x = 1") for i in range(62)])
    await evaluate(fake, bot)
    assert "62 commercial files" in status(fake, pr)["description"]
    body = report(fake)
    assert body.count("- `ee/m") == 50 and "… and 12 more" in body


async def test_approver_no_longer_maintainer_drops_the_approval(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, [changed("ee/billing.py", "x = 1")])
    await comment(fake, bot, "/approve-commercial", author="carol")
    assert status(fake, pr)["state"] == "success"
    await bot.deliver_and_settle("push", push(fake, REPO, {".github/governance.yml": RULES_FILE.replace('"carol"', '"dave"')}))
    await evaluate(fake, bot, action="synchronize")
    assert status(fake, pr)["state"] == "failure"


async def test_approve_on_pr_without_commercial_files_records_nothing(fake, bot):
    setup_repo(fake)
    open_pr(fake, [changed("app/main.py", "x = 1")])
    await comment(fake, bot, "/approve-commercial", author="carol")
    assert replies(fake) == ["This pull request touches no commercial path; there is nothing to approve."]
    assert await approvals(bot) == []


async def test_approve_on_an_issue_is_answered(fake, bot):
    setup_repo(fake)
    fake.add_issue(REPO, 7, author="outsider")
    await comment(fake, bot, "/approve-commercial", author="carol", number=7)
    assert replies(fake, 7) == ["`/approve-commercial` works on pull requests only."]
    assert await approvals(bot) == []


async def test_approve_in_a_code_block_is_not_a_command(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, [changed("ee/billing.py", "x = 1")])
    await evaluate(fake, bot)
    await comment(fake, bot, "Ask for it like this:\n```\n/approve-commercial\n```", author="carol")
    assert status(fake, pr)["state"] == "failure" and await approvals(bot) == []


async def test_help_lists_approve_commercial(fake, bot):
    setup_repo(fake)
    open_pr(fake, [changed("app/main.py", "x = 1")])
    await comment(fake, bot, "/help", author="outsider")
    [help_reply] = replies(fake)
    assert "`/approve-commercial`" in help_reply and "commercial maintainers" in help_reply


# -- import boundary -----------------------------------------------------------------------------


async def test_python_import_of_ee_fails_naming_file_and_line(fake, bot):
    setup_repo(fake)
    patch = "@@ -10,2 +10,3 @@\n import os\n+from ee.billing import charge\n x = 1"
    pr = open_pr(fake, [{"filename": "app/main.py", "status": "modified", "additions": 1, "patch": patch}])
    await evaluate(fake, bot)
    st = status(fake, pr)
    assert st["state"] == "failure" and "app/main.py:11" in st["description"]
    body = report(fake)
    assert "`app/main.py:11`: `from ee.billing import charge` → `ee/billing`" in body
    assert fake.issue_labels(REPO, 1) == []  # no commercial path touched, only imported


async def test_typescript_import_of_ee_fails_naming_file_and_line(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, [changed("packages/web/src/app.ts", "import { a } from './a';",
                                "import { plan } from '../../../ee/billing/plan';")])
    await evaluate(fake, bot)
    st = status(fake, pr)
    assert st["state"] == "failure" and "packages/web/src/app.ts:2" in st["description"]
    assert "`packages/web/src/app.ts:2`" in report(fake)


async def test_import_of_free_path_is_fine(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, [
        changed("app/main.py", "from free.ee_tools import x", "import eex"),
        changed("web/app.ts", "import x from '../free/ee';"),
    ])
    await evaluate(fake, bot)
    assert status(fake, pr)["state"] == "success"


async def test_forbidden_import_fails_even_for_a_maintainer(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, [changed("ee/billing.py", "x = 1"), changed("app/main.py", "import ee.billing")],
                 author="carol")
    await evaluate(fake, bot)
    st = status(fake, pr)
    assert st["state"] == "failure" and "app/main.py:1" in st["description"]


async def test_commercial_files_may_import_commercial_code(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, [changed("ee/api.py", "from ee.billing import charge")], author="carol")
    await evaluate(fake, bot)
    assert status(fake, pr)["state"] == "success"


async def test_forbid_imports_false_skips_the_check(fake, bot):
    setup_repo(fake, RULES_FILE + "  forbid_imports: false\n")
    pr = open_pr(fake, [changed("app/main.py", "import ee.billing")])
    await evaluate(fake, bot)
    assert status(fake, pr)["state"] == "success"


async def test_typescript_alias_from_config(fake, bot):
    setup_repo(fake, RULES_FILE + '  import_aliases: {"@ee/*": ["ee/*"]}\n')
    pr = open_pr(fake, [changed("web/app.ts", "import { p } from '@ee/billing';")])
    await evaluate(fake, bot)
    assert "web/app.ts:1" in status(fake, pr)["description"]


async def test_typescript_alias_read_from_the_nearest_tsconfig_and_what_it_extends(fake, bot):
    setup_repo(fake)
    fake.set_file(REPO, "tsconfig.base.json", """{
      // shared by every package
      "compilerOptions": {"baseUrl": ".", "paths": {"@acme/ee/*": ["ee/*"],}},
    }""")
    fake.set_file(REPO, "packages/web/tsconfig.json", '{"extends": "../../tsconfig.base.json"}')
    pr = open_pr(fake, [changed("packages/web/src/app.ts", "import React from 'react';",
                                "import { plan } from '@acme/ee/billing/plan';",
                                "import { fmt } from '@acme/free/format';")])
    await evaluate(fake, bot)
    st = status(fake, pr)
    assert st["state"] == "failure" and "packages/web/src/app.ts:2" in st["description"]
    assert "app.ts:1" not in report(fake) and "app.ts:3" not in report(fake)


async def test_typescript_base_url_makes_a_bare_import_of_ee_a_repository_path(fake, bot):
    setup_repo(fake)
    fake.set_file(REPO, "tsconfig.json", '{"compilerOptions": {"baseUrl": "."}}')
    pr = open_pr(fake, [changed("web/app.ts", "import { p } from 'ee/billing';")])
    await evaluate(fake, bot)
    assert "web/app.ts:1" in status(fake, pr)["description"]


async def test_without_a_tsconfig_a_bare_import_is_a_package(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, [changed("web/app.ts", "import { p } from 'ee/billing';", "import x from '@acme/ee/x';")])
    await evaluate(fake, bot)
    assert status(fake, pr)["state"] == "success"


async def test_the_rules_file_alias_overrides_the_tsconfig_one(fake, bot):
    setup_repo(fake, RULES_FILE + '  import_aliases: {"@lib/*": ["vendor/lib/*"]}\n')
    fake.set_file(REPO, "tsconfig.json", '{"compilerOptions": {"paths": {"@lib/*": ["ee/lib/*"]}}}')
    pr = open_pr(fake, [changed("web/app.ts", "import { p } from '@lib/x';")])
    await evaluate(fake, bot)
    assert status(fake, pr)["state"] == "success"


async def test_a_tsconfig_nested_300_deep_gets_a_clear_verdict(fake, bot):
    """It gave 'GitHub could not be read' (a RecursionError in the JSON5 parser)."""
    setup_repo(fake)
    deep = '{"compilerOptions": {"baseUrl": "."}, "x": ' + "[" * 300 + "]" * 300 + "}"
    pr = open_pr(fake, [changed("web/app.ts", "import { p } from 'ee/billing';"), changed("tsconfig.json", deep)])
    fake.set_file(REPO, "tsconfig.json", deep, ref=fake.pull_request(REPO, 1)["head"]["sha"])
    await evaluate(fake, bot)
    st = status(fake, pr)
    assert st["state"] == "failure"
    assert st["description"].startswith("tsconfig.json is nested deeper than 64 levels")
    assert "`tsconfig.json`: nested deeper than 64 levels" in report(fake)


async def test_a_tsconfig_over_64_kib_is_not_read_and_the_check_says_so(fake, bot):
    setup_repo(fake)
    fake.set_file(REPO, "tsconfig.json", '{"compilerOptions": {"baseUrl": "."}, "pad": "' + "x" * 70_000 + '"}')
    pr = open_pr(fake, [changed("web/app.ts", "import { p } from 'ee/billing';")])
    await evaluate(fake, bot)
    st = status(fake, pr)
    assert st["state"] == "failure" and "tsconfig.json is larger than 64 KiB" in st["description"]


async def test_a_pr_cannot_add_its_own_alias_to_hide_an_import(fake, bot):
    setup_repo(fake)
    fake.set_file(REPO, "tsconfig.json", '{"compilerOptions": {"paths": {"@billing/*": ["ee/billing/*"]}}}')
    pr = open_pr(fake, [changed("web/app.ts", "import { p } from '@billing/plan';"),
                        changed("tsconfig.json", '{"compilerOptions": {}}')])
    pr_head = fake.pull_request(REPO, 1)["head"]["sha"]
    fake.set_file(REPO, "tsconfig.json", '{"compilerOptions": {}}', ref=pr_head)  # the PR's own version
    await evaluate(fake, bot)
    assert "web/app.ts:1" in status(fake, pr)["description"]


async def test_a_pr_cannot_add_its_own_alias_to_reach_commercial_code_unseen(fake, bot):
    setup_repo(fake)
    fake.set_file(REPO, "tsconfig.json", '{"compilerOptions": {}}')
    pr = open_pr(fake, [changed("web/app.ts", "import { p } from '@sneaky/plan';"),
                        changed("tsconfig.json", '{"compilerOptions": {"paths": {"@sneaky/*": ["ee/billing/*"]}}}')])
    fake.set_file(REPO, "tsconfig.json", '{"compilerOptions": {"paths": {"@sneaky/*": ["ee/billing/*"]}}}',
                  ref=fake.pull_request(REPO, 1)["head"]["sha"])
    await evaluate(fake, bot)
    assert "web/app.ts:1" in status(fake, pr)["description"]


async def test_go_import_resolved_through_the_base_go_mod(fake, bot):
    setup_repo(fake)
    fake.set_file(REPO, "go.mod", "module github.com/acme/widgets\n\ngo 1.22\n")
    pr = open_pr(fake, [changed("cmd/server/main.go", "package main", "import (",
                                '\t"github.com/other/lib/ee/x"', '\tb "github.com/acme/widgets/ee/billing"', ")")])
    await evaluate(fake, bot)
    st = status(fake, pr)
    assert st["state"] == "failure" and "cmd/server/main.go:4" in st["description"]
    assert "(+" not in st["description"]  # the third-party …/ee/x import is not ours


async def test_file_without_patch_is_read_whole(fake, bot):
    """GitHub leaves out `patch` when a file's diff is too large: the added lines are rebuilt."""
    setup_repo(fake)
    fake.set_file(REPO, "app/big.py", "import os\nfrom ee.old import kept\n")
    pr = open_pr(fake, [changed("app/big.py", "x", patch=False,
                                content="import os\nfrom ee.old import kept\nimport json\nimport ee.billing\n")])
    await evaluate(fake, bot)
    st = status(fake, pr)
    # Line 2 was already there (not the contributor's doing); line 4 is new.
    assert st["state"] == "failure" and "app/big.py:4" in st["description"] and "(+" not in st["description"]


def _inflate_changed_files(fake, count: int = 5000):
    async def handler(request, match, fake_):
        return web.json_response({**fake_.pull_request(REPO, 1), "changed_files": count})
    fake.override("GET", rf"/repos/{REPO}/pulls/1", handler)


async def test_pr_beyond_3000_files_is_read_from_trees(fake, bot):
    setup_repo(fake)
    fake.set_file(REPO, "app/main.py", "import os\n")
    fake.set_file(REPO, "ee/old.py", "x = 1\n")
    pr = open_pr(fake, [
        changed("app/main.py", "import ee.billing", content="import os\nimport ee.billing\n"),
        changed("lib/old.py", status="renamed", previous="ee/old.py", content="x = 1\n"),
    ])
    _inflate_changed_files(fake)
    await evaluate(fake, bot)
    st = status(fake, pr)
    assert st["state"] == "failure" and "app/main.py:2" in st["description"]
    assert any("/git/trees/" in r.path for r in fake.requests)  # the PR files list was not enough
    body = report(fake)
    assert "`ee/old.py`" in body  # the move out of ee/ is seen as a removal from ee/
    assert "commercial" in fake.issue_labels(REPO, 1)


async def test_too_many_files_without_patch_fail_closed(fake, bot, monkeypatch):
    monkeypatch.setattr("rules.commercial.import_scan.MAX_UNPATCHED_FILES", 1)
    setup_repo(fake)
    pr = open_pr(fake, [changed("app/a.py", "x", patch=False, content="x = 1\n"),
                        changed("app/b.py", "y", patch=False, content="y = 1\n")])
    await evaluate(fake, bot)
    st = status(fake, pr)
    assert st["state"] == "failure" and "2 files without a diff" in st["description"]
    assert "`app/a.py`" in report(fake) and "`app/b.py`" in report(fake)


async def test_truncated_tree_fails_closed(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, [changed("app/main.py", "x = 1", content="x = 1\n")])
    _inflate_changed_files(fake)

    async def truncated(request, match, fake_):
        return web.json_response({"sha": "t" * 40, "tree": [], "truncated": True})
    fake.override("GET", rf"/repos/{REPO}/git/trees/.*", truncated)
    await evaluate(fake, bot)
    st = status(fake, pr)
    assert st["state"] == "failure" and "could not list every changed file" in st["description"]


# -- pure parts ----------------------------------------------------------------------------------


EE = CommercialPaths(["ee/**", "**/*.ee.ts"])


def test_touches_count_renames_under_both_names():
    files = [
        {"filename": "lib/a.py", "status": "renamed", "previous_filename": "ee/a.py"},
        {"filename": "ee/b.py", "status": "renamed", "previous_filename": "lib/b.py"},
        {"filename": "lib/c.py", "status": "renamed", "previous_filename": "lib/old_c.py"},
        {"filename": "ee/gone.py", "status": "removed"},
        {"filename": "free/ee.py", "status": "added"},
    ]
    touches = commercial_touches(files, EE)
    assert [t.path for t in touches] == ["lib/a.py", "ee/b.py", "ee/gone.py"]
    assert touches[0].commercial_paths(EE) == ["ee/a.py"]


def test_digest_depends_on_the_set_of_paths_only():
    a = [Touch("ee/a.py"), Touch("ee/b.py")]
    assert files_digest(a, EE) == files_digest(list(reversed(a)), EE)
    assert files_digest(a, EE) != files_digest(a[:1], EE)
    assert files_digest([Touch("lib/a.py", "ee/a.py")], EE) == files_digest([Touch("ee/a.py")], EE)


def test_code_span_neutralises_markdown():
    assert code("@everyone <b>x</b>") == "`@everyone <b>x</b>`"
    assert code("a`b") == "``a`b``"
    assert code("`x`") == "`` `x` ``"
    assert code("a\nb") == "`a b`"


def test_status_descriptions_fit_and_put_imports_first():
    config = load_text(RULES_FILE, RULES).section("commercial")
    long_name = "very/" * 40 + "deep.py"
    ev = Evaluation(head_sha="f" * 40, author="outsider", touches=[Touch("ee/a.py")],
                    imports=[ForbiddenImport(long_name, 9, "import ee.a", "ee/a")])
    st = decide_status(ev, config)
    assert st.state == "failure" and st.description.startswith("Open code imports commercial code")
    assert len(st.description) <= 140
    ev.imports = []
    ev.approval = Approval("carol", 1.0, "d", "u")
    st = decide_status(ev, config)
    assert st.state == "success" and st.target_url == LICENSE
    assert render_section(ev, config).needs_action is False


def test_report_escapes_file_names_and_statements():
    config = load_text(RULES_FILE, RULES).section("commercial")
    ev = Evaluation(head_sha="f" * 40, author="x", touches=[Touch("ee/<img src=x>@team.py")],
                    imports=[ForbiddenImport("app/m.py", 3, "import ee.x  # `@admins`", "ee/x")])
    body = render_section(ev, config).body
    assert "`ee/<img src=x>@team.py`" in body
    assert "`` import ee.x  # `@admins` ``" in body


@pytest.mark.parametrize("section, error", [
    ("paths: []\n  license_url: https://x.org", "commercial.paths: needs at least one glob"),
    ("paths: ['!ee/public/**']\n  license_url: https://x.org", "commercial.paths: at least one glob"),
    ("paths: [ee/**]", "commercial.license_url: Field required"),
    ("paths: [ee/**]\n  license_url: javascript:alert(1)", "commercial.license_url: must be an http(s) URL"),
    ("paths: [ee/**]\n  license_url: https://x.org\n  maintainers: ['not a user']",
     "commercial.maintainers: 'not a user' is neither a GitHub login nor a team"),
    ("paths: [ee/**]\n  license_url: https://x.org\n  label: ''", "commercial.label: a label name has 1 to 50 characters"),
    ("paths: [ee/**]\n  license_url: https://x.org\n  python_roots: ['../up']", "commercial.python_roots: '../up'"),
    ("paths: [ee/**]\n  license_url: https://x.org\n  approvers: [x]", "commercial.approvers: unknown key"),
])
def test_config_errors_are_clear(section, error):
    loaded = load_text(f"commercial:\n  {section}\n", RULES)
    assert any(e.startswith(error) for e in loaded.errors), loaded.errors


def test_config_defaults_and_at_prefix():
    config = load_text("commercial:\n  paths: [ee/**]\n  license_url: https://x.org/l\n"
                       "  maintainers: ['@carol', '@acme/ee-team']\n", RULES).section("commercial")
    assert config.label == "commercial" and config.forbid_imports is True
    assert config.python_roots == [".", "src"] and config.import_aliases == {}
    assert config.users() == {"carol"} and config.teams() == [("acme", "ee-team")]


async def test_approval_does_not_cover_forbidden_imports(fake, bot):
    setup_repo(fake)
    pr = open_pr(fake, [changed("ee/billing.py", "x = 1"), changed("app/main.py", "import ee.billing")])
    await evaluate(fake, bot)
    await comment(fake, bot, "/approve-commercial", author="carol")
    st = status(fake, pr)
    assert st["state"] == "failure" and "app/main.py:1" in st["description"]
    assert replies(fake) == ["Approval recorded, but `governance/commercial` still fails: see the report."]
    [row] = await approvals(bot)
    assert row.approved_by == "carol"
    body = report(fake)
    assert "Approved by `carol`" in body and "`app/main.py:1`" in body


async def test_approval_flow_on_postgresql(fake, app_key, tmp_path, pg_url):
    """The approvals table on PostgreSQL (several replicas' database), end to end."""
    harness = BotHarness(make_settings(api_url=fake.url, private_key=app_key[0], db_path=tmp_path / "unused.db",
                                       database_url=pg_url))
    await harness.start()
    try:
        setup_repo(fake)
        pr = open_pr(fake, [changed("ee/billing.py", "x = 1")])
        await evaluate(fake, harness)
        assert status(fake, pr)["state"] == "failure"
        created = await comment(fake, harness, "/approve-commercial", author="carol")
        await harness.deliver_and_settle("issue_comment", issue_comment_event(fake, REPO, 1, created))  # redelivery
        assert status(fake, pr)["state"] == "success"
        [row] = await approvals(harness)  # one row per approving comment, however often it is delivered
        assert row.approved_by == "carol"
    finally:
        await harness.close()
