"""Readers' reports of a problem with a text: what they point at, a bounded wait for their comment, a rate limit.

Nothing here is written to the database or the log: a report lives in the admins' Telegram chat (the handler
counts only its item ids, language and day, for the translators). The only state here is in memory, bounded,
and forgotten after a short while.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from bot.reports.buttons import ReportKind

__all__ = [
    "COMMENT_MAX_CHARS",
    "DESK_KEY",
    "REPORTS_PER_HOUR",
    "Report",
    "ReportDesk",
    "desk_of",
]

REPORTS_PER_HOUR = 3  # per reader: enough to report what they find, too few to flood the admins
RATE_WINDOW_SECONDS = 3600.0
COMMENT_WAIT_SECONDS = 600.0  # how long the bot takes the reader's next message as their comment
COMMENT_MAX_CHARS = 500  # a short comment; the rest is cut (the admins can ask in a reply)
TRACKED_READERS_MAX = 10_000  # readers remembered for the rate limit / a pending comment (oldest dropped)


@dataclass(frozen=True, slots=True)
class Report:
    """Which page a report is about: language, theme (or About), section, page and the items on it."""

    kind: ReportKind
    language: str
    theme_id: str
    section_id: str
    page: int
    item_ids: tuple[str, ...]


class ReportDesk:
    """Holds the reports waiting for a comment and each reader's recent reports, both bounded."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._pending: OrderedDict[int, tuple[float, Report]] = OrderedDict()
        self._sent: OrderedDict[int, deque[float]] = OrderedDict()

    def allowed(self, user_id: int) -> bool:
        """Whether ``user_id`` may send another report now."""
        recent = self._sent.get(user_id)
        if recent is None:
            return True
        horizon = self._clock() - RATE_WINDOW_SECONDS
        while recent and recent[0] <= horizon:
            recent.popleft()
        return len(recent) < REPORTS_PER_HOUR

    def wait_for_comment(self, user_id: int, report: Report) -> None:
        """Take ``user_id``'s next message as the comment on ``report``."""
        self._pending[user_id] = (self._clock(), report)
        self._pending.move_to_end(user_id)
        while len(self._pending) > TRACKED_READERS_MAX:
            self._pending.popitem(last=False)

    def take(self, user_id: int) -> Report | None:
        """The report waiting for ``user_id``'s comment, if it has not expired; it stops waiting."""
        entry = self._pending.pop(user_id, None)
        if entry is None or self._clock() - entry[0] > COMMENT_WAIT_SECONDS:
            return None
        return entry[1]

    def waiting(self, user_id: int) -> bool:
        """Whether a report of ``user_id``'s waits for a comment."""
        entry = self._pending.get(user_id)
        return entry is not None and self._clock() - entry[0] <= COMMENT_WAIT_SECONDS

    def record_sent(self, user_id: int) -> None:
        """Count a report of ``user_id``'s towards the hourly limit."""
        recent = self._sent.setdefault(user_id, deque(maxlen=REPORTS_PER_HOUR))
        recent.append(self._clock())
        self._sent.move_to_end(user_id)
        while len(self._sent) > TRACKED_READERS_MAX:
            self._sent.popitem(last=False)

    def __len__(self) -> int:
        return len(self._pending) + len(self._sent)


DESK_KEY = "report_desk"


def desk_of(bot_data: MutableMapping[Any, Any]) -> ReportDesk:
    """The application's report desk (made on first use): pending comments and each reader's rate limit."""
    desk: ReportDesk = bot_data.setdefault(DESK_KEY, ReportDesk())
    return desk
