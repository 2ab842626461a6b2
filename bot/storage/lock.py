"""The database's lock file: one bot process per database.

Both the database, when it opens, and a restore (bot/storage/backup.py) take it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

__all__ = ["DatabaseLockedError", "lock_holder", "take_lock"]


class DatabaseLockedError(RuntimeError):
    """Another bot process holds the database (an overlapping deploy): this one must not start."""


def _lock_path(path: Path | str) -> Path:
    return Path(f"{path}.lock")


def take_lock(path: Path | str, owner: str = "bot") -> int:
    """Hold an exclusive lock on ``<database>.lock`` for as long as the returned descriptor stays open.

    Two bots on one database would both poll Telegram and both send announcements: the second one's start-up
    would release the first one's claimed deliveries (duplicates) and mark announcements done under its feet.
    The lock makes the claims in 'sending' belong to the one process that holds it. flock is released by the
    kernel when the process dies, so a crash (even SIGKILL) never leaves a stale lock behind.
    """
    fd = os.open(_lock_path(path), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise DatabaseLockedError(f"another bot is running on this database ({path})") from None
    except BaseException:
        os.close(fd)
        raise
    # Who holds it, for `brief-bot reload` (which signals the bot, never a restore in progress).
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()} {owner}\n".encode(), 0)
    return fd


def lock_holder(path: Path | str) -> tuple[int, str] | None:
    """The pid and role (bot, restore) of the process holding the lock on ``path``; None when nobody holds it."""
    lock = _lock_path(path)
    try:
        fd = os.open(lock, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            pid, _, owner = os.pread(fd, 100, 0).decode(errors="replace").strip().partition(" ")
            return (int(pid), owner) if pid.isdigit() else None
        fcntl.flock(fd, fcntl.LOCK_UN)  # we got it: nobody holds it
        return None
    finally:
        os.close(fd)
