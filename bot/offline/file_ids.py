"""Telegram's ``file_id`` of each offline file already uploaded, by the hash of its bytes: a file goes up once,
then every later download (after a restart too) reuses it; changed content has a new hash and goes up afresh.

A repository over the bot's one database connection (the ``offline_uploads`` table), composed, not inherited.
"""

from __future__ import annotations

from bot.storage.database import Database

__all__ = ["FileIds"]


class FileIds:
    """The uploads table, with the ids read so far kept in memory (a few dozen files per content version)."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._known: dict[str, str] = {}

    async def get(self, sha256: str) -> str | None:
        """The ``file_id`` of the file with this hash, if it was uploaded before."""
        known = self._known.get(sha256)
        if known is not None:
            return known
        async with self._database.connection.execute(
            "SELECT file_id FROM offline_uploads WHERE sha256 = ?", (sha256,)
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        self._known[sha256] = str(row[0])
        return self._known[sha256]

    async def put(self, sha256: str, file_id: str) -> None:
        """Remember the ``file_id`` Telegram gave the upload of the file with this hash."""
        async with self._database.transaction() as db:
            await db.execute(
                "INSERT INTO offline_uploads (sha256, file_id) VALUES (?, ?) "
                "ON CONFLICT (sha256) DO UPDATE SET file_id = excluded.file_id",
                (sha256, file_id),
            )
        self._known[sha256] = file_id

    async def forget(self, sha256: str) -> None:
        """Drop a ``file_id`` Telegram no longer accepts, so the next download uploads again."""
        self._known.pop(sha256, None)
        async with self._database.transaction() as db:
            await db.execute("DELETE FROM offline_uploads WHERE sha256 = ?", (sha256,))
