"""The durable, rate-limited delivery engine for announcements.

SKELETON: the public API below is fixed (the app and the admin handlers use it); the bodies are to be written.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Bot, InlineKeyboardMarkup

from bot.storage import Announcement, Storage

__all__ = ["BroadcastEngine", "Progress"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Progress:
    """Where an announcement's delivery stands, for the admin's status message."""

    announcement_id: int
    state: str  # the announcement's state: running, paused, done, cancelled
    total: int
    sent: int
    blocked: int  # blocked the bot, deactivated, or chat not found
    failed: int  # gave up after retries, or an error that no retry can fix
    pending: int
    rate: float  # messages per second over the last few seconds
    eta_seconds: float | None  # None when unknown (e.g. paused)
    final: bool  # the last report of this run


MarkupFor = Callable[[Announcement, str], InlineKeyboardMarkup | None]
Reporter = Callable[[Announcement, Progress], Awaitable[None]]


class BroadcastEngine:
    """Sends queued announcements to every recipient once, as fast as allowed, surviving restarts."""

    def __init__(
        self,
        bot: Bot,
        storage: Storage,
        *,
        rate: float,
        markup_for: MarkupFor,
        report: Reporter | None = None,
    ) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        """Resume unfinished announcements and start the background loop."""
        raise NotImplementedError

    async def stop(self) -> None:
        """Stop the loop; in-flight sends finish or are released for the next start."""
        raise NotImplementedError

    def wake(self) -> None:
        """Something was queued or scheduled: look now instead of at the next tick."""
        raise NotImplementedError

    async def pause(self, announcement_id: int) -> bool:
        """Pause a running or queued announcement; return whether it was paused."""
        raise NotImplementedError

    async def resume(self, announcement_id: int) -> bool:
        """Resume a paused announcement; return whether it was resumed."""
        raise NotImplementedError

    async def cancel(self, announcement_id: int) -> bool:
        """Cancel a scheduled, queued, running or paused announcement; return whether it was cancelled."""
        raise NotImplementedError
