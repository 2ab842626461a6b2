"""How the anonymous counters are shown: small counts hidden as "< 5", days gathered into weeks.

The counters themselves (what is counted, and how it reaches the database) are bot/storage/tally.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

__all__ = ["SMALL_COUNT", "by_week", "shown", "suppressed", "week_start", "weeks_back"]

# Counts under this are shown as "< 5" everywhere figures are shown (/stats, its charts, /export): a small
# village's only reader of a language or section cannot be singled out.
SMALL_COUNT = 5


def suppressed(count: int) -> bool:
    """Whether ``count`` is too small to show (zero is shown: it points at nobody)."""
    return 0 < count < SMALL_COUNT


def shown(count: int) -> str:
    """A count as /stats and /export print it: ``< 5`` for small ones."""
    return f"< {SMALL_COUNT}" if suppressed(count) else str(count)


def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())


def weeks_back(today: dt.date, weeks: int) -> list[dt.date]:
    """The Mondays of the last ``weeks`` weeks, oldest first, this week included."""
    this = week_start(today)
    return [this - dt.timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def by_week(rows: Iterable[tuple[str, str, int]], weeks: list[dt.date]) -> dict[str, list[int]]:
    """``(day, language, count)`` rows summed per language and week (weeks as from ``weeks_back``)."""
    index = {monday: n for n, monday in enumerate(weeks)}
    out: dict[str, list[int]] = {}
    for day, language, count in rows:
        slot = index.get(week_start(dt.date.fromisoformat(day)))
        if slot is not None:
            out.setdefault(language, [0] * len(weeks))[slot] += count
    return out
