"""SIGTERM under a flood: the real bot process exits within Docker's grace, and what it did is committed: every
reader it answered is stored, and each new reader is counted exactly once (no count lost, none twice)."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest

from bot.storage import Storage
from emulator import BotAPIEmulator
from tests.conftest import spawn_bot

EXIT_DEADLINE = 8.0  # seconds from SIGTERM to exit; Docker kills at 10
FLOOD = 20_000


# When the backlog is not handled within the drain (a busy machine), the handlers still running are stopped, and
# a reply being uploaded then is cut off: the emulator's server logs the lost connection.
@pytest.mark.logs_errors("aiohttp.server")
async def test_sigterm_under_a_flood_exits_within_the_deadline(tmp_path: Path) -> None:
    async with BotAPIEmulator(keep_history=False) as emu:
        process = await spawn_bot(emu, tmp_path, stderr=asyncio.subprocess.STDOUT, settings={"LOG_LEVEL": "INFO"})
        try:
            users = [emu.user(50_000 + n, language_code="en") for n in range(200)]
            first = users[0]
            await first.send("/start")
            await first.wait_reply(timeout=60)  # the bot is up and polling
            for i in range(FLOOD):
                await users[i % len(users)].send("/menu")
            # Wait until the bot has fetched a few batches of the flood: it is busy when the signal comes.
            polls = emu.stats.calls["getUpdates"]
            # A few batches (up to 100 updates each) fill the bounded backlog; on a busy machine fetching is slow.
            deadline = time.monotonic() + 60
            while emu.stats.calls["getUpdates"] < polls + 5:
                assert time.monotonic() < deadline, "the bot did not fetch the flood"
                await asyncio.sleep(0.05)
            process.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            await asyncio.wait_for(process.wait(), timeout=EXIT_DEADLINE + 20)
            took = time.monotonic() - signalled
        finally:
            if process.returncode is None:
                process.kill()
            assert process.stdout is not None
            log = (await process.stdout.read()).decode()
    assert process.returncode == 0, log[-3000:]
    assert took <= EXIT_DEADLINE, f"exit took {took:.1f}s\n{log[-3000:]}"
    assert "Traceback" not in log, log[-3000:]
    answered = {u.chat_id for u in users if emu.delivered(u.chat_id)}
    assert first.chat_id in answered
    storage = await Storage.open(tmp_path / "bot.sqlite3")  # opens: no transaction was left half-way
    try:
        async with storage.database.connection.execute("PRAGMA integrity_check") as cur:
            assert [tuple(r) for r in await cur.fetchall()] == [("ok",)]
        async with storage.database.connection.execute("SELECT user_id FROM users") as cur:
            stored = {int(r[0]) for r in await cur.fetchall()}
        async with storage.database.connection.execute(
            "SELECT metric, sum(count) FROM daily_counts WHERE metric IN ('new', 'active') GROUP BY metric"
        ) as cur:
            counted = {str(r[0]): int(r[1]) for r in await cur.fetchall()}
    finally:
        await storage.close()
    assert answered <= stored, f"answered but not stored: {sorted(answered - stored)[:10]}"
    assert counted == {"new": len(stored), "active": len(stored)}, log[-3000:]
