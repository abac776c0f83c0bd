"""Hostile contributor input (issue 17, High): seconds of CPU each input costs, per parser.

Each case is one input that stalled the event loop before: a `Co-authored-by:` line padded
with spaces, a Python `from` padded with spaces, Go block entries padded with spaces, a
0.93 MB tsconfig. The functions are the rules' own, called directly (no HTTP), so the figures
are the parser's cost alone; the end-to-end check that pings are answered meanwhile is
tests/test_hostile_input.py.

    .venv/bin/python -m bench.hostile_input [--scale 0.5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rules.cla.identities import co_author_trailers  # noqa: E402
from rules.commercial.boundary import CommercialPaths, find_forbidden_imports  # noqa: E402
from rules.commercial.boundary import tsconfig  # noqa: E402


def _tsconfig(entries: int) -> str:
    lines = "\n".join(f'    // alias {i}\n    "@pkg{i}/*": ["packages/pkg{i}/*",],' for i in range(entries))
    return '{\n  "compilerOptions": {\n    "baseUrl": ".",\n    "paths": {\n' + lines + "\n    },\n  },\n}\n"


def _parse_tsconfig(text: str) -> object:
    try:
        return tsconfig.parse(text)
    except Exception as exc:  # the new code refuses it (UnusableConfig): that is the answer
        return type(exc).__name__


def cases(scale: float) -> list[tuple[str, object]]:
    commercial = CommercialPaths(["ee/**"])
    spaces = int(4000 * scale)
    go = ["import (", *(f'\t"x{i}"' + " " * int(9000 * scale) + "y" for i in range(4)), ")"]
    return [
        (f"Co-authored-by: + {spaces:,} spaces + x",
         lambda: co_author_trailers("Fix\n\nCo-authored-by: " + " " * spaces + "x")),
        (f"from + {int(3000 * scale):,} spaces + x",
         lambda: find_forbidden_imports("app/main.py", "@@ -0,0 +1,1 @@\n+from" + " " * int(3000 * scale) + "x",
                                        commercial)),
        (f"Go: 4 block entries + {int(9000 * scale):,} spaces",
         lambda: find_forbidden_imports("cmd/main.go", f"@@ -0,0 +1,{len(go)} @@\n" + "\n".join("+" + l for l in go),
                                        commercial)),
        (f"tsconfig.json of {len(_tsconfig(int(15000 * scale))) / 1e6:.2f} MB",
         lambda: _parse_tsconfig(_tsconfig(int(15000 * scale)))),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="input size relative to the issue's")
    args = parser.parse_args()
    print(f"{'input':<40} {'seconds':>10}")
    for name, run in cases(args.scale):
        started = time.perf_counter()
        run()
        print(f"{name:<40} {time.perf_counter() - started:>10.4f}", flush=True)


if __name__ == "__main__":
    main()
