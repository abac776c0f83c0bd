"""Hostile contributor input never holds the event loop (issue 17, High).

Each test delivers an input that kept the old code busy for seconds (a backtracking regex,
a pure-Python parser on the loop) and sends GitHub `ping` webhooks while it is processed:
every ping must be answered promptly. Bounds are generous (seconds, where the old code
took tens of seconds) so a loaded machine does not fail them; `bench/hostile_input.py`
prints the actual figures.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.fake_ext_cla import commit_by
from tests.harness import BotHarness
from tests.payloads import pull_request_event

pytest_plugins = ["tests.pg"]

REPO = "acme/widgets"
PING_BOUND = 5.0  # seconds; the inputs below held the loop for 40-70 s each on the old code


class Pinger:
    """`tests.pinger` in its own process, pinging the bot's webhook from outside."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/") + "/webhook"
        self.process: asyncio.subprocess.Process | None = None
        self.rtts: list[float] = []

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.pinger", self.url, stdout=asyncio.subprocess.PIPE,
            cwd=str(Path(__file__).resolve().parent.parent))
        assert self.process.stdout is not None
        self.rtts.append(float(await asyncio.wait_for(self.process.stdout.readline(), 60)))  # pings flow

    async def stop(self) -> list[float]:
        assert self.process is not None and self.process.stdout is not None
        self.process.terminate()
        rest = await self.process.stdout.read()
        await self.process.wait()
        self.rtts.extend(float(line) for line in rest.split())
        return self.rtts


async def pings_while_processing(bot: BotHarness, event: str, payload: dict) -> list[float]:
    """Deliver `event` while pings flow from another process, until the queue is idle; their round trips."""
    pinger = Pinger(bot.url)
    await pinger.start()
    try:
        response = await bot.deliver(event, payload)
        assert response.status == 202
        await bot.settle(timeout=300)
    finally:
        rtts = await pinger.stop()
    return rtts


def hunk(*added: str) -> str:
    return f"@@ -0,0 +1,{len(added)} @@\n" + "\n".join("+" + line for line in added)


async def test_a_co_authored_by_line_of_spaces_does_not_stall_pings(fake, bot):
    """`Co-authored-by: ` + 6,000 spaces + `x`: about 70 s of regex on the loop before (cubic)."""
    fake.add_repo(REPO)
    fake.set_file(REPO, ".github/governance.yml", "cla:\n  document: https://example.org/cla.md\n")
    fake.add_user("dana")
    message = "Fix\n\nCo-authored-by: " + " " * 6000 + "x"
    fake.add_pull_request(REPO, 1, author="dana", commits=[commit_by(fake, "dana", message=message)])
    rtts = await pings_while_processing(bot, "pull_request", pull_request_event(fake, REPO, 1))
    assert max(rtts) < PING_BOUND, rtts
    status = fake.latest_status(REPO, fake.pull_request(REPO, 1)["head"]["sha"], "governance/cla")
    assert status["state"] == "failure" and status["description"].startswith("dana must sign")


async def test_python_and_go_import_lines_of_spaces_do_not_stall_pings(fake, bot):
    """`from` + 3,000 spaces + `x` (15 s) and Go block entries padded with spaces (quadratic)."""
    fake.add_repo(REPO)
    fake.set_file(REPO, ".github/governance.yml",
                  "commercial:\n  paths: [\"ee/**\"]\n  license_url: https://example.org/ee\n")
    fake.add_user("outsider")
    go_lines = ["import (", *(f'\t"x{i}"' + " " * 9000 + "y" for i in range(4)), ")"]
    files = [
        {"filename": "app/main.py", "status": "modified", "additions": 2, "deletions": 0,
         "patch": hunk("from" + " " * 3000 + "x", "from ee.billing import charge")},
        {"filename": "cmd/main.go", "status": "modified", "additions": len(go_lines), "deletions": 0,
         "patch": hunk(*go_lines)},
    ]
    fake.add_pull_request(REPO, 1, author="outsider", files=files, head_sha="1" * 40)
    rtts = await pings_while_processing(bot, "pull_request", pull_request_event(fake, REPO, 1))
    assert max(rtts) < PING_BOUND, rtts
    status = fake.latest_status(REPO, "1" * 40, "governance/commercial")
    assert status["state"] == "failure"
    report = [c for c in fake.comments(REPO, 1) if "governance-bot:report" in c["body"]][0]["body"]
    assert "app/main.py" in report and "ee/billing" in report


async def test_sign_off_and_remediation_lines_of_spaces_do_not_stall_pings(fake, bot):
    """The DCO rule reads the same kind of lines: `Signed-off-by: ` + spaces, half-written remediation statements."""
    fake.add_repo(REPO)
    fake.set_file(REPO, ".github/governance.yml", "dco:\n  allow_remediation_commits: {individual: true, third_party: true}\n")
    fake.add_user("dana")
    lines = ["Signed-off-by: " + " " * 6000 + "x", "Signed-off-by: " + "<" * 6000,
             "On behalf of " + "a <b>, I, " * 600 + "hereby add my Signed-off-by to this commit:" + " " * 3000,
             "I, " + " " * 3000 + "<" * 1000 + ", hereby add my Signed-off-by to this commit: " + "a" * 39]
    commits = [commit_by(fake, "dana", message="Fix\n\n" + "\n".join(lines * 8)) for _ in range(20)]
    fake.add_pull_request(REPO, 1, author="dana", commits=commits)
    rtts = await pings_while_processing(bot, "pull_request", pull_request_event(fake, REPO, 1))
    assert max(rtts) < PING_BOUND, rtts
    status = fake.latest_status(REPO, fake.pull_request(REPO, 1)["head"]["sha"], "governance/dco")
    assert status["state"] == "failure" and status["description"].startswith("20 commits lack")


async def test_a_huge_tsconfig_does_not_stall_pings(fake, bot):
    """A 0.93 MB tsconfig.json and one `.ts` import: 19.7 s in the pure-Python JSON5 parser, per folder."""
    fake.add_repo(REPO)
    fake.set_file(REPO, ".github/governance.yml",
                  "commercial:\n  paths: [\"ee/**\"]\n  license_url: https://example.org/ee\n")
    entries = "\n".join(f'    // alias {i}\n    "@pkg{i}/*": ["packages/pkg{i}/*",],' for i in range(15_000))
    fake.set_file(REPO, "tsconfig.json", '{\n  "compilerOptions": {\n    "baseUrl": ".",\n    "paths": {\n'
                  + entries + "\n    },\n  },\n}\n")
    fake.add_user("outsider")
    files = [{"filename": f"web/{folder}/app.ts", "status": "modified", "additions": 1, "deletions": 0,
              "patch": hunk("import { plan } from 'ee/billing';")} for folder in ("a", "b")]
    fake.add_pull_request(REPO, 1, author="outsider", files=files, head_sha="2" * 40)
    rtts = await pings_while_processing(bot, "pull_request", pull_request_event(fake, REPO, 1))
    assert max(rtts) < PING_BOUND, rtts
    status = fake.latest_status(REPO, "2" * 40, "governance/commercial")
    assert status["state"] == "failure" and status["description"].startswith("tsconfig.json is larger than")
