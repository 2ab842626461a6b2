"""The real bot process is killed with SIGKILL in the middle of a broadcast and started again: everyone gets
the announcement, nobody recorded as sent gets a second copy, and the only repeats are messages that were in
flight at the moment of the kill (at most the engine's duplicate bound)."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path

import pytest

from bench.population import add_users_bulk
from bot.announcing.delivery import BroadcastEngine
from bot.storage import AnnouncementDraft, Storage
from emulator import BotAPIEmulator
from tests.conftest import spawn_bot

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")

ADMIN = 77
RECIPIENTS = range(10_000, 10_400)


def states(db: Path, announcement_id: int) -> dict[int, str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT user_id, state FROM deliveries WHERE announcement_id = ?", (announcement_id,)
        ).fetchall()
    return {int(u): str(s) for u, s in rows}


def announcement_state(db: Path, announcement_id: int) -> str:
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT state FROM announcements WHERE id = ?", (announcement_id,)).fetchone()
    return str(row[0])


async def start_bot(emu: BotAPIEmulator, db: Path, workdir: Path) -> asyncio.subprocess.Process:
    """The real bot, an admin, fast broadcasts, only warnings logged (read from its stderr)."""
    return await spawn_bot(
        emu,
        workdir,
        database=db,
        stdout=asyncio.subprocess.DEVNULL,
        settings={"ADMIN_IDS": str(ADMIN), "BROADCAST_RATE": "100", "LOG_LEVEL": "WARNING"},
    )


async def until(condition: object, within: float) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not condition():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.02)


async def test_sigkill_mid_broadcast_then_restart(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    async with BotAPIEmulator(latency=0.02) as emu:
        emu.add_users(RECIPIENTS)
        admin = emu.user(ADMIN, language_code="ru")
        source = await admin.send("Объявление для всех")  # the admin's message that is copied
        storage = await Storage.open(db)
        await add_users_bulk(storage, RECIPIENTS, "ru")
        for user_id in RECIPIENTS:
            await storage.subscriptions.set(user_id, "general", True)
        announcement_id = await storage.announcements.create(
            AnnouncementDraft(
                created_by=ADMIN,
                topics=frozenset({"general"}),
                language=None,
                versions={"ru": (ADMIN, source.message_id)},
            )
        )
        await storage.close()

        first = await start_bot(emu, db, tmp_path)
        await until(lambda: emu.stats.total_delivered >= len(RECIPIENTS) // 3, within=30)
        first.send_signal(signal.SIGKILL)
        await first.wait()
        at_kill = states(db, announcement_id)
        delivered_at_kill = sum(emu.delivered(u) for u in RECIPIENTS)
        sent_at_kill = {u for u, s in at_kill.items() if s == "sent"}
        in_flight_at_kill = sum(1 for s in at_kill.values() if s == "sending")
        assert 0 < len(sent_at_kill) < len(RECIPIENTS), "the kill must land in the middle of the broadcast"
        assert delivered_at_kill < len(RECIPIENTS)

        second = await start_bot(emu, db, tmp_path)
        try:
            await until(lambda: announcement_state(db, announcement_id) == "done", within=60)
        finally:
            second.send_signal(signal.SIGINT)
            _, stderr = await asyncio.wait_for(second.communicate(), timeout=30)
        assert second.returncode == 0, stderr.decode()[-2000:]

    final = states(db, announcement_id)
    assert set(final.values()) == {"sent"}
    copies = {u: emu.delivered(u) for u in RECIPIENTS}
    assert min(copies.values()) >= 1, "nobody is skipped"
    assert all(copies[u] == 1 for u in sent_at_kill), "nobody recorded as sent gets a second copy"
    duplicates = sum(n - 1 for n in copies.values())
    assert duplicates <= in_flight_at_kill <= BroadcastEngine.DUPLICATE_BOUND
