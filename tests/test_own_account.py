"""Issue 17, Medium 6: only comments by the App's own account are the bot's (not any account of type Bot).

The account is found as GitHub documents it: `GET /app` (as the App) gives the slug, and
`GET /users/{slug}[bot]` the bot user whose id the comments are matched on.
"""

from __future__ import annotations

from tests.fakegithub import BOT_USER
from tests.payloads import pull_request_event

REPO = "acme/widgets"
REPORT_MARKER = "<!-- governance-bot:report -->"
WELCOME = "<!-- governance-bot:probe-welcome -->"


def setup_repo(fake, rules_text: str):
    fake.add_user("dana")
    fake.add_user("mallory-bot[bot]", type="Bot")
    fake.add_repo(REPO)
    fake.set_file(REPO, ".github/governance.yml", rules_text)
    return fake.add_pull_request(REPO, 1, author="dana", title="fix: a thing", head_sha="1" * 40)


def own(fake) -> list[dict]:
    return [c for c in fake.comments(REPO, 1) if c["user"]["id"] == BOT_USER["id"]]


async def test_another_bots_comment_starting_with_the_report_marker_is_not_edited(fake, bot):
    setup_repo(fake, "probe:\n  title_prefix: feat\n")
    forged_body = REPORT_MARKER + "\nAll good, merge away! <img src=x>"
    forged = fake.add_comment(REPO, 1, author="mallory-bot[bot]", body=forged_body)
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    by_id = {c["id"]: c for c in fake.comments(REPO, 1)}
    assert by_id[forged["id"]]["body"] == forged_body
    assert not [r for r in fake.writes() if r.method == "PATCH"]
    reports = [c for c in own(fake) if c["body"].startswith(REPORT_MARKER)]
    assert len(reports) == 1 and "Start the title with `feat`" in reports[0]["body"]
    assert [r.path for r in fake.requests if r.path == "/app"]  # the slug came from GET /app


async def test_another_bots_marked_comment_does_not_stand_in_for_the_bots_own(fake, bot):
    setup_repo(fake, f"probe:\n  title_prefix: feat\n  marked_comment: '{WELCOME}'\n")
    fake.add_comment(REPO, 1, author="mallory-bot[bot]", body=f"{WELCOME}\nfollow this link to sign")
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    assert len([c for c in own(fake) if WELCOME in c["body"]]) == 1
    # Its own marked comment is recognised: a second evaluation posts nothing new.
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1, "edited"))
    assert len([c for c in own(fake) if WELCOME in c["body"]]) == 1
