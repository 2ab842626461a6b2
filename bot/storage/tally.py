"""Anonymous daily counters, on the way in: events added up in memory, written to SQLite every few seconds.

Events are added up in memory (a dict increment on the reader's path) and written to SQLite in one
transaction every ``FLUSH_SECONDS`` and at shut-down; a crash loses at most the last unflushed seconds of
counts. A key is a UTC day plus content ids and a language code: never a user id, a search's words, or a time.
How the counts are shown (the "< 5" rule, weeks) is bot/impact/counts.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

__all__ = [
    "ABOUT",
    "FLUSH_SECONDS",
    "PENDING_KEYS_MAX",
    "CounterStore",
    "Metric",
    "PageKey",
    "Tally",
    "flush_periodically",
]

logger = logging.getLogger(__name__)

# Counts are written this often. A crash (SIGKILL, power cut) loses at most these seconds of counts; a normal
# stop writes them all.
FLUSH_SECONDS = 5.0
# Distinct keys waiting in memory before a write is due early. Keys are days × languages × content ids (only
# ids that exist are counted), so this is a bound in case content is huge, not something a reader can push.
PENDING_KEYS_MAX = 5_000
ABOUT = "about"  # the "theme" of About's pages in the page-view counters


class Metric(StrEnum):
    """A per-day, per-language count; ``subject`` says of what (a theme id, a deep link payload) or is empty."""

    NEW = "new"  # people seen for the first time
    ACTIVE = "active"  # people who used the bot that day (each counted once a day, from users.last_seen)
    SEARCH = "search"  # searches made (never their words)
    LINK = "link"  # deep-link opens, subject: the payload (content ids only)
    SHARE = "share"  # inline results chosen to share in another chat
    SUBSCRIBE = "subscribe"  # subject: the theme (or "general")
    UNSUBSCRIBE = "unsubscribe"
    FORGET = "forget"  # /forget carried out
    HELP = "help"  # a country's list in the help directory opened, subject: the country code (bot/help/)
    DOWNLOAD = "download"  # offline copies sent, subject: "<theme or brief>.<pdf or html>" (bot/offline/)


@dataclass(frozen=True, slots=True)
class PageKey:
    """One page view: the day, the reader's language, the theme and section ('' for a theme's own page)."""

    day: str
    language: str
    theme: str
    section: str


DailyKey = tuple[str, str, str, str]  # day, language, metric, subject


def _utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


class Tally:
    """Counts waiting to be written; ``take()`` hands them over and starts afresh."""

    def __init__(self, today: Callable[[], dt.date] = _utc_today) -> None:
        self.today = today
        self.pages: Counter[PageKey] = Counter()
        self.daily: Counter[DailyKey] = Counter()
        self.due = asyncio.Event()  # set when too many keys wait: the flusher writes at once

    def _check_size(self) -> None:
        if len(self.pages) + len(self.daily) >= PENDING_KEYS_MAX:
            self.due.set()

    def page(self, language: str, theme: str, section: str = "") -> None:
        """Count a page view."""
        self.pages[PageKey(self.today().isoformat(), language, theme, section)] += 1
        self._check_size()

    def count(self, metric: Metric, language: str, subject: str = "") -> None:
        """Count one event of ``metric``."""
        self.daily[(self.today().isoformat(), language, metric.value, subject)] += 1
        self._check_size()

    def take(self) -> tuple[dict[PageKey, int], dict[DailyKey, int]]:
        """The waiting counts, leaving none behind."""
        pages, daily = dict(self.pages), dict(self.daily)
        self.pages.clear()
        self.daily.clear()
        self.due.clear()
        return pages, daily

    def give_back(self, pages: dict[PageKey, int], daily: dict[DailyKey, int]) -> None:
        """Return counts that could not be written (e.g. the database was busy), to write next time."""
        self.pages.update(pages)
        self.daily.update(daily)


class CounterStore(Protocol):
    """What ``flush_periodically`` needs of the counters repository (bot/storage/counters.py)."""

    @property
    def tally(self) -> Tally: ...

    async def flush(self) -> None: ...

    async def purge(self, before: dt.date) -> int: ...


async def flush_periodically(
    counters: CounterStore,
    retention_days: int,
    interval: float = FLUSH_SECONDS,
    today: Callable[[], dt.date] = _utc_today,
) -> None:
    """Write the tally every ``interval`` seconds (sooner when it grows); once a day, drop expired counters."""
    purged: dt.date | None = None
    while True:
        day = today()
        if purged != day:
            removed = await counters.purge(day - dt.timedelta(days=retention_days))
            if removed:
                logger.info("removed %d counter rows older than %d days", removed, retention_days)
            purged = day
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(counters.tally.due.wait(), timeout=interval)
        try:
            await counters.flush()
        except Exception:  # counts stay in memory and are tried again; a reader never sees this
            logger.warning("could not write the counters; trying again later", exc_info=True)
