"""Readers: who uses the bot, in which language and with which reference original, and forgetting them.

Recently active readers are kept in memory, so most updates need no database round trip.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from typing import Any

import aiosqlite

from bot.storage.counters import Counters
from bot.storage.database import Database
from bot.storage.records import Erased, UserRecord
from bot.storage.tally import Metric

__all__ = ["USER_CACHE_SIZE", "Readers"]

# Recently active people kept in memory, so most updates need no database round trip (about 150 bytes
# each). The bot is the only writer of its users table, and every change of a reader's record goes through
# ``Readers.changed`` (a block found by a send, a language, /forget ...), so the cache cannot go stale.
USER_CACHE_SIZE = 20_000

USER_COLUMNS = "user_id, language, first_seen, last_seen, blocked, language_chosen, reference"


def utc_today() -> str:
    """Today in UTC, YYYY-MM-DD: a reader's first and last seen day."""
    return dt.datetime.now(dt.UTC).date().isoformat()


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


class Readers:
    """The readers; a reader's first visit each day is counted (anonymously) in the counters' tally."""

    def __init__(self, database: Database, counters: Counters) -> None:
        self._database = database
        self._counters = counters
        self._users: OrderedDict[int, UserRecord] = OrderedDict()
        # Bumped by every change of a reader's record: a read that began before a change is not cached.
        self._changes = 0

    @property
    def _db(self) -> aiosqlite.Connection:
        return self._database.connection

    def changed(self, user_id: int) -> None:
        """``user_id``'s stored record changed (or is about to): drop the cached copy and any read under way."""
        self._users.pop(user_id, None)
        self._changes += 1

    def _remember(self, record: UserRecord) -> UserRecord:
        self._users[record.user_id] = record
        self._users.move_to_end(record.user_id)
        if len(self._users) > USER_CACHE_SIZE:
            self._users.popitem(last=False)
        return record

    async def touch(self, user_id: int, guess: str | None = None) -> UserRecord:
        """Record that ``user_id`` is using the bot today; return what is stored about them.

        ``guess`` (the language picked from Telegram's language_code) is stored for someone who has not
        chosen one yet, so announcements reach them in a language they read.
        """
        today = utc_today()
        cached = self._users.get(user_id)
        if cached is not None and cached.last_seen == today and not cached.blocked:
            self._users.move_to_end(user_id)
            return cached
        # Most updates come from someone already seen today: one read settles it. Otherwise one statement
        # inserts a newcomer, or bumps last_seen (once a day) and clears a stale block flag. A change made while
        # the read was under way (a send to them refused: blocked) makes the read stale: the statement decides.
        changes = self._changes
        known = await self.get(user_id)
        fresh = known is not None and known.last_seen == today and not known.blocked and changes == self._changes
        if fresh and known is not None and (known.language is not None or guess is None):
            return self._remember(known)
        async with (
            self._database.write_lock,
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
            language = record.language or self._database.default_language
            if known is None:
                self._counters.tally.count(Metric.NEW, language)
            self._counters.tally.count(Metric.ACTIVE, language)
        return record

    async def get(self, user_id: int) -> UserRecord | None:
        """Return what is stored about ``user_id``, if anything."""
        # One hop to aiosqlite's thread (execute, fetch and close would be three): this read is on every update.
        rows = await self._db.execute_fetchall(f"SELECT {USER_COLUMNS} FROM users WHERE user_id = ?", (user_id,))
        for row in rows:
            return _user(row)
        return None

    async def is_known(self, user_id: int) -> bool:
        """Whether anything is stored about ``user_id`` (no query for someone seen recently)."""
        return user_id in self._users or await self.get(user_id) is not None

    async def set_language(self, user_id: int, language: str) -> None:
        """Store the language ``user_id`` chose."""
        today = utc_today()
        await self._database.execute_write(
            """
            INSERT INTO users (user_id, language, language_chosen, first_seen, last_seen) VALUES (?, ?, 1, ?, ?)
            ON CONFLICT (user_id) DO UPDATE SET language = excluded.language, language_chosen = 1
            """,
            (user_id, language, today, today),
        )
        self.changed(user_id)

    async def set_reference(self, user_id: int, reference: str) -> None:
        """Store which original ``user_id`` compares translated pages with."""
        await self._database.execute_write("UPDATE users SET reference = ? WHERE user_id = ?", (reference, user_id))
        self.changed(user_id)

    async def set_blocked(self, user_id: int, blocked: bool = True) -> None:
        """Mark that ``user_id`` blocked the bot (or no longer does)."""
        await self._database.execute_write("UPDATE users SET blocked = ? WHERE user_id = ?", (int(blocked), user_id))
        self.changed(user_id)

    async def forget(self, user_id: int) -> Erased:
        """Erase everything stored about ``user_id``; return what was erased."""
        self.changed(user_id)
        async with self._database.transaction() as db:
            async with db.execute("SELECT count(*) FROM subscriptions WHERE user_id = ?", (user_id,)) as cur:
                row = await cur.fetchone()
            subscriptions = int(row[0]) if row else 0
            # Subscriptions (and any delivery rows) go with the user through ON DELETE CASCADE.
            cursor = await db.execute("DELETE FROM users WHERE user_id = ?", (user_id,))
        return Erased(user=cursor.rowcount > 0, subscriptions=subscriptions)

    async def count(self) -> int:
        """How many people the bot knows."""
        async with self._db.execute("SELECT count(*) FROM users") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def by_language(self) -> dict[tuple[str | None, bool], int]:
        """Count people per (chosen language, blocked)."""
        async with self._db.execute("SELECT language, blocked, count(*) FROM users GROUP BY language, blocked") as cur:
            rows = await cur.fetchall()
        return {(row[0], bool(row[1])): int(row[2]) for row in rows}
