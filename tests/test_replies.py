"""Issue 17, Medium 5 and Low: command replies are one per comment, rate-limited per person, never posted twice."""

from __future__ import annotations

from bot.replies import REPLY_LIMIT
from tests.fake_ext_replies import reply_bodies
from tests.payloads import issue_comment_event, pull_request_event

REPO = "acme/widgets"


def setup_repo(fake):
    fake.add_user("dana")
    fake.add_user("eve")
    fake.add_repo(REPO)
    fake.set_file(REPO, ".github/governance.yml", "probe:\n  title_prefix: feat\n")
    return fake.add_pull_request(REPO, 1, author="dana", title="fix: a thing", head_sha="1" * 40)


async def comment(fake, bot, body: str, author: str = "eve", **kwargs):
    created = fake.add_comment(REPO, 1, author=author, body=body)
    return await bot.deliver_and_settle("issue_comment", issue_comment_event(fake, REPO, 1, created), **kwargs)


async def test_one_comment_with_many_refused_commands_gets_one_combined_reply(fake, bot):
    setup_repo(fake)
    await comment(fake, bot, "\n".join(["/probe", "/help"] * 10))
    replies = reply_bodies(fake, REPO, 1)
    assert len(replies) == 1
    assert replies[0].count("`/probe` needs triage permission") == 1 and "Commands this repository has on" in replies[0]


async def test_replies_to_one_person_on_one_issue_are_rate_limited(fake, bot):
    setup_repo(fake)
    for _ in range(REPLY_LIMIT + 3):
        await comment(fake, bot, "/probe")
    assert len(reply_bodies(fake, REPO, 1)) == REPLY_LIMIT
    # Somebody else on the same issue still gets an answer.
    await comment(fake, bot, "/probe", author="dana")
    assert reply_bodies(fake, REPO, 1)[-1] == "@dana `/probe` needs triage permission."


async def test_a_retried_delivery_does_not_post_its_reply_twice(fake, bot):
    setup_repo(fake)
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    fake.push(REPO, 1, head_sha="e" * 40)  # the report will change at the /recheck below
    # Every attempt at editing the report fails during the first run: the delivery is retried.
    fake.fail("PATCH", rf"/repos/{REPO}/issues/comments/\d+", status=502, times=4)
    response = await comment(fake, bot, "/recheck\n/probe", delivery_id="retried-1")
    assert response.status == 202
    delivery = await bot.delivery("retried-1")
    assert delivery["state"] == "done" and delivery["attempts"] == 2
    assert reply_bodies(fake, REPO, 1) == ["@eve `/probe` needs triage permission."]
    assert [c for c in fake.comments(REPO, 1) if "e" * 7 in c["body"]]  # the report did get its update
