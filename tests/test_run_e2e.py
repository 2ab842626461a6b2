"""``brief-bot run`` as a real process, pointed at the emulator with BOT_API_BASE_URL: it answers over HTTP,
and nothing it logs, even at DEBUG, contains the token."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from emulator import BotAPIEmulator
from tests.conftest import spawn_bot

ROOT = Path(__file__).resolve().parent.parent


async def test_the_real_bot_process_answers_and_never_logs_the_token(tmp_path: Path) -> None:
    async with BotAPIEmulator() as emu:
        process = await spawn_bot(emu, tmp_path, settings={"LOG_LEVEL": "DEBUG"})
        try:
            user = emu.user(4242, language_code="en")
            await user.send("/start")
            await user.wait_reply(timeout=30)
            assert user.last is not None
            assert "Climate justice" in user.last.button_texts
            await user.press("Gender-based violence")
            await user.wait_reply(timeout=10, count=2)  # protected: the menu deleted, a protected copy sent
            assert "Elimination of gender-based violence" in (user.last.text or "")
            await user.send("secret shelter address")
            await user.wait_reply(timeout=10)
        finally:
            process.send_signal(signal.SIGINT)
            stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    log = stdout.decode() + stderr.decode()
    assert process.returncode == 0, log[-2000:]
    assert "DEBUG" in log  # it really logged at DEBUG
    secret = emu.token.split(":", 1)[1]
    assert secret not in log
    assert "Gender-based violence" not in log  # nothing the bot sent
    assert "shelter" not in log  # nothing the person wrote
