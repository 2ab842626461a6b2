"""Every SQL statement of the bot, behind one ``Storage`` class over a single aiosqlite connection.

What is stored about a person is the least the bot needs: the Telegram id, the chosen language, the day
first and last seen, whether they blocked the bot, and their theme subscriptions. No names, usernames or
message texts. The schema is versioned with ``PRAGMA user_version`` and numbered migrations.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import json
import logging
import os
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import aiosqlite

from bot.backup import snapshot_before_migration
from bot.impact import Metric, PageKey, Tally

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Announcement",
    "AnnouncementDraft",
    "DatabaseLockedError",
    "Delivery",
    "DeliveryFigures",
    "Erased",
    "Outcome",
    "SchemaTooNewError",
    "Storage",
    "UserRecord",
]

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000  # wait this long for another writer (e.g. a second process) before failing
# Recently active people kept in memory, so most updates need no database round trip (about 150 bytes
# each). The bot is the only writer of its users table, so the cache cannot go stale behind its back.
USER_CACHE_SIZE = 20_000
# Recipients are queued this many users per transaction (see queue_recipients).
QUEUE_CHUNK = 20_000

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
    # 2 -> 3: announcements and their durable delivery queue; a guessed language is kept apart from a
    # chosen one (announcements reach people in the language Telegram suggested until they choose).
    """
    ALTER TABLE users ADD COLUMN language_chosen INTEGER NOT NULL DEFAULT 0 CHECK (language_chosen IN (0, 1));
    UPDATE users SET language_chosen = 1 WHERE language IS NOT NULL;
    CREATE TABLE announcements (
        id            INTEGER PRIMARY KEY,
        created_by    INTEGER NOT NULL,          -- the admin's Telegram id
        created_at    TEXT    NOT NULL,          -- UTC, ISO 8601
        topics        TEXT    NOT NULL,          -- JSON list of topics, empty for everyone
        language      TEXT,                      -- only readers of this language, NULL for all
        silent        INTEGER NOT NULL DEFAULT 0,
        protect       INTEGER NOT NULL DEFAULT 0,
        scheduled_at  TEXT,                      -- UTC, ISO 8601, NULL to send at once
        state         TEXT    NOT NULL CHECK (state IN
                          ('scheduled', 'queued', 'running', 'paused', 'done', 'cancelled')),
        status_chat   INTEGER,                   -- where the admin's progress message is
        status_message INTEGER,
        started_at    TEXT,
        finished_at   TEXT
    ) STRICT;
    CREATE INDEX announcements_by_state ON announcements (state, scheduled_at);
    CREATE TABLE announcement_versions (
        announcement_id INTEGER NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
        language        TEXT    NOT NULL,
        from_chat       INTEGER NOT NULL,        -- the admin's message that is copied to readers
        message_id      INTEGER NOT NULL,
        PRIMARY KEY (announcement_id, language)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE deliveries (
        announcement_id INTEGER NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
        user_id         INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
        language        TEXT    NOT NULL,
        state           TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN
                            ('pending', 'sending', 'sent', 'blocked', 'gone', 'failed')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        not_before      REAL    NOT NULL DEFAULT 0,  -- epoch seconds: retry back-off
        last_error      TEXT,                        -- Telegram's error description, never message text
        PRIMARY KEY (announcement_id, user_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX deliveries_by_state ON deliveries (announcement_id, state, not_before);
    CREATE INDEX deliveries_by_user ON deliveries (user_id);
    """,
    # 3 -> 4: which original (en or ru) a reader of a translation compares pages with; NULL: English.
    """
    ALTER TABLE users ADD COLUMN reference TEXT;
    """,
    # 4 -> 5: anonymous daily counters (bot/impact.py): a UTC day, a language and content ids, never a user id,
    # a search's words or a time of day; and each announcement's outcomes per minute, for its delivery chart
    # (the deliveries table already holds each recipient's outcome; this adds no time to any person's row).
    """
    CREATE TABLE page_views (
        day      TEXT    NOT NULL,               -- UTC day, YYYY-MM-DD
        language TEXT    NOT NULL,
        theme    TEXT    NOT NULL,               -- a theme id, or 'about'
        section  TEXT    NOT NULL,               -- a section id, '' for the theme's own page
        views    INTEGER NOT NULL,
        PRIMARY KEY (day, language, theme, section)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE daily_counts (
        day      TEXT    NOT NULL,
        language TEXT    NOT NULL,
        metric   TEXT    NOT NULL,               -- new, active, search, link, share, subscribe, unsubscribe, forget
        subject  TEXT    NOT NULL DEFAULT '',    -- a theme id or a deep link payload (content ids only)
        count    INTEGER NOT NULL,
        PRIMARY KEY (day, language, metric, subject)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE delivery_timeline (
        announcement_id INTEGER NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
        minute          TEXT    NOT NULL,        -- UTC, YYYY-MM-DDTHH:MM
        state           TEXT    NOT NULL,        -- sent, blocked, gone, failed
        count           INTEGER NOT NULL,        -- negative when failed ones were sent again
        PRIMARY KEY (announcement_id, minute, state)
    ) STRICT, WITHOUT ROWID;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer version of the bot; it is left untouched."""


class DatabaseLockedError(RuntimeError):
    """Another bot process holds the database (an overlapping deploy): this one must not start."""


def _lock_path(path: Path | str) -> Path:
    return Path(f"{path}.lock")


def _take_lock(path: Path | str) -> int:
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
    return fd


@dataclass(frozen=True, slots=True)
class UserRecord:
    """What the bot knows about one person."""

    user_id: int
    language: str | None
    first_seen: str
    last_seen: str
    blocked: bool
    language_chosen: bool = False  # False: the language was guessed from Telegram's language_code
    reference: str | None = None  # the original this reader compares translated pages with


@dataclass(frozen=True, slots=True)
class AnnouncementDraft:
    """What an admin confirmed: audience, one copied message per language, and options."""

    created_by: int
    topics: frozenset[str]  # empty: everyone
    language: str | None  # only readers of this language; None: all
    versions: dict[str, tuple[int, int]]  # language -> (chat id, message id) of the admin's message
    silent: bool = False
    protect: bool = False
    scheduled_at: str | None = None  # UTC ISO 8601; None: now
    status_chat: int | None = None
    status_message: int | None = None


@dataclass(frozen=True, slots=True)
class Announcement:
    """A stored announcement."""

    id: int
    created_by: int
    created_at: str
    topics: frozenset[str]
    language: str | None
    silent: bool
    protect: bool
    scheduled_at: str | None
    state: str
    status_chat: int | None
    status_message: int | None
    started_at: str | None
    finished_at: str | None
    versions: dict[str, tuple[int, int]]


@dataclass(frozen=True, slots=True)
class Delivery:
    """One recipient of an announcement, claimed for sending."""

    user_id: int
    language: str
    attempts: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened when a delivery was tried: sent, blocked, gone, failed, or pending again (retry)."""

    user_id: int
    state: str
    error: str | None = None
    not_before: float = 0.0


@dataclass(frozen=True, slots=True)
class DeliveryFigures:
    """Deliveries of one announcement by outcome."""

    pending: int
    sent: int
    blocked: int
    failed: int

    @property
    def total(self) -> int:
        """Every recipient."""
        return self.pending + self.sent + self.blocked + self.failed

    @property
    def done(self) -> int:
        """Recipients whose delivery is settled."""
        return self.sent + self.blocked + self.failed


@dataclass(frozen=True, slots=True)
class Erased:
    """What ``forget_user`` removed."""

    user: bool
    subscriptions: int


def _today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


class Storage:
    """The bot's SQLite database: open with ``await Storage.open(path)``, close with ``await close()``."""

    def __init__(self, db: aiosqlite.Connection, default_language: str = "ru", lock_fd: int | None = None) -> None:
        self._db = db
        self._lock_fd = lock_fd  # the database's exclusive lock, released on close
        # Readers who never chose a language (and were never guessed one) get announcements in this one.
        self.default_language = default_language
        # One connection is shared by concurrent handlers: writes take turns, so that one handler's
        # statement never lands inside another's transaction.
        self._write_lock = asyncio.Lock()
        self._users: OrderedDict[int, UserRecord] = OrderedDict()
        # Anonymous counts waiting to be written (see bot/impact.py and flush_counters).
        self.tally = Tally()

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
    async def open(cls, path: Path | str, default_language: str = "ru") -> Storage:
        """Open (creating if needed) and migrate the database at ``path``, holding its exclusive lock.

        Raises DatabaseLockedError if another process has it open.
        """
        lock_fd = None
        if str(path) != ":memory:":
            _create_private(Path(path))
            lock_fd = _take_lock(path)
        try:
            # isolation_level=None: we open transactions ourselves, so a migration is all-or-nothing.
            db = await aiosqlite.connect(str(path), isolation_level=None)
        except BaseException:
            if lock_fd is not None:
                os.close(lock_fd)
            raise
        try:
            await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            storage = cls(db, default_language, lock_fd)
            # Check the version before anything writes (even switching to WAL rewrites the file header).
            await storage._refuse_newer_schema()
            await db.execute("PRAGMA journal_mode = WAL")
            # NORMAL in WAL mode survives a crash of the process (a power cut may lose the last commits).
            await db.execute("PRAGMA synchronous = NORMAL")
            await db.execute("PRAGMA foreign_keys = ON")
            version = await storage.schema_version()
            if 0 < version < SCHEMA_VERSION and lock_fd is not None:
                # A copy of the old schema first: an upgrade that goes wrong is undone with `brief-bot restore`.
                await asyncio.to_thread(snapshot_before_migration, Path(path), version)
            await storage._migrate()
        except BaseException:
            await db.close()
            if lock_fd is not None:
                os.close(lock_fd)
            raise
        return storage

    async def close(self) -> None:
        """Write the waiting counts, close the connection, then release the database's lock."""
        try:
            try:
                await self.flush_counters()
            except Exception:
                logger.warning("could not write the last counters", exc_info=True)
            await self._db.close()
        finally:
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

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

    async def touch_user(self, user_id: int, guess: str | None = None) -> UserRecord:
        """Record that ``user_id`` is using the bot today; return what is stored about them.

        ``guess`` (the language picked from Telegram's language_code) is stored for someone who has not
        chosen one yet, so announcements reach them in a language they read.
        """
        today = _today()
        cached = self._users.get(user_id)
        if cached is not None and cached.last_seen == today and not cached.blocked:
            self._users.move_to_end(user_id)
            return cached
        # Most updates come from someone already seen today: one read settles it. Otherwise one statement
        # inserts a newcomer, or bumps last_seen (once a day) and clears a stale block flag.
        known = await self.get_user(user_id)
        fresh = known is not None and known.last_seen == today and not known.blocked
        if fresh and known is not None and (known.language is not None or guess is None):
            return self._remember(known)
        async with (
            self._write_lock,
            self._db.execute(
                f"""
                INSERT INTO users (user_id, language, first_seen, last_seen) VALUES (?, ?, ?, ?)
                ON CONFLICT (user_id) DO UPDATE SET
                    last_seen = excluded.last_seen,
                    blocked = 0,
                    language = CASE WHEN users.language_chosen THEN users.language
                                    ELSE coalesce(excluded.language, users.language) END
                RETURNING {USER_COLUMNS}
                """,
                (user_id, guess, today, today),
            ) as cur,
        ):
            row = await cur.fetchone()
        assert row is not None  # RETURNING always yields the inserted or updated row
        record = self._remember(_user(row))
        # Active readers are counted without keeping who: the moment last_seen moves to today is one reader today.
        if known is None or known.last_seen != today:
            language = record.language or self.default_language
            if known is None:
                self.tally.count(Metric.NEW, language)
            self.tally.count(Metric.ACTIVE, language)
        return record

    async def get_user(self, user_id: int) -> UserRecord | None:
        """Return what is stored about ``user_id``, if anything."""
        # One hop to aiosqlite's thread (execute, fetch and close would be three): this read is on every update.
        rows = await self._db.execute_fetchall(f"SELECT {USER_COLUMNS} FROM users WHERE user_id = ?", (user_id,))
        for row in rows:
            return _user(row)
        return None

    async def is_known(self, user_id: int) -> bool:
        """Whether anything is stored about ``user_id`` (no query for someone seen recently)."""
        return user_id in self._users or await self.get_user(user_id) is not None

    async def set_language(self, user_id: int, language: str) -> None:
        """Store the language ``user_id`` chose."""
        today = _today()
        await self._write(
            """
            INSERT INTO users (user_id, language, language_chosen, first_seen, last_seen) VALUES (?, ?, 1, ?, ?)
            ON CONFLICT (user_id) DO UPDATE SET language = excluded.language, language_chosen = 1
            """,
            (user_id, language, today, today),
        )
        self._users.pop(user_id, None)

    async def set_reference(self, user_id: int, reference: str) -> None:
        """Store which original ``user_id`` compares translated pages with."""
        await self._write("UPDATE users SET reference = ? WHERE user_id = ?", (reference, user_id))
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
        rows = await self._db.execute_fetchall("SELECT topic FROM subscriptions WHERE user_id = ?", (user_id,))
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

    async def toggle_subscription(self, user_id: int, topic: str) -> bool:
        """Switch ``user_id``'s subscription to ``topic`` and return whether they are now subscribed.

        One transaction decides and writes, so two quick taps always give "on" then "off", never "on" twice.
        """
        async with self.transaction() as db:
            cursor = await db.execute("DELETE FROM subscriptions WHERE user_id = ? AND topic = ?", (user_id, topic))
            if cursor.rowcount > 0:
                return False
            today = _today()
            await db.execute(
                "INSERT OR IGNORE INTO users (user_id, first_seen, last_seen) VALUES (?, ?, ?)", (user_id, today, today)
            )
            await db.execute("INSERT INTO subscriptions (user_id, topic) VALUES (?, ?)", (user_id, topic))
        return True

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

    # ----------------------------------------------------------------------------------------- announcements

    async def create_announcement(self, draft: AnnouncementDraft) -> int:
        """Store a confirmed announcement (scheduled, or queued to send at once); return its id."""
        state = "scheduled" if draft.scheduled_at else "queued"
        async with self.transaction() as db:
            cursor = await db.execute(
                """
                INSERT INTO announcements
                    (created_by, created_at, topics, language, silent, protect, scheduled_at, state,
                     status_chat, status_message)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                (
                    draft.created_by,
                    _now_iso(),
                    json.dumps(sorted(draft.topics)),
                    draft.language,
                    int(draft.silent),
                    int(draft.protect),
                    draft.scheduled_at,
                    state,
                    draft.status_chat,
                    draft.status_message,
                ),
            )
            announcement_id = int(cursor.lastrowid or 0)
            await db.executemany(
                "INSERT INTO announcement_versions (announcement_id, language, from_chat, message_id) "
                "VALUES (?, ?, ?, ?)",
                [(announcement_id, lang, chat, message) for lang, (chat, message) in draft.versions.items()],
            )
        return announcement_id

    def _audience_sql(
        self, topics: Iterable[str], language: str | None, id_range: tuple[int, int] | None = None
    ) -> tuple[str, list[object]]:
        """SELECT user_id, language of the active people an announcement is for (ids in ``(low, high]``)."""
        topics = sorted(topics)
        params: list[object] = [self.default_language]
        if topics:
            marks = ", ".join("?" * len(topics))
            sql = (
                "SELECT u.user_id, coalesce(u.language, ?) AS lang FROM users u WHERE u.blocked = 0 AND "
                f"EXISTS (SELECT 1 FROM subscriptions s WHERE s.user_id = u.user_id AND s.topic IN ({marks}))"
            )
            params += topics
        else:
            sql = "SELECT u.user_id, coalesce(u.language, ?) AS lang FROM users u WHERE u.blocked = 0"
        if language is not None:
            sql += " AND coalesce(u.language, ?) = ?"
            params += [self.default_language, language]
        if id_range is not None:
            sql += " AND u.user_id > ? AND u.user_id <= ?"
            params += list(id_range)
        return sql, params

    async def count_audience(self, topics: Iterable[str], language: str | None) -> dict[str, int]:
        """How many active people, per language, an announcement to ``topics`` would reach now."""
        sql, params = self._audience_sql(topics, language)
        async with self._db.execute(f"SELECT lang, count(*) FROM ({sql}) GROUP BY lang", params) as cur:
            rows = await cur.fetchall()
        return {str(row[0]): int(row[1]) for row in rows}

    async def queue_recipients(self, announcement_id: int) -> int:
        """Write one pending delivery row per recipient (once) and mark the announcement running.

        Only a scheduled or queued announcement is queued (a cancelled one stays cancelled). Rows are written
        in chunks of users, each its own short transaction, so readers' writes never wait long behind a
        million-row queue; a crash half-way is harmless (INSERT OR IGNORE: queueing again completes it).
        """
        announcement = await self.announcement(announcement_id)
        if announcement is None or announcement.state not in ("scheduled", "queued"):
            return 0
        after = -1
        while True:
            async with self._db.execute(
                "SELECT max(user_id) FROM (SELECT user_id FROM users WHERE user_id > ? ORDER BY user_id LIMIT ?)",
                (after, QUEUE_CHUNK),
            ) as cur:
                row = await cur.fetchone()
            if row is None or row[0] is None:
                break
            upto = int(row[0])
            sql, params = self._audience_sql(announcement.topics, announcement.language, (after, upto))
            async with self.transaction() as db:
                await db.execute(
                    f"INSERT OR IGNORE INTO deliveries (announcement_id, user_id, language) SELECT ?, user_id, lang "
                    f"FROM ({sql})",
                    [announcement_id, *params],
                )
            after = upto
        await self._write(
            "UPDATE announcements SET state = 'running', started_at = coalesce(started_at, ?) "
            "WHERE id = ? AND state IN ('scheduled', 'queued')",
            (_now_iso(), announcement_id),
        )
        return (await self.delivery_figures(announcement_id)).total

    async def claim_deliveries(self, announcement_id: int, limit: int, now: float) -> list[Delivery]:
        """Mark up to ``limit`` due pending deliveries as 'sending' and return them (lowest user id first)."""
        async with (
            self.transaction() as db,
            db.execute(
                """
                UPDATE deliveries SET state = 'sending'
                WHERE announcement_id = ? AND user_id IN (
                    SELECT user_id FROM deliveries
                    WHERE announcement_id = ? AND state = 'pending' AND not_before <= ?
                    ORDER BY not_before, user_id LIMIT ?)
                RETURNING user_id, language, attempts
                """,
                (announcement_id, announcement_id, now, limit),
            ) as cur,
        ):
            rows = await cur.fetchall()
        return sorted((Delivery(int(r[0]), str(r[1]), int(r[2])) for r in rows), key=lambda d: d.user_id)

    async def record_outcomes(self, announcement_id: int, outcomes: Iterable[Outcome]) -> None:
        """Write the results of sent deliveries in one transaction."""
        rows = list(outcomes)
        if not rows:
            return
        async with self.transaction() as db:
            await db.executemany(
                """
                UPDATE deliveries SET state = ?, attempts = attempts + 1, last_error = ?, not_before = ?
                WHERE announcement_id = ? AND user_id = ?
                """,
                [(o.state, o.error, o.not_before, announcement_id, o.user_id) for o in rows],
            )
            gone = [o.user_id for o in rows if o.state in ("blocked", "gone")]
            if gone:
                await db.executemany("UPDATE users SET blocked = 1 WHERE user_id = ?", [(u,) for u in gone])
            settled = Counter(o.state for o in rows if o.state in TIMELINE_STATES)
            await _add_to_timeline(db, announcement_id, settled)
        for user_id in gone:
            self._users.pop(user_id, None)

    async def release_claims(self, announcement_id: int) -> int:
        """Return deliveries left in 'sending' (by a crash or a pause) to 'pending'; return how many."""
        return await self._write(
            "UPDATE deliveries SET state = 'pending' WHERE announcement_id = ? AND state = 'sending'",
            (announcement_id,),
        )

    async def fail_pending(self, announcement_id: int, error: str) -> int:
        """Mark every pending delivery failed with ``error`` (an outage outlasted the horizon); return how many."""
        async with self.transaction() as db:
            cursor = await db.execute(
                "UPDATE deliveries SET state = 'failed', last_error = ? "
                "WHERE announcement_id = ? AND state = 'pending'",
                (error, announcement_id),
            )
            count = cursor.rowcount
            await _add_to_timeline(db, announcement_id, {"failed": count})
        return count

    async def retry_failed(self, announcement_id: int) -> int:
        """Return an announcement's failed deliveries to pending, afresh, and a done announcement to running;
        return how many. A paused or cancelled announcement keeps its state (resume sends them)."""
        async with self.transaction() as db:
            cursor = await db.execute(
                "UPDATE deliveries SET state = 'pending', attempts = 0, not_before = 0, last_error = NULL "
                "WHERE announcement_id = ? AND state = 'failed' AND EXISTS (SELECT 1 FROM announcements "
                "WHERE id = ? AND state IN ('running', 'paused', 'done'))",
                (announcement_id, announcement_id),
            )
            count = cursor.rowcount
            if count:
                await db.execute(
                    "UPDATE announcements SET state = 'running', finished_at = NULL WHERE id = ? AND state = 'done'",
                    (announcement_id,),
                )
                # The chart's failed line comes down as they are sent again.
                await _add_to_timeline(db, announcement_id, {"failed": -count})
        return count

    async def finish_announcement(self, announcement_id: int) -> bool:
        """Mark a running announcement done, only if none of its deliveries is pending or sending."""
        return (
            await self._write(
                "UPDATE announcements SET state = 'done', finished_at = ? WHERE id = ? AND state = 'running' AND "
                "NOT EXISTS (SELECT 1 FROM deliveries WHERE announcement_id = ? AND state IN ('pending', 'sending'))",
                (_now_iso(), announcement_id, announcement_id),
            )
            > 0
        )

    async def delivery_figures(self, announcement_id: int) -> DeliveryFigures:
        """Count an announcement's deliveries by state."""
        async with self._db.execute(
            "SELECT state, count(*) FROM deliveries WHERE announcement_id = ? GROUP BY state", (announcement_id,)
        ) as cur:
            rows = await cur.fetchall()
        counts = {str(r[0]): int(r[1]) for r in rows}
        return DeliveryFigures(
            pending=counts.get("pending", 0) + counts.get("sending", 0),
            sent=counts.get("sent", 0),
            blocked=counts.get("blocked", 0) + counts.get("gone", 0),
            failed=counts.get("failed", 0),
        )

    async def delivery_languages(self, announcement_id: int) -> dict[str, int]:
        """Recipients of an announcement per language."""
        async with self._db.execute(
            "SELECT language, count(*) FROM deliveries WHERE announcement_id = ? GROUP BY language",
            (announcement_id,),
        ) as cur:
            rows = await cur.fetchall()
        return {str(r[0]): int(r[1]) for r in rows}

    async def next_retry_at(self, announcement_id: int) -> float | None:
        """When the earliest pending delivery may be tried, or None when none is pending."""
        async with self._db.execute(
            "SELECT min(not_before) FROM deliveries WHERE announcement_id = ? AND state = 'pending'",
            (announcement_id,),
        ) as cur:
            row = await cur.fetchone()
        return None if row is None or row[0] is None else float(row[0])

    async def announcement(self, announcement_id: int) -> Announcement | None:
        """One announcement with its language versions."""
        async with self._db.execute(
            f"SELECT {ANNOUNCEMENT_COLUMNS} FROM announcements WHERE id = ?", (announcement_id,)
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        async with self._db.execute(
            "SELECT language, from_chat, message_id FROM announcement_versions WHERE announcement_id = ?",
            (announcement_id,),
        ) as cur:
            versions = {str(r[0]): (int(r[1]), int(r[2])) for r in await cur.fetchall()}
        return _announcement(row, versions)

    async def announcements(self, states: Iterable[str] | None = None, limit: int = 10) -> list[Announcement]:
        """Recent announcements, newest first (optionally only in some states)."""
        sql = "SELECT id FROM announcements"
        params: list[object] = []
        if states is not None:
            wanted = list(states)
            sql += f" WHERE state IN ({', '.join('?' * len(wanted))})"
            params += wanted
        sql += " ORDER BY id DESC LIMIT ?"
        params.append(limit)
        async with self._db.execute(sql, params) as cur:
            ids = [int(r[0]) for r in await cur.fetchall()]
        found = [await self.announcement(i) for i in ids]
        return [a for a in found if a is not None]

    async def due_announcements(self, now_iso: str) -> list[int]:
        """Scheduled announcements whose time has come, oldest first."""
        async with self._db.execute(
            "SELECT id FROM announcements WHERE state = 'scheduled' AND scheduled_at <= ? ORDER BY scheduled_at, id",
            (now_iso,),
        ) as cur:
            return [int(r[0]) for r in await cur.fetchall()]

    async def set_announcement_state(self, announcement_id: int, state: str, *, expect: Iterable[str] = ()) -> bool:
        """Move an announcement to ``state`` (only from one of ``expect``, if given); return whether it moved."""
        expected = list(expect)
        sql = (
            "UPDATE announcements SET state = ?, "
            "finished_at = CASE WHEN ? IN ('done', 'cancelled') THEN ? ELSE finished_at END WHERE id = ?"
        )
        params: list[object] = [state, state, _now_iso(), announcement_id]
        if expected:
            sql += f" AND state IN ({', '.join('?' * len(expected))})"
            params += expected
        return await self._write(sql, tuple(params)) > 0

    async def set_status_message(self, announcement_id: int, chat_id: int, message_id: int) -> None:
        """Remember where the admin's progress message is."""
        await self._write(
            "UPDATE announcements SET status_chat = ?, status_message = ? WHERE id = ?",
            (chat_id, message_id, announcement_id),
        )

    async def delivery_timeline(self, announcement_id: int) -> list[tuple[str, str, int]]:
        """``(minute, state, count)`` of an announcement's settled deliveries, oldest first."""
        async with self._db.execute(
            "SELECT minute, state, count FROM delivery_timeline WHERE announcement_id = ? ORDER BY minute",
            (announcement_id,),
        ) as cur:
            return [(str(r[0]), str(r[1]), int(r[2])) for r in await cur.fetchall()]

    # ----------------------------------------------------------------------------------------- counters

    async def flush_counters(self) -> None:
        """Write the tally's waiting counts in one transaction (kept for next time if that fails)."""
        pages, daily = self.tally.take()
        if not pages and not daily:
            return
        try:
            async with self.transaction() as db:
                await db.executemany(
                    "INSERT INTO page_views (day, language, theme, section, views) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (day, language, theme, section) DO UPDATE SET views = views + excluded.views",
                    [(k.day, k.language, k.theme, k.section, n) for k, n in pages.items()],
                )
                await db.executemany(
                    "INSERT INTO daily_counts (day, language, metric, subject, count) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (day, language, metric, subject) DO UPDATE SET count = count + excluded.count",
                    [(*k, n) for k, n in daily.items()],
                )
        except BaseException:
            self.tally.give_back(pages, daily)
            raise

    async def purge_counters(self, before: dt.date) -> int:
        """Delete counters of days before ``before`` (STATS_RETENTION_DAYS); return how many rows went."""
        day = before.isoformat()
        removed = 0
        async with self.transaction() as db:
            for sql in (
                "DELETE FROM page_views WHERE day < ?",
                "DELETE FROM daily_counts WHERE day < ?",
                "DELETE FROM delivery_timeline WHERE minute < ?",
            ):
                cursor = await db.execute(sql, (day,))
                removed += cursor.rowcount
        return removed

    async def add_counts(self, pages: dict[PageKey, int], daily: dict[tuple[str, str, str, str], int]) -> None:
        """Add counts as the tally would (imports, the demo's scripted population, tests)."""
        self.tally.give_back(pages, daily)
        await self.flush_counters()

    async def metric_series(self, metric: Metric, since: dt.date) -> list[tuple[str, str, int]]:
        """``(day, language, count)`` of ``metric`` from ``since`` on, all subjects together."""
        async with self._db.execute(
            "SELECT day, language, sum(count) FROM daily_counts WHERE metric = ? AND day >= ? "
            "GROUP BY day, language ORDER BY day",
            (metric.value, since.isoformat()),
        ) as cur:
            return [(str(r[0]), str(r[1]), int(r[2])) for r in await cur.fetchall()]

    async def page_view_series(self, since: dt.date) -> list[tuple[str, str, int]]:
        """``(day, language, views)`` from ``since`` on, all pages together."""
        async with self._db.execute(
            "SELECT day, language, sum(views) FROM page_views WHERE day >= ? GROUP BY day, language ORDER BY day",
            (since.isoformat(),),
        ) as cur:
            return [(str(r[0]), str(r[1]), int(r[2])) for r in await cur.fetchall()]

    async def day_counts(self, day: dt.date) -> dict[str, int]:
        """One day's totals over all languages: each metric, and ``views`` for page views."""
        async with self._db.execute(
            "SELECT metric, sum(count) FROM daily_counts WHERE day = ? GROUP BY metric", (day.isoformat(),)
        ) as cur:
            totals = {str(r[0]): int(r[1]) for r in await cur.fetchall()}
        async with self._db.execute("SELECT sum(views) FROM page_views WHERE day = ?", (day.isoformat(),)) as cur:
            row = await cur.fetchone()
        totals["views"] = int(row[0]) if row and row[0] is not None else 0
        return totals

    async def top_sections(self, since: dt.date, limit: int) -> list[tuple[str, str, int]]:
        """``(theme, section, views)`` of the most-read sections from ``since`` on (theme pages excluded)."""
        async with self._db.execute(
            "SELECT theme, section, sum(views) AS n FROM page_views WHERE day >= ? AND section != '' "
            "GROUP BY theme, section ORDER BY n DESC, theme, section LIMIT ?",
            (since.isoformat(), limit),
        ) as cur:
            return [(str(r[0]), str(r[1]), int(r[2])) for r in await cur.fetchall()]

    async def page_view_rows(self) -> list[tuple[str, str, str, str, int]]:
        """Every ``(day, language, theme, section, views)`` row, in order (for /export)."""
        async with self._db.execute(
            "SELECT day, language, theme, section, views FROM page_views ORDER BY day, language, theme, section"
        ) as cur:
            return [(str(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4])) for r in await cur.fetchall()]

    # ----------------------------------------------------------------------------------------- meta

    async def get_meta(self, key: str) -> str | None:
        """Return a stored fact about the bot itself."""
        async with self._db.execute("SELECT value FROM bot_meta WHERE key = ?", (key,)) as cur:
            row = await cur.fetchone()
        return str(row[0]) if row else None

    async def delete_meta(self, key: str) -> bool:
        """Forget a stored fact; return whether there was one."""
        return await self._write("DELETE FROM bot_meta WHERE key = ?", (key,)) > 0

    async def set_meta(self, key: str, value: str) -> None:
        """Store a fact about the bot itself."""
        await self._write(
            "INSERT INTO bot_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


# Outcomes drawn on an announcement's delivery chart (a retry that is pending again is not an outcome yet).
TIMELINE_STATES = ("sent", "blocked", "gone", "failed")


async def _add_to_timeline(db: aiosqlite.Connection, announcement_id: int, counts: dict[str, int]) -> None:
    """Add outcomes to this minute's bucket of ``announcement_id`` (inside the caller's transaction)."""
    minute = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M")
    await db.executemany(
        "INSERT INTO delivery_timeline (announcement_id, minute, state, count) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (announcement_id, minute, state) DO UPDATE SET count = count + excluded.count",
        [(announcement_id, minute, state, n) for state, n in counts.items() if n],
    )


USER_COLUMNS = "user_id, language, first_seen, last_seen, blocked, language_chosen, reference"
ANNOUNCEMENT_COLUMNS = (
    "id, created_by, created_at, topics, language, silent, protect, scheduled_at, state, "
    "status_chat, status_message, started_at, finished_at"
)


def _announcement(row: aiosqlite.Row | tuple[Any, ...], versions: dict[str, tuple[int, int]]) -> Announcement:
    return Announcement(
        id=int(row[0]),
        created_by=int(row[1]),
        created_at=str(row[2]),
        topics=frozenset(json.loads(row[3])),
        language=row[4],
        silent=bool(row[5]),
        protect=bool(row[6]),
        scheduled_at=row[7],
        state=str(row[8]),
        status_chat=row[9],
        status_message=row[10],
        started_at=row[11],
        finished_at=row[12],
        versions=versions,
    )


def _create_private(path: Path) -> None:
    """Create the database's directory (0700) and an empty file (0600) if missing: it ties ids to themes.

    Existing ones are left as the operator set them. SQLite gives its -wal and -shm files the database
    file's permissions.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _user(row: aiosqlite.Row | tuple[Any, ...]) -> UserRecord:
    return UserRecord(
        user_id=int(row[0]),
        language=None if row[1] is None else str(row[1]),
        first_seen=str(row[2]),
        last_seen=str(row[3]),
        blocked=bool(row[4]),
        language_chosen=bool(row[5]),
        reference=None if row[6] is None else str(row[6]),
    )
