"""When the next announcement message may leave: a steady global rate, Telegram's sliding window, pauses (a
429's ``retry_after``, an outage's probe delay) and one message per second per chat.

Pure bookkeeping over an injected clock, so that tests check every decision without real time.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Final

from bot.telegram.limits import MESSAGES_PER_SECOND_PER_CHAT

__all__ = ["CATCH_UP", "CHAT_GAP", "WINDOW_MARGIN", "Pacer"]

# Telegram (and the emulator) count messages in a sliding window: at most ``rate`` in any one second. Sends
# are paced at exactly ``rate``, and any ``rate`` consecutive sends are kept this much longer than the window
# apart, because a request reaches Telegram a few milliseconds later or sooner than it left (network and
# event-loop jitter) and two that drift closer would make the window hold one message too many: a 429. It
# costs 2% of the rate.
WINDOW_MARGIN: Final = 0.02
# Never more than MESSAGES_PER_SECOND_PER_CHAT to one chat: the gap is counted from when the previous send to
# that chat completed (Telegram had counted it by then), so no jitter margin is needed.
CHAT_GAP: Final = 1.0 / MESSAGES_PER_SECOND_PER_CHAT
# A send that starts up to this late (a busy machine wakes the event loop late) keeps the schedule: the next
# ones catch up, so the rate is still reached; the sliding window above still bounds any catch-up burst. Later
# than this is a pause (nothing to send, a 429): the schedule starts afresh, with no burst to make up for it.
CATCH_UP: Final = 0.25


class Pacer:
    """Decides when sends may start; ``clock`` is monotonic seconds (``time.monotonic`` in production)."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if not rate > 0:
            raise ValueError("rate must be positive")
        self._clock = clock
        self.interval = 1.0 / rate
        # Any ``capacity`` consecutive sends span at least ``span`` + WINDOW_MARGIN seconds.
        capacity = max(1, int(rate))
        self._span = capacity / rate
        self._recent: deque[float] = deque(maxlen=capacity)
        self._next_slot = 0.0
        self.held_until = 0.0  # all sending waits until then (a 429, or an outage being probed)
        # Per-chat gap: when each recently served chat may get the next message (pruned as times pass).
        self._chat_free: dict[int, float] = {}
        self._chat_expiry: deque[tuple[float, int]] = deque()

    def now(self) -> float:
        """The pacer's clock."""
        return self._clock()

    def slot_at(self) -> float:
        """When the next send may start under the rate, a pause and the sliding window (now or earlier: at once)."""
        at = max(self._next_slot, self.held_until)
        if len(self._recent) == self._recent.maxlen:
            at = max(at, self._recent[0] + self._span + WINDOW_MARGIN)
        return at

    def take_slot(self) -> None:
        """A send starts now."""
        now = self._clock()
        if now - self._next_slot < max(self.interval, CATCH_UP):
            # On schedule, or a wake-up came a little late: keep to the schedule rather than lose the lateness.
            self._next_slot += self.interval
        else:
            self._next_slot = now + self.interval  # after a pause: start afresh, no burst to catch up
        self._recent.append(now)

    def hold(self, seconds: float) -> bool:
        """Pause all sending for ``seconds`` from now; return whether that extended the current pause."""
        until = self._clock() + seconds
        if until > self.held_until:
            self.held_until = until
            return True
        return False

    def release(self) -> None:
        """End a pause early (an outage's probe got through)."""
        self.held_until = min(self.held_until, self._clock())

    def chat_ready_at(self, chat_id: int) -> float:
        """When ``chat_id`` may get its next message (now or earlier: at once)."""
        now = self._clock()
        expiry = self._chat_expiry
        while expiry and expiry[0][0] <= now:
            at, old = expiry.popleft()
            if self._chat_free.get(old) == at:
                del self._chat_free[old]
        return self._chat_free.get(chat_id, 0.0)

    def chat_done(self, chat_id: int) -> None:
        """A send to ``chat_id`` completed: the next one waits CHAT_GAP."""
        at = self._clock() + CHAT_GAP
        self._chat_free[chat_id] = at
        self._chat_expiry.append((at, chat_id))
