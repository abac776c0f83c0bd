"""How many GitHub API requests the CLA rule costs for a 3-commit pull request.

Runs the real bot (webhook server, durable queue, engine) in-process against the in-repo
fake GitHub and counts the requests the fake answers, phase by phase:

  opened     the PR arrives; its author has not signed (failure + report comment)
  signed     the author comments the sign phrase (comment event + re-evaluation of the PR)
  pushed     a new push once everyone has signed (the steady state)
  co-author  the same push, with a Co-authored-by trailer that GitHub must resolve (GraphQL)

Prints figures only; nothing is timed or asserted. Usage: .venv/bin/python bench/cla_requests.py
"""

from __future__ import annotations

import asyncio
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from tests.fake_ext_cla import commit_by  # noqa: E402
from tests.fakegithub import FakeGitHub  # noqa: E402
from tests.harness import BotHarness, make_settings, new_app_key  # noqa: E402
from tests.payloads import issue_comment_event, pull_request_event  # noqa: E402

REPO = "acme/widgets"
RULES = "cla:\n  document: https://example.org/cla.md\n"
PHRASE = "I have read the CLA Document and I hereby sign the CLA"
CLA_READS = re.compile(r"/pulls/\d+/commits|/compare/|^/graphql$|/orgs/[^/]+/members/")


def shape(path: str) -> str:
    """A request path with its variable parts folded, to group requests by endpoint."""
    path = re.sub(r"[0-9a-f]{40}", "{sha}", path)
    path = re.sub(r"/compare/[^/]+", "/compare/{base...head}", path)
    return re.sub(r"/\d+(?=/|$)", "/{n}", path)


def report(phase: str, fake: FakeGitHub) -> None:
    requests = [r for r in fake.requests if not r.path.startswith("/app/")]
    cla = [r for r in requests if CLA_READS.search(r.path)]
    writes = [r for r in requests if r.method != "GET" and r.path != "/graphql"]
    print(f"\n== {phase}: {len(requests)} requests ({len(cla)} read by the CLA rule itself, "
          f"{len(writes)} writes, {sum(r.status == 304 for r in requests)} answered 304)")
    for (method, path), count in sorted(Counter((r.method, shape(r.path)) for r in requests).items()):
        print(f"  {count:3d}  {method:5s} {path}")
    fake.clear_requests()


async def main() -> None:
    private, public = new_app_key()
    fake = FakeGitHub(public_key_pem=public)
    await fake.start()
    with tempfile.TemporaryDirectory() as tmp:
        bot = BotHarness(make_settings(api_url=fake.url, private_key=private, db_path=Path(tmp) / "bench.db"))
        await bot.start()
        try:
            fake.add_repo(REPO)
            fake.set_file(REPO, ".github/governance.yml", RULES)
            fake.add_user("dana")
            pr = fake.add_pull_request(REPO, 1, author="dana", commits=[commit_by(fake, "dana") for _ in range(3)])
            await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
            report("opened (3 commits, author unsigned)", fake)

            signing = fake.add_comment(REPO, 1, author="dana", body=PHRASE)
            await bot.deliver_and_settle("issue_comment", issue_comment_event(fake, REPO, 1, signing))
            report("signed (comment + re-evaluation)", fake)

            fake.push(REPO, 1, head_sha="c" * 40, commits=[commit_by(fake, "dana") for _ in range(3)])
            await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1, "synchronize"))
            report("pushed (3 commits, everyone signed)", fake)

            fake.add_user("carol", emails=["carol@corp.example"])
            trailer = "Pair\n\nCo-authored-by: Carol <carol@corp.example>"
            fake.push(REPO, 1, head_sha="d" * 40, commits=[commit_by(fake, "dana"), commit_by(fake, "dana"),
                                                           commit_by(fake, "dana", message=trailer)])
            await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1, "synchronize"))
            report("pushed (3 commits, one co-author resolved through GraphQL)", fake)
            state = fake.latest_status(REPO, pr["head"]["sha"], "governance/cla")
            print(f"\nfinal governance/cla: {state['state'] if state else None}")
        finally:
            await bot.close()
            await fake.close()


if __name__ == "__main__":
    asyncio.run(main())
