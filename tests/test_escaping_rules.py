"""Issue 17, Medium 2, the rules' part: what contributors control (git author names, commit
subjects, file names, declared licences) comes out of every rule's report section literally.

One pull request makes the CLA, DCO, licence-header and commercial rules all report on hostile
text; the report is parsed as CommonMark and must hold no HTML but our marker, and no mention
or reference outside code.
"""

from __future__ import annotations

from tests.fake_ext_cla import commit_by_email
from tests.payloads import pull_request_event
from tests.test_escaping import HOSTILE, HOSTILE_TEXT, REPORT_MARKER, assert_inert, parse
from tests.test_license_headers_rule import added

REPO = "acme/widgets"
RULES_FILE = """\
cla:
  document: https://example.org/cla.md
dco: {}
license_headers:
  license: Apache-2.0
commercial:
  paths: ["ee/**"]
  license_url: https://example.org/ee-license
  maintainers: [carol]
"""
HOSTILE_NAME = "@acme/security-team <img src=x onerror=y> **b** a`b fixes #123"
HOSTILE_FILE = "ee/@acme-security <img src=x> #123 `x`.py"
HOSTILE_SPDX = "<img/src=https://attacker.example/t.png/onerror=x> @acme/security-team"


async def test_every_rules_report_shows_contributor_text_as_text(fake, bot):
    fake.add_user("dana")
    fake.add_user("carol")
    fake.add_repo(REPO)
    fake.set_file(REPO, ".github/governance.yml", RULES_FILE)
    commit = commit_by_email(HOSTILE_NAME, "someone@example.org", message=HOSTILE_TEXT + "\n\nbody")
    files = [
        added(HOSTILE_FILE, "x = 1\n"),  # commercial path, no licence header
        added("src/declared.py", f"# SPDX-License-Identifier: {HOSTILE_SPDX}\nx = 2\n"),
    ]
    fake.add_pull_request(REPO, 1, author="dana", commits=[commit], files=files)

    await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))

    found = [c["body"] for c in fake.comments(REPO, 1) if c["body"].startswith(REPORT_MARKER)]
    assert len(found) == 1
    body = found[0]
    for section in ("Contributor License Agreement", "Developer Certificate of Origin", "Licence headers",
                    "Commercial paths"):  # every rule reported
        assert section in body, section
    code, text, html = parse(body)
    tags = [item for item in html if not item.startswith("link to ")]
    links = [item for item in html if item.startswith("link to ")]
    assert tags == [REPORT_MARKER]  # no tag or marker came out of contributor text
    assert links and not any("attacker" in link or "@" in link for link in links)  # only the bot's own links
    assert_inert(text)
    joined = "\n".join(code + text)
    assert "onerror" in joined and "security-team" in joined  # shown, as text or code
    assert not any(REPORT_MARKER in item for item in text)
    assert HOSTILE[4] not in "\n".join(text)
