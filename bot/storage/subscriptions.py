"""Subscriptions: which themes (topics) each reader follows, and how many follow each.

A reader's row is created with their first subscription if the bot never saw them; their subscriptions go with
it when they are forgotten (ON DELETE CASCADE).
"""

from __future__ import annotations

import aiosqlite

from bot.storage.database import Database
from bot.storage.readers import utc_today

__all__ = ["Subscriptions"]


class Subscriptions:
    """Readers' subscriptions to topics."""

    def __init__(self, database: Database) -> None:
        self._database = database

    @property
    def _db(self) -> aiosqlite.Connection:
        return self._database.connection

    async def topics(self, user_id: int) -> frozenset[str]:
        """The topics ``user_id`` is subscribed to."""
        rows = await self._db.execute_fetchall("SELECT topic FROM subscriptions WHERE user_id = ?", (user_id,))
        return frozenset(row[0] for row in rows)

    async def set(self, user_id: int, topic: str, subscribed: bool) -> bool:
        """Subscribe ``user_id`` to ``topic`` or unsubscribe them; idempotent. Return whether anything changed."""
        if subscribed:
            today = utc_today()
            async with self._database.transaction() as db:
                await db.execute(
                    "INSERT OR IGNORE INTO users (user_id, first_seen, last_seen) VALUES (?, ?, ?)",
                    (user_id, today, today),
                )
                cursor = await db.execute(
                    "INSERT OR IGNORE INTO subscriptions (user_id, topic) VALUES (?, ?)", (user_id, topic)
                )
            return cursor.rowcount > 0
        changed = await self._database.execute_write(
            "DELETE FROM subscriptions WHERE user_id = ? AND topic = ?", (user_id, topic)
        )
        return changed > 0

    async def toggle(self, user_id: int, topic: str) -> bool:
        """Switch ``user_id``'s subscription to ``topic`` and return whether they are now subscribed.

        For buttons of earlier versions only (a flip delivered twice undoes itself; new buttons say which state
        they want). One transaction decides and writes, so two quick taps give "on" then "off", never "on" twice.
        """
        async with self._database.transaction() as db:
            cursor = await db.execute("DELETE FROM subscriptions WHERE user_id = ? AND topic = ?", (user_id, topic))
            if cursor.rowcount > 0:
                return False
            today = utc_today()
            await db.execute(
                "INSERT OR IGNORE INTO users (user_id, first_seen, last_seen) VALUES (?, ?, ?)", (user_id, today, today)
            )
            await db.execute("INSERT INTO subscriptions (user_id, topic) VALUES (?, ?)", (user_id, topic))
        return True

    async def per_topic(self) -> dict[str, int]:
        """Count active (not blocked) subscribers per topic."""
        async with self._db.execute(
            """
            SELECT s.topic, count(*) FROM subscriptions s JOIN users u USING (user_id)
            WHERE u.blocked = 0 GROUP BY s.topic
            """
        ) as cur:
            rows = await cur.fetchall()
        return {row[0]: int(row[1]) for row in rows}
