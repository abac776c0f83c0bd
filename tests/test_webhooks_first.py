"""Webhooks go first on the event loop (bot.intake.WebhooksFirst): processing steps wait while a
webhook is being answered, for a bounded time, and a client sending its body slowly holds nothing."""

from __future__ import annotations

import asyncio
import time

from bot.intake import WebhooksFirst
from tests.harness import BotHarness, make_settings
from tests.payloads import pull_request_event
from tests.test_intake import slow_client


async def test_a_step_runs_at_once_while_no_webhook_is_being_answered():
    gate = WebhooksFirst(max_wait=5.0)
    await asyncio.wait_for(gate.yield_to_webhooks(), 0.1)


async def test_a_step_gives_the_loop_one_turn_so_what_arrived_meanwhile_goes_first():
    gate = WebhooksFirst()
    ran: list[str] = []
    asyncio.get_running_loop().call_soon(ran.append, "a webhook's data, read meanwhile")
    await gate.yield_to_webhooks()
    assert ran == ["a webhook's data, read meanwhile"]


async def test_waiting_steps_go_on_one_per_turn_in_order_once_no_webhook_is_being_answered():
    gate = WebhooksFirst(max_wait=5.0)
    gate.begin()
    order: list[int] = []

    async def step(index: int) -> None:
        await gate.yield_to_webhooks()
        order.append(index)

    steps = [asyncio.create_task(step(i)) for i in range(3)]
    gate.begin()  # a second webhook arrives before the first is answered
    gate.end()
    await asyncio.sleep(0.05)
    assert order == []  # one is still being answered
    gate.end()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    gate.begin()  # the next webhook arrives while the waiting steps are being let go
    await asyncio.sleep(0.05)
    assert order in ([0], [0, 1])  # one a turn, in order, and none while it is answered
    late = asyncio.create_task(step(3))  # a step that comes now waits behind the others
    gate.end()
    await asyncio.wait_for(asyncio.gather(*steps, late), 1.0)
    assert order == [0, 1, 2, 3]


async def test_a_step_never_waits_longer_than_max_wait():
    gate = WebhooksFirst(max_wait=0.1)
    gate.begin()  # never answered
    started = time.monotonic()
    await asyncio.wait_for(gate.yield_to_webhooks(), 2.0)
    assert 0.09 <= time.monotonic() - started < 1.0


def one_failing_pull_request(fake) -> str:
    """A repository whose one PR fails the probe rule: its evaluation writes statuses, a label and the report."""
    fake.add_user("dana")
    repo = "org/widgets"
    fake.add_repo(repo)
    fake.set_file(repo, ".github/governance.yml", "probe:\n  title_prefix: feat\n")
    fake.add_pull_request(repo, 1, author="dana", title="fix: a thing")
    return repo


def write_requests(fake) -> list:
    return [r for r in fake.requests if r.method != "GET" and "access_tokens" not in r.path]


async def test_processing_waits_for_a_webhook_being_answered(fake, app_key, tmp_path):
    repo = one_failing_pull_request(fake)
    bot = BotHarness(make_settings(api_url=fake.url, private_key=app_key[0], db_path=tmp_path / "f.db"))
    await bot.start()
    try:
        gate = bot.state.webhooks_first
        gate.max_wait = 30.0
        gate.begin()  # as if a webhook were being answered the whole time
        await bot.deliver("pull_request", pull_request_event(fake, repo, 1), delivery_id="d1")
        await asyncio.sleep(0.5)
        assert write_requests(fake) == [] and (await bot.delivery("d1"))["state"] in ("queued", "processing")
        gate.end()
        await bot.settle(timeout=10)
        assert (await bot.delivery("d1"))["state"] == "done" and write_requests(fake)
    finally:
        await bot.close()


async def test_a_client_sending_its_body_slowly_does_not_hold_processing(fake, app_key, tmp_path):
    repo = one_failing_pull_request(fake)
    bot = BotHarness(make_settings(api_url=fake.url, private_key=app_key[0], db_path=tmp_path / "s.db",
                                   webhook_read_timeout=30))
    await bot.start()
    try:
        bot.state.webhooks_first.max_wait = 30.0
        _, writer = await slow_client(bot, length=1000)  # its last byte never comes
        await bot.deliver("pull_request", pull_request_event(fake, repo, 1), delivery_id="d1")
        await bot.settle(timeout=5)
        assert (await bot.delivery("d1"))["state"] == "done" and write_requests(fake)
        writer.close()
    finally:
        await bot.close()
