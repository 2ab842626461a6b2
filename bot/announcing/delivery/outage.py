"""The degraded/outage state machine: when a transient error pauses sending, and when an outage ends.

A send that fails with a network error, a timeout or a 5xx makes the engine *degraded*: everything pauses for the
probe delay and one send at a time probes the API. Several chats failing in a row make it an *outage*, probed
(with a doubling pause, up to ``probe_cap``) until a send gets through, or given up after ``horizon`` seconds on
``clock``. The run (bot/announcing/delivery/run.py) decides which failures count; this class only keeps the state.
"""

from __future__ import annotations

import logging

from bot.announcing.delivery.pacer import Pacer
from bot.announcing.delivery.settings import Clock

__all__ = ["OutageTracker"]

logger = logging.getLogger(__name__)


class OutageTracker:
    """Whether the Bot API looks down, since when, and how long to pause before the next probe."""

    def __init__(self, pacer: Pacer, *, clock: Clock, horizon: float, probe_base: float, probe_cap: float) -> None:
        self._pacer = pacer
        self._clock = clock  # wall clock: the horizon is measured on it (tests move it)
        self.horizon = horizon
        self.probe_base = probe_base
        self.probe_cap = probe_cap
        self._probe_delay = probe_base
        self._degraded_since: float | None = None  # pacer's clock: when a transient error was first seen
        self._outage_since: float | None = None  # ``clock``: when the outage was confirmed

    @property
    def degraded(self) -> bool:
        """A transient error was seen and no send has succeeded since: one send at a time, as a probe."""
        return self._degraded_since is not None

    @property
    def in_outage(self) -> bool:
        """Sends to several chats failed in a row: an outage, probed until a send gets through."""
        return self._outage_since is not None

    def is_probe(self, started: float) -> bool:
        """Whether a send started at ``started`` (monotonic) began after the trouble did."""
        since = self._degraded_since
        return since is not None and started >= since

    def suspect(self) -> None:
        """A send failed with a transient error: pause everything for the probe delay."""
        if self._degraded_since is None:
            self._degraded_since = self._pacer.now()  # the run's monotonic time, which sends start on
        self._pacer.hold(self._probe_delay)

    def probe_failed(self) -> None:
        """A probe (a send started while degraded) failed too: wait longer before the next one."""
        self._probe_delay = min(self.probe_cap, self._probe_delay * 2)
        self._pacer.hold(self._probe_delay)

    def confirm(self, error: str) -> None:
        """Failures for several chats in a row (or a failed getMe): an outage."""
        if self._outage_since is None:
            self._outage_since = self._clock()
            logger.warning(
                "the Bot API fails for every chat (%s): an outage; all sending paused, probing every %.0fs at most",
                error,
                self.probe_cap,
            )

    def too_long(self) -> bool:
        """The outage has lasted the horizon: time to give up on its recipients."""
        return self._outage_since is not None and self._clock() - self._outage_since >= self.horizon

    def healthy(self) -> None:
        """A send started while degraded got an answer: the outage (if any) is over, sending resumes."""
        if self._outage_since is not None:
            logger.warning("the Bot API answers again after %.0fs: sending resumes", self._clock() - self._outage_since)
        self.end()

    def end(self) -> None:
        """Forget the trouble (recovered, or given up on) and let the pacer send again."""
        self._degraded_since = None
        self._outage_since = None
        self._probe_delay = self.probe_base
        self._pacer.release()
