"""A TCP relay on loopback between the bot and the emulator that a test can cut, like the network failing.

The bot's ``BOT_API_BASE_URL`` points at the relay, whose port stays the same whatever happens behind it:
``PASS`` relays to the emulator, ``REFUSE`` closes every connection at once (DNS down, a closed port: the
client fails fast) and ``HANG`` accepts connections and never answers (a black-holed route: the client waits
for its own timeouts). Switching mode also cuts the connections already open, as a lost route does.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
from types import TracebackType
from typing import Self

__all__ = ["Mode", "Relay"]


class Mode(enum.Enum):
    """What the network between the bot and the Bot API does."""

    PASS = "pass"
    REFUSE = "refuse"
    HANG = "hang"


class Relay:
    """Relay ``127.0.0.1:<port>`` to ``target_port``, or fail as ``mode`` says."""

    def __init__(self, target_port: int | None, mode: Mode = Mode.PASS) -> None:
        self.target_port = target_port
        self.mode = mode
        self.port = 0
        self.connections = 0  # accepted while not passing: the client did try
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        assert self._server is not None
        self._server.close()
        self._cut()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    def base_url(self) -> str:
        """The Bot API base URL to give the bot."""
        return f"http://127.0.0.1:{self.port}/bot"

    def set(self, mode: Mode, target_port: int | None = None) -> None:
        """Switch to ``mode`` (and to another emulator's port); open connections are cut."""
        self.mode = mode
        if target_port is not None:
            self.target_port = target_port
        self._cut()

    def _cut(self) -> None:
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._handle(reader, writer)
        finally:
            self._tasks.discard(task)
            self._open.discard(writer)
            writer.transport.abort()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode is not Mode.PASS or self.target_port is None:
            self.connections += 1
            if self.mode is Mode.HANG:
                self._open.add(writer)
                await reader.read()  # until the client gives up or the mode changes
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            return
        self._open.update((writer, upstream_writer))
        try:
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        finally:
            self._open.discard(upstream_writer)
            upstream_writer.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    with contextlib.suppress(ConnectionError, OSError, RuntimeError):
        writer.write_eof()
