"""Copies of the database: ``brief-bot backup`` / ``restore``, and the snapshot taken before a migration.

Every copy goes through SQLite's online backup API, never ``cp``: a file copy of a database in WAL mode that a
running bot is writing can miss the committed pages still in ``-wal``, or catch a page half-written.

A restore run as root (``sudo brief-bot restore``) leaves every file it touches to the database's owner, the
service user: a root-owned lock or database would stop the bot at its next start. Any other user who does not
own the database is refused, with the user to run as.

The copies the bot makes by itself beside the database (before a migration, before a restore) hold people that
``/forget`` later erases from the database but not from them: only the newest ``KEEP_COPIES`` of each kind stay.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import pwd
import re
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from bot.storage.lock import take_lock

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


def snapshot_before_migration(database: Path, version: int) -> Path:
    """Copy ``database`` (at schema ``version``) next to itself before a migration; keep the newest KEEP_COPIES."""
    target = snapshot_path(database, version)
    _copy(database, target)
    logger.info("database snapshot before the migration: %s", target)
    _keep_newest(database, re.compile(re.escape(database.name) + r"\.schema(\d+)\.bak"), lambda m: ("", int(m[1])))
    return target


def _keep_newest(database: Path, pattern: re.Pattern[str], age: Callable[[re.Match[str]], tuple[str, int]]) -> None:
    """Delete the copies beside ``database`` named by ``pattern`` but the KEEP_COPIES newest (by ``age``)."""
    found: list[tuple[tuple[str, int], Path]] = []
    for path in database.parent.iterdir():
        match = pattern.fullmatch(path.name)
        if match is not None:
            found.append((age(match), path))
    for _, path in sorted(found)[:-KEEP_COPIES]:
        path.unlink(missing_ok=True)
        logger.info("old copy of the database removed: %s", path)


def pre_restore_path(database: Path, now: dt.datetime) -> Path:
    """Where ``restore`` keeps the database it replaces at ``now`` (UTC): each restore keeps its own copy."""
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = Path(f"{database}.pre-restore-{stamp}.bak")
    number = 1
    while path.exists():  # two restores within a second
        number += 1
        path = Path(f"{database}.pre-restore-{stamp}-{number}.bak")
    return path


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:  # a uid with no name here, e.g. the image's 10001 seen from the host
        return str(uid)


def _owner(database: Path) -> tuple[int, int]:
    """The uid and gid the database's files belong to: the database's, or its directory's before the first one."""
    existing = database if database.exists() else (database.parent if str(database.parent) else Path())
    stat = existing.stat()
    return stat.st_uid, stat.st_gid


def _check_user(database: Path, uid: int) -> None:
    """Refuse a user who neither owns ``database`` nor is root (who can hand the files back)."""
    me = os.geteuid()
    if me not in (0, uid):
        raise BackupError(
            f"{database} belongs to user {_user_name(uid)}, not {_user_name(me)}: run the restore as "
            f"{_user_name(uid)} (sudo -u {_user_name(uid)} env DATABASE_PATH={database} brief-bot restore ...)"
        )


def _give_back(paths: list[Path], uid: int, gid: int) -> None:
    """Hand the files a root restore created or rewrote back to the database's owner."""
    if os.geteuid() != 0:
        return
    for path in paths:
        if path.exists():
            os.chown(path, uid, gid)


def restore_database(
    backup: Path, database: Path, now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
) -> Path | None:
    """Replace ``database`` with ``backup``; refuse (DatabaseLockedError) while a bot runs on it.

    The current database, if any, is first copied to ``pre_restore_path``; that path is returned, and only the
    KEEP_COPIES newest such copies stay. Files keep
    the owner of the database (or of its directory): a root restore leaves nothing the bot cannot open.
    """
    problems = integrity_problems(backup)
    if problems:
        raise BackupError(f"{backup} fails the integrity check: {'; '.join(problems[:5])}")
    uid, gid = _owner(database)
    _check_user(database, uid)
    touched = [Path(f"{database}.lock"), database] + [Path(f"{database}{suffix}") for suffix in ("-wal", "-shm")]
    lock_fd = take_lock(database, owner="restore")  # held until the copy is done: no bot can start on half a database
    try:
        previous: Path | None = None
        if database.is_file() and database.stat().st_size > 0:
            previous = pre_restore_path(database, now())
            touched.append(previous)
            _copy(database, previous)
            # Named by time (…-<stamp>[-<n>]): the newest sort last; a copy of older versions' name is oldest.
            pattern = re.compile(re.escape(database.name) + r"\.pre-restore(?:-(\d{8}T\d{6}Z)(?:-(\d+))?)?\.bak")
            _keep_newest(database, pattern, lambda m: (m[1] or "", int(m[2] or 1)))
        try:
            with closing(_connect_read_only(backup)) as src, closing(sqlite3.connect(database)) as dst:
                src.backup(dst)
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"cannot restore {backup} into {database}: {exc}") from None
        database.chmod(0o600)
        return previous
    finally:
        _give_back(touched, uid, gid)
        os.close(lock_fd)
