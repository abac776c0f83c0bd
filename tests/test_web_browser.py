"""The web pages in a real browser (headless Chromium): a failing status's Details link, and
(with sign-in) the dashboard. Screenshots land in build/screenshots/."""

from __future__ import annotations


from tests.browser import browser  # noqa: F401  (fixture)
from tests.payloads import pull_request_event

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
    import asyncio

    return await asyncio.to_thread(lambda: element.text)
