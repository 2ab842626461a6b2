"""How incoming updates wait and run: a bounded backlog, one person's updates in order, a bounded shutdown.

PTB's own queue is unbounded and, with concurrent updates, its fetcher turns every queued update into a task at
once, so a flood grows memory without limit and a shutdown waits for all of it. Here an update takes a slot
when it is queued and gives it back when it is handled: polling stops fetching (and a webhook stops answering)
while the backlog is full, so Telegram keeps the rest until there is room.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
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
]

logger = logging.getLogger(__name__)

# Updates fetched but not yet handled (queued or running). Telegram keeps the rest and sends them when there is
# room; on shutdown at most this many confirmed updates can be left unhandled.
UPDATE_BACKLOG_MAX = 256
# Updates handled at once, across different people (one SQLite connection serves them all).
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

    async def put(self, item: object) -> None:
        """Wait until the backlog has room, then queue ``item``."""
        while self._backlog >= self.maxsize:
            self._room.clear()
            await self._room.wait()
        self.put_nowait(item)

    def put_nowait(self, item: object) -> None:
        """Queue ``item`` now, or raise ``asyncio.QueueFull`` when the backlog is full."""
        if self._backlog >= self.maxsize:
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


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Handle one person's updates one at a time, in arrival order; different people concurrently.

    The table of locks holds an entry only while one of that person's updates runs or waits, so it is never
    larger than the backlog. ``abandon`` (shutdown) drops updates not started yet and cancels running ones.
    """

    def __init__(self, max_concurrent_updates: int = CONCURRENT_UPDATES, user_backlog: int = USER_BACKLOG_MAX) -> None:
        super().__init__(max_concurrent_updates)
        self.user_backlog = user_backlog
        self._turns: dict[int, _Turn] = {}
        self._running: set[asyncio.Task[Any]] = set()
        self._abandoned = False
        self.dropped = 0  # updates not handled: over a person's backlog, or left at shutdown
        # How abandon() stops a running handler: the app sets the storage's cancel_between_calls, so that a
        # write already started is finished rather than cut off half-way.
        self.cancel_running: Callable[[asyncio.Task[Any]], object] = asyncio.Task.cancel

    @property
    def waiting_users(self) -> int:
        """People with an update running or waiting (the size of the lock table)."""
        return len(self._turns)

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

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run ``coroutine`` after the same person's earlier updates."""
        if self._abandoned:
            self._drop(coroutine)
            return
        user = update.effective_user if isinstance(update, Update) else None
        if user is None:
            await self._run(coroutine)
            return
        turn = self._turns.get(user.id)
        if turn is None:
            turn = self._turns[user.id] = _Turn()
        if turn.holders >= self.user_backlog:
            if not turn.dropped:
                logger.warning("user %s sends faster than the bot answers: dropping their extra updates", user.id)
            turn.dropped += 1
            self._drop(coroutine)
            return
        turn.holders += 1
        try:
            async with turn.lock:
                if self._abandoned:
                    self._drop(coroutine)
                    return
                await self._run(coroutine)
        finally:
            turn.holders -= 1
            if turn.holders == 0:
                del self._turns[user.id]  # nobody holds or waits for it: the table stays small

    async def _run(self, coroutine: Awaitable[Any]) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._running.add(task)
        try:
            await coroutine
        except asyncio.CancelledError:
            if not self._abandoned:
                raise
            task.uncancel()  # cancelled by abandon(): the update is simply not finished
            self.dropped += 1
        finally:
            self._running.discard(task)
