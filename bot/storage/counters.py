"""Anonymous daily counters (bot/impact/counts.py): the in-memory tally, written in batches, and the series read back.

A counter holds a UTC day, a language and content ids, never a user id, a search's words or a time of day.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import aiosqlite

from bot.storage.database import Database, run_to_end
from bot.storage.tally import Metric, PageKey, Tally

__all__ = ["Counters"]


class Counters:
    """The anonymous counters: ``tally`` is counted into, ``flush`` writes it (``Storage.close`` a last time)."""

    def __init__(self, database: Database) -> None:
        self._database = database
        # Anonymous counts waiting to be written (see bot/impact/counts.py and flush).
        self.tally = Tally()

    @property
    def _db(self) -> aiosqlite.Connection:
        return self._database.connection

    async def flush(self) -> None:
        """Write the tally's waiting counts in one transaction (kept for next time if that fails).

        The write runs to its end even if this call is cancelled (shutdown cancels the flusher), and the counts
        go back to the tally only if it did not commit: counted once, never lost and never twice.
        """
        pages, daily = self.tally.take()
        if not pages and not daily:
            return
        write = asyncio.ensure_future(self._write_counts(pages, daily))
        try:
            await run_to_end(write)
        except BaseException:
            if write.cancelled() or write.exception() is not None:
                self.tally.give_back(pages, daily)
            raise

    async def _write_counts(self, pages: dict[PageKey, int], daily: dict[tuple[str, str, str, str], int]) -> None:
        async with self._database.transaction() as db:
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

    async def purge(self, before: dt.date) -> int:
        """Delete counters of days before ``before`` (STATS_RETENTION_DAYS); return how many rows went."""
        day = before.isoformat()
        removed = 0
        async with self._database.transaction() as db:
            for sql in (
                "DELETE FROM page_views WHERE day < ?",
                "DELETE FROM daily_counts WHERE day < ?",
                "DELETE FROM delivery_timeline WHERE minute < ?",
            ):
                cursor = await db.execute(sql, (day,))
                removed += cursor.rowcount
        return removed

    async def add(self, pages: dict[PageKey, int], daily: dict[tuple[str, str, str, str], int]) -> None:
        """Add counts as the tally would (imports, the demo's scripted population, tests)."""
        self.tally.give_back(pages, daily)
        await self.flush()

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
