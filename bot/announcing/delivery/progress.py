"""Where an announcement's delivery stands (``Progress``, for the admin's status message) and its recent rate."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.announcing.delivery.settings import RATE_WINDOW
from bot.storage import Announcement, AnnouncementState, DeliveryFigures

__all__ = ["Progress", "ProgressListener", "RateMeter"]


@dataclass(frozen=True, slots=True)
class Progress:
    """Where an announcement's delivery stands, for the admin's status message."""

    announcement_id: int
    state: AnnouncementState  # running, paused, done or cancelled
    figures: DeliveryFigures  # blocked: blocked the bot, deactivated, or chat not found; failed: gave up
    rate: float  # messages per second over the last few seconds
    eta_seconds: float | None  # None when unknown (e.g. paused)
    final: bool  # the last progress of this run

    @classmethod
    def of(cls, announcement: Announcement, figures: DeliveryFigures, *, rate: float, final: bool) -> Progress:
        """The progress of ``announcement`` with ``figures``, and an ETA at ``rate`` while it runs."""
        if figures.pending == 0:
            eta: float | None = 0.0
        elif announcement.state == AnnouncementState.RUNNING and rate > 0:
            eta = figures.pending / rate
        else:
            eta = None
        return cls(announcement.id, announcement.state, figures, rate, eta, final)


# Told each ``Progress`` of an announcement's run (the app edits the admin's status message with it).
ProgressListener = Callable[[Announcement, Progress], Awaitable[None]]


class RateMeter:
    """Settled deliveries per second over the last RATE_WINDOW seconds."""

    def __init__(self) -> None:
        self.settled = 0
        self._samples: deque[tuple[float, int]] = deque([(time.monotonic(), 0)])

    def add(self, count: int) -> None:
        """``count`` more deliveries were settled."""
        self.settled += count
        self._sample()

    def rate(self) -> float:
        """Deliveries settled per second lately."""
        self._sample()
        (start, first), (end, last) = self._samples[0], self._samples[-1]
        return (last - first) / (end - start) if end > start else 0.0

    def _sample(self) -> None:
        now = time.monotonic()
        self._samples.append((now, self.settled))
        while len(self._samples) > 2 and self._samples[1][0] <= now - RATE_WINDOW:
            self._samples.popleft()
