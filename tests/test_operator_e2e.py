"""The real bot process when the network or the operator gets it wrong: no network at start, a rejected token,
an outage while running, a stop while Telegram does not answer, and the health check right after a stop."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.ops.exitcodes import ExitCode
from bot.ops.health import heartbeat_path
from emulator import BotAPIEmulator
from tests.conftest import spawn_bot
from tests.netfault import Mode, Relay

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")

STOP_BOUND = 8.0  # seconds from SIGTERM to exit, whatever the network does (Docker kills at 10)
FAST_BACKOFF = "0.05,0.2"  # STARTUP_BACKOFF: the first wait and the longest, in seconds
WITHIN = 60.0  # deadline of every wait: generous for a busy 2-core machine


async def until(condition: object, what: str, within: float = WITHIN) -> None:
    """Wait until ``condition()`` holds, with a deadline."""
    deadline = asyncio.get_running_loop().time() + within
    while not condition():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what} did not happen within {within:g}s")
        await asyncio.sleep(0.02)


def emulator_port(emu: BotAPIEmulator) -> int:
    port = urlsplit(emu.base_url).port
    assert port is not None
    return port


async def spawn(emu: BotAPIEmulator, tmp_path: Path, log: Path, **settings: str) -> asyncio.subprocess.Process:
    """The real bot, its stderr (the log) in ``log`` so a test can read it while the bot runs."""
    with log.open("wb") as sink:
        return await spawn_bot(emu, tmp_path, stderr=sink.fileno(), settings={"LOG_LEVEL": "INFO", **settings})


async def finish(process: asyncio.subprocess.Process, within: float = WITHIN) -> float:
    """SIGTERM ``process``; return the seconds it took to exit."""
    process.send_signal(signal.SIGTERM)
    began = time.monotonic()
    try:
        await asyncio.wait_for(process.wait(), within)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return time.monotonic() - began


def lines(log: Path, fragment: str) -> list[str]:
    return [line for line in log.read_text(errors="replace").splitlines() if fragment in line]


def user_ids(db: Path) -> set[int]:
    with closing(sqlite3.connect(db)) as conn:
        return {int(row[0]) for row in conn.execute("SELECT user_id FROM users")}


async def test_start_without_the_bot_api_waits_for_it_then_serves(tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    async with BotAPIEmulator() as emu, Relay(emulator_port(emu), Mode.REFUSE) as relay:
        process = await spawn(emu, tmp_path, log, BOT_API_BASE_URL=relay.base_url(), STARTUP_BACKOFF=FAST_BACKOFF)
        try:
            await until(
                lambda: process.returncode is not None or len(lines(log, "cannot reach the Bot API")) >= 3,
                "three failed attempts",
            )
            assert process.returncode is None, log.read_text()[-3000:]  # it did not give up
            relay.set(Mode.PASS)
            user = emu.user(7001, language_code="en")
            await user.send("/start")
            await user.wait_reply(timeout=WITHIN)
            assert user.last is not None and "Climate justice" in user.last.button_texts
        finally:
            await finish(process)
    assert process.returncode == ExitCode.OK, log.read_text()[-3000:]
    text = log.read_text()
    assert "Traceback" not in text, text[-3000:]
    attempts = lines(log, "cannot reach the Bot API")
    assert all("next attempt in" in line for line in attempts), attempts  # one line per attempt


async def test_flood_control_at_start_up_is_waited_out(tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    async with BotAPIEmulator() as emu:
        emu.add_fault(method="getMe", kind="429", retry_after=1)
        process = await spawn(emu, tmp_path, log)
        try:
            user = emu.user(7004, language_code="en")
            await user.send("/start")
            await user.wait_reply(timeout=WITHIN)
        finally:
            await finish(process)
    assert process.returncode == ExitCode.OK, log.read_text()[-3000:]
    [line] = lines(log, "asks to wait")
    assert "next attempt in 1.0 s" in line, line


async def test_a_stop_while_the_first_call_to_telegram_hangs_is_prompt(tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    async with BotAPIEmulator() as emu, Relay(emulator_port(emu), Mode.HANG) as relay:
        process = await spawn(emu, tmp_path, log, BOT_API_BASE_URL=relay.base_url(), STARTUP_BACKOFF=FAST_BACKOFF)
        await until(lambda: process.returncode is not None or relay.connections >= 1, "the first attempt")
        took = await finish(process)
    assert process.returncode == ExitCode.OK, log.read_text()[-3000:]
    assert took <= STOP_BOUND, f"the stop took {took:.1f} s"
    assert "Traceback" not in log.read_text()


async def test_a_token_telegram_rejects_is_one_masked_line_and_a_permanent_exit(tmp_path: Path) -> None:
    from bot.ops.exitcodes import PERMANENT

    bot_id, secret = "123456789", "Sec7retPartOfTheToken-thatMustStayHidden"
    log = tmp_path / "bot.log"
    async with BotAPIEmulator() as emu:  # its own token differs: it answers 401 Unauthorized, as Telegram does
        with log.open("wb") as sink:
            process = await spawn_bot(
                emu, tmp_path, stderr=sink.fileno(), settings={"BOT_TOKEN": f"{bot_id}:{secret}", "LOG_LEVEL": "DEBUG"}
            )
            stdout, _ = await asyncio.wait_for(process.communicate(), WITHIN)
    output = stdout.decode() + log.read_text()
    assert secret not in output and secret[:8] not in output, output[-3000:]
    assert process.returncode == ExitCode.TOKEN_REJECTED and ExitCode.TOKEN_REJECTED in PERMANENT, output[-3000:]
    errors = [line for line in output.splitlines() if " ERROR " in line or " CRITICAL " in line]
    assert len(errors) == 1 and f"{bot_id}:***" in errors[0], output[-3000:]
    assert "Traceback" not in output, output[-3000:]


async def test_an_outage_while_polling_is_a_few_lines_not_a_traceback_per_retry(tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    async with BotAPIEmulator() as emu, Relay(emulator_port(emu)) as relay:
        process = await spawn(emu, tmp_path, log, BOT_API_BASE_URL=relay.base_url())
        try:
            user = emu.user(7002, language_code="en")
            await user.send("/start")
            await user.wait_reply(timeout=WITHIN)
            relay.set(Mode.REFUSE)  # the long poll in flight is cut too
            # PTB retries after 1, 1.5, 2.25 s: three failed polls.
            await until(lambda: relay.connections >= 3, "three failed polls")
            relay.set(Mode.PASS)
            await user.send("/start")
            await user.wait_reply(timeout=WITHIN)
            await until(lambda: bool(lines(log, "answers again")), "the line saying Telegram is back")
        finally:
            await finish(process)
    assert process.returncode == ExitCode.OK, log.read_text()[-3000:]
    text = log.read_text()
    assert "Traceback" not in text and "Exception happened while polling" not in text, text[-3000:]
    assert len(lines(log, "the Bot API does not answer")) == 1, text[-3000:]
    [back] = lines(log, "answers again")
    failed = int(back.split("(")[-1].split()[0])
    assert failed >= 3, back
    outage = text[text.index("the Bot API does not answer") : text.index("answers again")]
    # Nothing logged per retry in between: at most the two lines and a reply that could not be sent (other
    # features' INFO lines, such as the offline files being built, may fall in the window too).
    warnings = [line for line in outage.splitlines()[1:] if " WARNING " in line or " ERROR " in line]
    assert len(warnings) <= 2, outage


async def test_stop_while_telegram_does_not_answer_is_bounded_and_keeps_what_was_committed(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    log = tmp_path / "bot.log"
    readers = range(7100, 7110)
    async with BotAPIEmulator() as emu:
        process = await spawn(emu, tmp_path, log)
        try:
            for reader in readers:
                user = emu.user(reader, language_code="en")
                await user.send("/start")
                await user.wait_reply(timeout=WITHIN)
            # Telegram stops answering (every call held until the client gives up) while one reader's three
            # searches are being answered: each reply waits for its timeout, one after the other.
            emu.add_fault(method="sendMessage", kind="timeout", hold=120, count=10**6)
            last = emu.user(readers[-1])
            for word in ("water", "school", "land"):
                await last.send(word)
            await until(lambda: emu.pending_updates == 0, "the searches fetched")
            await until(lambda: emu.stats.faults_fired["timeout"] >= 1, "a reply held")
            emu.add_fault(method="getUpdates", kind="timeout", hold=120, count=10**6)
            took = await finish(process)
        finally:
            if process.returncode is None:
                process.kill()
    text = log.read_text()
    print(f"stop with Telegram not answering took {took:.2f} s")
    assert process.returncode == ExitCode.OK, text[-3000:]
    assert took <= STOP_BOUND, f"the stop took {took:.1f} s\n{text[-3000:]}"
    assert "Traceback" not in text, text[-3000:]
    assert set(readers) <= user_ids(db)  # every reader answered before is in the database
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


async def test_healthcheck_is_unhealthy_right_after_a_clean_stop(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    log = tmp_path / "bot.log"
    beat = heartbeat_path(db)
    async with BotAPIEmulator() as emu:
        process = await spawn(emu, tmp_path, log)
        try:
            user = emu.user(7003, language_code="en")
            await user.send("/start")
            await user.wait_reply(timeout=WITHIN)
            await until(beat.exists, "the first heartbeat")
            assert beat.stat().st_mode & 0o777 == 0o600
            # Past the heartbeat's write interval: the last getUpdates of the stop could write it again.
            await until(lambda: time.time() - float(beat.read_text()) > 1.5, "an older heartbeat")
        finally:
            await finish(process)
    assert process.returncode == ExitCode.OK, log.read_text()[-3000:]
    env = {**os.environ, "DATABASE_PATH": str(db)}
    env.pop("BOT_TOKEN", None)
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "healthcheck"],
        env=env,
        capture_output=True,
        text=True,
        timeout=WITHIN,
    )
    assert result.returncode == 1 and result.stdout.startswith("unhealthy"), result.stdout
    assert not beat.exists()
