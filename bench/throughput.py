"""Deliveries processed per second, API requests and writes per event, CPU per delivery, peak RSS.

Every delivery is a signed `pull_request` event for a PR whose rules file makes the probe rule fail,
so a first evaluation writes two statuses, a label and the report comment (4 writes; the label is
created once per repository). The real server (`governance-bot serve`, WORKERS=8) runs against the
in-repo fake GitHub. Scenarios, each on a fresh server, database and fake:

  spread-0      (a) 40 installations x 10 PRs, fake at 0 ms, GitHub's write limits (80/min, 500/h):
                every installation's 41 writes fit its minute, so all 400 should be done in seconds.
                Then the same 400 PRs again (`synchronize`, nothing changed): the idempotent path.
  spread-50     (a) the same at 50 ms a request.
  one-unpaced   400 PRs in ONE installation, fake at 0 ms (--one-latency), write limits lifted. One
                installation's writes are never concurrent, so at a real GitHub latency this is
                bounded by (writes per event x write latency), whatever WORKERS is.
  one-window    (b) 30 PRs in ONE installation (~121 writes) under the default limits: the most
                writes in any 60 s (never above 80), the time until every PR has its statuses
                (the limit allows it at about 61 s) and writes per PR. Takes about a minute.
  hour          (c) 600 PRs in ONE installation, in this process on a clock the bench moves on
                whenever every delivery waits for the installation's window (no hour of real
                time): the 501st write waits for the first to be an hour old.
  neighbour     one installation floods 200 PRs under the default limits; a second later 4 other
                installations send 5 PRs each; time-boxed. Shows whether a flooding installation
                holds up the others (it must not).
  slow          spread-0's 40 installations x 10 PRs, run twice: alone, then with a 41st installation
                whose every request GitHub answers in 2 s (10 PRs, sent first). The 40's deliveries/s
                in both runs: a slow installation should cost the others nothing.
  dco           (not in the default list) the DCO rule alone (`dco: {}`): 200 PR-opened deliveries over 20
                installations, every commit signed off, fake at 0 ms, default write limits. Acks are timed
                by senders in a child process; then how long until every PR has `governance/dco`,
                API requests and writes per event, and peak RSS (see `scenario_dco`).
The deliveries are sent by 20 concurrent senders in this process (acks take milliseconds; the
figures here are about processing). Deliveries/s = processed / (last completion - first arrival).
CPU per delivery = the server's process CPU time (all threads) / deliveries processed.

    .venv/bin/python -m bench.throughput [--scenarios spread-0,spread-50,one-unpaced,one-window,hour,neighbour,slow,dco]
                                         [--n 400] [--workers 8] [--one-latency MS] [--window 15] [--runs N]
                                         [--payload-kb KB]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from tests.fake_ext_secondary_limits import most_in_any  # noqa: E402

SENDERS = 20
DEFAULT_WORKERS = 8
WRITE_METHODS = ("POST", "PATCH", "PUT", "DELETE")


def deliveries_for(fake, targets: list[common.Target], run: str, action: str = "opened") -> list[common.Signed]:
    return [common.pr_delivery(fake, target, run, index, action) for index, target in enumerate(targets)]


async def all_statuses_at(fake, targets: list[common.Target], started: float, timeout: float) -> float:
    """Seconds from `started` (time.time()) until every target PR has both of its statuses (nan: never)."""
    pending = list(targets)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        pending = [t for t in pending if not has_statuses(fake, t)]
        if pending:
            await asyncio.sleep(0.05)
    return time.time() - started if not pending else float("nan")


def has_statuses(fake, target: common.Target) -> bool:
    sha = fake.pull_request(target.repository, target.number)["head"]["sha"]
    return all(fake.latest_status(target.repository, sha, c) for c in ("governance/config", "governance/probe"))


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


async def send(server, items: list[common.Signed], *, timed: bool = False) -> common.SendResult:
    """`timed`: the senders run in a child process, so their ack latencies are not inflated by the fake."""
    if timed:
        result = await common.send_all_in_subprocess(server.url, items, SENDERS)
    else:
        result = await common.send_all(server.url, items, SENDERS)
    if result.statuses.get(202, 0) != len(items):
        print(f"  warning: acks {dict(result.statuses)} errors {dict(result.errors)}")
    return result


async def scenario_spread(args, key, latency: float, repeat: bool) -> dict[str, float]:
    figures: dict[str, float] = {}
    installations, per_installation = 40, max(1, args.n // 40)
    py_spy_to = Path(args.py_spy) / f"spread-{latency * 1000:.0f}.txt" if args.py_spy else None
    profile_to = Path(args.profile) / f"spread-{latency * 1000:.0f}.prof" if args.profile else None
    settings = {"WORKERS": str(args.workers)}
    if args.slow_callback_ms:
        settings["BENCH_SLOW_CALLBACK_MS"] = str(args.slow_callback_ms)
    keep_log = Path(args.logs) / f"serve-spread-{latency * 1000:.0f}.log" if args.logs else None
    async with common.bench_env(settings=settings, latency=latency, key=key, py_spy_to=py_spy_to,
                                profile_to=profile_to, experiments=args.experiment,
                                keep_log=keep_log) as (fake, server):
        targets = common.interleave(common.populate(fake, installations=installations, repos_per_installation=1,
                                                    prs_per_repo=per_installation))
        run = common.run_tag()
        items = deliveries_for(fake, targets, run)
        print(f"  {len(items)} PRs over {installations} installations x {per_installation} PRs, fake at "
              f"{latency * 1000:.0f} ms, default write limits (80/min, 500/h), WORKERS={args.workers}")
        machine, cpu0, started = common.MachineLoad(), server.cpu(), time.time()
        watcher = asyncio.create_task(all_statuses_at(fake, targets, started, args.timeout))
        acks = await send(server, items, timed=True)
        server.first_send = acks.started
        await server.wait_done(run, len(items), timeout=args.timeout)
        statuses_at = await watcher + started - acks.started  # from the first send (the child's start-up excluded)
        await explain_unfinished(server, run, len(items))
        figures["first"] = report_run(await server.timings(run), len(items), common.classify(fake),
                                      server.memory(), cpu_seconds=server.cpu() - cpu0)
        figures["statuses_s"] = statuses_at
        figures["ack_p99_ms"] = common.percentile(acks.latencies_ms, 99)
        print(f"  every PR had its statuses {statuses_at:.1f} s after the first delivery was sent")
        print(f"  ack ({SENDERS} senders in a child process, while the deliveries are processed): "
              f"{common.latency_line(acks.latencies_ms)}")
        print(f"  slowest acks: {acks.worst_line()}")
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


async def scenario_one(args, key) -> dict[str, float]:
    settings = {"WORKERS": str(args.workers), **common.UNPACED}
    repos = 10
    per_repo = max(1, args.n // repos)
    latency = args.one_latency / 1000
    async with common.bench_env(settings=settings, latency=latency, key=key) as (fake, server):
        targets = common.populate(fake, installations=1, repos_per_installation=repos, prs_per_repo=per_repo)
        run = common.run_tag()
        items = deliveries_for(fake, targets, run)
        print(f"  {len(items)} PRs in ONE installation ({repos} repos), fake at {args.one_latency:.0f} ms, "
              f"write limits lifted, WORKERS={args.workers}")
        cpu0 = server.cpu()
        await send(server, items)
        await server.wait_done(run, len(items), timeout=args.timeout)
        await explain_unfinished(server, run, len(items))
        rate = report_run(await server.timings(run), len(items), common.classify(fake), server.memory(),
                          cpu_seconds=server.cpu() - cpu0)
        writes = fake.writes()
        if len(writes) > 1:
            span = writes[-1].at - writes[0].at
            print(f"  writes: {len(writes)} sent, {(len(writes) - 1) / span * 60 if span > 0 else float('nan'):.0f}/min")
    return {"rate": rate}


async def scenario_one_window(args, key) -> dict[str, float]:
    prs = 30
    async with common.bench_env(settings={"WORKERS": str(args.workers)}, latency=args.one_latency / 1000,
                                key=key) as (fake, server):
        targets = common.populate(fake, installations=1, repos_per_installation=1, prs_per_repo=prs)
        run = common.run_tag()
        items = deliveries_for(fake, targets, run)
        print(f"  {len(items)} PRs in ONE installation, fake at {args.one_latency:.0f} ms, default write limits "
              f"(80/min, 500/h), WORKERS={args.workers}")
        cpu0, started = server.cpu(), time.time()
        watcher = asyncio.create_task(all_statuses_at(fake, targets, started, 150.0))
        await send(server, items)
        statuses_at = await watcher
        await server.wait_done(run, len(items), timeout=30)
        await explain_unfinished(server, run, len(items))
        report_run(await server.timings(run), len(items), common.classify(fake), server.memory(),
                   cpu_seconds=server.cpu() - cpu0)
        writes = [w.at for w in fake.writes()]
        refused = sum(1 for r in fake.requests if r.status in (403, 429))
        allowed = 60.0 * ((len(writes) - 1) // 80)
        print(f"  writes: {len(writes)} ({len(writes) / prs:.2f} per PR); most in any 60 s: {most_in_any(writes, 60)} "
              f"(limit 80); refused by GitHub: {refused}")
        print(f"  every PR had its statuses after {statuses_at:.1f} s (the limit allows the last write at "
              f"~{allowed:.0f} s plus its answer)")
    return {"most_60s": most_in_any(writes, 60), "statuses_s": statuses_at, "writes_per_pr": len(writes) / prs}


async def scenario_hour(args, key) -> dict[str, float]:
    """(c): in this process, so the bench can move the bot's clock (tests.harness.ShiftedClock)."""
    import tempfile

    from tests.fake_ext_secondary_limits import SecondaryLimits
    from tests.fakegithub import FakeGitHub
    from tests.harness import BotHarness, ShiftedClock, make_settings

    prs, stop_after = 600, 540
    clock = ShiftedClock()
    private, public = key
    fake = FakeGitHub(public_key_pem=public)
    fake.ratelimit_limit = 10**9
    await fake.start()
    limits = SecondaryLimits(clock=clock).install(fake)  # GitHub's documented 80/min, 500/h, on the bot's clock
    with tempfile.TemporaryDirectory(prefix="governance-bench-") as tmp:
        bot = BotHarness(make_settings(api_url=fake.url, private_key=private, db_path=Path(tmp) / "hour.db",
                                       workers=args.workers, writes_per_minute=80, writes_per_hour=500,
                                       retry_base_seconds=2.0, lease_seconds=60.0), clock=clock)
        await bot.start()
        try:
            targets = common.populate(fake, installations=1, repos_per_installation=6, prs_per_repo=prs // 6)
            run = common.run_tag()
            items = deliveries_for(fake, targets, run)
            print(f"  {len(items)} PRs in ONE installation, in-process bot (WORKERS={args.workers}), default write "
                  f"limits; the clock jumps whenever every delivery waits for the window; stops after {stop_after} writes")
            real0, clock0 = time.monotonic(), clock()
            await common.send_all(bot.url, items, SENDERS)
            while len(limits.log) < stop_after and time.monotonic() - real0 < args.timeout * 3:
                await bot.advance_if_waiting(clock)
                await asyncio.sleep(0.02)
            log = limits.writes()
            starts = [w.start for w in log]
            print(f"  {len(log)} writes in {time.monotonic() - real0:.0f} s of real time, "
                  f"{(clock() - clock0) / 60:.1f} min on the bot's clock; refused by GitHub: {sum(w.refused for w in log)}")
            print(f"  most in any 60 s: {most_in_any(starts, 60)} (limit 80); in any hour: "
                  f"{most_in_any(starts, 3600)} (limit 500)")
            if len(starts) > 500:
                print(f"  write 500 at +{(starts[499] - starts[0]) / 60:.1f} min; write 501 at "
                      f"+{(starts[500] - starts[0]) / 60:.1f} min (it waited for write 1 to be an hour old)")
            done = (await common.run_states(bot.state.store, run))["done"]
            print(f"  {done} of {len(items)} PRs done when the bench stopped (the rest wait for the next hour)")
        finally:
            await bot.close()
            await fake.close()
    return {"most_60s": most_in_any(starts, 60), "most_hour": most_in_any(starts, 3600),
            "w501_min": (starts[500] - starts[0]) / 60 if len(starts) > 500 else float("nan")}


async def scenario_slow(args, key) -> dict[str, float]:
    from tests.fake_ext_secondary_limits import SecondaryLimits

    rates: dict[str, float] = {}
    for label, slow in (("alone", False), ("with-slow", True)):
        async with common.bench_env(settings={"WORKERS": str(args.workers)}, key=key) as (fake, server):
            SecondaryLimits(per_minute=10**6, per_hour=10**6, slow={999: 2.0} if slow else None).install(fake)
            others = common.interleave(common.populate(fake, installations=40, repos_per_installation=1,
                                                       prs_per_repo=max(1, args.n // 40)))
            run_slow, run = common.run_tag(), common.run_tag()
            if slow:
                sluggish = common.populate(fake, installations=1, repos_per_installation=1, prs_per_repo=10,
                                           first_installation=999, owner_prefix="slow")
                await send(server, deliveries_for(fake, sluggish, run_slow))
            items = deliveries_for(fake, others, run)
            cpu0 = server.cpu()
            await send(server, items)
            await server.wait_done(run, len(items), timeout=args.timeout)
            await explain_unfinished(server, run, len(items))
            print(f"  {label}: the 40 installations' {len(items)} PRs"
                  + (" (installation 999 answered in 2 s a request, 10 PRs sent first)" if slow else ""))
            rates[label] = report_run(await server.timings(run), len(items), common.classify(fake), server.memory(),
                                      cpu_seconds=server.cpu() - cpu0)
            if slow:
                print(f"  installation 999: {(await server.states(run_slow))['done']}/10 done meanwhile")
    print(f"  the 40's deliveries/s with the slow installation / without: {rates['with-slow'] / rates['alone']:.2f}")
    return rates


async def scenario_neighbour(args, key) -> dict[str, float]:
    flood, others, per_other = args.n // 2, 4, 5
    async with common.bench_env(settings={"WORKERS": str(args.workers)}, latency=0.0, key=key) as (fake, server):
        noisy = common.populate(fake, installations=1, repos_per_installation=5, prs_per_repo=max(1, flood // 5),
                                first_installation=900, owner_prefix="noisy")
        quiet = common.interleave(common.populate(fake, installations=others, repos_per_installation=1,
                                                  prs_per_repo=per_other, first_installation=500))
        run_noisy, run_quiet = common.run_tag(), common.run_tag()
        print(f"  installation 900 sends {len(noisy)} PRs (default write limits, fake at 0 ms); 1 s later installations "
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


DCO_RULES_FILE = "dco: {}\n"
DCO_INSTALLATIONS, DCO_REPOS, DCO_PRS, DCO_COMMITS = 20, 2, 5, 3  # 20 x 2 x 5 = 200 PRs of 3 commits


def populate_dco(fake) -> list[common.Target]:
    """20 installations x 2 repositories x 5 PRs; each PR has 3 commits signed off by their author."""
    user = fake.add_user(common.PR_AUTHOR)
    email = f"{user['id']}+{user['login']}@users.noreply.github.com"
    targets: list[common.Target] = []
    for i in range(DCO_INSTALLATIONS):
        installation_id = 301 + i
        for r in range(DCO_REPOS):
            repository = f"dco{installation_id}/repo{r}"
            fake.add_repo(repository, installation_id=installation_id)
            fake.set_file(repository, ".github/governance.yml", DCO_RULES_FILE)
            for number in range(1, DCO_PRS + 1):
                commits = [{"message": f"Change {number}.{c}\n\nSigned-off-by: {user['login']} <{email}>",
                            "author": {"name": user["login"], "email": email}} for c in range(DCO_COMMITS)]
                fake.add_pull_request(repository, number, author=common.PR_AUTHOR, title=f"fix: change {number}",
                                      commits=commits)
                targets.append(common.Target(installation_id, repository, number))
    return targets


async def scenario_dco(args, key) -> dict[str, float]:
    """The DCO rule alone: ack latency, time to every status, requests and writes per event, peak RSS.

    Requests per event exclude installation tokens and 304s (free against the rate limit); a
    write that is not a commit status is named, since the rule should write nothing else.
    """
    async with common.bench_env(settings={"WORKERS": str(args.workers)}, latency=0.0, key=key) as (fake, server):
        targets = common.interleave(populate_dco(fake))
        heads = {t: fake.pull_request(t.repository, t.number)["head"]["sha"] for t in targets}
        run = common.run_tag()
        items = deliveries_for(fake, targets, run)
        print(f"  {len(items)} PR-opened deliveries over {DCO_INSTALLATIONS} installations ({DCO_COMMITS} signed "
              f"commits each), {SENDERS} concurrent senders, fake at 0 ms, default write limits, WORKERS={args.workers}")
        cpu0 = server.cpu()
        sent = asyncio.ensure_future(common.send_all_in_subprocess(server.url, items, SENDERS))
        started = time.time()
        missing = dict(heads)
        while missing and time.time() - started < args.timeout:
            for target, head in list(missing.items()):
                if fake.latest_status(target.repository, head, "governance/dco") is not None:
                    del missing[target]
            await asyncio.sleep(0.05)
        finished = time.time()
        result = await sent
        all_statuses = finished - result.started  # from the first delivery sent (the senders' start-up excluded)
        await server.wait_done(run, len(items), timeout=args.timeout)
        await explain_unfinished(server, run, len(items))
        if result.statuses.get(202, 0) != len(items):
            print(f"  warning: acks {dict(result.statuses)} errors {dict(result.errors)}")
        print(f"  ack: {common.latency_line(result.latencies_ms)}")
        if missing:
            print(f"  {len(heads) - len(missing)}/{len(heads)} PRs had governance/dco after {all_statuses:.1f} s "
                  "(time-out)")
        else:
            print(f"  every PR had governance/dco {all_statuses:.2f} s after the first delivery was sent")
        states = [fake.latest_status(t.repository, h, "governance/dco") for t, h in heads.items()]
        print(f"  governance/dco states: {dict(Counter(s['state'] for s in states if s))}")
        kinds = common.classify(fake)
        report_run(await server.timings(run), len(items), kinds, server.memory(), cpu_seconds=server.cpu() - cpu0)
        counted = sum(v for k, v in kinds.items() if k not in ("token POST", "GET 304"))
        print(f"  requests per event, tokens and 304s excluded: {counted / len(items):.2f} (goal: at most 4)")
        writes = Counter(common.endpoint(w.method, w.path, w.status) for w in fake.writes()
                         if not w.path.startswith("/app/installations/"))
        print("  writes per event, by endpoint:")
        for name, count in sorted(writes.items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"    {count / len(items):5.2f}  {name}")
        others = sum(count for name, count in writes.items() if not name.startswith("POST /repos/{repo}/statuses/"))
        print(f"  writes other than statuses: {others}")
        print("  by endpoint, per event:")
        for name, count in sorted(common.by_endpoint(fake).items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"    {count / len(items):5.2f}  {name}")
        return {"ack_p50_ms": common.percentile(result.latencies_ms, 50),
                "ack_p99_ms": common.percentile(result.latencies_ms, 99), "all_statuses_s": all_statuses,
                "requests_per_event": counted / len(items), "other_writes": float(others),
                "peak_rss_mib": server.memory().get("VmHWM", 0) / 1024}


async def run_scenario(name: str, args, key) -> dict[str, float]:
    if name == "spread-0":
        return await scenario_spread(args, key, 0.0, repeat=True)
    if name == "spread-50":
        return await scenario_spread(args, key, 0.05, repeat=False)
    if name == "one-unpaced":
        return await scenario_one(args, key)
    if name == "one-window":
        return await scenario_one_window(args, key)
    if name == "hour":
        return await scenario_hour(args, key)
    if name == "neighbour":
        return await scenario_neighbour(args, key)
    if name == "slow":
        return await scenario_slow(args, key)
    return await scenario_dco(args, key)


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", default="spread-0,spread-50,one-unpaced,one-window,hour,neighbour,slow")
    parser.add_argument("--n", type=int, default=400, help="PRs per scenario (default 400)")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="server WORKERS (default 8)")
    parser.add_argument("--one-latency", type=float, default=0.0, metavar="MS",
                        help="fake latency of the one-* scenarios, ms (default 0)")
    parser.add_argument("--window", type=float, default=15.0, help="time box of the paced runs, seconds (default 15)")
    parser.add_argument("--py-spy", metavar="DIR", default=None,
                        help="sample the spread scenarios' server with py-spy into DIR/spread-<ms>.txt "
                             "(read with `python -m bench.py_spy_top`)")
    parser.add_argument("--experiment", action="append", default=[], choices=sorted(common.EXPERIMENTS),
                        metavar="NAME", help="apply a bench experiment to the spread scenarios' server "
                                             f"(repeatable): {', '.join(sorted(common.EXPERIMENTS))}")
    parser.add_argument("--profile", metavar="DIR", default=None,
                        help="cProfile the spread scenarios' server into DIR/spread-<ms>.prof (exact call counts; "
                             "its overhead inflates the times)")
    parser.add_argument("--slow-callback-ms", type=float, default=0, metavar="MS",
                        help="spread-*: run the server's event loop in asyncio debug mode and log every step that "
                             "holds it longer than MS (see --logs); debug mode slows the loop, so figures differ")
    parser.add_argument("--logs", metavar="DIR", default=None, help="spread-*: keep the server's log there")
    parser.add_argument("--payload-kb", type=float, default=0,
                        help="pad every PR payload to this many KB (GitHub's are ~24; default: unpadded, ~4.6)")
    parser.add_argument("--timeout", type=float, default=90.0, help="give up waiting for a run after this many seconds")
    parser.add_argument("--runs", type=int, default=1,
                        help="run each scenario this many times; the summary gives each figure's median and range "
                             "(on a shared VM one run moves by +-20%%)")
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    known = {"spread-0", "spread-50", "one-unpaced", "one-window", "hour", "neighbour", "slow", "dco"}
    if set(chosen) - known:
        parser.error(f"unknown scenario(s): {', '.join(sorted(set(chosen) - known))}; known: {', '.join(sorted(known))}")

    for folder in (args.py_spy, args.profile):
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
    common.PAYLOAD_PAD_BYTES = int(args.payload_kb * 1024)
    started = time.monotonic()
    print(f"load average before: {common.loadavg()}")
    if args.payload_kb:
        print(f"PR payloads padded to {args.payload_kb:g} KB")
    key = common.new_app_key()
    runs: dict[str, list[dict[str, float]]] = {}
    for name in chosen:
        for run in range(1, args.runs + 1):
            common.heading(name if args.runs == 1 else f"{name} (run {run} of {args.runs})")
            runs.setdefault(name, []).append(await run_scenario(name, args, key))
    summary = {name: {k: statistics.median(f[k] for f in figures) for k in figures[0]} for name, figures in runs.items()}

    common.heading("summary" if args.runs == 1 else f"summary: medians of {args.runs} runs (range)")
    for name, figures in runs.items():
        if len(figures) == 1:
            print(f"  {name:<12} " + "  ".join(f"{k}={v:.1f}" for k, v in figures[0].items()))
        else:
            print(f"  {name:<12} " + "  ".join(
                f"{k}={summary[name][k]:.1f} ({min(f[k] for f in figures):.1f}-{max(f[k] for f in figures):.1f})"
                for k in figures[0]))
    if "spread-0" in summary and "spread-50" in summary:
        print(f"  50 ms / 0 ms throughput ratio: {summary['spread-50']['first'] / summary['spread-0']['first']:.2f}")
    print(f"  total time {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
