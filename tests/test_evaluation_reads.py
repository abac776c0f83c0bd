"""What one evaluation reads from GitHub: each thing once, nothing the event already knows.

A pull request's labels and its comment count come with the pull request itself; the head's
combined status is read while the rules run; a repository's label names are believed for a
minute. These tests pin the requests down, and check that what is no longer read was not
needed: a report the database forgot is still found, a label created meanwhile still counts.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import delete

from bot.store import report_comments
from tests.harness import reports
from tests.payloads import issue_comment_event, pull_request_event

REPO = "acme/widgets"
RULES_FILE = "probe:\n  title_prefix: feat\n"


def setup_repo(fake, number: int = 1, title: str = "fix: a thing") -> dict:
    if number == 1:
        fake.add_user("dana")
        fake.add_repo(REPO)
        fake.set_file(REPO, ".github/governance.yml", RULES_FILE)
    return fake.add_pull_request(REPO, number, author="dana", title=title, head_sha=f"{number:040x}")


def calls(fake) -> Counter[str]:
    """Requests made, as 'METHOD path', without installation tokens."""
    return Counter(f"{r.method} {r.path}" for r in fake.requests if not r.path.endswith("/access_tokens"))


async def test_the_first_evaluation_of_a_failing_pull_request_reads_each_thing_once(fake, bot):
    pr = setup_repo(fake)
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    sha = pr["head"]["sha"]
    made = calls(fake)
    assert made == Counter({
        f"GET /repos/{REPO}/contents/.github/governance.yml": 1,
        "GET /repos/acme/.github/contents/.github/governance.yml": 1,
        f"GET /repos/{REPO}/pulls/1": 2,  # the evaluation, and the check that its head did not move
        f"GET /repos/{REPO}/commits/{sha}/status": 1,
        f"POST /repos/{REPO}/statuses/{sha}": 2,
        f"GET /repos/{REPO}/labels": 1,
        f"POST /repos/{REPO}/labels": 1,  # `probed` did not exist yet
        f"POST /repos/{REPO}/issues/1/labels": 1,
        f"POST /repos/{REPO}/issues/1/comments": 1,
    }), made
    assert fake.issue_labels(REPO, 1) == ["probed"]
    assert len(reports(fake, 1, REPO)) == 1
    # The status read starts while the rules run, after the pull request told the head.
    order = [f"{r.method} {r.path}" for r in fake.requests]
    assert order.index(f"GET /repos/{REPO}/pulls/1") < order.index(f"GET /repos/{REPO}/commits/{sha}/status")


async def test_labels_already_on_the_pull_request_are_not_added_again(fake, bot):
    setup_repo(fake)
    fake.issue(REPO, 1)["labels"].append(fake.add_label(REPO, "probed", "ededed"))
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    made = calls(fake)
    assert made[f"POST /repos/{REPO}/issues/1/labels"] == 0 and made[f"GET /repos/{REPO}/issues/1"] == 0, made
    assert fake.issue_labels(REPO, 1) == ["probed"]


async def test_a_second_pull_request_within_the_minute_does_not_read_the_label_list_again(fake, bot):
    setup_repo(fake, 1)
    setup_repo(fake, 2)
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    fake.clear_requests()
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 2))
    made = calls(fake)
    assert made[f"GET /repos/{REPO}/labels"] == 0 and made[f"POST /repos/{REPO}/labels"] == 0, made
    assert fake.issue_labels(REPO, 2) == ["probed"]


async def test_a_label_deleted_meanwhile_is_still_added(fake, bot):
    """The label list believed for a minute says `probed` exists; GitHub creates it again when it is added."""
    setup_repo(fake, 1)
    setup_repo(fake, 2)
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    del fake._repo(REPO).labels["probed"]  # deleted by a maintainer (the fake has no builder for it)
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 2))
    assert fake.issue_labels(REPO, 2) == ["probed"]


async def test_a_pull_request_with_comments_is_searched_for_a_report_the_database_forgot(fake, bot):
    """With no report remembered, one is looked for among the comments, unless the pull request has none."""
    setup_repo(fake)
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    assert len(reports(fake, 1, REPO)) == 1
    async with bot.state.store.transaction() as conn:  # as if the database had been lost
        await conn.execute(delete(report_comments))
    fake.pull_request(REPO, 1)["title"] = "fix: another thing"
    fake.clear_requests()
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1, "edited"))
    made = calls(fake)
    assert made[f"GET /repos/{REPO}/issues/1/comments"] == 1, made
    assert made[f"POST /repos/{REPO}/issues/1/comments"] == 0, made
    assert len(reports(fake, 1, REPO)) == 1


async def test_a_pull_request_without_comments_is_not_searched(fake, bot):
    setup_repo(fake)
    fake.set_file(REPO, ".github/governance.yml", "probe:\n  title_prefix: fix\n")  # passes: no report posted
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    fake.pull_request(REPO, 1)["title"] = "chore: now it fails"
    fake.clear_requests()
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1, "edited"))
    made = calls(fake)
    assert made[f"GET /repos/{REPO}/issues/1/comments"] == 0, made
    assert made[f"POST /repos/{REPO}/issues/1/comments"] == 1, made


async def test_a_comment_that_finds_the_head_never_evaluated_reads_its_status_once(fake, bot):
    pr = setup_repo(fake)
    comment = fake.add_comment(REPO, 1, author="dana", body="any news?")
    await bot.deliver_and_settle("issue_comment", issue_comment_event(fake, REPO, 1, comment))
    sha = pr["head"]["sha"]
    made = calls(fake)
    assert made[f"GET /repos/{REPO}/commits/{sha}/status"] == 1, made
    assert fake.latest_status(REPO, sha, "governance/probe")["state"] == "failure"
    # It has a comment (dana's), so a report it might already have is looked for.
    assert made[f"GET /repos/{REPO}/issues/1/comments"] == 1, made
