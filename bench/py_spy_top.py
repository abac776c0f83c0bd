"""Where a server's CPU time goes, from py-spy's collapsed stacks (`py-spy record --format raw`).

The benches write such a file with `--py-spy FILE` (bench/common.Server samples the server process).
Prints the functions and the source files that hold the most samples, on their own (self) and with
everything they call (inclusive); idle samples (the event loop waiting in `select`) are left out.

    .venv/bin/python -m bench.py_spy_top FILE [--top 25] [--under PATH-FRAGMENT]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

# py-spy names a frame "function (path/to/file.py:line)"; the line is dropped so a function counts once.
FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")
IDLE_LEAVES = ("select (selectors.py", "poll (selectors.py", "_run_once (asyncio/base_events.py")


def shorten(path: str) -> str:
    for marker in ("site-packages/", "lib/python3", "/work/", "/main/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return path


def parse(text: str) -> list[tuple[list[tuple[str, str]], int]]:
    """(frames root first as (function, file), samples) per distinct stack."""
    stacks = []
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = []
        for frame in stack.split(";"):
            match = FRAME.match(frame.strip())
            if match:
                frames.append((match["function"], shorten(match["file"])))
            else:
                frames.append((frame.strip(), "?"))
        stacks.append((frames, int(count)))
    return stacks


def is_idle(frames: list[tuple[str, str]]) -> bool:
    leaf = f"{frames[-1][0]} ({frames[-1][1]}" if frames else ""
    return any(leaf.startswith(idle) for idle in IDLE_LEAVES)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--under", default=None, help="only stacks that pass through a frame whose file holds this")
    args = parser.parse_args(argv)
    stacks = parse(args.file.read_text())
    if args.under:
        stacks = [(f, n) for f, n in stacks if any(args.under in file for _, file in f)]
    total = sum(n for _, n in stacks)
    busy = [(f, n) for f, n in stacks if not is_idle(f)]
    busy_total = sum(n for _, n in busy)
    print(f"{total} samples, {busy_total} busy ({busy_total / max(total, 1):.0%}); shares below are of the busy ones")
    self_fn: Counter[str] = Counter()
    incl_fn: Counter[str] = Counter()
    self_file: Counter[str] = Counter()
    incl_file: Counter[str] = Counter()
    for frames, n in busy:
        function, file = frames[-1]
        self_fn[f"{function} ({file})"] += n
        self_file[file] += n
        for name in {f"{fn} ({fl})" for fn, fl in frames}:
            incl_fn[name] += n
        for fl in {fl for _, fl in frames}:
            incl_file[fl] += n
    for title, counter in (("self, by function", self_fn), ("inclusive, by function", incl_fn),
                           ("self, by file", self_file), ("inclusive, by file", incl_file)):
        print(f"\n== {title}")
        for name, n in counter.most_common(args.top):
            print(f"  {n / max(busy_total, 1):6.1%}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
