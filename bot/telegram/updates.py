"""How incoming updates wait and run: a bounded backlog, one person's updates in order, a bounded shutdown.

PTB's own queue is unbounded and, with concurrent updates, its fetcher turns every queued update into a task at
once, so a flood grows memory without limit and a shutdown waits for all of it. Here an update takes a place
when it is queued and gives it back when it is handled: polling stops fetching (and a webhook stops answering)
while the backlog is full, so Telegram keeps the rest until there is room.

PTB takes its concurrency semaphore *before* ``do_process_update``, that is before the person's own turn: an
update waiting behind the same person's earlier one would hold a global slot doing nothing, and a few busy
people would stall everyone. So PTB's semaphore is sized to the whole backlog (it never makes an update wait)
and the real limit, ``CONCURRENT_UPDATES``, is taken only once the person's turn has come; a handler waiting
out Telegram's "retry after" gives its slot back meanwhile (``wait_without_slot``).

The processor also knows which fetched updates were handled: at stop, Telegram is told to forget exactly those
(``handled_through``), so a batch handled in part is neither lost nor handled twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

__all__ = [
    "CONCURRENT_UPDATES",
    "UPDATE_BACKLOG_MAX",
    "USER_BACKLOG_MAX",
    "PerUserUpdateProcessor",
    "UpdateQueue",
    "wait_without_slot",
]

logger = logging.getLogger(__name__)

# Updates fetched but not yet handled (queued or running). Telegram keeps the rest and sends them when there is
# room; on shutdown at most this many confirmed updates can be left unhandled.
UPDATE_BACKLOG_MAX = 256
# Updates handled at once, across different people (one SQLite connection serves them all). Only updates whose
# person's turn has come count: one waiting behind the same person's earlier update holds no slot.
CONCURRENT_UPDATES = 64
# One person's updates waiting at once. Nobody taps faster than the bot answers for long (Telegram lets it send
# one message per second to a chat); beyond this the extra taps are dropped, so one flooding account cannot
# fill the backlog and stall everyone else.
USER_BACKLOG_MAX = 8


class UpdateQueue(asyncio.Queue[object]):
    """An update queue whose ``put`` waits while ``maxsize`` updates are queued or still being handled."""

    def __init__(self, maxsize: int = UPDATE_BACKLOG_MAX) -> None:
        super().__init__(maxsize)
        self._backlog = 0
        self._room = asyncio.Event()
        self._closed = False

    def close(self) -> None:
        """Take no more updates (stopping): ``put`` of an update then waits until cancelled, ``put_nowait`` raises.

        Polling that fetched a batch during the stop then never reports it queued, so PTB does not confirm it
        and Telegram sends it again at the next start. PTB's own stop signal (not an ``Update``) still passes.
        """
        self._closed = True

    def _refuses(self, item: object) -> bool:
        return self._backlog >= self.maxsize or (self._closed and isinstance(item, Update))

    async def put(self, item: object) -> None:
        """Wait until the backlog has room, then queue ``item``."""
        while self._refuses(item):
            self._room.clear()
            await self._room.wait()
        self.put_nowait(item)

    def put_nowait(self, item: object) -> None:
        """Queue ``item`` now, or raise ``asyncio.QueueFull`` when the backlog is full or the queue closed."""
        if self._refuses(item):
            raise asyncio.QueueFull
        super().put_nowait(item)  # never full: the queue holds no more than the backlog
        self._backlog += 1

    def task_done(self) -> None:
        """An update was handled (or dropped): its place in the backlog is free."""
        super().task_done()
        self._backlog -= 1
        self._room.set()

    @property
    def backlog(self) -> int:
        """Updates queued or being handled."""
        return self._backlog


@dataclass(slots=True)
class _Turn:
    """One person's place in line: their lock and how many of their updates hold or wait for it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    holders: int = 0
    dropped: int = 0


@dataclass(slots=True)
class _Slot:
    """One of the ``CONCURRENT_UPDATES`` places, as held by the update running in this task."""

    places: asyncio.Semaphore
    held: bool = False

    async def take(self) -> None:
        await self.places.acquire()  # cancelled while waiting: nothing was taken
        self.held = True

    def give_back(self) -> None:
        if self.held:
            self.held = False
            self.places.release()


_SLOT: ContextVar[_Slot | None] = ContextVar("update_slot", default=None)


async def wait_without_slot(seconds: float, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
    """Wait ``seconds`` (Telegram asked this chat to wait) without holding a place among the running updates.

    Outside an update run by ``PerUserUpdateProcessor`` this simply sleeps. The person's own turn is kept: their
    later updates still wait for this one.
    """
    slot = _SLOT.get()
    if slot is None or not slot.held:
        await sleep(seconds)
        return
    slot.give_back()
    try:
        await sleep(seconds)
    finally:
        await slot.take()


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Handle one person's updates one at a time, in arrival order; different people concurrently.

    The table of locks holds an entry only while one of that person's updates runs or waits, so it is never
    larger than the backlog. ``abandon`` (shutdown) drops updates not started yet and cancels running ones.
    """

    def __init__(
        self,
        max_concurrent_updates: int = CONCURRENT_UPDATES,
        user_backlog: int = USER_BACKLOG_MAX,
        backlog: int = UPDATE_BACKLOG_MAX,
    ) -> None:
        # PTB's semaphore is taken before the person's turn: sized to the backlog, it never holds anyone back
        # (the queue lets no more in). The limit that counts is ``_places``, taken once the turn has come.
        super().__init__(max(backlog, max_concurrent_updates))
        self.concurrent_limit = max_concurrent_updates
        self.user_backlog = user_backlog
        self._places = asyncio.Semaphore(max_concurrent_updates)
        self._turns: dict[int, _Turn] = {}
        self._running: set[asyncio.Task[Any]] = set()
        self._abandoned = False
        self.dropped = 0  # updates not handled: over a person's backlog, or left at shutdown
        # How abandon() stops a running handler: the app sets the storage's cancel_between_calls, so that a
        # write already started is finished rather than cut off half-way.
        self.cancel_running: Callable[[asyncio.Task[Any]], object] = asyncio.Task.cancel
        # Confirming to Telegram: the highest update_id seen, and those seen but not settled (handled, or dropped
        # for flooding). An update dropped or cancelled at shutdown stays unsettled for good.
        self._highest_seen: int | None = None
        self._unsettled: set[int] = set()

    @property
    def waiting_users(self) -> int:
        """People with an update running or waiting (the size of the lock table)."""
        return len(self._turns)

    @property
    def handled_through(self) -> int | None:
        """The highest update_id such that every update seen up to it was settled; None before the first.

        Telegram may forget updates up to this one (``getUpdates`` with offset one higher); later ones, even
        handled, are fetched again at the next start, which is why every tap's payload is idempotent.
        """
        if self._unsettled:
            return min(self._unsettled) - 1
        return self._highest_seen

    async def initialize(self) -> None:
        """Nothing to allocate."""

    async def shutdown(self) -> None:
        """Nothing to free: the lock table empties itself."""

    def abandon(self) -> int:
        """Stop handling: drop every update not started yet and cancel the running ones (through
        ``cancel_running``); return how many run."""
        self._abandoned = True
        running = list(self._running)
        for task in running:
            self.cancel_running(task)
        return len(running)

    def _drop(self, coroutine: Awaitable[Any]) -> None:
        self.dropped += 1
        if isinstance(coroutine, Coroutine):
            coroutine.close()  # never started: close it so Python does not warn it was never awaited

    def _seen(self, update: object) -> int | None:
        update_id = update.update_id if isinstance(update, Update) else None
        if update_id is not None:
            self._unsettled.add(update_id)
            if self._highest_seen is None or update_id > self._highest_seen:
                self._highest_seen = update_id
        return update_id

    def _settled(self, update_id: int | None) -> None:
        if update_id is not None:
            self._unsettled.discard(update_id)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run ``coroutine`` after the same person's earlier updates, holding a place only while it runs."""
        update_id = self._seen(update)
        if self._abandoned:
            self._drop(coroutine)
            return
        user = update.effective_user if isinstance(update, Update) else None
        if user is None:
            if await self._run(coroutine):
                self._settled(update_id)
            return
        turn = self._turns.get(user.id)
        if turn is None:
            turn = self._turns[user.id] = _Turn()
        if turn.holders >= self.user_backlog:
            if not turn.dropped:
                logger.warning("user %s sends faster than the bot answers: dropping their extra updates", user.id)
            turn.dropped += 1
            self._drop(coroutine)
            self._settled(update_id)  # dropped on purpose: fetching it again would not help
            return
        turn.holders += 1
        try:
            async with turn.lock:
                if self._abandoned:
                    self._drop(coroutine)
                    return
                if await self._run(coroutine):
                    self._settled(update_id)
        finally:
            turn.holders -= 1
            if turn.holders == 0:
                del self._turns[user.id]  # nobody holds or waits for it: the table stays small

    async def _run(self, coroutine: Awaitable[Any]) -> bool:
        """Take a place, run ``coroutine``, give the place back; False when shutdown cut it short."""
        task = asyncio.current_task()
        assert task is not None
        self._running.add(task)
        slot = _Slot(self._places)
        token = _SLOT.set(slot)
        try:
            await slot.take()
            if self._abandoned:
                self._drop(coroutine)
                return False
            await coroutine
        except asyncio.CancelledError:
            if not self._abandoned:
                raise
            task.uncancel()  # cancelled by abandon(): the update is simply not finished
            self.dropped += 1
            if isinstance(coroutine, Coroutine):
                coroutine.close()
            return False
        finally:
            slot.give_back()
            _SLOT.reset(token)
            self._running.discard(task)
        return True
