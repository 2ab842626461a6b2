"""Copies of the database: ``brief-bot backup`` / ``restore``, and the snapshot taken before a migration.

Every copy goes through SQLite's online backup API, never ``cp``: a file copy of a database in WAL mode that a
running bot is writing can miss the committed pages still in ``-wal``, or catch a page half-written.

The copies the bot makes by itself beside the database (before a migration, before a restore) hold people that
``/forget`` later erases from the database but not from them: only the newest ``KEEP_COPIES`` of each kind stay.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
from contextlib import closing
from pathlib import Path

from bot.dblock import take_lock

__all__ = [
    "KEEP_COPIES",
    "BackupError",
    "backup_database",
    "integrity_problems",
    "pre_restore_path",
    "restore_database",
    "snapshot_path",
]

logger = logging.getLogger(__name__)

# Copies of each kind kept beside the database (snapshots before a migration; copies before a restore): enough
# to undo the last step and the one before, few enough that someone who used /forget is soon in none of them.
KEEP_COPIES = 2


class BackupError(RuntimeError):
    """A copy could not be made or does not check out; the message says which file and why."""


def _connect_read_only(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise BackupError(f"{path} does not exist")
    # Read-only: a backup must never create, migrate or lock what the running bot uses.
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def integrity_problems(path: Path) -> list[str]:
    """Return what ``PRAGMA integrity_check`` finds wrong with ``path`` (empty when it is sound)."""
    try:
        with closing(_connect_read_only(path)) as conn:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    problems = [str(row[0]) for row in rows]
    return [] if problems == ["ok"] else problems


def _copy(source: Path, target: Path) -> None:
    """Copy ``source`` into a new file ``target`` (mode 0600: it ties ids to themes) and check the copy."""
    if target.resolve() == source.resolve():
        raise BackupError(f"{target} is the database itself")
    temporary = target.with_name(target.name + ".partial")
    temporary.unlink(missing_ok=True)
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        with closing(_connect_read_only(source)) as src, closing(sqlite3.connect(temporary)) as dst:
            # All pages in one step: the copy is one consistent snapshot, however the bot writes meanwhile.
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")  # a self-contained file, no -wal beside it
        problems = integrity_problems(temporary)
        if problems:
            raise BackupError(f"the copy of {source} fails the integrity check: {'; '.join(problems[:5])}")
        temporary.replace(target)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"cannot copy {source}: {exc}") from None
    finally:
        temporary.unlink(missing_ok=True)


def backup_database(database: Path, target: Path) -> None:
    """Write a checked copy of ``database`` to ``target``; safe while the bot runs."""
    _copy(database, target)


def snapshot_path(database: Path, version: int) -> Path:
    """Where the copy of ``database`` at schema ``version`` is kept before migrating it."""
    return Path(f"{database}.schema{version}.bak")


def pre_restore_path(database: Path, age: int = 0) -> Path:
    """Where the database replaced by a restore is kept: ``age`` 0 the latest, 1 the one before, ..."""
    return Path(f"{database}.pre-restore.bak" if age == 0 else f"{database}.pre-restore.{age}.bak")


def _snapshots(database: Path) -> dict[int, Path]:
    pattern = re.compile(re.escape(database.name) + r"\.schema(\d+)\.bak")
    found = (pattern.fullmatch(p.name) for p in database.parent.iterdir())
    return {int(m.group(1)): database.parent / m.group(0) for m in found if m is not None}


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    logger.info("old copy of the database removed: %s", path)


def snapshot_before_migration(database: Path, version: int) -> Path:
    """Copy ``database`` (at schema ``version``) next to itself before a migration; keep the newest KEEP_COPIES."""
    target = snapshot_path(database, version)
    _copy(database, target)
    logger.info("database snapshot before the migration: %s", target)
    snapshots = _snapshots(database)
    for old in sorted(snapshots)[:-KEEP_COPIES]:
        _remove(snapshots[old])
    return target


def _rotate_pre_restore(database: Path) -> None:
    """Shift the copies made before earlier restores one place older; drop what falls beyond KEEP_COPIES."""
    pattern = re.compile(re.escape(database.name) + r"\.pre-restore\.(\d+)\.bak")
    for path in database.parent.iterdir():
        match = pattern.fullmatch(path.name)
        if match is not None and int(match.group(1)) >= KEEP_COPIES - 1:
            _remove(path)
    for age in range(KEEP_COPIES - 2, -1, -1):
        if pre_restore_path(database, age).exists():
            pre_restore_path(database, age).replace(pre_restore_path(database, age + 1))


def restore_database(backup: Path, database: Path) -> Path | None:
    """Replace ``database`` with ``backup``; refuse (DatabaseLockedError) while a bot runs on it.

    The current database, if any, is first copied to ``<database>.pre-restore.bak``; that path is returned. The
    copy an earlier restore left there becomes ``<database>.pre-restore.1.bak`` (up to KEEP_COPIES are kept).
    """
    problems = integrity_problems(backup)
    if problems:
        raise BackupError(f"{backup} fails the integrity check: {'; '.join(problems[:5])}")
    lock_fd = take_lock(database)  # held until the copy is done: no bot can start on half a database
    try:
        previous: Path | None = None
        if database.is_file() and database.stat().st_size > 0:
            _rotate_pre_restore(database)
            previous = pre_restore_path(database)
            _copy(database, previous)
        try:
            with closing(_connect_read_only(backup)) as src, closing(sqlite3.connect(database)) as dst:
                src.backup(dst)
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"cannot restore {backup} into {database}: {exc}") from None
        database.chmod(0o600)
        return previous
    finally:
        os.close(lock_fd)
