"""A reader's help-directory country and discreet mode, and announcement texts for opening a neutral message.

Composed into ``Storage`` (``storage.safety``), over the ``Database``'s connection and write lock. The two reader
settings are columns of the users row, so ``Readers.forget`` removes them with it; nothing here is logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.storage.database import Database

__all__ = ["AnnouncementText", "Safety"]


@dataclass(frozen=True, slots=True)
class AnnouncementText:
    """One language version of an announcement as HTML, and whether it came with a photo, file or the like."""

    html: str
    media: bool


class Safety:
    """The reader settings of bot/help/ and the texts of announcements."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def help_country(self, user_id: int) -> str | None:
        """The country ``user_id`` asked the bot to remember, if any."""
        rows = await self._database.connection.execute_fetchall(
            "SELECT help_country FROM users WHERE user_id = ?", (user_id,)
        )
        for row in rows:
            return None if row[0] is None else str(row[0])
        return None

    async def set_help_country(self, user_id: int, country: str | None) -> None:
        """Remember ``country`` for ``user_id`` (who agreed to it), or forget it with None."""
        await self._database.execute_write("UPDATE users SET help_country = ? WHERE user_id = ?", (country, user_id))

    async def discreet(self, user_id: int) -> bool:
        """Whether announcements reach ``user_id`` as a neutral message first."""
        rows = await self._database.connection.execute_fetchall(
            "SELECT discreet FROM users WHERE user_id = ?", (user_id,)
        )
        return any(bool(row[0]) for row in rows)

    async def set_discreet(self, user_id: int, on: bool) -> None:
        """Switch discreet mode for ``user_id``."""
        await self._database.execute_write("UPDATE users SET discreet = ? WHERE user_id = ?", (int(on), user_id))

    async def help_opens(self, since: str) -> dict[str, int]:
        """How often each country's list was opened from the UTC day ``since`` (YYYY-MM-DD) on: anonymous
        daily counts (bot/impact/counts.py's ``help`` metric), summed over days and languages."""
        rows = await self._database.connection.execute_fetchall(
            "SELECT subject, sum(count) FROM daily_counts WHERE metric = 'help' AND day >= ? GROUP BY subject",
            (since,),
        )
        return {str(r[0]): int(r[1]) for r in rows}

    async def save_texts(self, announcement_id: int, texts: Mapping[str, AnnouncementText]) -> None:
        """Keep each language version's HTML (written once, when the announcement is confirmed)."""
        async with self._database.transaction() as db:
            await db.executemany(
                "INSERT OR REPLACE INTO announcement_texts (announcement_id, language, html, media) "
                "VALUES (?, ?, ?, ?)",
                [(announcement_id, code, text.html, int(text.media)) for code, text in texts.items()],
            )

    async def text(self, announcement_id: int, language: str, fallback: str) -> AnnouncementText | None:
        """The version for ``language``, else ``fallback``'s, else any (as delivery picks the message to copy)."""
        rows = await self._database.connection.execute_fetchall(
            "SELECT language, html, media FROM announcement_texts WHERE announcement_id = ?", (announcement_id,)
        )
        versions = {str(r[0]): AnnouncementText(str(r[1]), bool(r[2])) for r in rows}
        if not versions:
            return None
        return versions.get(language) or versions.get(fallback) or versions[min(versions)]
