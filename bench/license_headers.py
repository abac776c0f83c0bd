"""Licence headers on big pull requests: GitHub API requests and wall time for one evaluation.

Goal (issue 4): at most 40 requests for a pull request adding 1,500 files. The bot runs in
process (tests/harness.py: the real aiohttp app, queue and engine) against the in-memory
fake GitHub; every request the fake answered for the event is counted, the installation
token included. Each scenario gets a fresh fake, bot and database.

  added-1500       1,500 added files as GitHub lists them: most with their patch (the content,
                   no read), 100 large ones without (read through GraphQL), images, JSON and
                   Markdown (skipped by name, never read); 1 in 10 lacks its header.
  modified-500     500 modified files: a patch is a diff, so every file is read (GraphQL).
  added-1500-nopatch  worst case: 1,500 added files and no patch at all.

Wall time is from the webhook POST until the queue is idle; it includes the fake's own
work (it rebuilds the head tree for every GraphQL object it answers, which is quadratic).

    .venv/bin/python -m bench.license_headers [--scenarios added-1500,modified-500,added-1500-nopatch]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from tests.fakegithub import FakeGitHub  # noqa: E402
from tests.harness import BotHarness, make_settings  # noqa: E402
from tests.payloads import pull_request_event  # noqa: E402

REPO = "acme/widgets"
RULES_FILE = "license_headers:\n  license: Apache-2.0\n  copyright: 'Copyright (c) {year} Example Corp'\n"
HEADERS = {
    ".py": "# Copyright (c) 2024 Example Corp\n# SPDX-License-Identifier: Apache-2.0\n",
    ".go": "// Copyright (c) 2024 Example Corp\n// SPDX-License-Identifier: Apache-2.0\n",
    ".ts": "// Copyright (c) 2024 Example Corp\n// SPDX-License-Identifier: Apache-2.0\n",
    ".java": "/*\n * Copyright (c) 2024 Example Corp\n * SPDX-License-Identifier: Apache-2.0\n */\n",
}
BODY = "".join(f"line {i} of some code\n" for i in range(40))
GOAL = 40


def new_file_patch(text: str) -> str:
    lines = text.split("\n")[:-1]
    return f"@@ -0,0 +1,{len(lines)} @@\n" + "\n".join("+" + line for line in lines)


def source(index: int) -> tuple[str, str]:
    ext = list(HEADERS)[index % len(HEADERS)]
    header = "" if index % 10 == 0 else HEADERS[ext]
    return f"src/pkg{index // 100:02d}/file{index:04d}{ext}", header + BODY


def added_files(n: int, *, patches: bool) -> list[dict]:
    files: list[dict] = []
    for i in range(n):
        kind = i % 20
        if kind == 18:
            files.append({"filename": f"assets/img{i:04d}.png", "status": "added", "content": b"\x89PNG\r\n\x00\x01"})
        elif kind == 19:
            name = f"docs/page{i:04d}.md" if i % 40 == 19 else f"data/item{i:04d}.json"
            files.append({"filename": name, "status": "added", "content": "{}\n", "patch": new_file_patch("{}\n")})
        else:
            name, text = source(i)
            spec = {"filename": name, "status": "added", "content": text, "additions": text.count("\n")}
            # GitHub omits the patch of large files: here every 17th source file.
            if patches and i % 17 != 0:
                spec["patch"] = new_file_patch(text)
            files.append(spec)
    return files


def modified_files(fake: FakeGitHub, n: int) -> list[dict]:
    files: list[dict] = []
    for i in range(n):
        name, text = source(i)
        fake.set_file(REPO, name, text.replace("line 3", "old line 3"))
        files.append({"filename": name, "status": "modified", "content": text, "additions": 1, "deletions": 1,
                      "patch": "@@ -3,3 +3,3 @@\n line 2\n-old line 3\n+line 3\n line 4"})
    return files


SCENARIOS = {
    "added-1500": lambda fake: added_files(1500, patches=True),
    "modified-500": lambda fake: modified_files(fake, 500),
    "added-1500-nopatch": lambda fake: added_files(1500, patches=False),
}


def kinds(fake: FakeGitHub) -> Counter[str]:
    out: Counter[str] = Counter()
    for r in fake.requests:
        if r.method == "POST" and r.path.startswith("/app/installations/"):
            out["token"] += 1
        elif r.path == "/graphql":
            out["GraphQL"] += 1
        elif r.method == "GET":
            out["GET " + ("pulls/files" if r.path.endswith("/files") else "other")] += 1
        else:
            out[r.method] += 1
    return out


async def run(name: str, key: tuple[str, bytes]) -> int:
    fake = FakeGitHub(public_key_pem=key[1])
    await fake.start()
    with tempfile.TemporaryDirectory(prefix="governance-bench-") as tmp:
        bot = BotHarness(make_settings(api_url=fake.url, private_key=key[0], db_path=Path(tmp) / "bench.db"))
        await bot.start()
        try:
            fake.add_user("dana")
            fake.add_repo(REPO)
            fake.set_file(REPO, ".github/governance.yml", RULES_FILE)
            files = SCENARIOS[name](fake)
            fake.add_pull_request(REPO, 1, author="dana", files=files, head_sha="a" * 40)
            fake.clear_requests()
            started = time.perf_counter()
            await bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
            wall = time.perf_counter() - started
            status = fake.latest_status(REPO, "a" * 40, "governance/license-headers")
            counts = kinds(fake)
            total = sum(counts.values())
            common.heading(f"{name}: {len(files)} files")
            print(f"  requests   {total}  ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})")
            print(f"  wall time  {wall * 1000:.0f} ms")
            print(f"  status     {status['state'] if status else None}: {status['description'] if status else ''}")
            if name == "added-1500":
                print(f"  goal       <= {GOAL} requests: {'met' if total <= GOAL else 'MISSED'}")
            return total
        finally:
            await bot.close()
            await fake.close()


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    args = parser.parse_args(argv)
    names = [n for n in args.scenarios.split(",") if n]
    unknown = set(names) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    key = common.new_app_key()
    results = {name: await run(name, key) for name in names}
    if "added-1500" in results and results["added-1500"] > GOAL:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
