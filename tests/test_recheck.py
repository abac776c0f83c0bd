"""Issue 17, Low: `/recheck` is throttled. One evaluation per PR at a time (the queue's subject), and
rechecks of a head a recheck evaluated moments ago are folded into that evaluation."""

from __future__ import annotations

import asyncio

from tests.payloads import issue_comment_event, pull_request_event

REPO = "acme/widgets"


def evaluations(fake, sha: str) -> int:
    """Each evaluation reads the head's combined status once, before writing statuses."""
    return len([r for r in fake.requests if r.method == "GET" and r.path == f"/repos/{REPO}/commits/{sha}/status"])


async def test_a_burst_of_rechecks_runs_one_evaluation_of_the_same_head(fake, bot):
    fake.add_user("dana")
    fake.add_user("eve")
    fake.add_repo(REPO)
    fake.set_file(REPO, ".github/governance.yml", "probe:\n  title_prefix: feat\n")
    fake.add_pull_request(REPO, 1, author="dana", title="fix: a thing", head_sha="1" * 40)
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    assert evaluations(fake, "1" * 40) == 1

    comments = [fake.add_comment(REPO, 1, author="eve", body="/recheck") for _ in range(5)]
    responses = await asyncio.gather(*(bot.deliver("issue_comment", issue_comment_event(fake, REPO, 1, c))
                                       for c in comments))
    assert [r.status for r in responses] == [202] * 5
    await bot.settle()
    assert evaluations(fake, "1" * 40) == 2  # the event's, and one for the five rechecks

    # A recheck of a head the bot has not evaluated yet does run.
    fake.push(REPO, 1, head_sha="2" * 40)
    created = fake.add_comment(REPO, 1, author="eve", body="/recheck")
    await bot.deliver_and_settle("issue_comment", issue_comment_event(fake, REPO, 1, created))
    assert evaluations(fake, "2" * 40) == 1
    assert fake.latest_status(REPO, "2" * 40, "governance/probe")["state"] == "failure"
