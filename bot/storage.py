"""Every SQL statement of the bot, behind one ``Storage`` class over a single aiosqlite connection.

What is stored about a person is the least the bot needs: the Telegram id, the chosen language, the day
first and last seen, whether they blocked the bot, and their theme subscriptions. No names, usernames or
message texts. The schema is versioned with ``PRAGMA user_version`` and numbered migrations.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import aiosqlite

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Erased", "SchemaTooNewError", "Storage", "UserRecord"]

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000  # wait this long for another writer (e.g. a second process) before failing
# Recently active people kept in memory, so most updates need no database round trip (about 150 bytes
# each). The bot is the only writer of its users table, so the cache cannot go stale behind its back.
USER_CACHE_SIZE = 20_000

# Each entry moves the schema from version N (its index) to N + 1. Never edit a shipped migration:
# append a new one, and add its step to tests/test_storage.py.
MIGRATIONS: tuple[str, ...] = (
    # 0 -> 1: people and their subscriptions.
    """
    CREATE TABLE users (
        user_id    INTEGER PRIMARY KEY,
        language   TEXT,                          -- chosen in the bot, NULL until chosen
        first_seen TEXT    NOT NULL,              -- UTC day, YYYY-MM-DD: a day is precise enough
        last_seen  TEXT    NOT NULL,
        blocked    INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1))
    ) STRICT;
    CREATE TABLE subscriptions (
        user_id INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
        topic   TEXT    NOT NULL,
        PRIMARY KEY (user_id, topic)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX subscriptions_by_topic ON subscriptions (topic, user_id);
    """,
    # 1 -> 2: small key/value facts about the bot itself (e.g. which command menus are set).
    """
    CREATE TABLE bot_meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX users_by_language ON users (language, blocked);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer version of the bot; it is left untouched."""


@dataclass(frozen=True, slots=True)
class UserRecord:
    """What the bot knows about one person."""

    user_id: int
    language: str | None
    first_seen: str
    last_seen: str
    blocked: bool


@dataclass(frozen=True, slots=True)
class Erased:
    """What ``forget_user`` removed."""

    user: bool
    subscriptions: int


def _today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


class Storage:
    """The bot's SQLite database: open with ``await Storage.open(path)``, close with ``await close()``."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        # One connection is shared by concurrent handlers: writes take turns, so that one handler's
        # statement never lands inside another's transaction.
        self._write_lock = asyncio.Lock()
        self._users: OrderedDict[int, UserRecord] = OrderedDict()

    def _remember(self, record: UserRecord) -> UserRecord:
        self._users[record.user_id] = record
        self._users.move_to_end(record.user_id)
        if len(self._users) > USER_CACHE_SIZE:
            self._users.popitem(last=False)
        return record

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run statements as one atomic write, exclusive of other writers on this connection."""
        async with self._write_lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def _write(self, sql: str, params: tuple[object, ...] = ()) -> int:
        """Run one writing statement; return the number of rows changed."""
        async with self._write_lock:
            cursor = await self._db.execute(sql, params)
            return cursor.rowcount

    @classmethod
    async def open(cls, path: Path | str) -> Storage:
        """Open (creating if needed) and migrate the database at ``path``."""
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we open transactions ourselves, so a migration is all-or-nothing.
        db = await aiosqlite.connect(str(path), isolation_level=None)
        try:
            await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            storage = cls(db)
            # Check the version before anything writes (even switching to WAL rewrites the file header).
            await storage._refuse_newer_schema()
            await db.execute("PRAGMA journal_mode = WAL")
            # NORMAL in WAL mode survives a crash of the process (a power cut may lose the last commits).
            await db.execute("PRAGMA synchronous = NORMAL")
            await db.execute("PRAGMA foreign_keys = ON")
            await storage._migrate()
        except BaseException:
            await db.close()
            raise
        return storage

    async def close(self) -> None:
        """Close the connection."""
        await self._db.close()

    async def __aenter__(self) -> Storage:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def connection(self) -> aiosqlite.Connection:
        """The underlying connection (for modules that keep their SQL here, like the broadcast queue)."""
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

    # ----------------------------------------------------------------------------------------- users

    async def touch_user(self, user_id: int) -> UserRecord:
        """Record that ``user_id`` is using the bot today; return what is stored about them."""
        today = _today()
        cached = self._users.get(user_id)
        if cached is not None and cached.last_seen == today and not cached.blocked:
            self._users.move_to_end(user_id)
            return cached
        # Most updates come from someone already seen today: one read settles it. Otherwise one statement
        # inserts a newcomer, or bumps last_seen (once a day) and clears a stale block flag.
        known = await self.get_user(user_id)
        if known is not None and known.last_seen == today and not known.blocked:
            return self._remember(known)
        async with (
            self._write_lock,
            self._db.execute(
                """
                INSERT INTO users (user_id, first_seen, last_seen) VALUES (?, ?, ?)
                ON CONFLICT (user_id) DO UPDATE SET last_seen = excluded.last_seen, blocked = 0
                RETURNING user_id, language, first_seen, last_seen, blocked
                """,
                (user_id, today, today),
            ) as cur,
        ):
            row = await cur.fetchone()
        assert row is not None  # RETURNING always yields the inserted or updated row
        return self._remember(_user(row))

    async def get_user(self, user_id: int) -> UserRecord | None:
        """Return what is stored about ``user_id``, if anything."""
        async with self._db.execute(
            "SELECT user_id, language, first_seen, last_seen, blocked FROM users WHERE user_id = ?",
            (user_id,),
        ) as cur:
            row = await cur.fetchone()
        return _user(row) if row else None

    async def set_language(self, user_id: int, language: str) -> None:
        """Store the language ``user_id`` chose."""
        today = _today()
        await self._write(
            """
            INSERT INTO users (user_id, language, first_seen, last_seen) VALUES (?, ?, ?, ?)
            ON CONFLICT (user_id) DO UPDATE SET language = excluded.language
            """,
            (user_id, language, today, today),
        )
        self._users.pop(user_id, None)

    async def set_blocked(self, user_id: int, blocked: bool = True) -> None:
        """Mark that ``user_id`` blocked the bot (or no longer does)."""
        await self._write("UPDATE users SET blocked = ? WHERE user_id = ?", (int(blocked), user_id))
        self._users.pop(user_id, None)

    async def forget_user(self, user_id: int) -> Erased:
        """Erase everything stored about ``user_id``; return what was erased."""
        self._users.pop(user_id, None)
        async with self.transaction() as db:
            async with db.execute("SELECT count(*) FROM subscriptions WHERE user_id = ?", (user_id,)) as cur:
                row = await cur.fetchone()
            subscriptions = int(row[0]) if row else 0
            # Subscriptions (and any delivery rows) go with the user through ON DELETE CASCADE.
            cursor = await db.execute("DELETE FROM users WHERE user_id = ?", (user_id,))
        return Erased(user=cursor.rowcount > 0, subscriptions=subscriptions)

    async def count_users(self) -> int:
        """How many people the bot knows."""
        async with self._db.execute("SELECT count(*) FROM users") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def users_by_language(self) -> dict[tuple[str | None, bool], int]:
        """Count people per (chosen language, blocked)."""
        async with self._db.execute("SELECT language, blocked, count(*) FROM users GROUP BY language, blocked") as cur:
            rows = await cur.fetchall()
        return {(row[0], bool(row[1])): int(row[2]) for row in rows}

    async def add_users_bulk(self, user_ids: Iterable[int], language: str | None) -> None:
        """Insert many users at once (benchmarks and imports); existing ones are left alone."""
        today = _today()
        async with self.transaction() as db:
            await db.executemany(
                "INSERT OR IGNORE INTO users (user_id, language, first_seen, last_seen) VALUES (?, ?, ?, ?)",
                ((uid, language, today, today) for uid in user_ids),
            )

    # ----------------------------------------------------------------------------------------- subscriptions

    async def subscriptions(self, user_id: int) -> frozenset[str]:
        """The topics ``user_id`` is subscribed to."""
        async with self._db.execute("SELECT topic FROM subscriptions WHERE user_id = ?", (user_id,)) as cur:
            rows = await cur.fetchall()
        return frozenset(row[0] for row in rows)

    async def set_subscription(self, user_id: int, topic: str, subscribed: bool) -> None:
        """Subscribe ``user_id`` to ``topic`` or unsubscribe them; idempotent."""
        if subscribed:
            today = _today()
            async with self.transaction() as db:
                await db.execute(
                    "INSERT OR IGNORE INTO users (user_id, first_seen, last_seen) VALUES (?, ?, ?)",
                    (user_id, today, today),
                )
                await db.execute("INSERT OR IGNORE INTO subscriptions (user_id, topic) VALUES (?, ?)", (user_id, topic))
        else:
            await self._write("DELETE FROM subscriptions WHERE user_id = ? AND topic = ?", (user_id, topic))

    async def subscribers_per_topic(self) -> dict[str, int]:
        """Count active (not blocked) subscribers per topic."""
        async with self._db.execute(
            """
            SELECT s.topic, count(*) FROM subscriptions s JOIN users u USING (user_id)
            WHERE u.blocked = 0 GROUP BY s.topic
            """
        ) as cur:
            rows = await cur.fetchall()
        return {row[0]: int(row[1]) for row in rows}

    # ----------------------------------------------------------------------------------------- meta

    async def get_meta(self, key: str) -> str | None:
        """Return a stored fact about the bot itself."""
        async with self._db.execute("SELECT value FROM bot_meta WHERE key = ?", (key,)) as cur:
            row = await cur.fetchone()
        return str(row[0]) if row else None

    async def set_meta(self, key: str, value: str) -> None:
        """Store a fact about the bot itself."""
        await self._write(
            "INSERT INTO bot_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


def _user(row: aiosqlite.Row | tuple[Any, ...]) -> UserRecord:
    return UserRecord(
        user_id=int(row[0]),
        language=None if row[1] is None else str(row[1]),
        first_seen=str(row[2]),
        last_seen=str(row[3]),
        blocked=bool(row[4]),
    )
