"""Rule work off the event loop (bot/offload.py): pings are answered while a rule's work runs in
the framework's process pool, and work over the delivery's budget ends in a clear `error`."""

from __future__ import annotations

import time

import pytest

from bot.context import EventContext
from bot.offload import Budget, Offload, WorkBudgetExceeded
from bot.rule import Outcome, Rule, RuleConfig, StatusUpdate
from rules import RULES
from tests.harness import BotHarness, make_settings
from tests.payloads import pull_request_event
from tests.test_hostile_input import PING_BOUND, pings_while_processing

pytest_plugins = ["tests.pg"]

REPO = "acme/widgets"
REPORT_MARKER = "<!-- governance-bot:report -->"


def spin(seconds: float) -> float:
    """CPU work that holds its process (and its interpreter lock) for `seconds`."""
    end = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < end:
        n += 1
    return seconds


class BusyConfig(RuleConfig):
    seconds: float = 3.0


class BusyRule(Rule[BusyConfig]):
    """A rule whose evaluation is `seconds` of CPU work, handed to the framework's pool."""

    name = "busy"
    config_model = BusyConfig
    status_context = "governance/busy"
    evaluates_pull_requests = True

    async def handle(self, ctx: EventContext, config: BusyConfig) -> Outcome:
        done = await ctx.offload(spin, config.seconds)
        return Outcome(statuses=[StatusUpdate(self.status_context, "success", f"worked {done:g} s")])


@pytest.fixture
async def busy_bot(fake, app_key, tmp_path, request):
    budget = getattr(request, "param", 60.0)
    settings = make_settings(api_url=fake.url, private_key=app_key[0], db_path=tmp_path / "governance.db",
                             rule_work_budget_seconds=budget)
    harness = BotHarness(settings, rules=(*RULES, BusyRule()))
    await harness.start()
    yield harness
    await harness.close()


def setup(fake, rules_file: str) -> dict:
    fake.add_repo(REPO)
    fake.set_file(REPO, ".github/governance.yml", rules_file)
    fake.add_user("dana")
    return fake.add_pull_request(REPO, 1, author="dana", head_sha="3" * 40)


async def test_pings_are_answered_while_a_rule_works_in_the_pool(fake, busy_bot):
    setup(fake, "busy:\n  seconds: 3\n")
    started = time.perf_counter()
    rtts = await pings_while_processing(busy_bot, "pull_request", pull_request_event(fake, REPO, 1))
    took = time.perf_counter() - started
    assert took >= 3  # the work really ran ...
    assert len(rtts) >= 5 and max(rtts) < PING_BOUND, rtts  # ... and the loop answered all along
    assert fake.latest_status(REPO, "3" * 40, "governance/busy")["description"] == "worked 3 s"


@pytest.mark.parametrize("busy_bot", [0.5], indirect=True)
async def test_work_over_the_budget_is_stopped_with_an_error_status_and_a_report_line(fake, busy_bot):
    setup(fake, "busy:\n  seconds: 30\n")
    started = time.perf_counter()
    await busy_bot.deliver_and_settle("pull_request", pull_request_event(fake, REPO, 1))
    assert time.perf_counter() - started < 25  # stopped, not waited for
    status = fake.latest_status(REPO, "3" * 40, "governance/busy")
    assert status["state"] == "error"
    assert status["description"].startswith("Checking this pull request needs more than the bot's 0.5 s of work")
    report = [c["body"] for c in fake.comments(REPO, 1) if c["body"].startswith(REPORT_MARKER)]
    assert len(report) == 1 and "governance/busy: not checked" in report[0] and "Split or simplify" in report[0]
    delivery = await busy_bot.delivery((await _last_delivery_id(busy_bot)))
    assert delivery["state"] == "done"  # not retried: the same work would exceed the budget again


async def _last_delivery_id(bot: BotHarness) -> str:
    from sqlalchemy import select

    from bot.store import deliveries
    async with bot.state.store.engine.connect() as conn:
        return (await conn.execute(select(deliveries.c.id).order_by(deliveries.c.received_at.desc()))).scalar()


async def test_the_budget_is_shared_by_a_delivery_and_a_spent_one_refuses_at_once():
    offload = Offload(workers=1)
    try:
        budget = Budget(30.0)
        assert await offload.run(budget, spin, 0.2) == 0.2
        assert 0.2 <= budget.spent < 30
        with pytest.raises(WorkBudgetExceeded):
            await offload.run(Budget(0.0), spin, 0.1)
    finally:
        offload.close()


async def test_jobs_are_submitted_off_the_event_loop_so_starting_the_pool_never_holds_it(monkeypatch):
    """The first job starts the forkserver and a worker (~50 ms): that happens on a thread, not the loop."""
    import threading
    from concurrent.futures import ProcessPoolExecutor

    threads: list[threading.Thread] = []
    submit = ProcessPoolExecutor.submit

    def recording_submit(self, *args, **kwargs):
        threads.append(threading.current_thread())
        return submit(self, *args, **kwargs)

    monkeypatch.setattr(ProcessPoolExecutor, "submit", recording_submit)
    offload = Offload(workers=1)
    try:
        assert await offload.run(Budget(30.0), spin, 0.01) == 0.01
        assert threads and all(t is not threading.main_thread() for t in threads)
    finally:
        offload.close()
