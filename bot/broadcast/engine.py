"""The durable, rate-limited delivery engine for announcements.

An announcement's recipients are rows of the ``deliveries`` table (one per person, written once by
``Storage.queue_recipients``). The engine streams them in small claimed batches, copies the admin's message to
each under a global pacer and a per-chat gap, and writes the outcomes back in batches; memory stays flat
whatever the audience, and a restart carries on where the last run stopped.

Crash safety and the duplicate bound
------------------------------------
A delivery is claimed (state 'sending') before it is sent, and settled ('sent', 'blocked', 'gone', 'failed',
or 'pending' again for a retry) only when its outcome is committed. Claims only ever take 'pending' rows, so
nobody recorded as 'sent' is sent to again; a restart returns rows left in 'sending' to 'pending'
(``release_claims``), so nobody is skipped. The only people who can get a second copy after a crash (SIGKILL,
power cut) are those whose message was delivered but whose outcome was not committed yet: a subset of the rows
in 'sending' at that moment. The engine claims only while its claimed-but-unsettled rows stay within a window
``W`` (``engine.duplicate_bound``), so at most ``W`` people get a duplicate per crash. By default
``W = DUPLICATE_BOUND = 128``: room for the sends in flight (at most ``max_in_flight``, 32), a batch of outcomes
waiting for the next flush (every ``FLUSH_INTERVAL`` seconds) and a claimed batch ready to send, which is what
the engine needs to keep the pacer busy up to ~1,000 messages/s; batches are sized to fit. In practice far
fewer: claimed rows not yet sent are no duplicates, so at 25-30 messages/s a crash repeats a handful.

Separately, a request that timed out may have been delivered by Telegram anyway (the Bot API has no
idempotency key); it is retried, so an ambiguous network failure can also give one person a second copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import heapq
import itertools
import logging
import math
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.limits import FREE_BROADCAST_RATE
from bot.pacer import CHAT_GAP, WINDOW_MARGIN, Pacer
from bot.storage import Announcement, Delivery, DeliveryFigures, Outcome, Storage

__all__ = [
    "CHAT_GAP",
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_MAX_IN_FLIGHT",
    "DEFAULT_OUTAGE_HORIZON",
    "DEFAULT_PROGRESS_INTERVAL",
    "DUPLICATE_BOUND",
    "FLUSH_INTERVAL",
    "OUTAGE_CHATS",
    "PROBE_BASE",
    "PROBE_CAP",
    "TICK",
    "WINDOW_MARGIN",
    "BroadcastEngine",
    "MarkupFor",
    "Progress",
    "Reporter",
]

logger = logging.getLogger(__name__)

DEFAULT_MAX_IN_FLIGHT: Final = 32  # concurrent sends: hides ~50-300 ms of network latency at 30-1000/s
DEFAULT_MAX_ATTEMPTS: Final = 5  # tries of a delivery that keeps failing with a network error or a 5xx
DEFAULT_PROGRESS_INTERVAL: Final = 3.0  # seconds between progress reports (an admin's status message edit)
FLUSH_INTERVAL: Final = 0.25  # seconds between writes of outcomes (or sooner, after a batch of them)
TICK: Final = 0.5  # seconds between looks for due announcements: a scheduled one fires within ~1 s
RETRY_BASE: Final = 1.0  # seconds before the first retry after a network error; doubles each try
RETRY_CAP: Final = 300.0  # the longest back-off between two tries
RATE_WINDOW: Final = 10.0  # seconds over which Progress.rate is measured
DUPLICATE_BOUND: Final = 128  # W: the most deliveries in 'sending' at any moment (see the module docstring)
MIN_BATCH: Final = 16  # rows claimed (and outcomes flushed) at a time: a quarter-second's worth, at least this
ANNOUNCEMENTS_PER_LOOK: Final = 1000  # announcements read per state on each look (there are a handful)
CHAT_NOT_FOUND: Final = "chat not found"  # in Telegram's description of a 400 for a chat that is gone
ERROR_MAX: Final = 200  # characters of an error description kept in last_error (Telegram's are shorter)
# A network error, a timeout or a 5xx is an outage when it hits this many different chats in a row with no
# success in between; fewer are trouble with those chats, retried up to max_attempts times.
OUTAGE_CHATS: Final = 3
# How long an outage is waited out before its recipients are marked failed (an admin can retry them later).
DEFAULT_OUTAGE_HORIZON: Final = 3600.0
PROBE_BASE: Final = 1.0  # seconds of pause after a transient error, before one send probes the API
PROBE_CAP: Final = 15.0  # the longest pause between two probes: sending resumes this soon after an outage


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


@dataclass(frozen=True, slots=True)
class _Transient:
    """A send failed in a way that says nothing about the reader: a network error, a timeout, a 5xx."""

    error: str


MarkupFor = Callable[[Announcement, str], InlineKeyboardMarkup | None]
Reporter = Callable[[Announcement, Progress], Awaitable[None]]


def _iso(epoch: float) -> str:
    """UTC ISO 8601 with microseconds, comparable as text with the stored ``scheduled_at``."""
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="microseconds")


def _retry_after_seconds(exc: RetryAfter) -> float:
    """How long Telegram asked to wait, as seconds (PTB 22 is moving the attribute to a timedelta)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def _batch_for(rate: float, window: int, max_in_flight: int) -> int:
    """Rows to claim (and outcomes to flush) at a time: about FLUSH_INTERVAL's worth at ``rate``, and small
    enough that the sends in flight and two batches fit in the window ``W``."""
    fits = max(1, (window - max_in_flight) // 2)
    return min(fits, max(MIN_BATCH, math.ceil(rate * FLUSH_INTERVAL)))


class BroadcastEngine:
    """Sends queued announcements to every recipient once, as fast as allowed, surviving restarts.

    ``bot`` is initialised when the first announcement is sent (unless the caller did) and should be the
    engine's own (its own connection pool, with at least ``max_in_flight`` connections), so that replies to
    readers never queue behind a broadcast.
    ``rate`` (messages/second) must stay under Telegram's global limit for the same reason.
    """

    # The default W: no engine built with the default ``duplicate_bound`` ever has more rows in 'sending'.
    DUPLICATE_BOUND: ClassVar[int] = DUPLICATE_BOUND

    def __init__(
        self,
        bot: Bot,
        storage: Storage,
        *,
        rate: float,
        markup_for: MarkupFor,
        report: Reporter | None = None,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        progress_interval: float = DEFAULT_PROGRESS_INTERVAL,
        duplicate_bound: int | None = None,
        batch: int | None = None,
        retry_base: float = RETRY_BASE,
        retry_cap: float = RETRY_CAP,
        tick: float = TICK,
        clock: Callable[[], float] = time.time,
        outage_horizon: float = DEFAULT_OUTAGE_HORIZON,
        probe_base: float = PROBE_BASE,
        probe_cap: float = PROBE_CAP,
    ) -> None:
        if not rate > 0:
            raise ValueError("rate must be positive")
        if max_in_flight < 1 or max_attempts < 1:
            raise ValueError("max_in_flight and max_attempts must be at least 1")
        self._bot = bot
        self._storage = storage
        self.rate = rate
        self._markup_for = markup_for
        self._report = report
        self.max_in_flight = max_in_flight
        self.max_attempts = max_attempts
        self.progress_interval = progress_interval
        # W: the most rows in 'sending' at any moment, hence the most duplicates a crash can cause.
        self.duplicate_bound = duplicate_bound if duplicate_bound is not None else DUPLICATE_BOUND
        self.batch = batch if batch is not None else _batch_for(rate, self.duplicate_bound, max_in_flight)
        if self.batch < 1 or self.duplicate_bound < 1:
            raise ValueError("batch and duplicate_bound must be at least 1")
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self.tick = tick
        self._clock = clock  # wall clock, epoch seconds: back-off times and schedules are stored as such

        # The global pacer and the per-chat gap, on monotonic time (bot/pacer.py).
        self.pacer = Pacer(rate)
        # Above the free limit Telegram accepts the messages only as paid broadcasts (charged in Stars).
        self.paid = rate > FREE_BROADCAST_RATE
        # Outages (see _Run._transient): how long the engine keeps trying before it gives up on the recipients
        # (measured on ``clock``), and the pause between two probes, doubling from ``probe_base``.
        self.outage_horizon = outage_horizon
        self.probe_base = probe_base
        self.probe_cap = probe_cap
        self._probe_delay = probe_base
        self._degraded_since: float | None = None  # monotonic: when a transient error was first seen
        self._outage_since: float | None = None  # ``clock``: when the outage was confirmed

        self._bot_initialized = False
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._wakeup = asyncio.Event()
        # Taken by the engine's own state changes (pause/resume/cancel) and by queueing, never by handlers'
        # code paths: queue_recipients sets 'running' unconditionally, so a cancel must not slip in between.
        self._state_lock = asyncio.Lock()
        self._run: _Run | None = None

    # ----------------------------------------------------------------------------------------- public API

    async def start(self) -> None:
        """Resume unfinished announcements and start the background loop."""
        if self._task is not None:
            return
        self._stopping = False
        self._wakeup = asyncio.Event()
        # Rows left in 'sending' by a crash (or a stop that could not settle them) go back to 'pending'.
        for announcement in await self._storage.announcements(("running", "paused"), limit=ANNOUNCEMENTS_PER_LOOK):
            released = await self._storage.release_claims(announcement.id)
            if released:
                logger.info("announcement %d: %d unsettled deliveries returned to pending", announcement.id, released)
        self._task = asyncio.create_task(self._loop(), name="broadcast-engine")
        logger.info("broadcast engine started at %.1f messages/s (duplicate bound %d)", self.rate, self.duplicate_bound)

    async def stop(self) -> None:
        """Stop the loop; in-flight sends finish or are released for the next start."""
        self._stopping = True
        if self._run is not None:
            self._run.halt("stopped")
        self._wakeup.set()
        task, self._task = self._task, None
        if task is not None:
            try:
                await task
            except Exception:
                logger.exception("broadcast engine loop failed while stopping")
            logger.info("broadcast engine stopped")

    def wake(self) -> None:
        """Something was queued or scheduled: look now instead of at the next tick."""
        self._wakeup.set()

    async def pause(self, announcement_id: int) -> bool:
        """Pause a running or queued announcement; return whether it was paused."""
        async with self._state_lock:
            changed = await self._storage.set_announcement_state(
                announcement_id, "paused", expect=("running", "queued")
            )
        if changed:
            logger.info("announcement %d: paused", announcement_id)
            await self._halt(announcement_id, "paused")
        return changed

    async def resume(self, announcement_id: int) -> bool:
        """Resume a paused announcement; return whether it was resumed."""
        async with self._state_lock:
            announcement = await self._storage.announcement(announcement_id)
            if announcement is None or announcement.state != "paused":
                return False
            # Paused before its recipients were written: it goes back to the queue to get them.
            state = "running" if announcement.started_at is not None else "queued"
            changed = await self._storage.set_announcement_state(announcement_id, state, expect=("paused",))
        if changed:
            logger.info("announcement %d: resumed", announcement_id)
            self.wake()
        return changed

    async def cancel(self, announcement_id: int) -> bool:
        """Cancel a scheduled, queued, running or paused announcement; return whether it was cancelled."""
        async with self._state_lock:
            changed = await self._storage.set_announcement_state(
                announcement_id, "cancelled", expect=("scheduled", "queued", "running", "paused")
            )
        if changed:
            logger.info("announcement %d: cancelled", announcement_id)
            await self._halt(announcement_id, "cancelled")
        return changed

    async def retry_failed(self, announcement_id: int) -> int:
        """Send the failed deliveries of an announcement again (e.g. after a long outage); return how many."""
        async with self._state_lock:
            count = await self._storage.retry_failed(announcement_id)
        if count:
            logger.info("announcement %d: %d failed deliveries queued again", announcement_id, count)
            self.wake()
        return count

    # ----------------------------------------------------------------------------------------- the loop

    async def _halt(self, announcement_id: int, reason: str) -> None:
        """Stop the run of ``announcement_id`` (waiting until it settled), or report the change if idle."""
        run = self._run
        if run is not None and run.announcement.id == announcement_id:
            run.halt(reason)
            if asyncio.current_task() not in run.own_tasks:  # not from inside the run (e.g. its reporter)
                await run.finished.wait()
            return
        announcement = await self._storage.announcement(announcement_id)
        if announcement is not None:
            figures = await self._storage.delivery_figures(announcement_id)
            await self._send_report(announcement, _progress(announcement, figures, rate=0.0, final=True))

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                announcement = await self._pick()
                if announcement is None:
                    await self._idle(self.tick)
                    continue
                await self._deliver(announcement)
            except Exception:
                logger.exception("broadcast loop failed; looking again in %.1fs", self.tick)
                await self._idle(self.tick)

    async def _idle(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wakeup.wait()
        self._wakeup.clear()

    async def _pick(self) -> Announcement | None:
        """Queue due and queued announcements; return the oldest running one."""
        async with self._state_lock:
            due = await self._storage.due_announcements(_iso(self._clock()))
            queued = await self._storage.announcements(("queued",), limit=ANNOUNCEMENTS_PER_LOOK)
            for announcement_id in [*due, *sorted(a.id for a in queued)]:
                if self._stopping:
                    return None
                recipients = await self._storage.queue_recipients(announcement_id)
                logger.info("announcement %d: %d recipients queued", announcement_id, recipients)
        if self._stopping:
            return None
        running = await self._storage.announcements(("running",), limit=ANNOUNCEMENTS_PER_LOOK)
        return min(running, key=lambda a: a.id) if running else None

    async def _deliver(self, announcement: Announcement) -> None:
        """Send one announcement until it is done, paused, cancelled, or the engine stops."""
        if not await self._bot_ready():
            return
        figures = await self._storage.delivery_figures(announcement.id)
        logger.info("announcement %d: sending, %d of %d pending", announcement.id, figures.pending, figures.total)
        run = _Run(self, announcement, figures)
        self._run = run
        try:
            try:
                reason = await run.run()
            finally:
                self._run = None
            final = await self._storage.delivery_figures(announcement.id)
            logger.info(
                "announcement %d %s: sent %d, blocked %d, failed %d, pending %d",
                announcement.id,
                reason,
                final.sent,
                final.blocked,
                final.failed,
                final.pending,
            )
            if reason == "stopped":
                return  # not an end: the next start carries on, and reports
            current = await self._storage.announcement(announcement.id) or announcement
            await self._send_report(current, _progress(current, final, rate=run.recent_rate(), final=True))
        finally:
            run.finished.set()  # pause() and cancel() return now: settled, released and reported

    async def _bot_ready(self) -> bool:
        """Initialise the engine's Bot when the first broadcast starts (not at start-up: its HTTP client's import
        and a getMe would delay the readers' first replies); False, after a pause, if the API does not answer."""
        if self._bot_initialized:
            return True
        try:
            await self._bot.initialize()
        except NetworkError as exc:
            logger.warning("the Bot API does not answer (%s): delivery starts when it does", self._description(exc))
            await self._idle(self.probe_cap)
            return False
        self._bot_initialized = True
        return True

    async def _send_report(self, announcement: Announcement, progress: Progress) -> None:
        """Call the reporter; a failing one is logged and never stops delivery."""
        if self._report is None:
            return
        try:
            await self._report(announcement, progress)
        except Exception:
            logger.exception("announcement %d: progress report failed", announcement.id)

    # ----------------------------------------------------------------------------------------- pacing

    def _hold(self, seconds: float) -> None:
        if self.pacer.hold(seconds):
            logger.warning("flood control: all sending paused for %.1fs", seconds)

    @property
    def degraded(self) -> bool:
        """A transient error was seen and no send has succeeded since: one send at a time, as a probe."""
        return self._degraded_since is not None

    @property
    def in_outage(self) -> bool:
        """Sends to several chats failed in a row: an outage, probed until a send gets through."""
        return self._outage_since is not None

    def _suspect(self) -> None:
        """A send failed with a transient error: pause everything for the probe delay."""
        if self._degraded_since is None:
            self._degraded_since = time.monotonic()
        self.pacer.hold(self._probe_delay)

    def _probe_failed(self) -> None:
        """A probe (a send started while degraded) failed too: wait longer before the next one."""
        self._probe_delay = min(self.probe_cap, self._probe_delay * 2)
        self.pacer.hold(self._probe_delay)

    def _confirm_outage(self, error: str) -> None:
        if self._outage_since is None:
            self._outage_since = self._clock()
            logger.warning(
                "the Bot API fails for every chat (%s): an outage; all sending paused, probing every %.0fs at most",
                error,
                self.probe_cap,
            )

    def _outage_too_long(self) -> bool:
        return self._outage_since is not None and self._clock() - self._outage_since >= self.outage_horizon

    def _healthy(self) -> None:
        """A send started while degraded got an answer: the outage (if any) is over, sending resumes."""
        if self._outage_since is not None:
            logger.warning("the Bot API answers again after %.0fs: sending resumes", self._clock() - self._outage_since)
        self._end_outage()

    def _end_outage(self) -> None:
        self._degraded_since = None
        self._outage_since = None
        self._probe_delay = self.probe_base
        self.pacer.release()

    # ----------------------------------------------------------------------------------------- one send

    def _backoff(self, tries: int) -> float:
        return float(min(self.retry_cap, self.retry_base * 2 ** (tries - 1)))

    async def _attempt(self, run: _Run, delivery: Delivery) -> Outcome | _Transient | None:
        """Send one copy; return its outcome, a transient error (see _Run._transient), or None to send it
        again after a 429's pause."""
        user_id = delivery.user_id
        tries = delivery.attempts + 1
        try:
            version = run.version(delivery.language)
            if version is None:
                return Outcome(user_id, "failed", "the announcement has no message to copy")
            await self._bot.copy_message(
                chat_id=user_id,
                from_chat_id=version[0],
                message_id=version[1],
                disable_notification=run.announcement.silent,
                protect_content=run.announcement.protect,
                reply_markup=run.markup(delivery.language),
                allow_paid_broadcast=True if self.paid else None,
            )
        except RetryAfter as exc:
            # Not the reader's fault and not a try: the row stays claimed and is sent again after the pause.
            self._hold(_retry_after_seconds(exc))
            return None
        except Forbidden as exc:  # blocked the bot, or the account was deleted
            logger.debug("delivery to %d: %s", user_id, self._description(exc))
            return Outcome(user_id, "blocked", self._description(exc))
        except BadRequest as exc:
            logger.debug("delivery to %d: %s", user_id, self._description(exc))
            if CHAT_NOT_FOUND in exc.message.lower():
                return Outcome(user_id, "gone", self._description(exc))
            # E.g. the admin deleted the message to copy: no retry can fix it.
            return Outcome(user_id, "failed", self._description(exc))
        except NetworkError as exc:
            # Connection errors, TimedOut and 5xx answers: an outage, or (rarely) trouble with this one chat;
            # the run tells them apart. A timed-out request may still have been delivered by Telegram: the
            # retry can then give this person a second copy (the Bot API has no idempotency key).
            return _Transient(self._description(exc))
        except TelegramError as exc:  # anything else Telegram said: treat as transient, within max_attempts
            logger.warning("delivery to %d: unexpected %s", user_id, type(exc).__name__)
            return self._retry_or_fail(user_id, tries, self._description(exc))
        except Exception as exc:  # a bug (e.g. in markup_for): keep the row, give up after max_attempts
            logger.exception("delivery to %d failed unexpectedly", user_id)
            return self._retry_or_fail(user_id, tries, type(exc).__name__)
        return Outcome(user_id, "sent")

    def _description(self, exc: TelegramError) -> str:
        """What went wrong, for last_error: Telegram's description (never message text), never the token."""
        text = exc.message[:ERROR_MAX]
        token = self._bot.token
        return text.replace(token, "<token>") if token and token in text else text

    def _retry_or_fail(self, user_id: int, tries: int, error: str) -> Outcome:
        if tries >= self.max_attempts:
            logger.debug("delivery to %d: giving up after %d tries: %s", user_id, tries, error)
            return Outcome(user_id, "failed", error)
        return Outcome(user_id, "pending", error, not_before=self._clock() + self._backoff(tries))


def _progress(announcement: Announcement, figures: DeliveryFigures, *, rate: float, final: bool) -> Progress:
    state = announcement.state
    if figures.pending == 0:
        eta: float | None = 0.0
    elif state == "running" and rate > 0:
        eta = figures.pending / rate
    else:
        eta = None
    return Progress(
        announcement_id=announcement.id,
        state=state,
        total=figures.total,
        sent=figures.sent,
        blocked=figures.blocked,
        failed=figures.failed,
        pending=figures.pending,
        rate=rate,
        eta_seconds=eta,
        final=final,
    )


class _Run:
    """One announcement being sent: its claimed rows, sends in flight, outcomes waiting to be written."""

    def __init__(self, engine: BroadcastEngine, announcement: Announcement, figures: DeliveryFigures) -> None:
        self.engine = engine
        self.storage = engine._storage
        self.announcement = announcement
        self.id = announcement.id
        self.buffer: deque[Delivery] = deque()  # claimed, ready to send in order
        self.deferred: list[tuple[float, int, Delivery]] = []  # claimed, waiting for their chat's gap (a heap)
        self._order = itertools.count()
        self.outcomes: list[Outcome] = []
        # Claimed deliveries whose send failed with a transient error while no other send got through yet:
        # an outage (then they go back to the buffer, no try counted) or trouble with these chats (a try each).
        self.suspects: list[tuple[Delivery, str]] = []
        self.give_up_error: str | None = None  # set when an outage outlasted the horizon
        self.unsettled = 0  # rows claimed (or being claimed) by this run and not yet settled: <= W
        self.exhausted = False  # the last claim found no due pending row
        self.claim: asyncio.Task[list[Delivery]] | None = None
        self.claim_limit = 0
        self.claim_error_until = 0.0
        self.sends: set[asyncio.Task[None]] = set()
        self.in_flight = asyncio.Semaphore(engine.max_in_flight)
        self.halt_reason: str | None = None
        self.changed = asyncio.Event()
        self.flush_wanted = asyncio.Event()
        self.flush_lock = asyncio.Lock()
        self.finished = asyncio.Event()
        self.own_tasks: set[asyncio.Task[Any]] = set()
        self.figures = figures
        self.settled = 0
        self.samples: deque[tuple[float, int]] = deque([(time.monotonic(), 0)])
        self._versions: dict[str, tuple[int, int] | None] = {}
        self._markups: dict[str, InlineKeyboardMarkup | None] = {}

    def halt(self, reason: str) -> None:
        if self.halt_reason is None:
            self.halt_reason = reason
        self.changed.set()

    # ----------------------------------------------------------------------------------------- content

    def version(self, language: str) -> tuple[int, int] | None:
        """The (chat, message) to copy for a reader of ``language``: theirs, the default one, or any."""
        if language not in self._versions:
            versions = self.announcement.versions
            fallback = versions.get(self.storage.default_language)
            if fallback is None and versions:
                fallback = versions[min(versions)]
            self._versions[language] = versions.get(language, fallback)
        return self._versions[language]

    def markup(self, language: str) -> InlineKeyboardMarkup | None:
        if language not in self._markups:
            self._markups[language] = self.engine._markup_for(self.announcement, language)
        return self._markups[language]

    # ----------------------------------------------------------------------------------------- main

    async def run(self) -> str:
        """Send until done or halted; return why it ended: done, paused, cancelled, stopped."""
        flusher = asyncio.create_task(self._flush_loop(), name=f"broadcast-{self.id}-flush")
        monitor = asyncio.create_task(self._monitor(), name=f"broadcast-{self.id}-monitor")
        self.own_tasks.update((flusher, monitor))
        try:
            reason = await self._dispatch()
        finally:
            await self._wind_down()
            for task in (flusher, monitor):
                task.cancel()
            await asyncio.gather(flusher, monitor, return_exceptions=True)
        return reason

    async def _wait(self, seconds: float | None) -> None:
        """Wait until something changed (a send ended, a flush, a claim, a halt) or ``seconds`` passed."""
        if seconds is not None and seconds <= 0:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self.changed.wait()
        self.changed.clear()

    async def _dispatch(self) -> str:
        engine = self.engine
        while self.halt_reason is None:
            if self.give_up_error is not None:
                await self._give_up(self.give_up_error)
            self._harvest_claim()
            self._start_claim()
            if engine.degraded and self.sends:
                # While a transient error is unexplained, one send at a time probes the API: wait for it.
                await self._wait(engine.tick)
                continue
            now = time.monotonic()
            delivery = self._pop_ready(now)
            if delivery is not None:
                await self.in_flight.acquire()
                if not await self._wait_for_slot():
                    self.in_flight.release()
                    self.buffer.appendleft(delivery)
                    break
                if engine.degraded and self.sends:  # a send failed while this one waited for its slot
                    self.in_flight.release()
                    self.buffer.appendleft(delivery)
                    continue
                engine.pacer.take_slot()
                task = asyncio.create_task(self._send(delivery, time.monotonic()))
                self.sends.add(task)
                task.add_done_callback(self.sends.discard)
                continue
            if self.claim is not None or self.deferred or self.sends or not self.exhausted:
                # A claim is under way, a chat's gap or a send is pending, or there is no room to claim until
                # the next flush: wait for that.
                timeout = self.deferred[0][0] - now if self.deferred else engine.tick
                if not self.exhausted and now < self.claim_error_until:
                    timeout = min(timeout, self.claim_error_until - now)
                await self._wait(timeout)
                continue
            if self.suspects:
                # Only deliveries that failed are left: ask the API itself whether it answers.
                await self._probe_api()
                continue
            # Nothing claimed, nothing in flight, and no due pending row: settle everything, then either the
            # announcement is done or some rows are in back-off.
            if not await self.flush():
                await self._wait(engine.tick)
                continue
            next_try = await self.storage.next_retry_at(self.id)
            if next_try is None:
                if await self.storage.finish_announcement(self.id):
                    return "done"
                current = await self.storage.announcement(self.id)
                if current is not None and current.state == "running":
                    # A row is still pending or sending (e.g. the admin retried the failed ones): look again.
                    self.exhausted = False
                    await self._wait(engine.tick)
                    continue
                self.halt(current.state if current is not None else "cancelled")
                break
            self.exhausted = False
            await self._wait(min(next_try - engine._clock(), engine.tick))
        return self.halt_reason or "stopped"

    async def _wait_for_slot(self) -> bool:
        """Wait for the pacer; return False if the run was halted meanwhile."""
        while self.halt_reason is None:
            now = time.monotonic()
            at = self.engine.pacer.slot_at()
            if at <= now:
                return True
            await self._wait(at - now)
        return False

    def _pop_ready(self, now: float) -> Delivery | None:
        """The next claimed delivery whose chat may get a message now, if any."""
        if self.deferred and self.deferred[0][0] <= now:
            return heapq.heappop(self.deferred)[2]
        while self.buffer:
            delivery = self.buffer.popleft()
            ready = self.engine.pacer.chat_ready_at(delivery.user_id)
            if ready <= now:
                return delivery
            heapq.heappush(self.deferred, (ready, next(self._order), delivery))
        return None

    # ----------------------------------------------------------------------------------------- claims

    def _start_claim(self) -> None:
        """Claim the next batch in the background when the buffer runs low and the window has room."""
        if self.claim is not None or self.exhausted or self.halt_reason is not None:
            return
        if time.monotonic() < self.claim_error_until:
            return
        batch, window = self.engine.batch, self.engine.duplicate_bound
        room = window - self.unsettled
        # Claim half a batch or more at a time: a trickle of one-row transactions would cost more than it gains.
        if len(self.buffer) + len(self.deferred) >= batch or room < max(1, min(batch, window) // 2):
            return
        limit = min(batch, room)
        self.unsettled += limit  # reserved now, so that 'sending' rows never exceed W
        self.claim_limit = limit
        self.claim = asyncio.create_task(
            self.storage.claim_deliveries(self.id, limit, self.engine._clock()), name=f"broadcast-{self.id}-claim"
        )
        self.claim.add_done_callback(lambda _: self.changed.set())

    def _harvest_claim(self) -> None:
        task = self.claim
        if task is None or not task.done():
            return
        self.claim = None
        try:
            claimed = task.result()
        except Exception:
            # The claim's transaction rolled back: nothing was claimed.
            logger.exception("announcement %d: claiming deliveries failed", self.id)
            claimed = []
            self.claim_error_until = time.monotonic() + self.engine.tick
        else:
            if not claimed:
                self.exhausted = True
        self.unsettled -= self.claim_limit - len(claimed)
        self.buffer.extend(claimed)

    # ----------------------------------------------------------------------------------------- sends

    async def _send(self, delivery: Delivery, started: float) -> None:
        engine = self.engine
        try:
            outcome = await engine._attempt(self, delivery)
        finally:
            self.in_flight.release()
            engine.pacer.chat_done(delivery.user_id)
        if outcome is None:
            self.buffer.appendleft(delivery)  # 429: still claimed, goes first after the pause
        elif isinstance(outcome, _Transient):
            self._transient(delivery, outcome.error, started)
        else:
            if self._is_probe(started):
                self._recovered()  # the API answered a send that started after the trouble began
            self.outcomes.append(outcome)
            if len(self.outcomes) >= engine.batch:
                self.flush_wanted.set()
        self.changed.set()

    # ----------------------------------------------------------------------------------------- outages

    def _is_probe(self, started: float) -> bool:
        since = self.engine._degraded_since
        return since is not None and started >= since

    def _transient(self, delivery: Delivery, error: str, started: float) -> None:
        """A send failed with a network error, a timeout or a 5xx: pause everything and probe, like a 429.

        Failures in a row for OUTAGE_CHATS different chats make an outage: no try is counted, the rows stay
        claimed, and one send at a time probes the API (pausing longer after each failed probe) until one gets
        through, or the outage has lasted ``outage_horizon`` (then the recipients are marked failed). A send
        that gets through before that shows the API works: the failures so far were those chats' own trouble,
        a try each (see ``_recovered``).
        """
        engine = self.engine
        probe = self._is_probe(started)
        engine._suspect()
        if probe:
            engine._probe_failed()
        if engine.in_outage:
            # Not the reader's fault and not a try. To the back: the next probe goes to another chat, so one
            # chat's own trouble cannot pass for an outage that never ends.
            self.buffer.append(delivery)
            if engine._outage_too_long() and self.give_up_error is None:
                minutes = engine.outage_horizon / 60
                self.give_up_error = f"gave up after an outage of {minutes:.0f} min: {error}"[:ERROR_MAX]
            return
        self.suspects.append((delivery, error))
        if len({d.user_id for d, _ in self.suspects}) >= OUTAGE_CHATS:
            engine._confirm_outage(error)
            self.buffer.extend(d for d, _ in self.suspects)
            self.suspects.clear()

    def _recovered(self) -> None:
        """A probe got through: the outage, if any, is over; chats that failed alone get a try counted."""
        engine = self.engine
        engine._healthy()
        for delivery, error in self.suspects:
            self.outcomes.append(engine._retry_or_fail(delivery.user_id, delivery.attempts + 1, error))
        self.suspects.clear()

    async def _probe_api(self) -> None:
        """Only failed deliveries are left to send: a getMe tells an outage from those chats' own trouble."""
        engine = self.engine
        if not await self._wait_for_slot():
            return
        engine.pacer.take_slot()
        started = time.monotonic()
        try:
            await engine._bot.get_me()
        except NetworkError as exc:
            if self._is_probe(started):
                engine._probe_failed()
            engine._confirm_outage(engine._description(exc))
            self.buffer.extend(d for d, _ in self.suspects)
            self.suspects.clear()
        except TelegramError:
            self._recovered()  # it answered, if only with an error: the API is up
        else:
            self._recovered()

    async def _give_up(self, error: str) -> None:
        """The outage outlasted the horizon: mark every recipient not reached yet failed."""
        self.give_up_error = None
        if self.claim is not None:
            await asyncio.gather(self.claim, return_exceptions=True)
            self._harvest_claim()
        claimed = [*self.buffer, *(d for _, _, d in self.deferred), *(d for d, _ in self.suspects)]
        self.buffer.clear()
        self.deferred.clear()
        self.suspects.clear()
        self.outcomes.extend(Outcome(d.user_id, "failed", error) for d in claimed)
        await self.flush()
        failed = await self.storage.fail_pending(self.id, error)
        self.figures = await self.storage.delivery_figures(self.id)
        self.exhausted = False
        logger.error(
            "announcement %d: the Bot API has been failing for %.0f min; %d recipients marked failed (an admin "
            "can retry them from /announcements)",
            self.id,
            self.engine.outage_horizon / 60,
            failed + len(claimed),
        )
        self.engine._end_outage()

    # ----------------------------------------------------------------------------------------- outcomes

    async def _flush_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(FLUSH_INTERVAL):
                    await self.flush_wanted.wait()
            self.flush_wanted.clear()
            await self.flush()

    async def flush(self) -> bool:
        """Write the outcomes gathered so far in one transaction; return False if that failed."""
        async with self.flush_lock:
            if not self.outcomes:
                return True
            batch, self.outcomes = self.outcomes, []
            try:
                await self.storage.record_outcomes(self.id, batch)
            except Exception:
                logger.exception("announcement %d: writing %d outcomes failed; will retry", self.id, len(batch))
                self.outcomes[:0] = batch
                return False
        self.unsettled -= len(batch)
        sent = blocked = failed = 0
        for outcome in batch:
            if outcome.state == "sent":
                sent += 1
            elif outcome.state in ("blocked", "gone"):
                blocked += 1
            elif outcome.state == "failed":
                failed += 1
        done = sent + blocked + failed
        figures = self.figures
        self.figures = DeliveryFigures(
            pending=figures.pending - done,
            sent=figures.sent + sent,
            blocked=figures.blocked + blocked,
            failed=figures.failed + failed,
        )
        self.settled += done
        self._sample()
        self.changed.set()
        return True

    async def _wind_down(self) -> None:
        """Let claims and sends in flight finish, write their outcomes, and release what was not sent."""
        if self.claim is not None:
            await asyncio.gather(self.claim, return_exceptions=True)
            self._harvest_claim()
        while self.sends:
            await asyncio.gather(*list(self.sends), return_exceptions=True)
        for _ in range(3):
            if await self.flush():
                break
            await asyncio.sleep(FLUSH_INTERVAL)
        if self.buffer or self.deferred or self.outcomes or self.suspects:
            released = await self.storage.release_claims(self.id)
            logger.info("announcement %d: %d claimed deliveries returned to pending", self.id, released)
        self.buffer.clear()
        self.deferred.clear()
        self.suspects.clear()

    # ----------------------------------------------------------------------------------------- progress

    def _sample(self) -> None:
        now = time.monotonic()
        self.samples.append((now, self.settled))
        while len(self.samples) > 2 and self.samples[1][0] <= now - RATE_WINDOW:
            self.samples.popleft()

    def recent_rate(self) -> float:
        """Settled deliveries per second over the last RATE_WINDOW seconds."""
        self._sample()
        (start, first), (end, last) = self.samples[0], self.samples[-1]
        return (last - first) / (end - start) if end > start else 0.0

    async def _monitor(self) -> None:
        """Notice state changes made elsewhere, and report progress every ``progress_interval`` seconds."""
        engine = self.engine
        last_report = time.monotonic()
        report: asyncio.Task[None] | None = None
        try:
            while True:
                await asyncio.sleep(min(engine.tick, engine.progress_interval))
                current = await self.storage.announcement(self.id)
                if current is None or current.state != "running":
                    self.halt(current.state if current is not None else "cancelled")
                    return
                now = time.monotonic()
                due = now - last_report >= engine.progress_interval
                if engine._report is not None and due and (report is None or report.done()):
                    progress = _progress(current, self.figures, rate=self.recent_rate(), final=False)
                    # In its own task: a slow reporter (an edit of the admin's message) never delays sending.
                    report = asyncio.create_task(engine._send_report(current, progress))
                    self.own_tasks.add(report)
                    report.add_done_callback(self.own_tasks.discard)
                    last_report = now
        finally:
            if report is not None and not report.done():
                # The final report comes after this one, never before it.
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.shield(report)
