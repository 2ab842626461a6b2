"""Taps are idempotent and a stop confirms exactly the updates handled: nothing handled twice, nothing lost."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

from bot.app import Static, stop_application
from bot.config import Settings
from bot.reading.callbacks import SetSubscription, Toggle, ToggleFrom, Want, read
from bot.reading.context import SERVICES_KEY
from bot.storage import Storage
from emulator import BotAPIEmulator
from tests.conftest import eventually, spawn_bot, start_bot


def test_a_subscription_button_carries_the_state_it_asks_for() -> None:
    assert SetSubscription("gbv", Want.SUBSCRIBED, ToggleFrom.THEME).pack() == "1:b:gbv:1:t"
    assert read("1:b:gbv:0:S") == SetSubscription("gbv", Want.UNSUBSCRIBED, ToggleFrom.CHECKLIST)
    assert read("1:u:gbv:t") == Toggle("gbv", ToggleFrom.THEME)  # buttons already sent keep working
    assert read("1:b:gbv:2:t") is None


def _taps(emu: BotAPIEmulator, user_id: int) -> list[int]:
    return [
        u["update_id"]
        for u in emu.handed_updates()
        if "callback_query" in u and u["callback_query"]["from"]["id"] == user_id
    ]


async def test_the_same_taps_delivered_twice_leave_the_same_subscriptions(tmp_path: Path, static: Static) -> None:
    async with BotAPIEmulator() as emu:
        settings = Settings(token=emu.token, api_base_url=emu.base_url, database_path=tmp_path / "bot.sqlite3")
        app: Any = await start_bot(emu, settings, static)
        try:
            user = emu.user(4200, language_code="en")
            await user.start("t_gbv")
            await user.wait_reply()
            await user.click("🔔 Subscribe")
            await user.click("🔕 Unsubscribe")
            await user.click("🔔 Subscribe")
            storage: Storage = app.bot_data[SERVICES_KEY].storage
            assert await storage.subscriptions.topics(user.id) == {"gbv"}
        finally:
            await stop_application(app)
        taps = _taps(emu, user.id)
        assert len(taps) == 3
        # The bot restarts and Telegram hands the same three taps over again (they were never confirmed).
        assert emu.replay(taps) == 3
        answers = len(emu.calls("answerCallbackQuery"))
        app = await start_bot(emu, settings, static)
        try:

            async def replayed_taps_handled() -> bool:
                return len(emu.calls("answerCallbackQuery")) >= answers + 3

            await eventually(replayed_taps_handled, what="the replayed taps handled")
            storage = app.bot_data[SERVICES_KEY].storage
            assert await storage.subscriptions.topics(user.id) == {"gbv"}
        finally:
            await stop_application(app)


READERS = 300  # more than the bot's backlog (256): polling is blocked in the middle of its third batch


async def test_a_stop_in_the_middle_of_a_batch_handles_nothing_twice_and_loses_nothing(tmp_path: Path) -> None:
    async with BotAPIEmulator(keep_history=False) as emu:
        env = {"LOG_LEVEL": "INFO"}
        process = await spawn_bot(emu, tmp_path, stderr=asyncio.subprocess.STDOUT, settings=env)
        logs: list[str] = []
        try:
            first = emu.user(61_000, language_code="en")
            await first.send("/menu")
            await first.wait_reply(timeout=60)  # the bot is up and polling
            readers = [emu.user(60_000 + n, language_code="en") for n in range(READERS)]
            emu.hold_calls("sendMessage")  # every handler is stuck on its reply: the backlog fills up
            for reader in readers:
                await reader.send("/menu")

            async def all_fetched() -> bool:
                return len(emu.handed_updates()) >= 1 + READERS

            await eventually(all_fetched, within=60, what="the bot fetching every update")
            process.send_signal(signal.SIGTERM)
            emu.release_calls("sendMessage")
            await asyncio.wait_for(process.wait(), timeout=60)
            assert process.stdout is not None
            logs.append((await process.stdout.read()).decode())
            assert process.returncode == 0, logs[-1][-3000:]

            # Start again: the updates not handled before the stop come again, and only those.
            process = await spawn_bot(emu, tmp_path, stderr=asyncio.subprocess.STDOUT, settings=env)

            async def everyone_answered() -> bool:
                return emu.pending_updates == 0 and all(emu.delivered(r.id) >= 1 for r in readers)

            await eventually(everyone_answered, within=60, what="every reader answered after the restart")
            process.send_signal(signal.SIGTERM)  # and stop once more: whatever was fetched is handled by now
            await asyncio.wait_for(process.wait(), timeout=60)
            assert process.stdout is not None
            logs.append((await process.stdout.read()).decode())
            assert process.returncode == 0, logs[-1][-3000:]
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    twice = [r.id for r in readers if emu.delivered(r.id) > 1]
    assert not twice, f"{len(twice)} readers answered twice\n" + "\n".join(log[-2000:] for log in logs)
    assert "Traceback" not in "".join(logs)
