"""Two real bot processes on one database (an overlapping deploy): the second one says so in one line and
exits with its own code; the first one finishes its broadcast with nobody skipped and nobody sent twice."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bench.population import add_users_bulk
from bot.ops.exitcodes import ExitCode
from bot.storage import AnnouncementDraft, Storage
from emulator import BotAPIEmulator
from tests.test_broadcast_crash import ADMIN, RECIPIENTS, announcement_state, start_bot, states, until

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


async def test_a_second_bot_on_the_same_database_refuses_to_start(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    async with BotAPIEmulator(latency=0.02) as emu:
        emu.add_users(RECIPIENTS)
        admin = emu.user(ADMIN, language_code="ru")
        source = await admin.send("Объявление для всех")
        storage = await Storage.open(db)
        await add_users_bulk(storage, RECIPIENTS, "ru")
        announcement_id = await storage.announcements.create(
            AnnouncementDraft(
                created_by=ADMIN, topics=frozenset(), language=None, versions={"ru": (ADMIN, source.message_id)}
            )
        )
        await storage.close()

        first = await start_bot(emu, db, tmp_path)
        try:
            await until(lambda: emu.stats.total_delivered >= 50, within=30)  # in the middle of the broadcast
            second = await start_bot(emu, db, tmp_path)
            _, stderr = await asyncio.wait_for(second.communicate(), timeout=30)
            assert second.returncode == ExitCode.ANOTHER_BOT_RUNNING
            lines = [line for line in stderr.decode().splitlines() if line.strip()]
            assert len(lines) == 1, lines
            assert lines[0].endswith(f"another bot is running on this database ({db})")
            await until(lambda: announcement_state(db, announcement_id) == "done", within=60)
        finally:
            first.terminate()
            _, first_err = await asyncio.wait_for(first.communicate(), timeout=30)
        assert first.returncode == 0, first_err.decode()[-2000:]

    assert set(states(db, announcement_id).values()) == {"sent"}
    assert {u: emu.delivered(u) for u in RECIPIENTS if emu.delivered(u) != 1} == {}  # 0 lost, 0 duplicated
