"""A near-free Bot API server for the broadcast benchmarks, in a child process.

The full emulator (``emulator/``) keeps chats, messages and flood limits, and caps at about 1,400 requests/s on
this machine: below the engine's target ceiling, so it cannot show it. This server does the least a Bot API
server can: HTTP/1.1 keep-alive on loopback, every ``POST /bot<token>/<method>`` answered with a canned valid
result (``getMe``: a bot user; ``copyMessage``: a new message id; anything else: ``true``). It counts the
``copyMessage`` requests per ``chat_id`` (for lost and duplicated deliveries) and notes the first and the last
one's time; ``time.monotonic`` is system-wide on Linux, so the parent can compare it with its own.

It runs in a child process so that its CPU is not the engine's. Hand-written on ``asyncio.Protocol`` rather
than aiohttp's server: it is meant to cost next to nothing per request, and a framework's routing, request
objects and middleware are what it must not spend.

Use::

    async with FreeServer() as server:
        bot = Bot(server.token, base_url=server.base_url, request=...)
        ...
        seen = await server.seen(first_chat, last_chat + 1)
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import re
import resource
import time
from collections import Counter
from multiprocessing.connection import Connection
from typing import Any

__all__ = ["BOT_USER", "FreeServer"]

TOKEN = "123456789:AAE-benchmark-token-0123456789abcdefghij"
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}
HEADER_END = b"\r\n\r\n"
MAX_HEADER = 64 * 1024
# chat_id in a JSON body ("chat_id": 5) or a form (chat_id=5), not the from_chat_id of copyMessage.
CHAT_ID = re.compile(rb'(?:^|[{,&\s])"?chat_id"?\s*[:=]\s*"?(-?\d+)')
CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)
CLOSE = re.compile(rb"\r\nconnection:\s*close", re.IGNORECASE)
TRUE = b'{"ok":true,"result":true}'
GET_ME = json.dumps({"ok": True, "result": BOT_USER}).encode()


def _response(status: bytes, body: bytes) -> bytes:
    return (
        b"HTTP/1.1 "
        + status
        + b"\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode()
        + HEADER_END
        + body
    )


class _Stats:
    def __init__(self) -> None:
        self.copies: Counter[int] = Counter()
        self.requests: Counter[str] = Counter()
        self.first: float | None = None
        self.last: float | None = None
        self.message_id = 0


class _Protocol(asyncio.Protocol):
    """One connection: any number of requests one after another (keep-alive), pipelined or not."""

    def __init__(self, stats: _Stats) -> None:
        self._stats = stats
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while self._transport is not None:
            end = self._buffer.find(HEADER_END)
            if end < 0:
                if len(self._buffer) > MAX_HEADER:
                    self._reply(_response(b"431 Request Header Fields Too Large", b""), close=True)
                return
            head = bytes(self._buffer[:end])
            length_match = CONTENT_LENGTH.search(head)
            length = int(length_match.group(1)) if length_match else 0
            if length_match is None and b"chunked" in head.lower():  # no client of ours sends chunked bodies
                self._reply(_response(b"411 Length Required", b""), close=True)
                return
            if len(self._buffer) < end + 4 + length:
                return  # the rest of the body is still on its way
            body = bytes(self._buffer[end + 4 : end + 4 + length])
            del self._buffer[: end + 4 + length]
            self._reply(self._answer(head, body), close=CLOSE.search(head) is not None)

    def _reply(self, data: bytes, *, close: bool) -> None:
        assert self._transport is not None
        self._transport.write(data)
        if close:
            self._transport.close()
            self._transport = None

    def _answer(self, head: bytes, body: bytes) -> bytes:
        line = head.split(b"\r\n", 1)[0].split(b" ")
        if len(line) < 3 or line[0] != b"POST" or not line[1].startswith(b"/bot"):
            return _response(b"404 Not Found", b'{"ok":false,"error_code":404,"description":"Not Found"}')
        method = line[1].rsplit(b"/", 1)[-1].split(b"?", 1)[0].decode("latin-1").lower()
        stats = self._stats
        stats.requests[method] += 1
        if method == "getme":
            return _response(b"200 OK", GET_ME)
        if method == "copymessage":
            now = time.monotonic()
            if stats.first is None:
                stats.first = now
            stats.last = now
            chat = CHAT_ID.search(body)
            if chat is not None:
                stats.copies[int(chat.group(1))] += 1
            stats.message_id += 1
            return _response(b"200 OK", b'{"ok":true,"result":{"message_id":%d}}' % stats.message_id)
        return _response(b"200 OK", TRUE)


def _child(conn: Connection) -> None:
    asyncio.run(_serve(conn))


async def _serve(conn: Connection) -> None:
    loop = asyncio.get_running_loop()
    stats = _Stats()
    server = await loop.create_server(lambda: _Protocol(stats), "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    conn.send(port)
    async with server:
        while True:
            command, args = await loop.run_in_executor(None, conn.recv)
            if command == "stop":
                conn.send(None)
                return
            if command == "seen":
                counts = [stats.copies.get(chat, 0) for chat in range(*args)]
                usage = resource.getrusage(resource.RUSAGE_SELF)
                conn.send(
                    {
                        "delivered": sum(counts),
                        "losses": sum(1 for n in counts if n == 0),
                        "duplicates": sum(n - 1 for n in counts if n > 1),
                        "strays": sum(stats.copies.values()) - sum(counts),  # chats outside the range asked about
                        "requests": dict(stats.requests),
                        "first": stats.first,
                        "last": stats.last,
                        "server_cpu": usage.ru_utime + usage.ru_stime,
                    }
                )


class FreeServer:
    """Drives the near-free server in a child process (``spawn``: nothing of the parent's state is shared)."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_child, args=(child,), daemon=True)
        self.token = TOKEN
        self.base_url = ""

    async def _call(self, command: str, *args: Any) -> Any:
        self._conn.send((command, args))
        return await asyncio.get_running_loop().run_in_executor(None, self._conn.recv)

    @property
    def pid(self) -> int | None:
        """The server process's id, once started."""
        return self._process.pid

    async def seen(self, first_chat: int, end_chat: int) -> dict[str, Any]:
        """copyMessage counts for chats ``first_chat`` up to ``end_chat`` (excluded), and the request totals."""
        result: dict[str, Any] = await self._call("seen", first_chat, end_chat)
        return result

    async def __aenter__(self) -> FreeServer:
        self._process.start()
        port = await asyncio.get_running_loop().run_in_executor(None, self._conn.recv)
        self.base_url = f"http://127.0.0.1:{port}/bot"
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._call("stop")
        self._process.join(timeout=10)
