"""The engine's constants and the settings one run of an announcement works with."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from telegram import InlineKeyboardMarkup

from bot.storage import Announcement

__all__ = [
    "ANNOUNCEMENTS_PER_LOOK",
    "CHAT_NOT_FOUND",
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_MAX_IN_FLIGHT",
    "DEFAULT_OUTAGE_HORIZON",
    "DEFAULT_PROGRESS_INTERVAL",
    "DUPLICATE_BOUND",
    "ERROR_MAX",
    "FLUSH_INTERVAL",
    "MIN_BATCH",
    "OUTAGE_CHATS",
    "PROBE_BASE",
    "PROBE_CAP",
    "PURGE_INTERVAL",
    "RATE_WINDOW",
    "RETRY_BASE",
    "RETRY_CAP",
    "STOPPED",
    "STOP_SENDS_SHARE",
    "STOP_TIMEOUT",
    "TICK",
    "UNANSWERED",
    "Clock",
    "MarkupFor",
    "NeutralFor",
    "RunSettings",
    "batch_for",
]

DEFAULT_MAX_IN_FLIGHT: Final = 32  # concurrent sends: hides ~50-300 ms of network latency at 30-1000/s
DEFAULT_MAX_ATTEMPTS: Final = 5  # tries of a delivery that keeps failing with a network error or a 5xx
DEFAULT_PROGRESS_INTERVAL: Final = 3.0  # seconds between two progress updates (an admin's status message edit)
FLUSH_INTERVAL: Final = 0.25  # seconds between writes of outcomes (or sooner, after a batch of them)
TICK: Final = 0.5  # seconds between looks for due announcements: a scheduled one fires within ~1 s
RETRY_BASE: Final = 1.0  # seconds before the first retry after a network error; doubles each try
RETRY_CAP: Final = 300.0  # the longest back-off between two tries
RATE_WINDOW: Final = 10.0  # seconds over which Progress.rate is measured
DUPLICATE_BOUND: Final = 128  # W: the most deliveries in 'sending' at any moment (see the package docstring)
MIN_BATCH: Final = 16  # rows claimed (and outcomes flushed) at a time: a quarter-second's worth, at least this
ANNOUNCEMENTS_PER_LOOK: Final = 1000  # announcements read per state on each look (there are a handful)
# Why a run ended when the engine itself stopped: not an announcement state (the next start carries on).
STOPPED: Final = "stopped"
# engine.stop() returns within about this many seconds, a send hanging or not: the whole process must stop
# within a container's 10 s grace. Sends in flight get STOP_SENDS_SHARE of it to answer; the rest writes.
STOP_TIMEOUT: Final = 3.0
STOP_SENDS_SHARE: Final = 2 / 3
# last_error of a send whose answer never came before a stop: Telegram may have delivered it or not, so it is
# sent again (a try counted): at most one second copy per such send.
UNANSWERED: Final = "no answer before the engine stopped"
CHAT_NOT_FOUND: Final = "chat not found"  # in Telegram's description of a 400 for a chat that is gone
ERROR_MAX: Final = 200  # characters of an error description kept in last_error (Telegram's are shorter)
# A network error, a timeout or a 5xx is an outage when it hits this many different chats in a row with no
# success in between; fewer are trouble with those chats, retried up to max_attempts times.
OUTAGE_CHATS: Final = 3
# How long an outage is waited out before its recipients are marked failed (an admin can retry them later).
DEFAULT_OUTAGE_HORIZON: Final = 3600.0
PROBE_BASE: Final = 1.0  # seconds of pause after a transient error, before one send probes the API
# Seconds (on the engine's clock) between two looks for announcements whose delivery rows have expired.
PURGE_INTERVAL: Final = 3600.0
PROBE_CAP: Final = 15.0  # the longest pause between two probes: sending resumes this soon after an outage

MarkupFor = Callable[[Announcement, str], InlineKeyboardMarkup | None]
# The neutral message a reader in discreet mode gets instead of the copy: (text, keyboard) in their language.
NeutralFor = Callable[[Announcement, str], tuple[str, InlineKeyboardMarkup]]
Clock = Callable[[], float]


def batch_for(rate: float, window: int, max_in_flight: int) -> int:
    """Rows to claim (and outcomes to flush) at a time: about FLUSH_INTERVAL's worth at ``rate``, and small
    enough that the sends in flight and two batches fit in the window ``W``."""
    fits = max(1, (window - max_in_flight) // 2)
    return min(fits, max(MIN_BATCH, math.ceil(rate * FLUSH_INTERVAL)))


@dataclass(frozen=True, slots=True)
class RunSettings:
    """The engine's knobs that a run reads (all fixed when the engine is built)."""

    max_in_flight: int
    batch: int
    duplicate_bound: int
    tick: float
    progress_interval: float
    outage_horizon: float
    stop_grace: float = STOP_TIMEOUT * STOP_SENDS_SHARE  # seconds sends in flight get to answer at a halt
