"""`governance-bot headers check` on a local checkout: wall time of the whole command.

Goals (issue 13): at most 0.3 s on a 20-file repository, and at least 3x faster than
`reuse lint` (default settings) on a large REUSE-compliant tree, measured in the same minute.

  small            a generated 20-file repository (Python, Go, C, YAML; REUSE.toml present),
                   the command run as a process, as a user runs it (start-up included).
  --tree PATH      also time the command on an existing checkout (e.g. a clone of curl) with
                   `--config FILE`, and `reuse lint` there when a `reuse` command is given
                   with `--reuse` (it is not a dependency of this project: install it in a
                   scratch virtualenv).

Each figure is the median of `--runs` runs (default 5), with the user CPU time beside it;
machine load is printed too, since other work on a shared machine moves wall times a lot.

    .venv/bin/python -m bench.license_headers_local [--runs 5] [--tree PATH --config FILE [--reuse PATH]]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

SMALL_GOAL = 0.3
SPEEDUP_GOAL = 3.0
HEADER = "# SPDX-FileCopyrightText: 2024 Example Corp\n# SPDX-License-Identifier: Apache-2.0\n"
RULES = "license_headers:\n  license: Apache-2.0\n  exclude: ['.github/**']\n"
REUSE_TOML = ('version = 1\n\n[[annotations]]\npath = "data/**"\nSPDX-FileCopyrightText = "2024 Example Corp"\n'
              'SPDX-License-Identifier = "Apache-2.0"\n')


def small_repo(root: Path) -> Path:
    """20 files: 17 sources with headers, 1 without, REUSE.toml and a data file it covers."""
    files: dict[str, str] = {".github/governance.yml": RULES, "REUSE.toml": REUSE_TOML, "data/table.csv": "a,b\n"}
    for i in range(6):
        files[f"src/mod{i}.py"] = HEADER + f"VALUE = {i}\n"
        files[f"cmd/m{i}.go"] = HEADER.replace("# ", "// ") + "package cmd\n"
    for i in range(5):
        files[f"lib/u{i}.c"] = "/*\n" + HEADER.replace("# ", " * ") + " */\nint u;\n"
    files["src/missing.py"] = "x = 1\n"
    root.mkdir()
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.name=b", "-c", "user.email=b@example.com",
                                                   "commit", "-qm", "init"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)
    return root


def timed(command: list[str], cwd: Path, runs: int) -> tuple[float, float, str]:
    """Median wall seconds, median user CPU seconds, and the last run's stderr summary."""
    walls: list[float] = []
    users: list[float] = []
    last = ""
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        users.append(after.ru_utime - before.ru_utime)
        last = (result.stderr.strip().splitlines() or [""])[-1]
    return statistics.median(walls), statistics.median(users), last


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tree", type=Path, help="an existing checkout to time as well")
    parser.add_argument("--config", type=Path, help="rules file for --tree")
    parser.add_argument("--reuse", help="a `reuse` command to compare with on --tree (e.g. /tmp/venv/bin/reuse)")
    args = parser.parse_args(argv)
    command = [sys.executable, "-m", "bot", "headers", "check"]
    env_root = Path(__file__).resolve().parent.parent
    os.environ["PYTHONPATH"] = str(env_root) + os.pathsep + os.environ.get("PYTHONPATH", "")

    common.heading("headers check on a 20-file repository (a process, start-up included)")
    print(f"machine: {common.loadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        repo = small_repo(Path(tmp) / "small")
        wall, user, summary = timed(command, repo, args.runs)
    verdict = "meets" if wall <= SMALL_GOAL else "misses"
    print(f"  median {wall:.3f} s wall, {user:.3f} s user ({summary}); goal <= {SMALL_GOAL} s: {verdict}")

    if args.tree is not None:
        common.heading(f"headers check vs reuse lint on {args.tree}")
        print(f"machine: {common.loadavg()}")
        ours = command + (["--config", str(args.config.resolve())] if args.config else [])
        wall, user, summary = timed(ours, args.tree, args.runs)
        print(f"  headers check: median {wall:.2f} s wall, {user:.2f} s user ({summary})")
        if args.reuse:
            r_wall, r_user, r_summary = timed([args.reuse, "lint"], args.tree, max(1, args.runs // 2))
            print(f"  reuse lint:    median {r_wall:.2f} s wall, {r_user:.2f} s user ({r_summary[:70]})")
            ratio = r_wall / wall
            print(f"  speed-up {ratio:.1f}x wall, {r_user / user:.1f}x user CPU; goal >= {SPEEDUP_GOAL}x: "
                  f"{'meets' if ratio >= SPEEDUP_GOAL else 'misses'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
