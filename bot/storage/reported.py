"""Which items readers reported, per day and language, as counts: the translators' list of what to check.

Composed into ``Storage`` (``storage.reported``). A row holds a day, a language, a theme and an item id and how
many reports named it: no reader id, no comment, no kind of problem, so nothing ties a person to a text. Rows
older than ``REPORTED_KEEP_DAYS`` are dropped whenever a report is recorded.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from bot.storage.database import Database

__all__ = ["REPORTED_KEEP_DAYS", "ReportedItems", "reported_since"]

REPORTED_KEEP_DAYS = 180  # long enough for a native reviewer's next round, no longer


class ReportedItems:
    """Counts of reported items."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def record(self, language: str, theme: str, items: Iterable[str], day: dt.date) -> None:
        """Count one report naming ``items`` of ``theme`` in ``language`` on ``day``."""
        rows = [(day.isoformat(), language, theme, item) for item in sorted(set(items))]
        if not rows:
            return
        oldest = (day - dt.timedelta(days=REPORTED_KEEP_DAYS)).isoformat()

        async with self._database.transaction() as connection:
            await connection.executemany(
                "INSERT INTO reported_items (day, language, theme, item, count) VALUES (?, ?, ?, ?, 1) "
                "ON CONFLICT (day, language, theme, item) DO UPDATE SET count = count + 1",
                rows,
            )
            await connection.execute("DELETE FROM reported_items WHERE day < ?", (oldest,))

    async def since(self, languages: Iterable[str], day: dt.date) -> dict[tuple[str, str], int]:
        """(theme, item) → reports in ``languages`` from ``day`` on."""
        sql, params = _since(languages, day)
        rows = await self._database.connection.execute_fetchall(sql, params)
        return {(str(r[0]), str(r[1])): int(r[2]) for r in rows}


def _since(languages: Iterable[str], day: dt.date) -> tuple[str, tuple[str, ...]]:
    codes = sorted(set(languages))
    marks = ", ".join("?" * len(codes))
    sql = (
        f"SELECT theme, item, sum(count) FROM reported_items WHERE day >= ? AND language IN ({marks}) "
        "GROUP BY theme, item"
    )
    return sql, (day.isoformat(), *codes)


def reported_since(database: Path, languages: Iterable[str], day: dt.date) -> dict[tuple[str, str], int]:
    """The same as ``ReportedItems.since``, read-only from the command line while the bot runs."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return {(str(r[0]), str(r[1])): int(r[2]) for r in connection.execute(*_since(languages, day))}
    finally:
        connection.close()
