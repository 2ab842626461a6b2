"""One announcement being sent: claims within the window W, a pool of send workers, outages, outcome batches.

The dispatcher (``Run._dispatch``) takes claimed rows in order, waits for each chat's gap and the global
pacer, and hands each row to one of ``max_in_flight`` send workers; outcomes are written in batches by a
flusher, and a monitor notices state changes made elsewhere and shows progress.

Over 400 lines on purpose: the dispatcher, claims, send workers, outage handling and flushes all work on the same
claimed rows (buffer, deferred, suspects, outcomes); split apart they would reach into each other's state.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import NetworkError, TelegramError

from bot.announcing.delivery.outage import OutageTracker
from bot.announcing.delivery.pacer import Pacer
from bot.announcing.delivery.progress import Progress, RateMeter
from bot.announcing.delivery.send import CopyRequests, Sender, Transient
from bot.announcing.delivery.settings import (
    ERROR_MAX,
    FLUSH_INTERVAL,
    OUTAGE_CHATS,
    STOPPED,
    UNANSWERED,
    Clock,
    RunSettings,
)
from bot.storage import (
    Announcement,
    AnnouncementState,
    Delivery,
    DeliveryFigures,
    DeliveryState,
    Outcome,
    Storage,
    run_to_end,
)

__all__ = ["Run"]

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[Announcement, Progress], Coroutine[Any, Any, None]]


class Run:
    """One announcement being sent: its claimed rows, sends in flight, outcomes waiting to be written."""

    def __init__(
        self,
        announcement: Announcement,
        figures: DeliveryFigures,
        *,
        storage: Storage,
        settings: RunSettings,
        pacer: Pacer,
        outage: OutageTracker,
        sender: Sender,
        requests: CopyRequests,
        clock: Clock,
        on_progress: ProgressCallback | None,
    ) -> None:
        self.announcement = announcement
        self.id = announcement.id
        self.storage = storage
        self.settings = settings
        self.pacer = pacer
        self.outage = outage
        self.sender = sender  # one copy's request, and what its answer means (shared with the engine)
        self.requests = requests
        self.clock = clock
        self.on_progress = on_progress  # never raises (the engine logs a failing progress listener)
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
        # Sends handed to the pool and not finished yet (at most max_in_flight): a fixed pool of coroutines
        # costs less per message than a task and a semaphore per send.
        self.in_flight = 0
        self._workers: list[asyncio.Task[None]] = []
        self.unanswered: list[Delivery] = []  # sends cut off at a halt before their answer came
        self.settle_errors = 0  # deliveries whose outcome could not be settled (a bug): sent again
        self._handoff: asyncio.Queue[tuple[Delivery, float]] = asyncio.Queue()
        self.halt_reason: str | None = None
        self.changed = asyncio.Event()
        self.flush_wanted = asyncio.Event()
        self.flush_lock = asyncio.Lock()
        self.finished = asyncio.Event()
        self.own_tasks: set[asyncio.Task[Any]] = set()
        self.figures = figures
        self.meter = RateMeter()

    def halt(self, reason: str) -> None:
        """Stop dispatching (paused, cancelled, stopped); what is in flight finishes and is written."""
        if self.halt_reason is None:
            self.halt_reason = reason
        self.changed.set()

    def recent_rate(self) -> float:
        """Settled deliveries per second lately."""
        return self.meter.rate()

    # ----------------------------------------------------------------------------------------- main

    async def run(self) -> str:
        """Send until done or halted; return why it ended: done, paused, cancelled, stopped."""
        helpers = [
            asyncio.create_task(self._flush_loop(), name=f"broadcast-{self.id}-flush"),
            asyncio.create_task(self._monitor(), name=f"broadcast-{self.id}-monitor"),
        ]
        workers = [
            asyncio.create_task(self._send_worker(), name=f"broadcast-{self.id}-send-{n}")
            for n in range(self.settings.max_in_flight)
        ]
        self.own_tasks.update(helpers)
        self._workers = workers
        try:
            reason = await self._dispatch()
        finally:
            await self._wind_down()
            for task in (*helpers, *workers):
                task.cancel()
            await asyncio.gather(*helpers, *workers, return_exceptions=True)
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
        settings, outage = self.settings, self.outage
        while self.halt_reason is None:
            if self.give_up_error is not None:
                await self._give_up(self.give_up_error)
            self._harvest_claim()
            self._start_claim()
            if outage.degraded and self.in_flight:
                # While a transient error is unexplained, one send at a time probes the API: wait for it.
                await self._wait(settings.tick)
                continue
            if self.in_flight >= settings.max_in_flight:
                # Every send worker is busy: the next to finish says so (no timer: one per send would cost).
                await self._wait(None)
                continue
            now = time.monotonic()
            delivery = self._pop_ready(now)
            if delivery is not None:
                if not await self._wait_for_slot():
                    self.buffer.appendleft(delivery)
                    break
                if outage.degraded and self.in_flight:  # a send failed while this one waited for its slot
                    self.buffer.appendleft(delivery)
                    continue
                self.pacer.take_slot()
                self.in_flight += 1
                self._handoff.put_nowait((delivery, time.monotonic()))
                continue
            if self.claim is not None or self.deferred or self.in_flight or not self.exhausted:
                # A claim is under way, a chat's gap or a send is pending, or there is no room to claim until
                # the next flush: wait for that.
                timeout = self.deferred[0][0] - now if self.deferred else settings.tick
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
                await self._wait(settings.tick)
                continue
            next_try = await self.storage.deliveries.next_retry_at(self.id)
            if next_try is None:
                if await self.storage.deliveries.finish(self.id):
                    return AnnouncementState.DONE
                current = await self.storage.announcements.get(self.id)
                if current is not None and current.state == AnnouncementState.RUNNING:
                    # A row is still pending or sending (e.g. the admin retried the failed ones): look again.
                    self.exhausted = False
                    await self._wait(settings.tick)
                    continue
                self.halt(current.state if current is not None else AnnouncementState.CANCELLED)
                break
            self.exhausted = False
            await self._wait(min(next_try - self.clock(), settings.tick))
        return self.halt_reason or STOPPED

    async def _wait_for_slot(self) -> bool:
        """Wait for the pacer; return False if the run was halted meanwhile."""
        while self.halt_reason is None:
            now = time.monotonic()
            at = self.pacer.slot_at()
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
            ready = self.pacer.chat_ready_at(delivery.user_id)
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
        batch, window = self.settings.batch, self.settings.duplicate_bound
        room = window - self.unsettled
        # Claim half a batch or more at a time: a trickle of one-row transactions would cost more than it gains.
        if len(self.buffer) + len(self.deferred) >= batch or room < max(1, min(batch, window) // 2):
            return
        limit = min(batch, room)
        self.unsettled += limit  # reserved now, so that 'sending' rows never exceed W
        self.claim_limit = limit
        self.claim = asyncio.create_task(
            self.storage.deliveries.claim(self.id, limit, self.clock()), name=f"broadcast-{self.id}-claim"
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
            self.claim_error_until = time.monotonic() + self.settings.tick
        else:
            if not claimed:
                self.exhausted = True
        self.unsettled -= self.claim_limit - len(claimed)
        self.buffer.extend(claimed)

    # ----------------------------------------------------------------------------------------- sends

    async def _send_worker(self) -> None:
        """One of the pool: send what the dispatcher hands over (or what it may take itself), until cancelled."""
        item: tuple[Delivery, float] | None = None
        while True:
            if item is None:
                item = await self._handoff.get()
            delivery, started = item
            try:
                outcome = await self.sender.attempt(self.requests, delivery)
            except asyncio.CancelledError:
                self.unanswered.append(delivery)  # cut off at a halt (see _wind_down)
                raise
            finally:
                self.in_flight -= 1
                self.pacer.chat_done(delivery.user_id)
            item = None
            try:
                self._settle(delivery, outcome, started)
            except Exception:
                self._settle_failed(delivery, outcome)
            try:
                item = self._take_now()
            except Exception:  # a bug must not shrink the pool
                logger.exception("announcement %d: taking the next delivery failed", self.id)
            if item is None:
                self.changed.set()  # a worker is free, or the run's state moved on: the dispatcher decides

    def _take_now(self) -> tuple[Delivery, float] | None:
        """A send worker's fast path: the next delivery, when one may be sent this instant with nothing to decide.

        The worker that just finished takes it itself instead of waking the dispatcher to hand it over: two
        fewer task switches per message, most of what the engine cost over a plain send loop. The same checks
        as the dispatcher's, in the same order; anything that needs a wait or a decision (a halt, an outage, the
        pacer's next slot, a chat's gap, an empty buffer) is left to the dispatcher.
        """
        if self.halt_reason is not None or self.give_up_error is not None or self.outage.degraded:
            return None
        now = time.monotonic()
        if self.pacer.slot_at() > now:
            return None
        self._harvest_claim()
        self._start_claim()
        deferred = len(self.deferred)
        delivery = self._pop_ready(now)
        if len(self.deferred) > deferred:
            self.changed.set()  # rows now wait for their chat's gap: the dispatcher sets a timer for them
        if delivery is None:
            return None
        self.pacer.take_slot()
        self.in_flight += 1
        return delivery, time.monotonic()

    def _settle_failed(self, delivery: Delivery, outcome: Outcome | Transient | None) -> None:
        """Settling ``delivery`` raised (a bug): send it again later, a try counted, so that its slot in the
        window is freed by the next flush and the run goes on. A copy that did arrive is then sent twice."""
        self.settle_errors += 1
        logger.exception("announcement %d: settling a send failed; it is tried again", self.id)
        if isinstance(outcome, Outcome) and any(o is outcome for o in self.outcomes):
            return  # its outcome was recorded before the error: it is settled
        self.outcomes.append(self.sender.retry_or_fail(delivery, "settling the send failed"))

    def _settle(self, delivery: Delivery, outcome: Outcome | Transient | None, started: float) -> None:
        if outcome is None:
            self.buffer.appendleft(delivery)  # 429: still claimed, goes first after the pause
        elif isinstance(outcome, Transient):
            self._transient(delivery, outcome.error, started)
        else:
            if self.outage.is_probe(started):
                self._recovered()  # the API answered a send that started after the trouble began
            self.outcomes.append(outcome)
            if len(self.outcomes) >= self.settings.batch:
                self.flush_wanted.set()

    # ----------------------------------------------------------------------------------------- outages

    def _transient(self, delivery: Delivery, error: str, started: float) -> None:
        """A send failed with a network error, a timeout or a 5xx: pause everything and probe, like a 429.

        Failures in a row for OUTAGE_CHATS different chats make an outage: no try is counted, the rows stay
        claimed, and one send at a time probes the API (pausing longer after each failed probe) until one gets
        through, or the outage has lasted the horizon (then the recipients are marked failed). A send that gets
        through before that shows the API works: the failures so far were those chats' own trouble, a try each
        (see ``_recovered``).
        """
        outage = self.outage
        probe = outage.is_probe(started)
        outage.suspect()
        if probe:
            outage.probe_failed()
        if outage.in_outage:
            # Not the reader's fault and not a try. To the back: the next probe goes to another chat, so one
            # chat's own trouble cannot pass for an outage that never ends.
            self.buffer.append(delivery)
            if outage.too_long() and self.give_up_error is None:
                minutes = outage.horizon / 60
                self.give_up_error = f"gave up after an outage of {minutes:.0f} min: {error}"[:ERROR_MAX]
            return
        self.suspects.append((delivery, error))
        if len({d.user_id for d, _ in self.suspects}) >= OUTAGE_CHATS:
            outage.confirm(error)
            self.buffer.extend(d for d, _ in self.suspects)
            self.suspects.clear()

    def _recovered(self) -> None:
        """A probe got through: the outage, if any, is over; chats that failed alone get a try counted."""
        self.outage.healthy()
        for delivery, error in self.suspects:
            self.outcomes.append(self.sender.retry_or_fail(delivery, error))
        self.suspects.clear()

    async def _probe_api(self) -> None:
        """Only failed deliveries are left to send: a getMe tells an outage from those chats' own trouble."""
        if not await self._wait_for_slot():
            return
        self.pacer.take_slot()
        started = time.monotonic()
        try:
            await self.sender.bot.get_me()
        except NetworkError as exc:
            if self.outage.is_probe(started):
                self.outage.probe_failed()
            self.outage.confirm(self.sender.describe(exc))
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
        self.outcomes.extend(Outcome(d.user_id, DeliveryState.FAILED, error) for d in claimed)
        await self.flush()
        failed = await self.storage.deliveries.fail_pending(self.id, error)
        self.figures = await self.storage.deliveries.figures(self.id)
        self.exhausted = False
        logger.error(
            "announcement %d: the Bot API has been failing for %.0f min; %d recipients marked failed (an admin "
            "can retry them from /announcements)",
            self.id,
            self.outage.horizon / 60,
            failed + len(claimed),
        )
        self.outage.end()

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
                # To its end even if the run is cancelled meanwhile (a stop past its bound): outcomes of copies
                # that were delivered are committed, not released to be sent again.
                await run_to_end(self.storage.deliveries.record_outcomes(self.id, batch))
            except Exception:
                logger.exception("announcement %d: writing %d outcomes failed; will retry", self.id, len(batch))
                self.outcomes[:0] = batch
                return False
        self.unsettled -= len(batch)
        before, self.figures = self.figures, self.figures.after(batch)
        self.meter.add(self.figures.done - before.done)
        self.changed.set()
        return True

    async def _wind_down(self) -> None:
        """Let claims and sends in flight finish, write their outcomes, and release what was not sent."""
        if self.claim is not None:
            await asyncio.gather(self.claim, return_exceptions=True)
            self._harvest_claim()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.settings.stop_grace):
                while self.in_flight:
                    await self._wait(None)
        if self.in_flight:
            # No answer within the grace: the sends are cut off. Telegram may have delivered them or not, so
            # they are sent again later, a try counted (at most one second copy each; see UNANSWERED).
            for task in self._workers:
                task.cancel()
            await asyncio.gather(*self._workers, return_exceptions=True)
            logger.warning(
                "announcement %d: %d sends had no answer when it halted; they are sent again later",
                self.id,
                len(self.unanswered),
            )
            self.outcomes.extend(self.sender.retry_or_fail(d, UNANSWERED) for d in self.unanswered)
            self.unanswered.clear()
        for _ in range(3):
            if await self.flush():
                break
            await asyncio.sleep(FLUSH_INTERVAL)
        if self.buffer or self.deferred or self.outcomes or self.suspects:
            released = await self.storage.deliveries.release(self.id)
            logger.info("announcement %d: %d claimed deliveries returned to pending", self.id, released)
        self.buffer.clear()
        self.deferred.clear()
        self.suspects.clear()

    # ----------------------------------------------------------------------------------------- progress

    async def _monitor(self) -> None:
        """Notice state changes made elsewhere, and show progress every ``progress_interval`` seconds."""
        interval = self.settings.progress_interval
        shown_at = time.monotonic()
        showing: asyncio.Task[None] | None = None
        try:
            while True:
                await asyncio.sleep(min(self.settings.tick, interval))
                current = await self.storage.announcements.get(self.id)
                if current is None or current.state != AnnouncementState.RUNNING:
                    self.halt(current.state if current is not None else AnnouncementState.CANCELLED)
                    return
                now = time.monotonic()
                if self.on_progress is not None and now - shown_at >= interval and (showing is None or showing.done()):
                    progress = Progress.of(current, self.figures, rate=self.recent_rate(), final=False)
                    # In its own task: a slow listener (an edit of the admin's message) never delays sending.
                    showing = asyncio.create_task(self.on_progress(current, progress))
                    self.own_tasks.add(showing)
                    showing.add_done_callback(self.own_tasks.discard)
                    shown_at = now
        finally:
            if showing is not None and not showing.done():
                # The final progress comes after this one, never before it.
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.shield(showing)
