"""What the emulator records per chat while the bot works, for the driver's waits to read.

Its own module so that the core (which writes it) and the driver (which reads it) need not import each other.
"""

from __future__ import annotations

import logging
from collections import deque

from ._models import CallbackAnswer, InlineAnswer

__all__ = ["ChatTracker"]

logger = logging.getLogger(__name__)


class ChatTracker:
    """One chat's activity bookkeeping: the bot's calls, the awaited update, the answers and errors seen."""

    def __init__(self, seq: int, now: float) -> None:
        self._activity_seq = 0
        self._activity_at = 0.0
        self._action_at = now
        self._mark = seq
        self._action_seq = seq
        self._first_activity_at: float | None = None
        self._awaited_update: int | None = None
        self._inflight = 0
        self._events = 0  # messages the bot sent, edited or deleted in this chat
        self._baseline = 0  # ... of which wait_reply has accounted for these
        self._event_seq = 0
        self._pressed: str | None = None  # the query id of the latest button press
        self._inline_query: str | None = None  # the id of the latest inline query
        self.recent_errors: deque[tuple[str, str]] = deque(maxlen=10)
        self.callback_answers: list[CallbackAnswer] = []
        self.inline_answers: list[InlineAnswer] = []

    def _on_delivered(self, update_id: int, seq: int, now: float) -> None:
        """The bot fetched the awaited update: only activity from now on can answer it."""
        if self._awaited_update == update_id:
            self._awaited_update = None
            self._mark = max(self._mark, seq)
            self._action_at = now
            self._first_activity_at = None
            self._baseline = self._events

    def _on_activity(self, seq: int, now: float, *, message_event: bool = False) -> None:
        """Record a bot call that changed this chat (``message_event``: a message sent, edited or deleted)."""
        self._activity_seq = seq
        self._activity_at = now
        if self._first_activity_at is None:
            self._first_activity_at = now
        if message_event:
            self._events += 1
            self._event_seq = seq
