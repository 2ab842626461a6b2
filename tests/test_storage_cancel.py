"""Writes under cancellation: a transaction cancelled at any await leaves the connection clean, counts are
written once, and a task stopped at shutdown finishes the write it is in."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from bot.storage import Storage
from bot.storage.tally import Metric
from bot.telegram.updates import PerUserUpdateProcessor

WAIT = 10.0  # seconds: the deadline of every wait for a condition


class Boom(Exception):
    """The transaction's body failed: it rolls back."""


class HeldConnection:
    """The real connection, except that one statement (the first starting with ``step``) is handed to the
    database and then held: its caller waits until ``release`` is set, as if aiosqlite's thread were slow."""

    def __init__(self, real: aiosqlite.Connection, step: str) -> None:
        self.real = real
        self.step: str | None = step
        self.reached = asyncio.Event()
        self.release = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def execute(self, sql: str, params: Any = ()) -> Awaitable[Any]:
        if self.step is None or not sql.startswith(self.step):
            return self.real.execute(sql, params)
        self.step = None
        return self._held(self.real.execute(sql, params))

    def executemany(self, sql: str, params: Any) -> Awaitable[Any]:
        if self.step is None or not sql.startswith(self.step):
            return self.real.executemany(sql, params)
        self.step = None
        return self._held(self.real.executemany(sql, params))

    async def _held(self, statement: Awaitable[Any]) -> Any:
        running = asyncio.ensure_future(statement)  # the statement runs, whoever waits
        await asyncio.sleep(0)
        self.reached.set()
        await self.release.wait()
        return await running


def hold(storage: Storage, step: str) -> HeldConnection:
    held = HeldConnection(storage.database.connection, step)
    storage.database._db = held  # type: ignore[assignment]
    return held


async def meta(path: Path) -> dict[str, str]:
    """The bot_meta facts of the database at ``path``, read after reopening it."""
    storage = await Storage.open(path)
    try:
        async with storage.database.connection.execute("SELECT key, value FROM bot_meta") as cur:
            return {str(r[0]): str(r[1]) for r in await cur.fetchall()}
    finally:
        await storage.close()


@pytest.mark.parametrize("step", ["BEGIN", "INSERT", "COMMIT", "ROLLBACK"])
async def test_a_transaction_cancelled_at_any_await_leaves_the_connection_clean(tmp_path: Path, step: str) -> None:
    path = tmp_path / "bot.sqlite3"
    storage = await Storage.open(path)
    held = hold(storage, step)

    async def work() -> None:
        async with storage.database.transaction() as db:
            await db.execute("INSERT INTO bot_meta (key, value) VALUES ('a', '1')")
            if step == "ROLLBACK":
                raise Boom

    task = asyncio.create_task(work())
    await asyncio.wait_for(held.reached.wait(), WAIT)
    task.cancel()
    held.release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    storage.database._db = held.real
    assert not storage.database.connection.in_transaction
    # Later writes, autocommit and in a transaction, are committed.
    await storage.database.set_meta("b", "2")
    async with storage.database.transaction() as db:
        await db.execute("INSERT INTO bot_meta (key, value) VALUES ('c', '3')")
    await storage.close()
    # A cancellation during COMMIT is raised after it: that work was committed; anywhere else it was not.
    expected = {"b": "2", "c": "3"} | ({"a": "1"} if step == "COMMIT" else {})
    assert await meta(path) == expected


async def test_a_cancelled_transaction_loses_no_later_write(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    storage = await Storage.open(path)

    async def work() -> None:
        async with storage.database.transaction():
            await asyncio.sleep(0)

    task = asyncio.create_task(work())
    await asyncio.sleep(0)  # the task is now waiting for BEGIN in aiosqlite's thread
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await storage.database.set_meta("b", "2")
    await storage.close()
    assert await meta(path) == {"b": "2"}


@pytest.mark.parametrize("step", ["BEGIN", "INSERT INTO page_views", "COMMIT"])
async def test_a_cancelled_counter_flush_counts_once(tmp_path: Path, step: str) -> None:
    path = tmp_path / "bot.sqlite3"
    storage = await Storage.open(path)
    storage.counters.tally.count(Metric.SEARCH, "en")
    storage.counters.tally.page("en", "gbv")
    held = hold(storage, step)
    task = asyncio.create_task(storage.counters.flush())
    await asyncio.wait_for(held.reached.wait(), WAIT)
    task.cancel()
    held.release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    storage.database._db = held.real
    await storage.close()  # writes what is still in the tally
    storage = await Storage.open(path)
    try:
        async with storage.database.connection.execute("SELECT metric, count FROM daily_counts") as cur:
            assert [tuple(r) for r in await cur.fetchall()] == [("search", 1)]
        async with storage.database.connection.execute("SELECT views FROM page_views") as cur:
            assert [tuple(r) for r in await cur.fetchall()] == [(1,)]
    finally:
        await storage.close()


async def test_a_task_stopped_inside_a_write_finishes_it_first(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    storage = await Storage.open(path)
    held = hold(storage, "INSERT")
    after = asyncio.Event()

    async def handler() -> None:
        async with storage.database.transaction() as db:
            await db.execute("INSERT INTO bot_meta (key, value) VALUES ('a', '1')")
            await db.execute("INSERT INTO bot_meta (key, value) VALUES ('b', '2')")
        await asyncio.sleep(0)  # cancelled here, after the write
        after.set()

    task = asyncio.create_task(handler())
    await asyncio.wait_for(held.reached.wait(), WAIT)
    storage.database.cancel_between_calls(task)
    held.release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not after.is_set()
    storage.database._db = held.real
    # A task outside any write is cancelled at once.
    idle = asyncio.create_task(asyncio.sleep(3600))
    await asyncio.sleep(0)
    storage.database.cancel_between_calls(idle)
    with pytest.raises(asyncio.CancelledError):
        await idle
    await storage.close()
    assert await meta(path) == {"a": "1", "b": "2"}


async def test_shutdown_lets_a_running_handler_finish_its_write(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    storage = await Storage.open(path)
    held = hold(storage, "INSERT")
    processor = PerUserUpdateProcessor()
    processor.cancel_running = storage.database.cancel_between_calls  # as the app sets it
    after = asyncio.Event()

    async def handler() -> None:
        async with storage.database.transaction() as db:
            await db.execute("INSERT INTO bot_meta (key, value) VALUES ('a', '1')")
        await storage.database.set_meta("b", "2")  # a second write, after the one running at the stop: not started
        after.set()

    task = asyncio.create_task(processor.do_process_update(object(), handler()))
    await asyncio.wait_for(held.reached.wait(), WAIT)
    assert processor.abandon() == 1
    held.release.set()
    await asyncio.wait_for(task, WAIT)  # abandoned: the update is simply not finished
    assert not after.is_set()
    storage.database._db = held.real
    await storage.close()
    assert await meta(path) == {"a": "1"}
