"""Webhook ack latency: 20 concurrent senders POST signed pull_request deliveries to the real server.

Goal (issue 2): p99 <= 20 ms on a 2-core machine, whatever the workers are doing. An ack is the time
from the start of the POST to the end of the 202 answer, measured by senders running in their own
process (so the fake GitHub's work, which runs in this process, cannot delay their clock).

Phases, each on a fresh server and SQLite database (WORKERS=8 unless --workers), N deliveries each:
  parked   the fake holds every installation-token request: the workers are stuck waiting on
           GitHub and only the ack path runs. The floor.
  busy-50  workers process deliveries against a fake answering each request in 50 ms (about what
           api.github.com costs): workers mostly wait on I/O.
  busy-0   the fake answers at once: workers are CPU-bound and compete with the acks for the CPU.
           The worst case, made worse here because the fake itself needs a core of this machine.
  open-parked, open-50, open-0
           as parked / busy-50 / busy-0 but open loop: delivery i is due at start + i/--rate and its latency
           counts from then, so a server that falls behind is charged for the wait.
The closed-loop phases (parked, busy-*) are the issue's measure: each sender posts again as soon as
it is answered, so the server is saturated and latency is mostly queueing behind the other 19
senders (Little's law: mean latency = 20 / acks per second). The open-loop phases show latency at a
given arrival rate instead. In the busy and open phases the workers get a head start (--prime
deliveries, not measured) so processing runs during the whole measurement, and the write windows are
lifted so workers keep working instead of waiting for them.

    .venv/bin/python -m bench.ack_latency [--n 2000] [--concurrency 20] [--rate 200]
                                          [--phases parked,busy-50,busy-0,open-parked,open-50,open-0]
                                          [--experiment NAME ...] [--profile DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import web  # noqa: E402

from bench import common  # noqa: E402
from bench.common import Signed  # noqa: E402

GOAL_P99_MS = 20.0
TOKEN_PATH = r"/app/installations/\d+/access_tokens"


@dataclass(frozen=True)
class Phase:
    latency: float      # seconds the fake waits before each answer
    park: bool          # hold installation tokens, so no delivery gets processed
    open_loop: bool     # deliveries due at --rate instead of back to back
    description: str


PHASES = {
    "parked": Phase(0.0, True, False, "workers parked on GitHub (ack path alone), closed loop"),
    "busy-50": Phase(0.05, False, False, "workers busy, fake GitHub at 50 ms a request, closed loop"),
    "busy-0": Phase(0.0, False, False, "workers busy, fake GitHub at 0 ms (CPU-bound), closed loop"),
    "open-parked": Phase(0.0, True, True, "workers parked on GitHub (ack path alone), open loop"),
    "open-50": Phase(0.05, False, True, "workers busy, fake GitHub at 50 ms a request, open loop"),
    "open-0": Phase(0.0, False, True, "workers busy, fake GitHub at 0 ms (CPU-bound), open loop"),
}


def build_deliveries(fake, targets: list[common.Target], n: int, run: str, first_opened: bool = True) -> list[Signed]:
    """n deliveries cycling over the PRs: the first for each PR is `opened`, later ones `synchronize`."""
    items: list[Signed] = []
    for index in range(n):
        target = targets[index % len(targets)]
        action = "opened" if first_opened and index < len(targets) else "synchronize"
        items.append(common.pr_delivery(fake, target, run, index, action))
    return items


def park_token_requests(fake) -> asyncio.Event:
    """Hold every installation-token request until the returned event is set."""
    release = asyncio.Event()

    async def held(_request: web.Request, _match, github) -> web.Response:
        await release.wait()
        expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
        return web.json_response({"token": github.issue_token(), "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                  "permissions": {}, "repository_selection": "all"}, status=201)

    fake.override("POST", TOKEN_PATH, held)
    return release


async def run_phase(name: str, args: argparse.Namespace, key: tuple[str, bytes]) -> dict[str, float]:
    phase = PHASES[name]
    settings = {"WORKERS": str(args.workers)}
    if args.slow_callback_ms:
        settings["BENCH_SLOW_CALLBACK_MS"] = str(args.slow_callback_ms)
    if not phase.park:
        settings.update(common.UNPACED)
    rate = args.rate if phase.open_loop else None
    profile_to = Path(args.profile) / f"serve-{name}.prof" if args.profile else None
    keep_log = Path(args.logs) / f"serve-{name}.log" if args.logs else None
    common.heading(f"{name}: {phase.description}" + (f", {rate:.0f} deliveries/s due" if rate else ""))
    async with common.bench_env(settings=settings, latency=phase.latency, key=key, profile_to=profile_to,
                                experiments=args.experiment, keep_log=keep_log) as (fake, server):
        targets = common.interleave(common.populate(fake, installations=4, repos_per_installation=5, prs_per_repo=10))
        run = common.run_tag()
        release = park_token_requests(fake) if phase.park else None
        # Warm-up, not measured: first connections and imports; in the busy phases also a backlog,
        # so that the workers are already processing when the measurement starts.
        prime = 20 if phase.park else args.prime
        await common.send_all(server.url, build_deliveries(fake, targets, prime, run + "w"), 4)
        if not phase.park:
            await asyncio.sleep(1.0)
        items = build_deliveries(fake, targets, args.n, run, first_opened=phase.park)
        cpu0, requests0, machine = server.cpu(), len(fake.requests), common.MachineLoad()
        if args.in_process:
            result = await common.send_all(server.url, items, args.concurrency, rate)
        else:
            result = await common.send_all_in_subprocess(server.url, items, args.concurrency, rate)
        cpu_used, machine_cores = server.cpu() - cpu0, machine.busy_cores()
        api_requests = len(fake.requests) - requests0
        window_end = result.started + result.wall
        processed = sum(1 for t in await server.timings(run) if t.state == "done" and t.finished_at is not None
                        and result.started <= t.finished_at <= window_end)
        memory = server.memory()
        if release is not None:
            release.set()

    ms = result.latencies_ms
    statuses = ", ".join(f"{code}: {count}" for code, count in sorted(result.statuses.items()))
    print(f"  {len(ms)} acks from {args.concurrency} concurrent senders in {result.wall:.2f} s "
          f"= {result.rate:.0f} acks/s  [{statuses}]" + (f"  errors: {dict(result.errors)}" if result.errors else ""))
    print(f"  ack latency  {common.latency_line(ms)}")
    print(f"  meanwhile: {processed} deliveries processed, {api_requests} GitHub API requests answered by the fake; "
          f"server CPU {cpu_used / result.wall * 100:.0f}% of one core; machine {machine_cores:.2f} of "
          f"{os.cpu_count()} cores busy (server, fake, senders and anything else running)")
    print(f"  {common.rss_line(memory)}")
    if profile_to is not None:
        print(f"  profile written to {profile_to}")
    p99 = common.percentile(ms, 99)
    print(f"  p99 goal (<= {GOAL_P99_MS:.0f} ms): {'met' if p99 <= GOAL_P99_MS else 'MISSED'}")
    return {"p50": common.percentile(ms, 50), "p99": p99, "max": max(ms) if ms else float("nan"),
            "rate": result.rate, "processed": processed, "machine": machine_cores}


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="measured deliveries per phase (default 2000)")
    parser.add_argument("--concurrency", type=int, default=20, help="concurrent senders (default 20)")
    parser.add_argument("--rate", type=float, default=200.0, help="deliveries due per second in open-* (default 200)")
    parser.add_argument("--prime", type=int, default=200, help="unmeasured deliveries sent first in busy/open phases")
    parser.add_argument("--workers", type=int, default=8, help="server WORKERS (default 8, the product default)")
    parser.add_argument("--phases", default=",".join(PHASES), help="comma-separated, from: " + ", ".join(PHASES))
    parser.add_argument("--in-process", action="store_true",
                        help="run the senders in the benchmark process (shares its loop with the fake GitHub)")
    parser.add_argument("--experiment", action="append", default=[], choices=sorted(common.EXPERIMENTS),
                        help="A/B change applied to the server process only (repeatable): " + "; ".join(
                            f"{k}: {v}" for k, v in common.EXPERIMENTS.items()))
    parser.add_argument("--profile", metavar="DIR", help="write a cProfile of each phase's server to DIR")
    parser.add_argument("--logs", metavar="DIR", help="keep each phase's server log in DIR")
    parser.add_argument("--slow-callback-ms", type=float, metavar="MS",
                        help="diagnosis: run the server's event loop in asyncio debug mode and log every step that "
                             "holds it longer than MS (slows the server down; see --logs)")
    args = parser.parse_args(argv)
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = [p for p in phases if p not in PHASES]
    if unknown:
        parser.error(f"unknown phase(s): {', '.join(unknown)}")
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)

    started = time.monotonic()
    print(f"ack latency: {args.n} signed pull_request deliveries per phase, {args.concurrency} concurrent senders, "
          f"WORKERS={args.workers}, SQLite; load average before: {common.loadavg()}"
          + (f"; experiments: {', '.join(args.experiment)}" if args.experiment else ""))
    key = common.new_app_key()
    summary = {name: await run_phase(name, args, key) for name in phases}

    common.heading("summary")
    for name, f in summary.items():
        print(f"  {name:<11} p50 {f['p50']:7.2f} ms  p99 {f['p99']:7.2f} ms  max {f['max']:7.2f} ms  "
              f"{f['rate']:5.0f} acks/s  {f['processed']:4.0f} processed meanwhile  machine {f['machine']:.2f} cores")
    if "parked" in summary:
        base = summary["parked"]["p99"]
        print("  p99 relative to parked: " + ", ".join(
            f"{name} {f['p99'] / base:.1f}x" for name, f in summary.items() if name != "parked"))
    print(f"  total time {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
