"""The triage rule end to end: signed webhooks in, the fake GitHub's labels, assignees and replies out."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from rules.triage.store import triage_labels
from tests import fake_ext_triage
from tests.fake_ext_replies import reply_bodies
from tests.fake_ext_triage import person_adds_label, person_removes_label
from tests.payloads import issue_comment_event, issues_event, pull_request_event

REPO = "acme/widgets"
RULES_FILE = """\
triage:
  issue_labels: [needs-triage]
  keywords:
    bug: ["(?i)\\\\bcrash", "(?i)traceback"]
  paths:
    area/docs: ["docs/**", "**/*.md"]
  size_labels: true
  commands:
    anyone_may_apply: [question, good first issue]
  colors: {needs-triage: "a1b2c3", bug: "d73a4a"}
"""


@pytest.fixture
def gh(fake):
    """The fake GitHub with the triage extras, a repository with a rules file, and some people."""
    fake_ext_triage.install(fake)
    fake.add_repo(REPO)
    fake.set_file(REPO, ".github/governance.yml", RULES_FILE)
    for login in ("dana", "eve", "tess", "olga"):
        fake.add_user(login)
    fake.set_permission(REPO, "tess", "triage")
    return fake


def patch_of(lines: int, first_line: str = "line") -> str:
    body = "".join(f"+{first_line if i == 0 else 'line'}\n" for i in range(lines))
    return f"@@ -0,0 +1,{lines} @@\n{body}"


def changed(filename: str, additions: int, deletions: int = 0, **extra) -> dict:
    return {"filename": filename, "status": extra.pop("status", "modified"), "additions": additions,
            "deletions": deletions, "patch": extra.pop("patch", patch_of(additions)), **extra}


def label_posts(fake, number: int = 1) -> list:
    return [r for r in fake.requests if r.method == "POST" and r.path == f"/repos/{REPO}/issues/{number}/labels"]


def bot_replies(fake, number: int = 1) -> list[str]:
    return reply_bodies(fake, REPO, number)


async def open_issue(fake, bot, *, title: str = "Question about widgets", body: str = "How do I?",
                     number: int = 1, author: str = "eve") -> None:
    fake.add_issue(REPO, number, author=author, title=title, body=body)
    await bot.deliver_and_settle("issues", issues_event(fake, REPO, number, "opened"))


async def open_pr(fake, bot, files: list[dict], number: int = 1) -> dict:
    pr = fake.add_pull_request(REPO, number, author="dana", head_sha=f"{number:040x}", files=files)
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, number))
    return pr


async def push(fake, bot, files: list[dict], head: str, number: int = 1) -> None:
    fake.push(REPO, number, head_sha=head * 40, files=files)
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, number, "synchronize"))


async def comment(fake, bot, body: str, author: str, number: int = 1) -> dict:
    created = fake.add_comment(REPO, number, author=author, body=body)
    await bot.deliver_and_settle("issue_comment", issue_comment_event(fake, REPO, number, created))
    return created


async def deliver(bot, event_and_payload: tuple[str, dict]) -> None:
    event, payload = event_and_payload
    await bot.deliver_and_settle(event, payload)


# -- issues ------------------------------------------------------------------------------------

async def test_new_issue_gets_issue_labels_and_missing_labels_are_created_with_their_colour(gh, bot):
    await open_issue(gh, bot)
    assert gh.issue_labels(REPO, 1) == ["needs-triage"]
    assert gh.repo_labels(REPO)["needs-triage"] == "a1b2c3"
    creations = [r for r in gh.requests if r.method == "POST" and r.path == f"/repos/{REPO}/labels"]
    assert [r.body for r in creations] == [{"name": "needs-triage", "color": "a1b2c3"}]
    # Created before it was applied, so GitHub did not invent it with a grey default.
    assert creations[0].at < label_posts(gh)[0].at


async def test_existing_label_keeps_its_colour_and_is_not_created_again(gh, bot):
    gh.add_label(REPO, "needs-triage", "000000")
    await open_issue(gh, bot)
    assert gh.issue_labels(REPO, 1) == ["needs-triage"]
    assert gh.repo_labels(REPO)["needs-triage"] == "000000"
    assert not [r for r in gh.requests if r.method == "POST" and r.path == f"/repos/{REPO}/labels"]


async def test_keyword_in_the_title_or_body_adds_its_label(gh, bot):
    await open_issue(gh, bot, title="App CRASHES on start", number=1)
    await open_issue(gh, bot, title="Odd output", body="Here is the Traceback (most recent call last):", number=2)
    await open_issue(gh, bot, title="Crashing? No", body="a crashed-out word: xcrash", number=3)
    await open_issue(gh, bot, title="Feature idea", body="Please add colours", number=4)
    assert sorted(gh.issue_labels(REPO, 1)) == ["bug", "needs-triage"]
    assert sorted(gh.issue_labels(REPO, 2)) == ["bug", "needs-triage"]
    assert sorted(gh.issue_labels(REPO, 3)) == ["bug", "needs-triage"]  # "Crashing" starts a word
    assert gh.issue_labels(REPO, 4) == ["needs-triage"]
    assert gh.repo_labels(REPO)["bug"] == "d73a4a"
    assert len(label_posts(gh, 1)) == 1  # needs-triage and bug together


async def test_edited_issue_gains_keyword_labels_but_not_issue_labels_again(gh, bot):
    await open_issue(gh, bot, title="Question")
    await deliver(bot, person_removes_label(gh, REPO, 1, "needs-triage", sender="tess"))
    gh.issue(REPO, 1)["body"] = "Actually it crashes with a traceback"
    await bot.deliver_and_settle("issues", issues_event(gh, REPO, 1, "edited", sender="eve"))
    assert gh.issue_labels(REPO, 1) == ["bug"]


async def test_pathological_pattern_on_a_megabyte_body_finishes(gh, bot):
    gh.set_file(REPO, ".github/governance.yml",
                "triage:\n  keywords:\n    evil: ['(a+)+$', '(x+x+)+y']\n    bug: ['(?i)crash']\n")
    body = "a" * 1_000_000 + "!" + "x" * 5_000
    started = time.monotonic()
    await open_issue(gh, bot, title="crash", body=body)
    elapsed = time.monotonic() - started
    assert gh.issue_labels(REPO, 1) == ["bug"]
    assert elapsed < 15, f"took {elapsed:.1f}s"  # a backtracking engine would not finish at all


async def test_invalid_pattern_is_a_rules_file_error_naming_it(gh, bot):
    gh.set_file(REPO, ".github/governance.yml", "triage:\n  keywords:\n    bug: ['(?<=x)crash']\n")
    pr = await open_pr(gh, bot, [changed("docs/a.md", 3)])
    status = gh.latest_status(REPO, pr["head"]["sha"], "governance/config")
    assert status["state"] == "failure" and "triage.keywords.bug.0" in status["description"]
    report = [c["body"] for c in gh.comments(REPO, 1) if c["body"].startswith("<!-- governance-bot:report -->")]
    assert len(report) == 1 and "triage.keywords.bug.0: invalid regular expression '(?<=x)crash'" in report[0]
    assert gh.issue_labels(REPO, 1) == []  # no rule runs on an invalid rules file


async def test_too_many_keyword_patterns_are_a_rules_file_error(gh, bot):
    """3,000 patterns against a 64 KB body took 101 s; now the rules file is refused, saying why."""
    patterns = "\n".join(f"      - 'word{i}'" for i in range(3000))
    gh.set_file(REPO, ".github/governance.yml", f"triage:\n  keywords:\n    bug:\n{patterns}\n")
    pr = await open_pr(gh, bot, [changed("docs/a.md", 3)])
    status = gh.latest_status(REPO, pr["head"]["sha"], "governance/config")
    assert status["state"] == "failure"
    assert "triage.keywords: 3000 patterns in all; at most 100" in status["description"]


# -- pull requests -----------------------------------------------------------------------------

async def test_pr_touching_docs_gets_area_docs_and_its_size_in_one_request(gh, bot):
    await open_pr(gh, bot, [changed("docs/guide/intro.rst", 12), changed("src/app.py", 8, 5)])
    assert sorted(gh.issue_labels(REPO, 1)) == ["area/docs", "size/S"]  # 25 lines
    posts = label_posts(gh)
    assert len(posts) == 1 and sorted(posts[0].body["labels"]) == ["area/docs", "size/S"]
    assert "needs-triage" not in gh.issue_labels(REPO, 1)  # issue labels are for issues


async def test_pr_outside_the_paths_gets_no_path_label(gh, bot):
    await open_pr(gh, bot, [changed("src/app.py", 3)])
    assert gh.issue_labels(REPO, 1) == ["size/XS"]


async def test_renamed_file_counts_under_its_old_path_too(gh, bot):
    await open_pr(gh, bot, [changed("src/guide.txt", 0, status="renamed", previous_filename="docs/guide.txt",
                                    patch="")])
    assert sorted(gh.issue_labels(REPO, 1)) == ["area/docs", "size/XS"]


@pytest.mark.parametrize(("lines", "size"), [(0, "XS"), (9, "XS"), (10, "S"), (29, "S"), (30, "M"), (99, "M"),
                                             (100, "L"), (499, "L"), (500, "XL"), (999, "XL"), (1000, "XXL")])
async def test_size_thresholds(gh, bot, lines, size):
    await open_pr(gh, bot, [changed("src/app.py", lines // 2, lines - lines // 2)])
    assert gh.issue_labels(REPO, 1) == [f"size/{size}"]


async def test_size_label_is_replaced_after_a_push_that_grows_the_pr(gh, bot):
    await open_pr(gh, bot, [changed("src/app.py", 20)])
    assert gh.issue_labels(REPO, 1) == ["size/S"]
    # GitHub tells us about our own label; that is not a person's decision.
    await deliver(bot, person_adds_label(gh, REPO, 1, "size/S", sender="governance-bot[bot]"))
    gh.clear_requests()
    await push(gh, bot, [changed("src/app.py", 120), changed("src/util.py", 30)], head="b")
    assert gh.issue_labels(REPO, 1) == ["size/L"]
    deletes = [r for r in gh.requests if r.method == "DELETE"]
    assert [r.path for r in deletes] == [f"/repos/{REPO}/issues/1/labels/size%2FS"]
    assert [r.body["labels"] for r in label_posts(gh)] == [["size/L"]]
    assert gh.repo_labels(REPO)["size/L"] == "a14c05"


async def test_unchanged_pr_writes_nothing_on_the_next_push(gh, bot):
    await open_pr(gh, bot, [changed("docs/a.md", 4)])
    writes = len(gh.writes())
    await push(gh, bot, [changed("docs/a.md", 5)], head="c")
    assert sorted(gh.issue_labels(REPO, 1)) == ["area/docs", "size/XS"]
    assert [r for r in gh.writes()[writes:] if "/labels" in r.path] == []


async def test_generated_files_do_not_count_towards_size(gh, bot):
    gh.set_file(REPO, ".gitattributes", "gen/** linguist-generated\n*.pb.go linguist-generated=true\n"
                                        "gen/handwritten.go -linguist-generated\n")
    files = [
        changed("src/app.py", 5),
        changed("gen/client.go", 400),
        changed("api/service.pb.go", 300),
        changed("gen/handwritten.go", 4),
        changed("web/bundle.js", 900, patch=patch_of(900, "// @generated by the bundler")),
        changed("src/schema.py", 600, patch="@@ -1,3 +1,3 @@\n # Code generated by schemagen. DO NOT EDIT.\n-a\n+b\n"),
    ]
    await open_pr(gh, bot, files)
    assert gh.issue_labels(REPO, 1) == ["size/XS"]  # 5 + 4 counted


async def test_pr_cannot_mark_its_own_files_generated(gh, bot):
    files = [changed(".gitattributes", 1), changed("src/big.py", 200)]
    gh.add_pull_request(REPO, 1, author="dana", head_sha="d" * 40, files=files)
    gh.set_file(REPO, ".gitattributes", "src/** linguist-generated\n", ref="d" * 40)
    await bot.deliver_and_settle("pull_request", pull_request_event(gh, REPO, 1))
    assert gh.issue_labels(REPO, 1) == ["size/L"]


async def test_size_thresholds_and_exclusions_are_configurable(gh, bot):
    gh.set_file(REPO, ".github/governance.yml",
                "triage:\n  size_thresholds: {XS: 2, S: 4, M: 6, L: 8, XL: 10}\n  size_exclude: ['**/*.lock']\n")
    await open_pr(gh, bot, [changed("src/a.py", 7), changed("deps/Cargo.lock", 500)])  # 6 <= 7 < 8
    assert gh.issue_labels(REPO, 1) == ["size/L"]


async def test_size_labels_can_be_switched_off(gh, bot):
    gh.set_file(REPO, ".github/governance.yml", "triage:\n  size_labels: false\n  paths: {area/docs: ['docs/**']}\n")
    await open_pr(gh, bot, [changed("docs/a.md", 50)])
    assert gh.issue_labels(REPO, 1) == ["area/docs"]


# -- label memory ------------------------------------------------------------------------------

async def test_label_a_person_removed_is_not_re_added_by_a_later_push(gh, bot):
    await open_pr(gh, bot, [changed("docs/a.md", 4)])
    assert "area/docs" in gh.issue_labels(REPO, 1)
    await deliver(bot, person_removes_label(gh, REPO, 1, "area/docs", sender="tess"))
    await push(gh, bot, [changed("docs/a.md", 6), changed("docs/b.md", 1)], head="e")
    assert gh.issue_labels(REPO, 1) == ["size/XS"]
    async with bot.state.store.engine.connect() as conn:
        row = (await conn.execute(select(triage_labels).where(triage_labels.c.label == "area/docs"))).one()
    assert row.removed_by_person and not row.applied_by_bot


async def test_label_removed_without_a_webhook_reaching_us_is_not_re_added(gh, bot):
    await open_pr(gh, bot, [changed("docs/a.md", 4)])
    person_removes_label(gh, REPO, 1, "area/docs", sender="tess")  # the webhook is lost
    await push(gh, bot, [changed("docs/a.md", 6)], head="f")
    assert gh.issue_labels(REPO, 1) == ["size/XS"]


async def test_label_a_person_added_survives_and_their_size_label_is_not_replaced(gh, bot):
    gh.add_pull_request(REPO, 1, author="dana", head_sha="1" * 40, files=[changed("src/a.py", 3)],
                        labels=["kind/feature"])
    await deliver(bot, person_adds_label(gh, REPO, 1, "size/XL", sender="tess"))
    await bot.deliver_and_settle("pull_request", pull_request_event(gh, REPO, 1))
    await push(gh, bot, [changed("src/a.py", 40)], head="9")
    assert sorted(gh.issue_labels(REPO, 1)) == ["kind/feature", "size/XL"]
    assert not [r for r in gh.requests if r.method == "DELETE"]


async def test_size_label_a_person_re_applied_is_left_alone(gh, bot):
    await open_pr(gh, bot, [changed("src/a.py", 20)])
    assert gh.issue_labels(REPO, 1) == ["size/S"]
    await deliver(bot, person_removes_label(gh, REPO, 1, "size/S", sender="tess"))
    await deliver(bot, person_adds_label(gh, REPO, 1, "size/S", sender="tess"))
    await push(gh, bot, [changed("src/a.py", 200)], head="a")
    assert gh.issue_labels(REPO, 1) == ["size/S"]


async def test_bots_own_stale_size_label_goes_when_a_person_sets_the_size(gh, bot):
    await open_pr(gh, bot, [changed("src/a.py", 20)])
    await deliver(bot, person_adds_label(gh, REPO, 1, "size/XXL", sender="tess"))
    await push(gh, bot, [changed("src/a.py", 21)], head="7")
    assert gh.issue_labels(REPO, 1) == ["size/XXL"]


async def test_path_label_the_bot_applied_follows_the_files_of_each_push(gh, bot):
    await open_pr(gh, bot, [changed("docs/a.md", 4), changed("src/a.py", 2)])
    assert sorted(gh.issue_labels(REPO, 1)) == ["area/docs", "size/XS"]
    gh.clear_requests()
    await push(gh, bot, [changed("src/a.py", 3)], head="d")  # the docs change was dropped
    assert gh.issue_labels(REPO, 1) == ["size/XS"]
    assert [r.path for r in gh.requests if r.method == "DELETE"] == [f"/repos/{REPO}/issues/1/labels/area%2Fdocs"]
    await push(gh, bot, [changed("src/a.py", 3), changed("docs/b.md", 1)], head="e")  # and came back
    assert sorted(gh.issue_labels(REPO, 1)) == ["area/docs", "size/XS"]


async def test_path_label_a_person_re_applied_stays_when_the_paths_are_gone(gh, bot):
    await open_pr(gh, bot, [changed("docs/a.md", 4)])
    await deliver(bot, person_removes_label(gh, REPO, 1, "area/docs", sender="tess"))
    await deliver(bot, person_adds_label(gh, REPO, 1, "area/docs", sender="tess"))
    await push(gh, bot, [changed("src/a.py", 3)], head="d")
    assert sorted(gh.issue_labels(REPO, 1)) == ["area/docs", "size/XS"]
    assert not [r for r in gh.requests if r.method == "DELETE"]


async def test_path_labels_stay_when_sync_is_switched_off(gh, bot):
    gh.set_file(REPO, ".github/governance.yml", RULES_FILE + "  sync_path_labels: false\n")
    await open_pr(gh, bot, [changed("docs/a.md", 4)])
    await push(gh, bot, [changed("src/a.py", 3)], head="d")
    assert sorted(gh.issue_labels(REPO, 1)) == ["area/docs", "size/XS"]


async def test_path_labels_are_not_taken_away_on_a_file_list_that_cannot_be_read_whole(gh, bot):
    from aiohttp import web

    await open_pr(gh, bot, [changed("docs/a.md", 4)])

    async def huge(request, match, fake_):
        return web.json_response({**fake_.pull_request(REPO, 1), "changed_files": 5000})

    async def truncated(request, match, fake_):
        return web.json_response({"sha": "t" * 40, "tree": [], "truncated": True})

    gh.override("GET", rf"/repos/{REPO}/pulls/1", huge)
    gh.override("GET", rf"/repos/{REPO}/git/trees/.*", truncated)
    await push(gh, bot, [changed("src/a.py", 3)], head="d")
    assert "area/docs" in gh.issue_labels(REPO, 1)
    assert not [r for r in gh.requests if r.method == "DELETE" and "area" in r.path]


async def test_issue_label_a_person_removed_stays_removed_after_an_edit(gh, bot):
    await open_issue(gh, bot, title="It crashes")
    await deliver(bot, person_removes_label(gh, REPO, 1, "bug", sender="tess"))
    gh.issue(REPO, 1)["body"] = "still crashes, traceback attached"
    await bot.deliver_and_settle("issues", issues_event(gh, REPO, 1, "edited", sender="eve"))
    assert gh.issue_labels(REPO, 1) == ["needs-triage"]


# -- /label and /remove-label --------------------------------------------------------------------

async def test_label_command_by_a_triager_adds_the_labels(gh, bot):
    await open_issue(gh, bot)
    gh.add_label(REPO, "kind/docs", "0000ff")
    gh.clear_requests()
    await comment(gh, bot, "Thanks!\n/label bug kind/docs", author="tess")
    assert sorted(gh.issue_labels(REPO, 1)) == ["bug", "kind/docs", "needs-triage"]
    assert bot_replies(gh) == []
    # The repository's labels are read once for the whole event (command check and creation).
    label_reads = [r.path for r in gh.requests if r.method == "GET" and r.path.startswith(f"/repos/{REPO}/labels")]
    assert label_reads == [f"/repos/{REPO}/labels"]


async def test_label_command_by_an_outsider_is_refused_with_one_reply(gh, bot):
    await open_issue(gh, bot)
    writes = len(gh.writes())
    await comment(gh, bot, "/label bug question", author="olga")
    assert gh.issue_labels(REPO, 1) == ["needs-triage"]
    replies = bot_replies(gh)
    assert len(replies) == 1
    assert replies[0].startswith("@olga `/label` not run: `bug` needs triage permission")
    assert "`question`, `good first issue`" in replies[0]
    assert [r.path for r in gh.writes()[writes:]] == [f"/repos/{REPO}/issues/1/comments"]


async def test_anyone_may_apply_listed_labels_with_quoted_names(gh, bot):
    await open_issue(gh, bot)
    await comment(gh, bot, '/label "good first issue" QUESTION', author="olga")
    assert sorted(gh.issue_labels(REPO, 1)) == ["good first issue", "needs-triage", "question"]
    assert bot_replies(gh) == []
    await comment(gh, bot, "/remove-label 'good first issue'", author="olga")
    assert sorted(gh.issue_labels(REPO, 1)) == ["needs-triage", "question"]


async def test_label_command_keeps_the_repositorys_spelling_of_a_label(gh, bot):
    await open_issue(gh, bot)
    gh.add_label(REPO, "Needs Design", "cccccc")
    await comment(gh, bot, '/label "needs design"', author="tess")
    assert sorted(gh.issue_labels(REPO, 1)) == ["Needs Design", "needs-triage"]


async def test_label_command_for_a_label_the_repository_does_not_have_is_refused(gh, bot):
    await open_issue(gh, bot)
    await comment(gh, bot, "/label bgu", author="tess")
    assert gh.issue_labels(REPO, 1) == ["needs-triage"]
    assert "bgu" not in gh.repo_labels(REPO)
    assert bot_replies(gh) == ["@tess `/label` not run: this repository has no label `bgu`. "
                               "Check the spelling, or ask a maintainer to create it."]


async def test_label_command_with_a_hostile_name_is_quoted_in_the_reply(gh, bot):
    await open_issue(gh, bot)
    await comment(gh, bot, '/label "@everyone <img src=x>"', author="olga")
    reply = bot_replies(gh)[0]
    assert "`@everyone <img src=x>`" in reply and reply.count("@") == 2  # @olga and inside the code span


async def test_remove_label_by_a_triager_and_the_bot_does_not_re_add_it(gh, bot):
    await open_issue(gh, bot, title="It crashes")
    await comment(gh, bot, "/remove-label bug", author="tess")
    assert gh.issue_labels(REPO, 1) == ["needs-triage"]
    gh.issue(REPO, 1)["body"] = "crash again"
    await bot.deliver_and_settle("issues", issues_event(gh, REPO, 1, "edited", sender="eve"))
    assert gh.issue_labels(REPO, 1) == ["needs-triage"]


async def test_remove_label_by_an_outsider_is_refused(gh, bot):
    await open_issue(gh, bot)
    await comment(gh, bot, "/remove-label needs-triage", author="olga")
    assert gh.issue_labels(REPO, 1) == ["needs-triage"]
    assert len(bot_replies(gh)) == 1 and "needs triage permission" in bot_replies(gh)[0]


async def test_label_a_person_added_with_the_command_is_not_removed_as_a_stale_size(gh, bot):
    await open_pr(gh, bot, [changed("src/a.py", 3)])
    assert gh.issue_labels(REPO, 1) == ["size/XS"]
    await comment(gh, bot, "/label size/M", author="tess")
    await push(gh, bot, [changed("src/a.py", 600)], head="5")
    assert sorted(gh.issue_labels(REPO, 1)) == ["size/M"]


async def test_label_command_works_on_pull_requests(gh, bot):
    await open_pr(gh, bot, [changed("src/a.py", 3)])
    await comment(gh, bot, "/label question", author="olga")
    assert sorted(gh.issue_labels(REPO, 1)) == ["question", "size/XS"]


async def test_label_command_without_names_gets_its_usage(gh, bot):
    await open_issue(gh, bot)
    await comment(gh, bot, "/label", author="tess")
    assert bot_replies(gh) == ["@tess nothing done: write it as `/label NAME…`."]


# -- /assign and /unassign -----------------------------------------------------------------------

async def test_anyone_may_assign_and_unassign_themselves(gh, bot):
    await open_issue(gh, bot)
    gh.set_assignable(REPO, "olga")  # took part in the conversation
    await comment(gh, bot, "/assign", author="olga")
    assert gh.assignees(REPO, 1) == ["olga"]
    await comment(gh, bot, "/unassign", author="olga")
    assert gh.assignees(REPO, 1) == []
    assert bot_replies(gh) == []


async def test_assigning_someone_else_needs_triage_permission(gh, bot):
    await open_issue(gh, bot)
    gh.set_assignable(REPO, "dana")
    await comment(gh, bot, "/assign @dana", author="olga")
    assert gh.assignees(REPO, 1) == []
    replies = bot_replies(gh)
    assert len(replies) == 1 and replies[0].startswith("@olga `/assign` not run: changing other people's")
    await comment(gh, bot, "/assign @dana", author="tess")
    assert gh.assignees(REPO, 1) == ["dana"]
    await comment(gh, bot, "/unassign @dana", author="olga")
    assert gh.assignees(REPO, 1) == ["dana"] and len(bot_replies(gh)) == 2


async def test_assignee_github_would_not_accept_is_refused_with_a_reply(gh, bot):
    await open_issue(gh, bot)
    gh.add_user("stranger")
    await comment(gh, bot, "/assign @tess @stranger", author="tess")
    assert gh.assignees(REPO, 1) == []
    replies = bot_replies(gh)
    assert len(replies) == 1
    assert "`stranger`" in replies[0] and "@stranger" not in replies[0]
    assert "Only collaborators and people who took part" in replies[0]
    assert not [r for r in gh.requests if r.path.endswith("/issues/1/assignees")]


async def test_assign_accepts_a_participant_through_the_issue_level_check(gh, bot):
    await open_issue(gh, bot)
    gh.set_assignable(REPO, "eve")
    await comment(gh, bot, "/assign eve", author="tess")
    assert gh.assignees(REPO, 1) == ["eve"]
    checks = [r for r in gh.requests if r.path == f"/repos/{REPO}/issues/1/assignees/eve"]
    assert [r.status for r in checks] == [204]


async def test_assign_with_something_that_is_not_a_login_is_refused(gh, bot):
    await open_issue(gh, bot)
    await comment(gh, bot, "/assign @-bad-", author="tess")
    assert bot_replies(gh) == ["@tess `/assign` not run: `@-bad-` is not a GitHub login."]


# -- what is not a command -----------------------------------------------------------------------

async def test_commands_inside_code_blocks_or_quotes_do_nothing(gh, bot):
    await open_issue(gh, bot)
    await comment(gh, bot, "Use it like this:\n```\n/label bug\n/assign\n```\n> /label bug\n", author="tess")
    assert gh.issue_labels(REPO, 1) == ["needs-triage"]
    assert gh.assignees(REPO, 1) == [] and bot_replies(gh) == []


async def test_an_edited_comment_runs_only_its_new_command(gh, bot):
    await open_issue(gh, bot)
    gh.add_label(REPO, "kind/docs")
    created = await comment(gh, bot, "/label bug", author="tess")
    await comment(gh, bot, "/remove-label bug", author="tess")
    previous = created["body"]
    created["body"] = "/label bug\n/label kind/docs"
    await bot.deliver_and_settle("issue_comment", issue_comment_event(gh, REPO, 1, created, "edited",
                                                                       previous_body=previous))
    assert sorted(gh.issue_labels(REPO, 1)) == ["kind/docs", "needs-triage"]  # bug not re-run


async def test_a_bots_comment_is_never_a_command(gh, bot):
    await open_issue(gh, bot)
    gh.add_user("helper[bot]", type="Bot")
    gh.set_permission(REPO, "helper[bot]", "admin")
    await comment(gh, bot, "/label bug\n/assign", author="helper[bot]")
    assert gh.issue_labels(REPO, 1) == ["needs-triage"]
    assert gh.assignees(REPO, 1) == [] and bot_replies(gh) == []


async def test_help_lists_the_triage_commands(gh, bot):
    await open_issue(gh, bot)
    await comment(gh, bot, "/help", author="olga")
    reply = bot_replies(gh)[0]
    for usage in ("/label NAME…", "/remove-label NAME…", "/assign [@user…]", "/unassign [@user…]"):
        assert usage in reply


async def test_a_persons_command_outranks_automatic_labels_in_the_same_event(gh, bot):
    await open_pr(gh, bot, [changed("src/a.py", 4)])
    gh.push(REPO, 1, head_sha="6" * 40, files=[changed("src/a.py", 4), changed("docs/a.md", 1)])  # no webhook yet
    await comment(gh, bot, "/remove-label area/docs\n/recheck", author="tess")
    assert gh.issue_labels(REPO, 1) == ["size/XS"]
    await push(gh, bot, [changed("docs/b.md", 2)], head="8")
    assert gh.issue_labels(REPO, 1) == ["size/XS"]  # and it stays off
