"""Statuses are compared with the head's before they are posted, so a replayed delivery writes
nothing; a head this bot never evaluated is not read first (its verdicts say so: bot.verdicts)."""

from __future__ import annotations

from bot.verdicts import verdicts
from tests.payloads import pull_request_event

REPO = "acme/widgets"
RULES = "probe:\n  title_prefix: 'feat'\n"


def status_reads(fake, sha: str) -> list:
    return [r for r in fake.requests if r.method == "GET" and r.path == f"/repos/{REPO}/commits/{sha}/status"]


def status_posts(fake, sha: str) -> list:
    return [r for r in fake.requests if r.method == "POST" and r.path == f"/repos/{REPO}/statuses/{sha}"]


def new_pr(fake, number: int = 1) -> str:
    fake.add_repo(REPO)
    fake.set_file(REPO, ".github/governance.yml", RULES)
    fake.add_user("dana")
    return fake.add_pull_request(REPO, number, author="dana", title="feat: x", head_sha=f"{number:040x}")["head"]["sha"]


async def test_a_new_head_is_not_read_and_a_replay_reads_it_and_posts_nothing(fake, web_bot):
    sha = new_pr(fake)
    await web_bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    assert status_reads(fake, sha) == []
    assert {fake.latest_status(REPO, sha, c)["state"] for c in ("governance/config", "governance/probe")} == {"success"}
    posted = len(status_posts(fake, sha))
    assert posted == 2
    # GitHub's redelivery of the same event (a new delivery id): the head has a verdict now, so it is read.
    await web_bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    assert len(status_reads(fake, sha)) == 1
    assert len(status_posts(fake, sha)) == posted  # nothing written twice


async def test_a_changed_verdict_on_an_evaluated_head_is_posted(fake, web_bot):
    sha = new_pr(fake)
    await web_bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    fake.pull_request(REPO, 1)["title"] = "fix: y"  # edited: same head, the probe now fails
    await web_bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1, "edited"))
    assert len(status_reads(fake, sha)) == 1
    assert fake.latest_status(REPO, sha, "governance/probe")["state"] == "failure"
    assert len(status_posts(fake, sha)) == 3  # only the probe's status changed


async def test_without_stored_verdicts_every_head_is_read_first(fake, bot):
    """No PUBLIC_URL: no verdict is stored, so their absence tells nothing."""
    sha = new_pr(fake)
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    assert len(status_reads(fake, sha)) == 1
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    assert len(status_reads(fake, sha)) == 2 and len(status_posts(fake, sha)) == 2


async def test_a_head_whose_verdicts_were_pruned_is_read_before_it_is_evaluated_again(fake, web_bot):
    """Only an opened or synchronized pull request's head is taken as new: a later event may
    re-evaluate a head older than the verdicts kept, and must not post its statuses again."""
    sha = new_pr(fake)
    await web_bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    async with web_bot.state.store.transaction() as conn:
        await conn.execute(verdicts.delete())  # pruned, as after DELIVERY_RETENTION_DAYS
    await web_bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1, "edited"))
    assert len(status_reads(fake, sha)) == 1
    assert len(status_posts(fake, sha)) == 2  # nothing written twice
