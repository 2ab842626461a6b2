"""The engine's public face and its loop: pick the next announcement, run it, show how it ended.

The delivery itself is bot/announcing/delivery/run.py; see bot/announcing/delivery/__init__.py for the guarantees.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import math
import time
from collections.abc import Callable
from typing import ClassVar

from telegram import Bot
from telegram.error import NetworkError

from bot.announcing.delivery.outage import OutageTracker
from bot.announcing.delivery.pacer import Pacer
from bot.announcing.delivery.progress import Progress, ProgressListener
from bot.announcing.delivery.run import Run
from bot.announcing.delivery.send import CopyRequests, Sender
from bot.announcing.delivery.settings import (
    ANNOUNCEMENTS_PER_LOOK,
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_OUTAGE_HORIZON,
    DEFAULT_PROGRESS_INTERVAL,
    DUPLICATE_BOUND,
    PROBE_BASE,
    PROBE_CAP,
    PURGE_INTERVAL,
    RETRY_BASE,
    RETRY_CAP,
    STOP_SENDS_SHARE,
    STOP_TIMEOUT,
    STOPPED,
    TICK,
    MarkupFor,
    NeutralFor,
    RunSettings,
    batch_for,
)
from bot.config import DEFAULT_DELIVERY_RETENTION_DAYS
from bot.storage import Announcement, Storage
from bot.storage import AnnouncementState as State
from bot.telegram.limits import FREE_BROADCAST_RATE

__all__ = ["BroadcastEngine"]

logger = logging.getLogger(__name__)


def _iso(epoch: float) -> str:
    """UTC ISO 8601 with microseconds, comparable as text with the stored ``scheduled_at``."""
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="microseconds")


class BroadcastEngine:
    """Sends queued announcements to every recipient once, as fast as allowed, surviving restarts.

    ``bot`` is initialised when the first announcement is sent (unless the caller did) and should be the
    engine's own (its own connection pool, with at least ``max_in_flight`` connections), so that replies to
    readers never queue behind a broadcast.
    ``rate`` (messages/s): free up to ``FREE_BROADCAST_RATE``; above it each copy is a paid broadcast (up to 1000/s).
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
        neutral_for: NeutralFor | None = None,
        on_progress: ProgressListener | None = None,
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
        stop_timeout: float = STOP_TIMEOUT,
        delivery_retention_days: float = DEFAULT_DELIVERY_RETENTION_DAYS,
    ) -> None:
        if not rate > 0:
            raise ValueError("rate must be positive")
        if max_in_flight < 1 or max_attempts < 1:
            raise ValueError("max_in_flight and max_attempts must be at least 1")
        self._bot = bot
        self._storage = storage
        self.rate = rate
        self._markup_for = markup_for
        self._neutral_for = neutral_for
        self._on_progress = on_progress
        self.max_in_flight = max_in_flight
        # W: the most rows in 'sending' at any moment, hence the most duplicates a crash can cause.
        self.duplicate_bound = duplicate_bound if duplicate_bound is not None else DUPLICATE_BOUND
        self.batch = batch if batch is not None else batch_for(rate, self.duplicate_bound, max_in_flight)
        if self.batch < 1 or self.duplicate_bound < 1:
            raise ValueError("batch and duplicate_bound must be at least 1")
        self.tick = tick
        self._clock = clock  # wall clock, epoch seconds: back-off times and schedules are stored as such

        # The global pacer and the per-chat gap, on monotonic time (bot/announcing/delivery/pacer.py).
        self.pacer = Pacer(rate)
        # Above the free limit Telegram accepts the messages only as paid broadcasts (charged in Stars).
        self.paid = rate > FREE_BROADCAST_RATE
        # Outages (see Run._transient): how long the engine keeps trying before it gives up on the recipients
        # (measured on ``clock``), and the pause between two probes, doubling from ``probe_base``. The values
        # live in the tracker, the sender and the run's settings; the engine itself waits ``probe_cap`` when
        # the API does not answer its first call.
        self.probe_cap = probe_cap
        self.outage = OutageTracker(
            self.pacer, clock=clock, horizon=outage_horizon, probe_base=probe_base, probe_cap=probe_cap
        )
        self._sender = Sender(
            bot, self.pacer, clock=clock, max_attempts=max_attempts, retry_base=retry_base, retry_cap=retry_cap
        )
        self._settings = RunSettings(
            max_in_flight=max_in_flight,
            batch=self.batch,
            duplicate_bound=self.duplicate_bound,
            tick=tick,
            progress_interval=progress_interval,
            outage_horizon=outage_horizon,
            stop_grace=stop_timeout * STOP_SENDS_SHARE,
        )
        self.stop_timeout = stop_timeout
        # Delivery rows of announcements finished longer ago are dropped (totals kept): at the loop's first
        # look, then every PURGE_INTERVAL seconds of ``clock``.
        self.delivery_retention = delivery_retention_days * 86400.0
        self._next_purge = -math.inf

        self._bot_initialized = False
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._wakeup = asyncio.Event()
        # Taken by the engine's own state changes (pause/resume/cancel) and by queueing, never by handlers'
        # code paths: deliveries.queue sets 'running' unconditionally, so a cancel must not slip in between.
        self._state_lock = asyncio.Lock()
        self._run: Run | None = None

    # ----------------------------------------------------------------------------------------- public API

    async def start(self) -> None:
        """Resume unfinished announcements and start the background loop."""
        if self._task is not None:
            return
        self._stopping = False
        self._wakeup = asyncio.Event()
        # Rows left in 'sending' by a crash (or a stop that could not settle them) go back to 'pending'.
        for announcement in await self._storage.announcements.recent(
            (State.RUNNING, State.PAUSED), limit=ANNOUNCEMENTS_PER_LOOK
        ):
            released = await self._storage.deliveries.release(announcement.id)
            if released:
                logger.info("announcement %d: %d unsettled deliveries returned to pending", announcement.id, released)
        self._task = asyncio.create_task(self._loop(), name="broadcast-engine")
        logger.info("broadcast engine started at %.1f messages/s (duplicate bound %d)", self.rate, self.duplicate_bound)

    async def stop(self) -> None:
        """Stop the loop within about ``stop_timeout`` seconds; sends in flight finish, or are recorded as
        unanswered (sent again, once, at the next start); claimed rows are released for the next start."""
        self._stopping = True
        if self._run is not None:
            self._run.halt(STOPPED)
        self._wakeup.set()
        task, self._task = self._task, None
        if task is None:
            return
        # Within stop_timeout: a run gives its sends in flight part of it, then records the unanswered ones as
        # to be sent again. Anything else still waiting then (a getMe, a probe) is cancelled; the storage
        # finishes a write it had started.
        await asyncio.wait({task}, timeout=self.stop_timeout)
        if not task.done():
            logger.warning("broadcast engine still busy after %.1fs: cancelled", self.stop_timeout)
            task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            if not task.cancelled():
                raise
        except Exception:
            logger.exception("broadcast engine loop failed while stopping")
        logger.info("broadcast engine stopped")

    def wake(self) -> None:
        """Something was queued or scheduled: look now instead of at the next tick."""
        self._wakeup.set()

    async def pause(self, announcement_id: int) -> bool:
        """Pause a running or queued announcement; return whether it was paused."""
        async with self._state_lock:
            changed = await self._storage.announcements.set_state(
                announcement_id, State.PAUSED, expect=(State.RUNNING, State.QUEUED)
            )
        if changed:
            logger.info("announcement %d: paused", announcement_id)
            await self._halt(announcement_id, State.PAUSED)
        return changed

    async def resume(self, announcement_id: int) -> bool:
        """Resume a paused announcement; return whether it was resumed."""
        async with self._state_lock:
            announcement = await self._storage.announcements.get(announcement_id)
            if announcement is None or announcement.state != State.PAUSED:
                return False
            # Paused before its recipients were written: it goes back to the queue to get them.
            state = State.RUNNING if announcement.started_at is not None else State.QUEUED
            changed = await self._storage.announcements.set_state(announcement_id, state, expect=(State.PAUSED,))
        if changed:
            logger.info("announcement %d: resumed", announcement_id)
            self.wake()
        return changed

    async def cancel(self, announcement_id: int) -> bool:
        """Cancel a scheduled, queued, running or paused announcement; return whether it was cancelled."""
        async with self._state_lock:
            changed = await self._storage.announcements.set_state(
                announcement_id,
                State.CANCELLED,
                expect=(
                    State.SCHEDULED,
                    State.QUEUED,
                    State.RUNNING,
                    State.PAUSED,
                ),
            )
        if changed:
            logger.info("announcement %d: cancelled", announcement_id)
            await self._halt(announcement_id, State.CANCELLED)
        return changed

    async def retry_failed(self, announcement_id: int) -> int:
        """Send the failed deliveries of an announcement again (e.g. after a long outage); return how many."""
        async with self._state_lock:
            count = await self._storage.deliveries.retry_failed(announcement_id)
        if count:
            logger.info("announcement %d: %d failed deliveries queued again", announcement_id, count)
            self.wake()
        return count

    # ----------------------------------------------------------------------------------------- the loop

    async def _halt(self, announcement_id: int, reason: str) -> None:
        """Stop the run of ``announcement_id`` (waiting until it settled), or show the change if idle."""
        run = self._run
        if run is not None and run.announcement.id == announcement_id:
            run.halt(reason)
            if asyncio.current_task() not in run.own_tasks:  # not from inside the run (e.g. its progress listener)
                await run.finished.wait()
            return
        announcement = await self._storage.announcements.get(announcement_id)
        if announcement is not None:
            figures = await self._storage.deliveries.figures(announcement_id)
            await self._show_progress(announcement, Progress.of(announcement, figures, rate=0.0, final=True))

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                await self._purge_if_due()
                announcement = await self._pick()
                if announcement is None:
                    await self._idle(self.tick)
                    continue
                await self._deliver(announcement)
            except Exception:
                logger.exception("broadcast loop failed; looking again in %.1fs", self.tick)
                await self._idle(self.tick)

    async def _purge_if_due(self) -> None:
        """Drop the delivery rows of announcements finished more than the retention ago (their totals stay)."""
        now = self._clock()
        if now < self._next_purge:
            return
        self._next_purge = now + PURGE_INTERVAL
        purged = await self._storage.deliveries.purge(_iso(now - self.delivery_retention))
        if purged:
            logger.info("delivery rows of %d finished announcements dropped (their totals are kept)", purged)

    async def _idle(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wakeup.wait()
        self._wakeup.clear()

    async def _pick(self) -> Announcement | None:
        """Queue due and queued announcements; return the oldest running one."""
        async with self._state_lock:
            due = await self._storage.announcements.due(_iso(self._clock()))
            queued = await self._storage.announcements.recent((State.QUEUED,), limit=ANNOUNCEMENTS_PER_LOOK)
            for announcement_id in [*due, *sorted(a.id for a in queued)]:
                if self._stopping:
                    return None
                recipients = await self._storage.deliveries.queue(announcement_id)
                logger.info("announcement %d: %d recipients queued", announcement_id, recipients)
        if self._stopping:
            return None
        running = await self._storage.announcements.recent((State.RUNNING,), limit=ANNOUNCEMENTS_PER_LOOK)
        return min(running, key=lambda a: a.id) if running else None

    async def _deliver(self, announcement: Announcement) -> None:
        """Send one announcement until it is done, paused, cancelled, or the engine stops."""
        if not await self._bot_ready():
            return
        figures = await self._storage.deliveries.figures(announcement.id)
        logger.info("announcement %d: sending, %d of %d pending", announcement.id, figures.pending, figures.total)
        requests = CopyRequests(
            announcement,
            self._markup_for,
            default_language=self._storage.database.default_language,
            paid=self.paid,
            neutral_for=self._neutral_for,
        )
        run = Run(
            announcement,
            figures,
            storage=self._storage,
            settings=self._settings,
            pacer=self.pacer,
            outage=self.outage,
            sender=self._sender,
            requests=requests,
            clock=self._clock,
            on_progress=self._show_progress if self._on_progress is not None else None,
        )
        async with self._state_lock:
            # Pause and cancel decide under this lock: either they come first and the run never starts, or
            # they find the run set here and halt it.
            current = await self._storage.announcements.get(announcement.id)
            if current is None or current.state != State.RUNNING:
                return
            self._run = run
        try:
            try:
                reason = await run.run()
            finally:
                self._run = None
            final = await self._storage.deliveries.figures(announcement.id)
            logger.info(
                "announcement %d %s: sent %d, blocked %d, failed %d, pending %d",
                announcement.id,
                reason,
                final.sent,
                final.blocked,
                final.failed,
                final.pending,
            )
            if reason == STOPPED:
                return  # not an end: the next start carries on, and shows the progress
            current = await self._storage.announcements.get(announcement.id) or announcement
            await self._show_progress(current, Progress.of(current, final, rate=run.recent_rate(), final=True))
        finally:
            run.finished.set()  # pause() and cancel() return now: settled, released and shown

    async def _bot_ready(self) -> bool:
        """Initialise the engine's Bot when the first broadcast starts (not at start-up: its HTTP client's import
        and a getMe would delay the readers' first replies); False, after a pause, if the API does not answer."""
        if self._bot_initialized:
            return True
        try:
            await self._bot.initialize()
        except NetworkError as exc:
            logger.warning("the Bot API does not answer (%s): delivery starts when it does", self._sender.describe(exc))
            await self._idle(self.probe_cap)
            return False
        self._bot_initialized = True
        return True

    async def _show_progress(self, announcement: Announcement, progress: Progress) -> None:
        """Tell the progress listener; a failing one is logged and never stops delivery."""
        if self._on_progress is None:
            return
        try:
            await self._on_progress(announcement, progress)
        except Exception:
            logger.exception("announcement %d: the progress listener failed", announcement.id)

    @property
    def degraded(self) -> bool:
        """A transient error was seen and no send has succeeded since: one send at a time, as a probe."""
        return self.outage.degraded

    @property
    def in_outage(self) -> bool:
        """Sends to several chats failed in a row: an outage, probed until a send gets through."""
        return self.outage.in_outage
