"""Memory bounded whatever people send, and one person's updates in order."""

from __future__ import annotations

import asyncio
import importlib.util
import time
from pathlib import Path
from typing import Any

import pytest
from telegram import Update

from bot.app import Static, build_application, start_application, stop_application
from bot.config import Settings
from bot.reading.callbacks import Action, pack
from bot.reading.context import SERVICES_KEY
from bot.storage import USER_CACHE_SIZE, Storage
from bot.telegram.updates import UPDATE_BACKLOG_MAX, USER_BACKLOG_MAX, PerUserUpdateProcessor, UpdateQueue
from tests.conftest import BotEnv

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_reading", ROOT / "bench" / "reading.py")
assert _spec is not None and _spec.loader is not None
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


async def wait_until(condition: Any, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.01)


def forged(i: int) -> dict[str, Any]:
    """A forged callback or deep link with ids that look real and do not exist, from one of many people."""
    user = 10_000 + i  # every update from someone new
    junk = f"x{i}"
    match i % 5:
        case 0:
            return bench.callback_update(i, user, f"1:t:{junk}")
        case 1:
            return bench.callback_update(i, user, f"1:s:gbv:{junk}:0")
        case 2:
            return bench.callback_update(i, user, f"1:s:gbv:barriers:{100 + i % 90000}")
        case 3:
            return bench.callback_update(i, user, f"1:a:{100 + i % 90000}")
    return bench.message_update(i, user, f"/start s_{junk}_{junk}")


async def test_forged_ids_and_new_people_leave_every_structure_bounded(tmp_path: Path, static: Static) -> None:
    settings = Settings(token=bench.TOKEN, database_path=tmp_path / "bot.sqlite3")
    app: Any = build_application(
        settings, static=static, request=bench.InstantRequest(), sync_bot_profile=False, broadcast=False
    )
    await start_application(app)
    try:
        screens = app.bot_data[SERVICES_KEY].screens
        # Every real screen once, so the caches are as full as they can legitimately be.
        for data in (pack(Action.THEME, "gbv"), pack(Action.SECTION, "gbv", "barriers", 0), pack(Action.ABOUT, 0)):
            await app.process_update(Update.de_json(bench.callback_update(1, 1, data), app.bot))
        real = {
            name: getattr(screens, name).cache_info().currsize
            for name in ("_theme_cache", "_section_cache", "_about_cache")
        }
        queue = app.update_queue
        assert isinstance(queue, UpdateQueue)
        peak = 0
        for i in range(3000):
            await queue.put(Update.de_json(forged(i), app.bot))
            peak = max(peak, queue.backlog)
        await asyncio.wait_for(queue.join(), timeout=60)
        assert peak <= UPDATE_BACKLOG_MAX
        for name, size in real.items():
            assert getattr(screens, name).cache_info().currsize == size, name
        assert len(app._user_ids_to_be_updated_in_persistence) == 0
        assert len(app._chat_ids_to_be_updated_in_persistence) == 0
        assert len(app.user_data) == 0 and len(app.chat_data) == 0
        assert app.update_processor.waiting_users == 0
        assert len(app.bot_data[SERVICES_KEY].storage.readers._users) <= USER_CACHE_SIZE
    finally:
        await stop_application(app)


async def test_a_full_update_queue_makes_the_sender_wait() -> None:
    queue = UpdateQueue(maxsize=2)
    await queue.put(1)
    await queue.put(2)
    assert (await queue.get(), await queue.get()) == (1, 2)  # taken, but not handled yet
    third = asyncio.create_task(queue.put(3))
    await asyncio.sleep(0)
    assert not third.done()
    with pytest.raises(asyncio.QueueFull):
        queue.put_nowait(4)
    queue.task_done()
    await asyncio.wait_for(third, timeout=5)
    assert queue.backlog == 2


def _update(update_id: int, user_id: int) -> Update:
    return Update.de_json(bench.message_update(update_id, user_id, "hello"), None)


async def test_one_persons_updates_run_in_order_and_others_run_meanwhile() -> None:
    processor = PerUserUpdateProcessor(max_concurrent_updates=8)
    events: list[str] = []
    release = asyncio.Event()

    async def handle(name: str, block: bool = False) -> None:
        events.append(f"start {name}")
        if block:
            await release.wait()
        events.append(f"end {name}")

    first = asyncio.create_task(processor.process_update(_update(1, 7), handle("a1", block=True)))
    second = asyncio.create_task(processor.process_update(_update(2, 7), handle("a2")))
    other = asyncio.create_task(processor.process_update(_update(3, 8), handle("b1")))
    await asyncio.wait_for(other, timeout=5)
    assert events == ["start a1", "start b1", "end b1"]  # b ran while a1 was busy; a2 waited its turn
    assert processor.waiting_users == 1
    release.set()
    await asyncio.wait_for(asyncio.gather(first, second), timeout=5)
    assert events[3:] == ["end a1", "start a2", "end a2"]
    assert processor.waiting_users == 0  # locks nobody holds or waits for are gone


async def test_one_flooding_person_cannot_fill_the_backlog() -> None:
    processor = PerUserUpdateProcessor(max_concurrent_updates=64)
    release = asyncio.Event()
    handled = 0

    async def handle() -> None:
        nonlocal handled
        await release.wait()
        handled += 1

    tasks = [asyncio.create_task(processor.process_update(_update(i, 7), handle())) for i in range(50)]
    await wait_until(lambda: processor.dropped == 50 - USER_BACKLOG_MAX)
    release.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=5)
    assert handled == USER_BACKLOG_MAX
    assert processor.waiting_users == 0


async def test_two_concurrent_toggles_give_on_then_off(tmp_path: Path) -> None:
    async with await Storage.open(tmp_path / "db.sqlite3") as storage:
        results = await asyncio.gather(*(storage.subscriptions.toggle(5, "gbv") for _ in range(2)))
        assert sorted(results) == [False, True]
        assert await storage.subscriptions.topics(5) == frozenset()


async def test_two_quick_taps_on_one_toggle_answer_subscribed_then_unsubscribed(env: BotEnv) -> None:
    user = env.emu.user(4100, language_code="en")
    await user.start("t_gbv")
    await user.wait_reply()
    data = pack(Action.TOGGLE, "gbv", "t")
    await user.press_data(data)
    await user.press_data(data)  # the second tap before the first is answered
    await wait_until(lambda: len(user.callback_answers) >= 2)
    assert [a.text for a in user.callback_answers[-2:]] == ["Subscribed.", "Unsubscribed."]
    assert await env.services.storage.subscriptions.topics(4100) == frozenset()
