"""Flood control: sliding windows of the bot's recent deliveries against messages-per-second limits."""

from __future__ import annotations

import logging
import math
from collections import deque

__all__ = ["FloodWindows"]

logger = logging.getLogger(__name__)


def _window(limit: float) -> tuple[int, float]:
    """Return (capacity, window seconds) for a messages-per-second limit."""
    capacity = max(1, int(limit))
    return capacity, capacity / limit


class FloodWindows:
    """When the bot delivered lately, in all chats and per chat; the limits are passed in, as they may change."""

    def __init__(self) -> None:
        self._global: deque[float] = deque()
        self._chats: dict[int, deque[float]] = {}

    def retry_after(
        self, chat_id: int, now: float, global_limit: float | None, per_chat_limit: float | None
    ) -> int | None:
        """Return the seconds to wait when delivering to ``chat_id`` now would exceed a limit, else None."""
        checks: list[tuple[float, deque[float]]] = []
        if global_limit:
            checks.append((global_limit, self._global))
        if per_chat_limit:
            window = self._chats.get(chat_id)
            if window is not None:
                checks.append((per_chat_limit, window))
        for limit, stamps in checks:
            capacity, span = _window(limit)
            while stamps and stamps[0] <= now - span:
                stamps.popleft()
            if len(stamps) >= capacity:
                return max(1, math.ceil(stamps[0] + span - now))
        return None

    def record(self, chat_id: int, now: float, global_limit: float | None, per_chat_limit: float | None) -> None:
        """Count a delivery to ``chat_id`` at ``now`` in the windows of the limits that are set."""
        if global_limit:
            self._global.append(now)
        if per_chat_limit:
            window = self._chats.setdefault(chat_id, deque())
            window.append(now)
            _, span = _window(per_chat_limit)
            while window and window[0] <= now - span:
                window.popleft()
