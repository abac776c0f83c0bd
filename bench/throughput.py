"""Deliveries processed per second, API requests per event, and the server's peak RSS.

Every delivery is a signed `pull_request` event for a PR whose rules file makes the probe rule fail,
so a first evaluation writes two statuses, a label and the report comment. The real server
(`governance-bot serve`, WORKERS=8) runs against the in-repo fake GitHub. Scenarios, each on a
fresh server, database and fake:

  spread-0      400 PRs over 8 installations, fake at 0 ms, write pacing lifted: raw capacity.
                Then the same 400 PRs again (`synchronize`, nothing changed): the idempotent path.
  spread-50     the same 400 PRs, fake at 50 ms a request, pacing lifted.
  one-unpaced   400 PRs in ONE installation, fake at 0 ms (--one-latency), pacing lifted. One
                installation's writes are never concurrent, so at a real GitHub latency this is
                bounded by (writes per event x write latency), whatever WORKERS is.
  one-paced     the same with the default pacing (WRITE_BURST=20, WRITES_PER_MINUTE=80): bounded by
                GitHub's content-creation ceiling, not by the bot; time-boxed (--window).
  neighbour     one installation floods 200 PRs under default pacing; a second later 4 other
                installations send 5 PRs each; time-boxed. Shows whether a paced installation holds
                up the others (it must not).
The deliveries are sent by 20 concurrent senders in this process (acks take milliseconds; the
figures here are about processing). Deliveries/s = processed / (last completion - first arrival).

    .venv/bin/python -m bench.throughput [--scenarios spread-0,spread-50,one-unpaced,one-paced,neighbour]
                                         [--n 400] [--workers 8] [--one-latency MS] [--window 15]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

SENDERS = 20
DEFAULT_WORKERS = 8
BURST = 20  # the product's default WRITE_BURST


def deliveries_for(fake, targets: list[common.Target], run: str, action: str = "opened") -> list[common.Signed]:
    return [common.pr_delivery(fake, target, run, index, action) for index, target in enumerate(targets)]


def rate_of(timings) -> tuple[int, float]:
    """(done, seconds from the first arrival to the last completion) of these deliveries."""
    done = [t for t in timings if t.state == "done" and t.finished_at is not None]
    if not done:
        return 0, float("nan")
    return len(done), max(t.finished_at for t in done) - min(t.received_at for t in timings)


def report_run(timings, events: int, kinds: Counter[str], memory: dict[str, int],
               elapsed_cap: float | None = None, cpu_seconds: float | None = None) -> float:
    done, seconds = rate_of(timings)
    failed = sum(1 for t in timings if t.state == "failed")
    retried = sum(1 for t in timings if (t.attempts or 0) > 1)
    if elapsed_cap is not None:  # time-boxed: the window, not the last completion, is the denominator
        seconds = elapsed_cap
    rate = done / seconds if seconds and seconds == seconds else float("nan")
    waits = sorted(t.finished_at - t.received_at for t in timings if t.state == "done" and t.finished_at)
    print(f"  {done}/{events} processed in {seconds:.1f} s = {rate:.1f} deliveries/s"
          + (f"  ({failed} failed)" if failed else "") + (f"  ({retried} needed a retry)" if retried else ""))
    if waits:
        print(f"  arrival -> done: p50 {common.percentile(waits, 50):.2f} s, p99 {common.percentile(waits, 99):.2f} s, "
              f"max {waits[-1]:.2f} s")
    if cpu_seconds is not None and done:
        print(f"  server CPU: {cpu_seconds / done * 1000:.1f} ms per delivery ({cpu_seconds:.1f} s in all, all threads)")
    print("  API requests per processed event:")
    for line in common.per_event_lines(kinds, max(done, 1)):
        print("  " + line)
    print(f"  {common.rss_line(memory)}")
    return rate


async def explain_unfinished(server, run: str, expected: int) -> None:
    """When a run did not finish, say why (the deliveries' last errors), instead of a bare count."""
    states = await server.states(run)
    if states["done"] < expected:
        print(f"  not finished: {dict(states)}")
        for error, count in (await server.errors(run)).most_common(5):
            print(f"    {count} x {error}")


async def send(server, items: list[common.Signed]) -> common.SendResult:
    result = await common.send_all(server.url, items, SENDERS)
    if result.statuses.get(202, 0) != len(items):
        print(f"  warning: acks {dict(result.statuses)} errors {dict(result.errors)}")
    return result


async def scenario_spread(args, key, latency: float, repeat: bool) -> dict[str, float]:
    figures: dict[str, float] = {}
    installations, repos = 8, 5
    per_repo = max(1, args.n // (installations * repos))
    async with common.bench_env(settings={"WORKERS": str(args.workers), **common.UNPACED}, latency=latency,
                                key=key) as (fake, server):
        targets = common.interleave(common.populate(fake, installations=installations, repos_per_installation=repos,
                                                    prs_per_repo=per_repo))
        run = common.run_tag()
        items = deliveries_for(fake, targets, run)
        print(f"  {len(items)} PRs over {installations} installations x {repos} repos, fake at {latency * 1000:.0f} ms, "
              f"pacing lifted, WORKERS={args.workers}")
        machine, cpu0 = common.MachineLoad(), server.cpu()
        await send(server, items)
        await server.wait_done(run, len(items), timeout=args.timeout)
        await explain_unfinished(server, run, len(items))
        figures["first"] = report_run(await server.timings(run), len(items), common.classify(fake),
                                      server.memory(), cpu_seconds=server.cpu() - cpu0)
        print(f"  machine: {machine.busy_cores():.2f} of {os.cpu_count()} cores busy")
        if repeat:
            print("  by endpoint, per event:")
            for name, count in sorted(common.by_endpoint(fake).items(), key=lambda kv: (-kv[1], kv[0])):
                print(f"    {count / len(items):5.2f}  {name}")
            common.heading(f"spread-{latency * 1000:.0f} again: the same {len(items)} PRs, `synchronize`, nothing changed")
            since, cpu0 = len(fake.requests), server.cpu()
            run2 = common.run_tag()
            items2 = deliveries_for(fake, targets, run2, action="synchronize")
            await send(server, items2)
            await server.wait_done(run2, len(items2), timeout=args.timeout)
            await explain_unfinished(server, run2, len(items2))
            figures["repeat"] = report_run(await server.timings(run2), len(items2),
                                           common.classify(fake, since), server.memory(),
                                           cpu_seconds=server.cpu() - cpu0)
    return figures


async def scenario_one(args, key, paced: bool) -> dict[str, float]:
    settings = {"WORKERS": str(args.workers)}
    if not paced:
        settings.update(common.UNPACED)
    repos = 10
    per_repo = max(1, args.n // repos)
    latency = args.one_latency / 1000
    async with common.bench_env(settings=settings, latency=latency, key=key) as (fake, server):
        targets = common.populate(fake, installations=1, repos_per_installation=repos, prs_per_repo=per_repo)
        run = common.run_tag()
        items = deliveries_for(fake, targets, run)
        pacing = "default pacing (WRITE_BURST=20, WRITES_PER_MINUTE=80)" if paced else "pacing lifted"
        print(f"  {len(items)} PRs in ONE installation ({repos} repos), fake at {args.one_latency:.0f} ms, {pacing}, "
              f"WORKERS={args.workers}")
        started, cpu0 = time.time(), server.cpu()
        await send(server, items)
        window = args.window if paced else args.timeout
        await server.wait_done(run, len(items), timeout=window - (time.time() - started))
        elapsed = time.time() - started
        if not paced:
            await explain_unfinished(server, run, len(items))
        timings = await server.timings(run)
        rate = report_run(timings, len(items), common.classify(fake), server.memory(),
                          elapsed_cap=elapsed if paced else None, cpu_seconds=None if paced else server.cpu() - cpu0)
        if paced:
            print("  (time-boxed: the requests above include the deliveries still in flight when the box closed)")
        writes = fake.writes()
        if paced and len(writes) > BURST:
            after = writes[BURST - 1:]
            span = after[-1].at - after[0].at
            print(f"  writes: {len(writes)} sent; after the first {BURST} (the burst) "
                  f"{(len(after) - 1) / span * 60 if span > 0 else float('nan'):.0f}/min (ceiling 80/min)")
        elif writes:
            span = writes[-1].at - writes[0].at
            print(f"  writes: {len(writes)} sent, {(len(writes) - 1) / span * 60 if span > 0 else float('nan'):.0f}/min")
        if paced:
            done = sum(1 for t in timings if t.state == "done")
            print(f"  time-boxed at {args.window:.0f} s: {len(items) - done} deliveries still queued when the server "
                  f"was stopped (they would be processed later; nothing is lost)")
    return {"rate": rate}


async def scenario_neighbour(args, key) -> dict[str, float]:
    flood, others, per_other = args.n // 2, 4, 5
    async with common.bench_env(settings={"WORKERS": str(args.workers)}, latency=0.0, key=key) as (fake, server):
        noisy = common.populate(fake, installations=1, repos_per_installation=5, prs_per_repo=max(1, flood // 5),
                                first_installation=900, owner_prefix="noisy")
        quiet = common.interleave(common.populate(fake, installations=others, repos_per_installation=1,
                                                  prs_per_repo=per_other, first_installation=500))
        run_noisy, run_quiet = common.run_tag(), common.run_tag()
        print(f"  installation 900 sends {len(noisy)} PRs (default pacing, fake at 0 ms); 1 s later installations "
              f"500-503 send {len(quiet)} PRs; WORKERS={args.workers}")
        await send(server, deliveries_for(fake, noisy, run_noisy))
        await asyncio.sleep(1.0)
        quiet_items = deliveries_for(fake, quiet, run_quiet)
        sent_at = time.time()
        await send(server, quiet_items)
        states = await server.wait_done(run_quiet, len(quiet_items), timeout=args.window)
        timings = await server.timings(run_quiet)
        noisy_done = (await server.states(run_noisy))["done"]
        waits = sorted(t.finished_at - t.received_at for t in timings if t.state == "done" and t.finished_at)
        print(f"  other installations: {states['done']}/{len(quiet_items)} processed within "
              f"{time.time() - sent_at:.1f} s of arriving")
        if waits:
            print(f"  their arrival -> done: p50 {common.percentile(waits, 50):.2f} s, max {waits[-1]:.2f} s")
        print(f"  the flooding installation: {noisy_done}/{len(noisy)} processed meanwhile")
        print(f"  {common.rss_line(server.memory())}")
    return {"quiet_done": states["done"], "quiet_total": len(quiet_items),
            "quiet_max": waits[-1] if waits else float("nan")}


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", default="spread-0,spread-50,one-unpaced,one-paced,neighbour")
    parser.add_argument("--n", type=int, default=400, help="PRs per scenario (default 400)")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="server WORKERS (default 8)")
    parser.add_argument("--one-latency", type=float, default=0.0, metavar="MS",
                        help="fake latency of the one-* scenarios, ms (default 0)")
    parser.add_argument("--window", type=float, default=15.0, help="time box of the paced runs, seconds (default 15)")
    parser.add_argument("--timeout", type=float, default=90.0, help="give up waiting for a run after this many seconds")
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    known = {"spread-0", "spread-50", "one-unpaced", "one-paced", "neighbour"}
    if set(chosen) - known:
        parser.error(f"unknown scenario(s): {', '.join(sorted(set(chosen) - known))}; known: {', '.join(sorted(known))}")

    started = time.monotonic()
    print(f"load average before: {common.loadavg()}")
    key = common.new_app_key()
    summary: dict[str, dict[str, float]] = {}
    for name in chosen:
        common.heading(name)
        if name == "spread-0":
            summary[name] = await scenario_spread(args, key, 0.0, repeat=True)
        elif name == "spread-50":
            summary[name] = await scenario_spread(args, key, 0.05, repeat=False)
        elif name == "one-unpaced":
            summary[name] = await scenario_one(args, key, paced=False)
        elif name == "one-paced":
            summary[name] = await scenario_one(args, key, paced=True)
        elif name == "neighbour":
            summary[name] = await scenario_neighbour(args, key)

    common.heading("summary")
    for name, figures in summary.items():
        print(f"  {name:<12} " + "  ".join(f"{k}={v:.1f}" for k, v in figures.items()))
    if "spread-0" in summary and "spread-50" in summary:
        print(f"  50 ms / 0 ms throughput ratio: {summary['spread-50']['first'] / summary['spread-0']['first']:.2f}")
    if "one-paced" in summary and "one-unpaced" in summary:
        print(f"  one installation, paced / unpaced: {summary['one-paced']['rate'] / summary['one-unpaced']['rate']:.3f}")
    print(f"  total time {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
