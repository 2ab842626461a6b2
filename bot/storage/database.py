"""The database itself: one aiosqlite connection, the exclusive lock file, migrations, transactions, meta facts.

``Database.open`` takes ``<database>.lock``, refuses a schema newer than this bot's, snapshots the file before
migrating it, and applies ``schema.MIGRATIONS``. Each repository (readers, deliveries, counters, ...) receives
the one ``Database`` and shares its connection and its write lock.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self, TypeVar

import aiosqlite

from bot.storage.backup import snapshot_before_migration
from bot.storage.lock import DatabaseLockedError, take_lock
from bot.storage.schema import MIGRATIONS, SCHEMA_VERSION

__all__ = [
    "BUSY_TIMEOUT_MS",
    "Database",
    "DatabaseLockedError",
    "SchemaTooNewError",
    "WriteLock",
    "now_iso",
    "run_to_end",
    "take_lock",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")

BUSY_TIMEOUT_MS = 5000  # wait this long for another writer (e.g. a second process) before failing


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer version of the bot; it is left untouched."""


def now_iso() -> str:
    """Now in UTC, ISO 8601 to the second (announcement times)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _create_private(path: Path) -> None:
    """Create the database's directory (0700) and an empty file (0600) if missing: it ties ids to themes.

    Existing ones are left as the operator set them. SQLite gives its -wal and -shm files the database
    file's permissions.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


async def run_to_end(work: Awaitable[T]) -> T:
    """Await ``work`` to its end even if the caller is cancelled meanwhile, then pass the cancellation on.

    A statement handed to aiosqlite's thread runs whether or not its caller still waits, so a caller that
    stops waiting half-way no longer knows what the database did. Here the caller always learns the outcome
    first: ``work`` runs as a task of its own, the caller waits for it to end, and only then is a cancellation
    that arrived meanwhile raised. Pass a task to read its outcome afterwards (``Counters.flush``).
    """
    task = asyncio.ensure_future(work)
    cancelled = False
    while True:
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if not task.done():
                cancelled = True  # the caller was cancelled: keep waiting for the work
                continue
            cancelled = cancelled or not task.cancelled()
        except BaseException:  # the work failed: task.result() raises it below
            pass
        break
    if cancelled:
        if not task.cancelled():
            task.exception()  # retrieved: the caller's cancellation is what propagates
        raise asyncio.CancelledError
    return task.result()


class WriteLock(asyncio.Lock):
    """The connection's write lock, which knows the task holding it: a cancellation asked for while it is held
    (``Database.cancel_between_calls``) is carried out when the write is over, before any next write starts."""

    def __init__(self) -> None:
        super().__init__()
        self.holder: asyncio.Task[Any] | None = None
        self.cancel_holder = False
        self._cancelled: asyncio.Task[Any] | None = None  # cancelled on release, its cancellation not raised yet

    async def acquire(self) -> Literal[True]:
        """Wait for the lock, then note who holds it."""
        task = asyncio.current_task()
        if task is not None and task is self._cancelled:
            self._cancelled = None
            await asyncio.sleep(0)  # raises its pending cancellation: no next write begins
        await super().acquire()
        self.holder = task
        return True

    def release(self) -> None:
        """Release the lock; cancel its holder now if that was asked for meanwhile."""
        holder, cancel = self.holder, self.cancel_holder
        self.holder, self.cancel_holder = None, False
        super().release()
        if cancel and holder is not None:
            holder.cancel()  # raised at the holder's next await
            self._cancelled = holder


class Database:
    """The connection and what every repository shares: open with ``await Database.open(path)``, ``close()``."""

    def __init__(self, db: aiosqlite.Connection, default_language: str = "ru", lock_fd: int | None = None) -> None:
        self._db = db
        self._lock_fd = lock_fd  # the database's exclusive lock, released on close
        # Readers who never chose a language (and were never guessed one) get announcements in this one.
        self.default_language = default_language
        # One connection is shared by concurrent handlers: writes take turns, so that one handler's
        # statement never lands inside another's transaction.
        self._write_lock = WriteLock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run statements as one atomic write, exclusive of other writers on this connection.

        Safe under cancellation at any await: BEGIN, COMMIT and ROLLBACK each run to their end once handed to
        the database (``run_to_end``), and the block always ends in COMMIT or ROLLBACK before the write lock is
        released, so the connection is never left inside a transaction. A cancellation during COMMIT is raised
        after the COMMIT: the work is committed (``Counters.flush`` tells the two apart).
        """
        async with self._write_lock:
            try:
                await run_to_end(self._db.execute("BEGIN IMMEDIATE"))
                yield self._db
            except BaseException:
                await run_to_end(self._end_transaction("ROLLBACK"))
                raise
            await run_to_end(self._end_transaction("COMMIT"))

    async def _end_transaction(self, sql: str) -> None:
        """COMMIT or ROLLBACK the open transaction, if there is one; a failed COMMIT is rolled back."""
        if not self._db.in_transaction:
            return  # BEGIN itself failed (e.g. the database stayed busy): nothing to end
        try:
            await self._db.execute(sql)
        except BaseException:
            if self._db.in_transaction:
                await self._db.execute("ROLLBACK")
            raise

    async def execute_write(self, sql: str, params: tuple[object, ...] = ()) -> int:
        """Run one writing statement; return the number of rows changed (run to its end once started)."""
        async with self._write_lock:
            cursor = await run_to_end(self._db.execute(sql, params))
            return cursor.rowcount

    @property
    def write_lock(self) -> WriteLock:
        """The lock every write holds: for a single writing statement whose rows are read back (RETURNING)."""
        return self._write_lock

    def cancel_between_calls(self, task: asyncio.Task[Any]) -> None:
        """Cancel ``task`` now, or, if it holds the write lock, as soon as it releases it.

        Shutdown stops handlers this way: a write that was started is finished (committed or rolled back as it
        would have been), never cut off half-way.
        """
        if self._write_lock.holder is task:
            self._write_lock.cancel_holder = True
        else:
            task.cancel()

    @classmethod
    async def open(cls, path: Path | str, default_language: str = "ru") -> Self:
        """Open (creating if needed) and migrate the database at ``path``, holding its exclusive lock.

        Raises DatabaseLockedError if another process has it open.
        """
        lock_fd = None
        if str(path) != ":memory:":
            _create_private(Path(path))
            lock_fd = take_lock(path)
        try:
            # isolation_level=None: we open transactions ourselves, so a migration is all-or-nothing.
            db = await aiosqlite.connect(str(path), isolation_level=None)
        except BaseException:
            if lock_fd is not None:
                os.close(lock_fd)
            raise
        try:
            await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            database = cls(db, default_language, lock_fd)
            # Check the version before anything writes (even switching to WAL rewrites the file header).
            await database._refuse_newer_schema()
            await db.execute("PRAGMA journal_mode = WAL")
            # NORMAL in WAL mode survives a crash of the process (a power cut may lose the last commits).
            await db.execute("PRAGMA synchronous = NORMAL")
            await db.execute("PRAGMA foreign_keys = ON")
            version = await database.schema_version()
            if 0 < version < SCHEMA_VERSION and lock_fd is not None:
                # A copy of the old schema first: an upgrade that goes wrong is undone with `brief-bot restore`.
                await asyncio.to_thread(snapshot_before_migration, Path(path), version)
            await database._migrate()
        except BaseException:
            await db.close()
            if lock_fd is not None:
                os.close(lock_fd)
            raise
        return database

    async def close(self) -> None:
        """Close the connection, then release the database's lock."""
        try:
            await self._db.close()
        finally:
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def connection(self) -> aiosqlite.Connection:
        """The underlying connection, for reads (writes go through ``transaction`` or ``execute_write``)."""
        return self._db

    # ----------------------------------------------------------------------------------------- schema

    async def schema_version(self) -> int:
        """Return ``PRAGMA user_version``."""
        async with self._db.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def _refuse_newer_schema(self) -> None:
        version = await self.schema_version()
        if version > SCHEMA_VERSION:
            raise SchemaTooNewError(
                f"the database has schema version {version}, this bot knows up to {SCHEMA_VERSION}: "
                "it was written by a newer version of the bot; upgrade the bot (the database was not changed)"
            )

    async def _migrate(self, target: int = SCHEMA_VERSION) -> None:
        version = await self.schema_version()
        for number in range(version, target):
            logger.info("migrating database schema %d -> %d", number, number + 1)
            # One transaction per step: a failed step leaves the previous version intact.
            script = f"BEGIN IMMEDIATE;\n{MIGRATIONS[number]}\nPRAGMA user_version = {number + 1};\nCOMMIT;"
            try:
                await self._db.executescript(script)
            except BaseException:
                if self._db.in_transaction:
                    await self._db.execute("ROLLBACK")
                raise

    # ----------------------------------------------------------------------------------------- meta

    async def get_meta(self, key: str) -> str | None:
        """Return a stored fact about the bot itself."""
        async with self._db.execute("SELECT value FROM bot_meta WHERE key = ?", (key,)) as cur:
            row = await cur.fetchone()
        return str(row[0]) if row else None

    async def delete_meta(self, key: str) -> bool:
        """Forget a stored fact; return whether there was one."""
        return await self.execute_write("DELETE FROM bot_meta WHERE key = ?", (key,)) > 0

    async def set_meta(self, key: str, value: str) -> None:
        """Store a fact about the bot itself."""
        await self.execute_write(
            "INSERT INTO bot_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
