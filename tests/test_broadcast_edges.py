"""The engine at its edges: a cancel before the run exists, a stop with a send that never answers, a settle
that fails. Against the Bot API emulator; every wait is for a condition, with a deadline."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.announcing.delivery import BroadcastEngine
from bot.announcing.delivery.run import Run
from bot.announcing.delivery.settings import UNANSWERED
from tests.test_broadcast import assert_once, running, unsubscribe_markup, world
from tests.test_storage_cancel import hold

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")

WAIT = 30.0  # seconds: the deadline of every wait for a condition


async def wait_until(condition: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"waited {WAIT:.0f}s for {what}"
        await asyncio.sleep(0.01)


async def test_a_claim_takes_nothing_unless_the_announcement_is_running(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        await w.users(range(1, 11), "ru")
        announcement_id = await w.announce(language=None)
        await w.storage.deliveries.queue(announcement_id)
        for state in ("paused", "cancelled"):
            await w.storage.announcements.set_state(announcement_id, state)
            assert await w.storage.deliveries.claim(announcement_id, 5, time.time()) == []
        await w.storage.announcements.set_state(announcement_id, "running")
        assert len(await w.storage.deliveries.claim(announcement_id, 5, time.time())) == 5


@pytest.mark.parametrize("action", ["cancel", "pause"])
async def test_cancel_or_pause_before_the_run_exists_sends_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, action: str
) -> None:
    async with world(tmp_path) as w:
        ru = await w.users(range(1, 41), "ru")
        en = await w.users(range(101, 104), "en")
        first = await w.announce(language="ru")
        engine = w.engine(rate=200.0)
        # The gap: the engine has picked the running announcement and waits for the bot (a slow getMe).
        in_gap, go_on = asyncio.Event(), asyncio.Event()
        ready = engine._bot_ready

        async def slow_bot_ready() -> bool:
            in_gap.set()
            await go_on.wait()
            return await ready()

        monkeypatch.setattr(engine, "_bot_ready", slow_bot_ready)
        async with running(engine):
            await asyncio.wait_for(in_gap.wait(), WAIT)
            assert await getattr(engine, action)(first)
            go_on.set()
            # A later announcement is sent once the engine is past the first: had the first started, its
            # copies would have gone before these.
            second = await w.announce(language="en")
            engine.wake()
            await w.wait_state(second, "done", timeout=WAIT)
            assert_once(w.emu, en)
            assert {u: w.emu.delivered(u) for u in ru if w.emu.delivered(u)} == {}
            assert await w.state(first) == ("cancelled" if action == "cancel" else "paused")
            assert "sending" not in {state for state, _, _ in (await w.rows(first)).values()}


async def test_stop_is_bounded_with_a_send_that_never_answers(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        readers = await w.users(range(1, 6), "ru")
        announcement_id = await w.announce(language=None)
        w.emu.add_fault(chat_id=3, method="copyMessage", kind="timeout", hold=3600)
        # The engine's own Bot waits for an answer far longer than the test: only the stop's bound can end it.
        request = HTTPXRequest(connection_pool_size=16, read_timeout=3600.0, connect_timeout=2.0)
        async with Bot(w.emu.token, base_url=w.emu.base_url, request=request) as patient:
            engine = BroadcastEngine(
                patient, w.storage, rate=200.0, markup_for=unsubscribe_markup, tick=0.05, stop_timeout=0.6
            )
            await engine.start()
            try:
                await w.wait_delivered(len(readers) - 1)
                await wait_until(lambda: sum(w.emu.stats.faults_fired.values()) >= 1, "the held send")
            finally:
                await asyncio.wait_for(engine.stop(), WAIT)
        # The held send was never answered: the journal has no copyMessage for chat 3.
        assert [c for c in w.emu.calls("copyMessage") if c.chat_id == 3] == []
        rows = await w.rows(announcement_id)
        assert rows[3] == ("pending", 1, UNANSWERED)
        assert {u: r[0] for u, r in rows.items() if u != 3} == {u: "sent" for u in readers if u != 3}
        assert await w.state(announcement_id) == "running"
        w.emu.clear_faults()
        async with running(w.engine()):
            await w.wait_state(announcement_id, "done", timeout=WAIT)
        assert_once(w.emu, readers)


@pytest.mark.logs_errors("bot.announcing.delivery.run")
async def test_a_failed_settle_is_requeued_and_the_run_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settle = Run._settle
    failed: list[int] = []

    def failing_settle(run: Run, delivery: Any, outcome: Any, started: float) -> None:
        if delivery.user_id == 7 and not failed:
            failed.append(delivery.user_id)
            raise RuntimeError("a bug while settling")
        settle(run, delivery, outcome, started)

    monkeypatch.setattr(Run, "_settle", failing_settle)
    async with world(tmp_path) as w:
        readers = await w.users(range(1, 21), "ru")
        announcement_id = await w.announce(language=None)
        async with running(w.engine(rate=200.0, duplicate_bound=40, max_in_flight=4)):
            await w.wait_state(announcement_id, "done", timeout=WAIT)
        assert failed == [7]
        rows = await w.rows(announcement_id)
        # Sent again: its first copy's outcome was lost to the error, so it was tried once more.
        assert rows[7] == ("sent", 2, None)
        assert all(rows[u] == ("sent", 1, None) for u in readers if u != 7)
        assert w.emu.delivered(7) == 2
        assert_once(w.emu, [u for u in readers if u != 7])


async def test_outcomes_being_written_when_a_stop_overruns_are_committed(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        readers = await w.users(range(1, 11), "ru")
        announcement_id = await w.announce(language=None)
        held = hold(w.storage, "UPDATE deliveries SET state = ?")  # the first write of outcomes waits
        engine = w.engine(rate=200.0, stop_timeout=0.2)
        await engine.start()
        loop = engine._task
        assert loop is not None
        await asyncio.wait_for(held.reached.wait(), WAIT)
        stopping = asyncio.create_task(engine.stop())
        # The stop outlasts its bound while the write waits: the engine's loop is cancelled.
        await wait_until(lambda: loop.cancelling() > 0, "the stop to cancel the engine's loop")
        held.release.set()
        await asyncio.wait_for(stopping, WAIT)
        w.storage.database._db = held.real
        rows = await w.rows(announcement_id)
        sent = {u for u, (state, _, _) in rows.items() if state == "sent"}
        # Every copy the emulator delivered is recorded as sent: none would be sent again after a restart.
        assert sent == {u for u in readers if w.emu.delivered(u)} and sent
