"""Replies under Telegram's per-chat limit: retry once after a short wait, else drop; one log line."""

from __future__ import annotations

import logging

import pytest

from bot.reading.callbacks import Action, pack
from bot.reading.context import REPLY_RETRY_WAIT_MAX
from tests.conftest import BotEnv, eventually


async def test_a_short_retry_after_is_waited_and_the_screen_arrives(
    env: BotEnv, caplog: pytest.LogCaptureFixture
) -> None:
    user = env.emu.user(4300, language_code="en")
    await user.start()
    await user.wait_reply()
    env.emu.add_fault(chat_id=user.id, method="editMessageText", kind="429", retry_after=1, count=1)
    with caplog.at_level(logging.INFO):
        await user.press_data(pack(Action.THEME, "climate"))  # edited in place: the edit meets the 429
        await user.wait_reply(timeout=20)
    assert user.last is not None
    assert "Feminist activism for climate justice" in (user.last.text or "")
    assert env.emu.stats.faults_fired["429"] == 1
    assert "Traceback" not in caplog.text and not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_long_retry_after_drops_the_screen_with_one_line_and_no_apology(
    env: BotEnv, caplog: pytest.LogCaptureFixture
) -> None:
    user = env.emu.user(4301, language_code="en")
    await user.start()
    await user.wait_reply()
    menu = user.last
    wait = int(REPLY_RETRY_WAIT_MAX) + 30
    env.emu.add_fault(chat_id=user.id, kind="429", retry_after=wait, count=20)

    def dropped_lines() -> list[logging.LogRecord]:
        return [r for r in caplog.records if "Telegram asks to wait" in r.getMessage()]

    async def logged() -> bool:
        return bool(dropped_lines())

    with caplog.at_level(logging.INFO):
        await user.press_data(pack(Action.THEME, "gbv"))
        await eventually(logged, within=20, what="one line about the dropped screen")
    assert user.last is menu  # nothing new: the screen was dropped, no apology either
    dropped = dropped_lines()
    assert len(dropped) == 1 and dropped[0].exc_info is None
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not any("Something went wrong" in (a.text or "") for a in user.callback_answers)
