"""The web pages in a real browser (headless Chromium): a failing status's Details link, and
(with sign-in) the dashboard. Screenshots land in build/screenshots/."""

from __future__ import annotations

import asyncio
import json

from tests import fake_ext_triage
from tests.browser import browser  # noqa: F401  (fixture)
from tests.fake_ext_cla import sha
from tests.fake_ext_triage import person_removes_label
from tests.harness import INSTALLATION_ID
from tests.payloads import issue_comment_event, pull_request_event

REPO = "acme/widgets"
HEADERS_RULES = "license_headers:\n  license: Apache-2.0\n"



def added(name: str, content: str) -> dict:
    lines = content.rstrip("\n").split("\n")
    patch = f"@@ -0,0 +1,{len(lines)} @@\n" + "\n".join("+" + line for line in lines)
    return {"filename": name, "status": "added", "content": content, "additions": len(lines), "patch": patch}


async def test_details_link_shows_every_file_and_the_fix(fake, web_bot, browser):
    fake.add_user("dana")
    fake.add_repo(REPO)
    fake.set_file(REPO, ".github/governance.yml", HEADERS_RULES)
    fake.add_pull_request(REPO, 1, author="dana", head_sha="b" * 40, files=[
        added("src/app.py", "print('hi')\n"),
        added("src/<img src=x onerror=alert(1)>@everyone.py", "x = 1\n"),
        added("web/main.ts", "// SPDX-License-Identifier: MIT\nexport const a = 1;\n"),
        added("src/ok.py", "# SPDX-License-Identifier: Apache-2.0\nok = True\n"),
    ])
    await web_bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    status = fake.latest_status(REPO, "b" * 40, "governance/license-headers")
    assert status["state"] == "failure"

    await browser.get(status["target_url"])  # what "Details" opens
    assert await browser.text("#state") == "failure"
    page = await browser.text()
    assert "src/app.py" in page and "web/main.ts" in page and "src/ok.py" not in page
    assert "src/<img src=x onerror=alert(1)>@everyone.py" in page  # shown as text
    assert await browser.find_all("main img") == []
    assert "declares MIT, expected Apache-2.0" in page
    fixes = [await _text(cell) for cell in await browser.find_all("table.rows td pre")]
    assert "# SPDX-License-Identifier: Apache-2.0" in fixes and "// SPDX-License-Identifier: Apache-2.0" in fixes
    assert "governance-bot headers check --fix" in await browser.text("pre.fix")
    assert await browser.console_errors() == []  # nothing the CSP had to block
    await browser.screenshot("verdict-page")


async def _text(element) -> str:
    return await asyncio.to_thread(lambda: element.text)


# -- sign-in and the dashboard -------------------------------------------------------------------

ORG = "acme"
OTHER = "acme/gadgets"
CLA_RULES = "cla:\n  document: https://example.org/cla.md\n"
PHRASE = "I have read the CLA Document and I hereby sign the CLA"




async def sign_in_with_github(browser, site, oauth, login: str) -> None:
    """What a person does: open the dashboard, get sent to GitHub, authorize, come back."""
    oauth.sign_in_as(login)
    await browser.get(site.url + "/dashboard")
    assert "/login/oauth/authorize" in browser.url  # on "GitHub"
    assert await browser.text("#who") == f"Signed in as {login}"
    await browser.click("#authorize")
    assert browser.url.startswith(site.url + "/dashboard")
    assert await browser.text("#viewer") == login


async def test_an_outsider_signs_in_and_sees_no_dashboard(fake, site, oauth, browser):
    fake.add_repo(REPO, installation_id=INSTALLATION_ID)
    fake.add_org_member(ORG, "otto")
    await sign_in_with_github(browser, site, oauth, "otto")
    assert "There is no dashboard for you" in await browser.text("#no-dashboard")
    await browser.get(site.url + f"/dashboard/{INSTALLATION_ID}")
    assert "Not found" in await browser.text("h1")


async def test_an_owner_searches_exports_and_revokes_a_signature_and_retries_a_delivery(fake, site, oauth, browser):
    for name in (REPO, OTHER):
        fake.add_repo(name, installation_id=INSTALLATION_ID)
        fake.set_file(name, ".github/governance.yml", CLA_RULES)
    fake.set_file(OTHER, ".github/governance.yml", CLA_RULES + "  surprise: <b>key</b>\n")  # invalid
    oauth.add_owner(ORG, "olivia")
    prs = {}
    for number, (login, repo) in enumerate((("dana", REPO), ("erin", REPO), ("frank", REPO)), start=1):
        fake.add_user(login)
        prs[login] = fake.add_pull_request(repo, number, author=login, head_sha=sha(f"b{number}"))
        await site.deliver_and_settle("pull_request", pull_request_event(fake, repo, number))
        created = fake.add_comment(repo, number, author=login, body=PHRASE)
        await site.deliver_and_settle("issue_comment", issue_comment_event(fake, repo, number, created))
    # One delivery fails for good (GitHub says the PR is gone), to be retried from the dashboard.
    fake.add_user("gail")
    fake.add_pull_request(OTHER, 7, author="gail", head_sha=sha("b7"))
    fake.fail("GET", rf"/repos/{OTHER}/pulls/7", status=404, times=100)
    await site.deliver_and_settle("pull_request", pull_request_event(fake, OTHER, 7), delivery_id="delivery-7")
    assert (await site.delivery("delivery-7"))["state"] == "failed"

    await sign_in_with_github(browser, site, oauth, "olivia")
    await browser.click_link("acme")
    assert await browser.text("h1") == "acme"
    assert len(await browser.find_all("svg.chart")) == 2
    await browser.screenshot("dashboard")

    # Search by login, then export what was found.
    await browser.fill("input[name=login]", "ERI")
    await browser.click("#signatures form.search button[type=submit]")
    table = await browser.text("#signatures table")
    assert "erin" in table and "dana" not in table and "frank" not in table
    await browser.click("#signatures a.export-json", navigates=False)
    exported = json.loads((await browser.downloaded(".json")).read_text())
    assert [r["login"] for r in exported] == ["erin"] and exported[0]["repository"] == REPO
    await browser.click("#signatures a.export-csv", navigates=False)
    assert "erin" in (await browser.downloaded(".csv")).read_text()

    # Revoke: the confirmation names the PR that will be re-checked; then its status turns.
    await browser.click("#signatures button.action-revoke")
    assert "erin" in await browser.text("#confirm-text")
    assert await browser.text("#confirm-items") == f"{REPO}#2"
    assert fake.latest_status(REPO, prs["erin"]["head"]["sha"], "governance/cla")["state"] == "success"
    await browser.screenshot("dashboard-revoke-confirm")
    await browser.click("#confirm")
    assert "Revoked the CLA signature of erin" in await browser.text("#done-text")
    await site.settle()
    status = fake.latest_status(REPO, prs["erin"]["head"]["sha"], "governance/cla")
    assert status["state"] == "failure" and "erin must sign" in status["description"]
    assert fake.latest_status(REPO, prs["dana"]["head"]["sha"], "governance/cla")["state"] == "success"

    # Retry the failed delivery once GitHub answers again.
    await browser.click_link("Back to the dashboard")
    rows = await browser.text("#deliveries table")
    assert "delivery-7" in rows and "failed" in rows
    assert "surprise" in await browser.text("#rules table")  # the invalid rules file's error, as text
    fake.clear_faults()
    await browser.click("#deliveries button.action-retry")
    assert "queued again" in await browser.text("#notice")
    await site.settle()
    assert (await site.delivery("delivery-7"))["state"] == "done"
    assert await browser.console_errors(site.url) == []  # nothing the CSP had to block


async def test_an_owner_finds_newcomers_their_mentors_and_the_labels_people_took_off(fake, site, oauth, browser):
    fake_ext_triage.install(fake)
    fake.add_repo(REPO, installation_id=INSTALLATION_ID)
    fake.set_file(REPO, ".github/governance.yml", "onboarding:\n  mentors: [alice, bob]\n"
                  "triage:\n  paths:\n    area/docs: [\"docs/**\"]\n")
    for login in ("alice", "bob"):
        fake.set_permission(REPO, login, "write")
    fake.set_permission(REPO, "tess", "triage")
    oauth.add_owner(ORG, "olivia")
    docs = [added("docs/a.md", "x\n")]
    for number, login in enumerate(("nina", "omar"), start=1):
        fake.add_user(login)
        fake.add_pull_request(REPO, number, author=login, author_association="NONE", head_sha=sha(f"n{number}"),
                              files=docs)
        await site.deliver_and_settle("pull_request", pull_request_event(fake, REPO, number))
    fake.pull_request(REPO, 1)["merged"] = True
    await site.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1, "closed"))
    await site.deliver_and_settle(*person_removes_label(fake, REPO, 2, "area/docs", sender="tess"))

    await sign_in_with_github(browser, site, oauth, "olivia")
    await browser.click_link("acme")
    table = await browser.text("#newcomers table")
    assert "nina" in table and "omar" in table and "alice" in table and "bob" in table
    assert "area/docs" in await browser.text("#labels-removed table")
    await browser.screenshot("dashboard-newcomers")
    await browser.fill("#newcomers input[name=newcomer]", "omar")
    await browser.click("#newcomers form.search button[type=submit]")
    table = await browser.text("#newcomers table")
    assert "omar" in table and "nina" not in table
