"""Verdict pages behind the statuses' Details links (SPEC §4): stored with the evaluation,
reached only through the signed token, escaped, private repositories kept private."""

from __future__ import annotations

import re
import time

from sqlalchemy import update

from bot.verdicts import verdicts
from tests.payloads import pull_request_event

REPO = "acme/widgets"


def failing_pr(fake, *, title: str = "fix: a thing", author: str = "dana", private: bool = False,
               rules_text: str = "probe:\n  title_prefix: feat\n"):
    fake.add_user(author)
    fake.add_repo(REPO, private=private)
    fake.set_file(REPO, ".github/governance.yml", rules_text)
    return fake.add_pull_request(REPO, 1, author=author, title=title, head_sha="a" * 40)


def page_path(web_bot, status: dict) -> str:
    url = status["target_url"]
    assert url.startswith(web_bot.settings.public_url + "/v/"), url
    return url[len(web_bot.settings.public_url):]


async def test_failing_status_links_to_its_full_verdict(fake, web_bot):
    failing_pr(fake)
    await web_bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    status = fake.latest_status(REPO, "a" * 40, "governance/probe")
    assert status["state"] == "failure"
    path = page_path(web_bot, status)
    assert re.fullmatch(r"/v/[A-Za-z0-9_-]{43}", path)
    async with web_bot.session.get(web_bot.url.rstrip("/") + path) as response:
        body = await response.text()
        assert response.status == 200
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "governance/probe" in body and "Start the title with &#39;feat&#39;." in body
    assert "wrote the title fix: a thing" in body and "feat: fix: a thing" in body  # the row and its fix
    assert "Retitle the pull request" in body
    # Every status of the head has its page, the config status too.
    config = fake.latest_status(REPO, "a" * 40, "governance/config")
    status_code, _ = await web_bot.get(page_path(web_bot, config))
    assert status_code == 200


async def test_an_unchanged_verdict_is_not_posted_again(fake, web_bot):
    failing_pr(fake)
    await web_bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    posts = len([w for w in fake.writes() if "/statuses/" in w.path])
    await web_bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1, "edited"))
    assert len([w for w in fake.writes() if "/statuses/" in w.path]) == posts  # same token, same link


async def test_tampered_unknown_and_expired_tokens_are_404(fake, web_bot):
    failing_pr(fake)
    await web_bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    path = page_path(web_bot, fake.latest_status(REPO, "a" * 40, "governance/probe"))
    tampered = path[:-1] + ("A" if path[-1] != "A" else "B")
    for wrong in (tampered, "/v/" + "A" * 43, "/v/short", "/v/" + "%3Cscript%3E" * 4):
        status_code, body = await web_bot.get(wrong)
        assert status_code == 404, wrong
        assert "governance/probe" not in body
    # Past the retention the page is gone even before pruning removes it ...
    async with web_bot.state.store.transaction() as conn:
        await conn.execute(update(verdicts).values(recorded_at=time.time() - 15 * 86400))
    assert (await web_bot.get(path))[0] == 404
    # ... and pruning removes it.
    from bot import verdicts as verdict_store

    assert await verdict_store.prune(web_bot.state.store, 14 * 86400) >= 2


async def test_html_and_mentions_in_user_text_are_shown_as_text(fake, web_bot):
    failing_pr(fake, title='<img src=x onerror=alert(1)> @everyone "quoted"')
    await web_bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    path = page_path(web_bot, fake.latest_status(REPO, "a" * 40, "governance/probe"))
    status_code, body = await web_bot.get(path)
    assert status_code == 200
    assert "<img" not in body
    assert "&lt;img src=x onerror=alert(1)&gt; @everyone &#34;quoted&#34;" in body


async def test_private_repository_pages_show_only_the_status(fake, web_bot):
    failing_pr(fake, private=True, title="fix: secret project codename")
    await web_bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    path = page_path(web_bot, fake.latest_status(REPO, "a" * 40, "governance/probe"))
    status_code, body = await web_bot.get(path)
    assert status_code == 200
    assert "Start the title with &#39;feat&#39;." in body  # what the status already shows
    assert "codename" not in body and "acme/widgets" not in body and "dana" not in body


async def test_invalid_rules_file_lists_every_error(fake, web_bot):
    failing_pr(fake, rules_text="probe:\n  titel_prefix: feat\n  colour: <b>red</b>\n")
    await web_bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    status = fake.latest_status(REPO, "a" * 40, "governance/config")
    assert status["state"] == "failure"
    status_code, body = await web_bot.get(page_path(web_bot, status))
    assert status_code == 200
    assert "probe.titel_prefix" in body and "probe.colour" in body
    assert "governance-bot config validate .github/governance.yml" in body


async def test_without_public_url_statuses_keep_the_rules_link(fake, bot):
    failing_pr(fake)
    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    assert not fake.latest_status(REPO, "a" * 40, "governance/probe").get("target_url")
