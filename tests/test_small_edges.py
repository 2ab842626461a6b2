"""Smaller edges: a reader blocked during a visit is not skipped once back, any stored id reads from a button, and
the copies of the database beside it do not pile up."""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from bot.announcing.buttons import Admin, AdminButton
from bot.announcing.buttons import read as read_admin
from bot.reading.callbacks import CallbackDataError, Unsubscribe, read
from bot.storage import Storage, UserRecord
from bot.storage.backup import KEEP_COPIES, restore_database, snapshot_before_migration, snapshot_path
from bot.telegram.limits import CALLBACK_DATA_MAX_BYTES
from tests.conftest import BotEnv

# ------------------------------------------------------------------------------------- the readers' cache


async def test_a_reader_blocked_during_a_visit_and_active_again_is_not_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with await Storage.open(tmp_path / "bot.sqlite3") as storage:
        await storage.readers.touch(7, "en")
        await storage.subscriptions.set(7, "gbv", True)
        await storage.readers.set_reference(7, "en")  # a change: the next visit reads the database
        assert await storage.announcements.count_audience({"gbv"}, None) == {"en": 1}
        read_user = storage.readers.get

        async def read_then_blocked(user_id: int) -> UserRecord | None:
            record = await read_user(user_id)
            await storage.readers.set_blocked(user_id)  # meanwhile a send to them was refused: they had blocked the bot
            return record

        monkeypatch.setattr(storage.readers, "get", read_then_blocked)
        await storage.readers.touch(7, "en")  # a visit read before the block
        monkeypatch.undo()
        await storage.readers.touch(7, "en")  # they write again: they are back
        assert await storage.announcements.count_audience({"gbv"}, None) == {"en": 1}
        stored = await storage.readers.get(7)
        assert stored is not None and not stored.blocked


# ------------------------------------------------------------------------------------- ids in buttons


@pytest.mark.parametrize("announcement_id", [100_000, 12_345_678_901, 2**63 - 1])
def test_any_id_sqlite_stores_reads_from_a_button(announcement_id: int) -> None:
    data = Unsubscribe(announcement_id).pack()
    assert len(data.encode()) <= CALLBACK_DATA_MAX_BYTES
    assert read(data) == Unsubscribe(announcement_id)
    assert read_admin(Admin(AdminButton.CANCEL, str(announcement_id)).pack()) == Admin(
        AdminButton.CANCEL, str(announcement_id)
    )


def test_an_id_sqlite_cannot_store_is_refused() -> None:
    with pytest.raises(CallbackDataError):
        Unsubscribe(2**63).pack()
    with pytest.raises(CallbackDataError):
        Unsubscribe(-1).pack()
    assert read(f"1:U:{2**63}") is None


@pytest.mark.parametrize("announcement_id", [100_000, 12_345_678_901])
async def test_the_unsubscribe_button_under_a_large_announcement_works(env: BotEnv, announcement_id: int) -> None:
    storage = env.services.storage
    async with storage.database.transaction() as db:
        await db.execute(
            "INSERT INTO announcements (id, created_by, created_at, topics, state) "
            "VALUES (?, 1, '2026-12-06T00:00:00+00:00', '[\"gbv\"]', 'done')",
            (announcement_id,),
        )
    user = env.emu.user(4300, language_code="en")
    await user.ask("/start")
    await storage.subscriptions.set(user.id, "gbv", True)
    await user.press_data(Unsubscribe(announcement_id).pack())
    answer = await user.wait_answer()
    assert answer.text == "Unsubscribed."
    assert await storage.subscriptions.topics(user.id) == frozenset()


async def test_an_admin_control_with_an_id_beyond_sqlite_is_refused_politely(env: BotEnv) -> None:
    from tests.conftest import ADMIN_ID

    admin = env.emu.user(ADMIN_ID, language_code="en")
    await admin.ask("/start")
    await admin.press_data(f"1:A:cancel:{2**64}")  # forged: no announcement can have it
    answer = await admin.wait_answer()
    assert answer.text  # answered (not a crash in the database layer)


# ------------------------------------------------------------------------------------- copies beside the database


def _database(path: Path, marker: int) -> Path:
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS marker (n INTEGER)")
        conn.execute("DELETE FROM marker")
        conn.execute("INSERT INTO marker VALUES (?)", (marker,))
        conn.commit()
    return path


def _after(start: dt.datetime, minutes: int) -> dt.datetime:
    return start + dt.timedelta(minutes=minutes)


def _marker(path: Path) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return int(conn.execute("SELECT n FROM marker").fetchone()[0])


def test_only_the_newest_migration_snapshots_stay(tmp_path: Path) -> None:
    db = _database(tmp_path / "bot.sqlite3", 0)
    for version in range(1, 6):
        _database(db, version)
        snapshot_before_migration(db, version)
    kept = sorted(p.name for p in tmp_path.glob("bot.sqlite3.schema*.bak"))
    assert kept == sorted(snapshot_path(db, v).name for v in range(6 - KEEP_COPIES, 6))
    assert _marker(snapshot_path(db, 5)) == 5


def test_only_the_newest_pre_restore_copies_stay(tmp_path: Path) -> None:
    db = _database(tmp_path / "bot.sqlite3", 1)
    legacy = _database(tmp_path / "bot.sqlite3.pre-restore.bak", 0)  # the name earlier versions used
    start = dt.datetime(2026, 12, 6, 8, 0, tzinfo=dt.UTC)
    for n in range(4):
        backup = _database(tmp_path / f"backup{n}.sqlite3", 10 + n)
        restore_database(backup, db, now=functools.partial(_after, start, n))
    assert _marker(db) == 13
    copies = sorted(tmp_path.glob("bot.sqlite3.pre-restore*.bak"))
    assert len(copies) == KEEP_COPIES and not legacy.exists()
    # The database as it was before the last restores, newest last: the one before 13 was 12, before that 11.
    assert [_marker(p) for p in copies] == [11, 12][-KEEP_COPIES:]
