"""A few busy readers do not stall everyone: a global place is taken only once a person's own turn has come.

The updates go through PTB's own ``BaseUpdateProcessor.process_update`` (which takes PTB's semaphore first), as
the application's fetcher sends them.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import Update

from bot.telegram.updates import USER_BACKLOG_MAX, PerUserUpdateProcessor, wait_without_slot
from tests.conftest import eventually


def _update(update_id: int, user_id: int) -> Update:
    return Update.de_json(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": user_id, "type": "private"},
                "from": {"id": user_id, "is_bot": False, "first_name": "R"},
                "text": "hello",
            },
        },
        None,
    )


async def test_one_flooding_reader_does_not_delay_another_readers_answer() -> None:
    limit = 2
    processor = PerUserUpdateProcessor(max_concurrent_updates=limit)
    gate = asyncio.Event()  # the flooder's handlers are stuck until this opens
    started: list[int] = []
    answered = asyncio.Event()

    async def flooder_handler(n: int) -> None:
        started.append(n)
        await gate.wait()

    async def other_handler() -> None:
        answered.set()

    # The flooder sends as many updates as the per-person backlog takes, more than the global limit.
    flood = [
        asyncio.create_task(processor.process_update(_update(n, 7), flooder_handler(n)))
        for n in range(1, USER_BACKLOG_MAX + 1)
    ]
    await eventually(lambda: _true(started), what="the flooder's first update started")
    other = asyncio.create_task(processor.process_update(_update(100, 8), other_handler()))

    async def other_answered() -> bool:
        return answered.is_set()

    await eventually(other_answered, what="the other reader's answer")
    assert not gate.is_set() and started == [1]  # the flooder is still blocked on its first update
    gate.set()
    await asyncio.wait_for(asyncio.gather(*flood, other), timeout=10)
    assert started == list(range(1, USER_BACKLOG_MAX + 1))  # and their updates ran in order


async def test_the_global_limit_still_holds_for_different_readers() -> None:
    limit = 3
    processor = PerUserUpdateProcessor(max_concurrent_updates=limit)
    gate = asyncio.Event()
    running = 0
    peak = 0

    async def handler() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await gate.wait()
        running -= 1

    tasks = [asyncio.create_task(processor.process_update(_update(n, 1000 + n), handler())) for n in range(10)]

    async def limit_reached() -> bool:
        return running == limit

    await eventually(limit_reached, what="the limit's worth of updates running")
    gate.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=10)
    assert peak == limit


async def test_a_handler_waiting_out_retry_after_gives_its_place_back() -> None:
    processor = PerUserUpdateProcessor(max_concurrent_updates=1)
    waited = asyncio.Event()
    waiting = asyncio.Event()
    answered = asyncio.Event()

    async def fake_sleep(seconds: float) -> None:  # the clock: Telegram's wait ends when the test says so
        waiting.set()
        await waited.wait()

    async def slow_handler() -> None:
        await wait_without_slot(30.0, sleep=fake_sleep)

    async def other_handler() -> None:
        answered.set()

    slow = asyncio.create_task(processor.process_update(_update(1, 7), slow_handler()))
    await eventually(lambda: _true(waiting.is_set()), what="the first handler waiting on retry_after")
    other = asyncio.create_task(processor.process_update(_update(2, 8), other_handler()))
    await eventually(lambda: _true(answered.is_set()), what="the other reader's answer")
    assert not slow.done()
    waited.set()
    await asyncio.wait_for(asyncio.gather(slow, other), timeout=10)


async def test_handled_through_stops_before_the_first_update_not_handled() -> None:
    processor = PerUserUpdateProcessor(max_concurrent_updates=4)
    gate = asyncio.Event()
    started = asyncio.Event()

    async def quick() -> None:
        pass

    async def stuck() -> None:
        started.set()
        await gate.wait()

    assert processor.handled_through is None
    await processor.process_update(_update(10, 1), quick())
    assert processor.handled_through == 10
    blocked = asyncio.create_task(processor.process_update(_update(11, 2), stuck()))
    await eventually(lambda: _true(started.is_set()), what="update 11 running")
    await processor.process_update(_update(12, 3), quick())
    assert processor.handled_through == 10  # 12 is handled, 11 is not: Telegram must keep 11 (and so 12)
    processor.abandon()  # shutdown cancels 11: it was never handled
    await asyncio.wait_for(blocked, timeout=10)
    assert processor.handled_through == 10


async def _true(value: Any) -> bool:
    return bool(value)
