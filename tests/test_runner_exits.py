"""``brief-bot run`` as a real process: webhook mode answers, and each start-up failure is one line and an exit code."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

from bot.ops.exitcodes import ExitCode
from emulator import BotAPIEmulator
from tests.conftest import spawn_bot

SECRET = "webhook-secret-for-tests"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _spawn(emu: BotAPIEmulator, tmp_path: Path, **extra: str) -> asyncio.subprocess.Process:
    return await spawn_bot(emu, tmp_path, settings=extra)


async def _finish(process: asyncio.subprocess.Process) -> tuple[int, list[str]]:
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, (stdout.decode() + stderr.decode()).splitlines()


def _post(url: str, update: dict[str, object]) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(update).encode(),
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # a loopback URL built here
        return int(response.status)


async def _post_when_listening(url: str, update: dict[str, object], within: float = 30.0) -> int:
    """POST once the server accepts connections (it may start listening after setWebhook), with a deadline."""
    deadline = time.monotonic() + within
    while True:
        try:
            return await asyncio.to_thread(_post, url, update)
        except urllib.error.URLError as exc:
            if not isinstance(exc.reason, ConnectionRefusedError) or time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.05)


async def test_webhook_mode_answers_an_update_and_stops_cleanly(tmp_path: Path) -> None:
    port = _free_port()
    public = "https://bot.example.org/hook"  # what Telegram calls; a proxy forwards it to the local port
    local = f"http://127.0.0.1:{port}/hook"
    async with BotAPIEmulator() as emu:
        process = await _spawn(emu, tmp_path, WEBHOOK_URL=public, WEBHOOK_SECRET=SECRET, PORT=str(port))
        try:
            user = emu.user(4343, language_code="en")
            # The bot registers its webhook with the Bot API once its server listens.
            await user.wait_for(lambda: emu.webhook_url == public, timeout=30, what="setWebhook")
            update = {
                "update_id": 1,
                "message": {
                    "message_id": 1,
                    "date": int(time.time()),
                    "chat": {"id": 4343, "type": "private", "first_name": "W"},
                    "from": {"id": 4343, "is_bot": False, "first_name": "W", "language_code": "en"},
                    "text": "/start",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
                },
            }
            assert await _post_when_listening(local, update) == 200
            await user.wait_reply(timeout=30)
            assert user.last is not None and "Climate justice" in user.last.button_texts
        finally:
            process.send_signal(signal.SIGINT)
            code, lines = await _finish(process)
    assert code == ExitCode.OK, lines[-20:]


async def test_a_webhook_port_in_use_is_one_line_and_its_exit_code(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))  # the bot listens on every interface: take them all
        taken.listen()
        port = int(taken.getsockname()[1])
        async with BotAPIEmulator() as emu:
            process = await _spawn(
                emu, tmp_path, WEBHOOK_URL="https://bot.example.org/hook", WEBHOOK_SECRET=SECRET, PORT=str(port)
            )
            code, lines = await _finish(process)
    assert code == ExitCode.PORT_IN_USE, lines[-20:]
    errors = [line for line in lines if " ERROR " in line]
    assert errors == [errors[0]] and f"port {port} is already in use" in errors[0], lines
    assert not any("Traceback" in line for line in lines), lines


async def test_a_corrupted_database_is_one_line_and_its_exit_code(tmp_path: Path) -> None:
    (tmp_path / "bot.sqlite3").write_bytes(b"this is not an SQLite database, it was overwritten " * 100)
    async with BotAPIEmulator() as emu:
        code, lines = await _finish(await _spawn(emu, tmp_path))
    assert code == ExitCode.DATABASE, lines[-20:]
    errors = [line for line in lines if " ERROR " in line]
    assert len(errors) == 1 and "bot.sqlite3" in errors[0] and "not a database" in errors[0], lines
    assert not any("Traceback" in line for line in lines), lines


async def test_invalid_content_is_one_line_and_its_exit_code(tmp_path: Path) -> None:
    from bot.config import Settings
    from bot.ops.runner import run_bot

    broken = tmp_path / "content"
    (broken / "ru").mkdir(parents=True)
    (broken / "ru" / "brief.yaml").write_text("themes: [", encoding="utf-8")
    settings = Settings(token="123456789:" + "A" * 35, database_path=tmp_path / "bot.sqlite3")
    import bot.app

    original = bot.app.content_dir
    bot.app.content_dir = lambda: broken
    try:
        code = await asyncio.to_thread(run_bot, settings)
    finally:
        bot.app.content_dir = original
    assert code == ExitCode.CONTENT
