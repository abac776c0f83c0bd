"""The write window's arithmetic (bot/writewindow.py), on a clock the test moves.

End-to-end checks (the fake GitHub's request log under concurrent deliveries) are in
tests/test_write_scheduling.py.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.writewindow import WindowFull, WriteWindow


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def write(window: WriteWindow, clock: Clock, duration: float = 0.0) -> None:
    await window.acquire()
    clock.now += duration
    window.release()


async def test_a_burst_up_to_the_minute_limit_goes_at_once_and_not_one_more():
    clock = Clock()
    window = WriteWindow(80, 500, clock=clock, max_inline_wait=0.0)
    for _ in range(80):
        await write(window, clock)  # no waiting: the clock never moved
    with pytest.raises(WindowFull) as full:
        await window.acquire()
    assert full.value.until == clock.now + 60 and not full.value.counts_attempt
    assert not window.lock.locked()  # a refusal holds nothing
    clock.now += 59.9
    with pytest.raises(WindowFull):
        await window.acquire()
    clock.now += 0.1
    await write(window, clock)  # 60 s after the first: one more


async def test_the_window_rolls_from_each_write_not_from_the_first():
    clock = Clock()
    window = WriteWindow(3, 500, clock=clock, max_inline_wait=0.0)
    for gap in (0, 10, 10):  # writes at 0, 10, 20
        clock.now += gap
        await write(window, clock)
    clock.now = window.stamps[0] + 60
    await write(window, clock)  # the one at 0 left the window
    with pytest.raises(WindowFull) as full:
        await window.acquire()
    assert full.value.until == window.stamps[-3] + 60  # the one at 10 leaves next


async def test_the_hour_limit_holds_the_501st_write_until_the_first_is_an_hour_old():
    clock = Clock()
    window = WriteWindow(80, 500, clock=clock, max_inline_wait=0.0)
    first = clock.now
    for index in range(500):
        if index and index % 80 == 0:
            clock.now = window.stamps[-80] + 60  # wait out each minute
        await write(window, clock)
    assert clock.now - first < 3600 - 60
    with pytest.raises(WindowFull) as full:
        await window.acquire()
    assert full.value.until == first + 3600
    clock.now = first + 3600
    await write(window, clock)


async def test_a_short_wait_is_taken_inline_and_writes_never_overlap():
    clock = Clock()
    window = WriteWindow(1, 500, clock=clock, max_inline_wait=0.5)
    await write(window, clock)
    clock.now += 59.8  # 0.2 s to go: waited for, not handed back

    async def advance() -> None:
        await asyncio.sleep(0.05)
        clock.now += 0.2

    mover = asyncio.create_task(advance())
    await window.acquire()
    assert window.lock.locked()
    second = asyncio.create_task(window.acquire())
    await asyncio.sleep(0.01)
    assert not second.done()  # one write at a time
    window.release()
    with pytest.raises(WindowFull):
        await second
    await mover


def test_a_secondary_limit_pause_blocks_until_it_ends():
    clock = Clock()
    window = WriteWindow(clock=clock)
    assert window.ready_at() <= clock.now
    assert window.pause(30) == clock.now + 30
    assert window.ready_at() == clock.now + 30


def test_the_saved_state_is_the_last_hour_and_merges_as_a_union():
    clock = Clock()
    a = WriteWindow(2, 500, clock=clock)
    a.stamps.extend([clock.now - 4000, clock.now - 10])
    packed = a.pack()
    assert len(packed) == 8  # the stamp older than an hour no longer counts and is not kept
    b = WriteWindow(2, 500, clock=clock)
    b.stamps.append(clock.now - 5)
    b.merge(packed, resume_at=clock.now + 7, as_of=clock.now)
    assert list(b.stamps) == [clock.now - 10, clock.now - 5]
    assert b.ready_at() == clock.now + 50  # both writes count: the move granted nothing
    b.merge(b.pack(), resume_at=0.0, as_of=clock.now)
    assert len(b.stamps) == 2 and b.resume_at == clock.now + 7
