"""Many readers at once, for the benchmarks and the tests (the bot itself adds readers one update at a time)."""

from __future__ import annotations

from collections.abc import Iterable

from bot.storage import Storage
from bot.storage.readers import utc_today

__all__ = ["add_users_bulk"]


async def add_users_bulk(storage: Storage, user_ids: Iterable[int], language: str | None) -> None:
    """Insert many users at once in one transaction; existing ones are left alone."""
    day = utc_today()
    async with storage.database.transaction() as db:
        await db.executemany(
            "INSERT OR IGNORE INTO users (user_id, language, first_seen, last_seen) VALUES (?, ?, ?, ?)",
            ((uid, language, day, day) for uid in user_ids),
        )
