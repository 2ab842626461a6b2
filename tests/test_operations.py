"""Running the bot for real: the health check follows the bot's calls to Telegram, backups of a running bot
hold every committed row, restore refuses while the bot runs, and a migration leaves a snapshot."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from bot.ops.exitcodes import ExitCode
from bot.ops.health import (
    HEALTHCHECK_MAX_AGE_SECONDS,
    HEARTBEAT_MIN_INTERVAL_SECONDS,
    Heartbeat,
    check_health,
    heartbeat_path,
)
from bot.storage import MIGRATIONS, SCHEMA_VERSION, Storage
from bot.storage.backup import integrity_problems, snapshot_path
from emulator import BotAPIEmulator
from tests.test_broadcast_crash import start_bot, until

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")

READERS = range(20_000, 20_060)


def cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``brief-bot ARGS`` on the database ``db``, as an operator (or Docker's health check) would."""
    env = {**os.environ, "DATABASE_PATH": str(db)}
    env.pop("BOT_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=db.parent, env=env, capture_output=True, text=True, timeout=60
    )


def user_ids(db: Path) -> set[int]:
    """The readers committed in ``db`` (none while the bot has not created its tables yet)."""
    with closing(sqlite3.connect(db)) as conn:
        try:
            return {int(row[0]) for row in conn.execute("SELECT user_id FROM users")}
        except sqlite3.OperationalError:
            return set()


async def stop(process: asyncio.subprocess.Process) -> None:
    process.terminate()
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()[-2000:]


async def test_healthcheck_is_healthy_while_polling_and_not_once_telegram_stops_answering(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    async with BotAPIEmulator() as emu:
        bot = await start_bot(emu, db, tmp_path)
        try:
            assert cli(db, "healthcheck").returncode != 0  # nothing answered yet
            # A message ends the long poll at once (instead of after its 10 s timeout).
            await emu.user(READERS[0], language_code="ru").send("/start")
            await until(heartbeat_path(db).exists, within=30)
            result = cli(db, "healthcheck")
            assert (result.returncode, result.stdout.strip()) == (0, "healthy")

            emu.add_fault(method="getUpdates", kind="502", count=10**6)
            await emu.user(READERS[1], language_code="ru").send("/start")  # ends the poll already waiting

            def failed_polls() -> list[float]:
                return [c.at for c in emu.calls("getUpdates") if c.status == 502]

            await until(lambda: bool(failed_polls()), within=30)
            failed_at = time.time() - (time.monotonic() - failed_polls()[0])  # the emulator's clock is monotonic
            last_beat = float(heartbeat_path(db).read_text())
            assert last_beat <= failed_at + 0.05  # a failed getUpdates is no heartbeat
            # Within its interval the bot still counts as healthy (one failed poll is no outage) ...
            assert check_health(db, now=failed_at) is None
            # ... and no later than the interval after Telegram stopped answering, it does not.
            problem = check_health(db, now=failed_at + HEALTHCHECK_MAX_AGE_SECONDS + 0.1)
            assert problem is not None and "no successful call to Telegram" in problem
        finally:
            await stop(bot)
    assert not heartbeat_path(db).exists()  # a stopped bot is unhealthy at once
    assert cli(db, "healthcheck").returncode == 1


def test_heartbeat_writes_at_most_once_per_interval(tmp_path: Path) -> None:
    now = [1000.0]
    heartbeat = Heartbeat(tmp_path / "bot.sqlite3", clock=lambda: now[0])
    (tmp_path / "bot.sqlite3").touch()
    heartbeat.beat()
    now[0] += HEARTBEAT_MIN_INTERVAL_SECONDS / 2
    heartbeat.beat()
    assert float(heartbeat.path.read_text()) == 1000.0
    now[0] = 1000.0 + HEARTBEAT_MIN_INTERVAL_SECONDS
    heartbeat.beat()
    assert float(heartbeat.path.read_text()) == now[0]
    assert check_health(tmp_path / "bot.sqlite3", now=now[0] + HEALTHCHECK_MAX_AGE_SECONDS) is None
    assert check_health(tmp_path / "bot.sqlite3", now=now[0] + HEALTHCHECK_MAX_AGE_SECONDS + 1) is not None


def test_healthcheck_fails_when_the_database_does_not_open(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    db.write_bytes(b"this is not a database, just some bytes " * 100)
    Heartbeat(db).beat()
    problem = check_health(db, now=time.time())
    assert problem is not None and "cannot open the database" in problem


async def test_backup_of_a_running_bot_holds_every_committed_row_and_restore_waits_for_it_to_stop(
    tmp_path: Path,
) -> None:
    db = tmp_path / "data" / "bot.sqlite3"
    backup = tmp_path / "backup.sqlite3"
    async with BotAPIEmulator() as emu:
        bot = await start_bot(emu, db, tmp_path)
        try:
            first, second = READERS[:30], READERS[30:]
            for reader in first:
                await emu.user(reader, language_code="ru").send("/start")
            await until(lambda: db.exists() and set(first) <= user_ids(db), within=60)
            for reader in second:  # the bot is writing these while the backup runs
                await emu.user(reader, language_code="ru").send("/start")
            committed = user_ids(db)
            result = await asyncio.to_thread(cli, db, "backup", str(backup))
            assert result.returncode == 0, result.stderr
            assert integrity_problems(backup) == []
            copied = user_ids(backup)
            assert committed <= copied <= set(READERS)

            # Restore while the bot runs: refused, nothing changed.
            await until(lambda: set(READERS) <= user_ids(db), within=60)
            result = await asyncio.to_thread(cli, db, "restore", str(backup))
            assert result.returncode == ExitCode.ANOTHER_BOT_RUNNING, result.stderr
            assert "another bot is running on this database" in result.stderr
            assert user_ids(db) == set(READERS)
        finally:
            await stop(bot)

    result = cli(db, "restore", str(backup))
    assert result.returncode == 0, result.stderr
    assert user_ids(db) == copied
    [previous] = db.parent.glob("bot.sqlite3.pre-restore-*.bak")
    assert str(previous) in result.stdout
    assert user_ids(previous) == set(READERS)  # what was replaced is kept
    assert integrity_problems(db) == []


def test_backup_refuses_a_missing_database(tmp_path: Path) -> None:
    result = cli(tmp_path / "bot.sqlite3", "backup", str(tmp_path / "copy.sqlite3"))
    assert result.returncode == ExitCode.DATABASE
    assert f"no database at {tmp_path / 'bot.sqlite3'}" in result.stderr and "DATABASE_PATH" in result.stderr
    assert not (tmp_path / "copy.sqlite3").exists()


async def test_a_migration_leaves_a_snapshot_of_the_old_schema(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    old = SCHEMA_VERSION - 1
    with closing(sqlite3.connect(db)) as conn:
        for script in MIGRATIONS[:old]:
            conn.executescript(script)
        conn.execute(f"PRAGMA user_version = {old}")
        conn.execute("INSERT INTO users (user_id, first_seen, last_seen) VALUES (42, '2024-01-01', '2024-01-01')")
        conn.commit()

    storage = await Storage.open(db)
    try:
        assert await storage.database.schema_version() == SCHEMA_VERSION
    finally:
        await storage.close()

    snapshot = snapshot_path(db, old)
    assert integrity_problems(snapshot) == []
    with closing(sqlite3.connect(snapshot)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (old,)
        assert conn.execute("SELECT user_id FROM users").fetchall() == [(42,)]
    assert snapshot.stat().st_mode & 0o077 == 0  # it ties ids to themes, like the database


async def test_a_new_database_needs_no_snapshot(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    await (await Storage.open(db)).close()
    assert not list(tmp_path.glob("*.bak"))  # noqa: ASYNC240 (a test's own temporary directory)
