"""What an operator meets outside the happy path, without a running bot: restore as root, commands run from the
wrong directory, the heartbeat after a stop, the outage log lines, the start-up back-off, the masked token."""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from bot.config import DEFAULT_STARTUP_BACKOFF, ConfigError, load_settings
from bot.ops.exitcodes import ExitCode
from bot.ops.health import OUTAGE_REMINDER_SECONDS, Heartbeat, Reachability
from bot.ops.logs import mask_token
from bot.ops.runner import backoff_delays
from bot.storage.backup import BackupError, pre_restore_path, restore_database

OTHER_UID = 10001  # the image's user; on this host, most likely a uid with no name


def brief_bot(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``brief-bot ARGS`` in ``cwd`` with only ``env`` over a clean environment (no DATABASE_PATH, no token)."""
    environ = {k: v for k, v in os.environ.items() if k not in {"DATABASE_PATH", "BOT_TOKEN", "container"}}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def make_database(path: Path, rows: list[int]) -> None:
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE users (user_id INTEGER PRIMARY KEY)")
        conn.executemany("INSERT INTO users VALUES (?)", [(row,) for row in rows])
        conn.commit()


def rows(path: Path) -> list[int]:
    with closing(sqlite3.connect(path)) as conn:
        return [int(row[0]) for row in conn.execute("SELECT user_id FROM users ORDER BY user_id")]


# ------------------------------------------------------------------------------------------------ restore


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root, as an operator's `sudo brief-bot restore`")
def test_restore_as_root_leaves_every_file_to_the_database_owner(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    db, backup = data / "bot.sqlite3", tmp_path / "backup.sqlite3"
    make_database(db, [1, 2])
    make_database(backup, [3])
    for path in (data, db):
        os.chown(path, OTHER_UID, OTHER_UID)
    db.chmod(0o600)

    result = brief_bot(tmp_path, "restore", str(backup), DATABASE_PATH=str(db))
    assert result.returncode == 0, result.stderr
    assert rows(db) == [3]
    assert Path(f"{db}.lock").exists()
    for path in data.iterdir():  # the database, its lock, the copy of the one replaced
        stat = path.stat()
        assert (stat.st_uid, stat.st_gid) == (OTHER_UID, OTHER_UID), path
        assert stat.st_mode & 0o077 == 0, path  # each ties ids to themes
    [previous] = data.glob("bot.sqlite3.pre-restore-*.bak")
    assert rows(previous) == [1, 2]


def test_restore_by_a_user_who_does_not_own_the_database_is_refused_naming_the_owner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, backup = tmp_path / "bot.sqlite3", tmp_path / "backup.sqlite3"
    make_database(db, [1])
    make_database(backup, [2])
    owner = db.stat().st_uid
    monkeypatch.setattr(os, "geteuid", lambda: owner + 4242)
    with pytest.raises(BackupError) as refused:
        restore_database(backup, db)
    message = str(refused.value)
    assert "run the restore as" in message and "sudo -u" in message and f"DATABASE_PATH={db}" in message
    assert "\n" not in message
    assert rows(db) == [1] and not Path(f"{db}.lock").exists()


def test_a_second_restore_keeps_the_copy_the_first_one_made(tmp_path: Path) -> None:
    db, first, second = tmp_path / "bot.sqlite3", tmp_path / "first.sqlite3", tmp_path / "second.sqlite3"
    make_database(db, [1])
    make_database(first, [2])
    make_database(second, [3])
    now = dt.datetime(2026, 12, 6, 8, 0, tzinfo=dt.UTC)
    kept_first = restore_database(first, db, now=lambda: now)
    kept_second = restore_database(second, db, now=lambda: now)  # the same second: still two copies
    assert kept_first is not None and kept_second is not None and kept_first != kept_second
    assert rows(kept_first) == [1] and rows(kept_second) == [2] and rows(db) == [3]
    assert pre_restore_path(db, now).name == "bot.sqlite3.pre-restore-20261206T080000Z-3.bak"


# ------------------------------------------------------------------------------------ commands that only read


@pytest.mark.parametrize("args", [("backup", "copy.sqlite3"), ("healthcheck",)])
def test_a_read_only_command_without_database_path_creates_nothing_and_says_what_to_set(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    result = brief_bot(tmp_path, *args)
    assert result.returncode != 0
    said = result.stdout + result.stderr
    assert str(tmp_path / "data" / "bot.sqlite3") in said and "DATABASE_PATH" in said, said
    assert len(said.strip().splitlines()) == 1, said
    assert list(tmp_path.iterdir()) == []  # no data/, no copy


def test_settings_for_a_command_that_reads_create_no_directory(tmp_path: Path) -> None:
    database = tmp_path / "nowhere" / "bot.sqlite3"
    load_settings({"DATABASE_PATH": str(database)}, env_file=None, writable=False)
    assert not database.parent.exists()
    load_settings({"DATABASE_PATH": str(database)}, env_file=None)
    assert database.parent.is_dir()  # `run` does create it


def test_without_a_token_in_the_container_the_message_fits_the_container(tmp_path: Path) -> None:
    result = brief_bot(tmp_path, "run", container="docker", DATABASE_PATH=str(tmp_path / "bot.sqlite3"))
    assert result.returncode == ExitCode.NO_TOKEN
    assert "BOT_TOKEN is not set" in result.stderr
    assert "make demo" not in result.stderr and "env file" in result.stderr, result.stderr
    on_a_host = brief_bot(tmp_path, "run", DATABASE_PATH=str(tmp_path / "bot.sqlite3"))
    assert "make demo" in on_a_host.stderr


# ------------------------------------------------------------------------------- heartbeat, outage, back-off


def test_a_stopped_bot_records_no_heartbeat_and_the_file_is_private(tmp_path: Path) -> None:
    now = [1000.0]
    heartbeat = Heartbeat(tmp_path / "bot.sqlite3", clock=lambda: now[0])
    heartbeat.beat()
    assert heartbeat.path.stat().st_mode & 0o777 == 0o600
    heartbeat.clear()
    now[0] += 10.0
    heartbeat.beat()  # the last getUpdates of the stop, answered
    assert not heartbeat.path.exists()


def test_an_outage_is_one_line_then_a_reminder_then_one_line_with_the_count(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    reachability = Reachability(clock=lambda: now[0])
    caplog.set_level(logging.INFO, logger="bot.ops.health")
    reachability.answered()  # all well: nothing to say
    for _ in range(100):
        now[0] += 1.0
        reachability.failed("All connection attempts failed")
    assert len(caplog.records) == 1 and "does not answer" in caplog.records[0].getMessage()
    now[0] += OUTAGE_REMINDER_SECONDS
    reachability.failed("All connection attempts failed")
    assert len(caplog.records) == 2 and "101 failed calls" in caplog.records[1].getMessage()
    reachability.answered()
    reachability.answered()
    assert len(caplog.records) == 3 and "answers again" in caplog.records[2].getMessage()
    assert "(101 failed calls)" in caplog.records[2].getMessage()
    assert not reachability.down


def test_start_up_waits_twice_as_long_each_time_up_to_the_cap() -> None:
    delays = backoff_delays(1.0, 60.0)
    assert [next(delays) for _ in range(8)] == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]


def test_startup_backoff_setting(tmp_path: Path) -> None:
    base = {"DATABASE_PATH": str(tmp_path / "bot.sqlite3")}
    assert load_settings(base, env_file=None).startup_backoff == DEFAULT_STARTUP_BACKOFF
    assert load_settings({**base, "STARTUP_BACKOFF": "0.05,0.2"}, env_file=None).startup_backoff == (0.05, 0.2)
    for wrong in ("5", "2,1", "0,1", "a,b"):
        with pytest.raises(ConfigError, match="STARTUP_BACKOFF"):
            load_settings({**base, "STARTUP_BACKOFF": wrong}, env_file=None)


def test_a_token_is_masked_to_the_bot_id() -> None:
    assert mask_token("123456789:AAHsecretsecretsecretsecretsecret12") == "123456789:***"
    assert mask_token("not a token") == "***"


async def test_added_to_a_group_the_bot_logs_the_id_reports_chat_id_needs(caplog: pytest.LogCaptureFixture) -> None:
    from typing import Any

    from telegram import Update

    from bot.reading.fallbacks import on_my_chat_member

    def member(status: str) -> dict[str, Any]:
        return {"user": {"id": 42, "is_bot": True, "first_name": "Bot"}, "status": status}

    update = Update.de_json(
        {
            "update_id": 1,
            "my_chat_member": {
                "chat": {"id": -1001234567890, "type": "supergroup", "title": "Brief admins"},
                "from": {"id": 7, "is_bot": False, "first_name": "Admin"},
                "date": 1_700_000_000,
                "old_chat_member": member("left"),
                "new_chat_member": member("member"),
            },
        },
        None,
    )
    caplog.set_level(logging.INFO, logger="bot.reading.fallbacks")
    await on_my_chat_member(update, None)  # type: ignore[arg-type]  # a group needs nothing from the context
    [line] = [r.getMessage() for r in caplog.records]
    assert "REPORTS_CHAT_ID=-1001234567890" in line and "Brief admins" in line
