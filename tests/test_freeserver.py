"""The benchmarks' near-free Bot API server (bench/freeserver.py) answers and counts what it is sent correctly.

Its counts are the engine benchmark's proof of no lost and no duplicated deliveries, so they are tested here.
"""

from __future__ import annotations

import asyncio
import json

from telegram import Bot

from bench.freeserver import BOT_USER, FreeServer
from bot.telegram.aiohttp_request import AiohttpRequest


def _post(path: str, body: bytes) -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


async def _read_response(reader: asyncio.StreamReader) -> dict[str, object]:
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    lines = head.split(b"\r\n")
    length = next(int(line.split(b":")[1]) for line in lines if line.lower().startswith(b"content-length"))
    result: dict[str, object] = json.loads(await reader.readexactly(length))
    return result


async def test_keep_alive_split_and_pipelined_bodies_are_answered_and_counted() -> None:
    async with asyncio.timeout(30), FreeServer() as server:
        host, port = server.base_url.split("//")[1].split("/")[0].split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        path = f"/bot{server.token}/copyMessage"
        first = _post(path, b'{"from_chat_id": 7, "chat_id": 5, "message_id": 1}')
        # One request in three pieces (the body cut in the middle), then two more in one write.
        writer.write(first[:30])
        await writer.drain()
        writer.write(first[30:-10])
        await writer.drain()
        writer.write(first[-10:])
        writer.write(_post(path, b'{"chat_id":6,"from_chat_id":7,"message_id":1}'))
        writer.write(_post(f"/bot{server.token}/getMe", b""))
        answers = [await _read_response(reader) for _ in range(3)]
        writer.close()
        assert answers[0] == {"ok": True, "result": {"message_id": 1}}
        assert answers[1] == {"ok": True, "result": {"message_id": 2}}
        assert answers[2] == {"ok": True, "result": BOT_USER}
        seen = await server.seen(4, 8)
    assert seen["delivered"] == 2
    assert seen["losses"] == 2  # chats 4 and 7: the from_chat_id is not counted as a delivery
    assert seen["duplicates"] == 0
    assert seen["requests"] == {"copymessage": 2, "getme": 1}


async def test_ptb_calls_over_many_connections_are_counted_once_each() -> None:
    async with asyncio.timeout(60), FreeServer() as server:
        request = AiohttpRequest(connection_pool_size=16)
        async with Bot(server.token, base_url=server.base_url, request=request) as bot:
            assert bot.username == BOT_USER["username"]
            chats = [*range(100, 300), 150]  # chat 150 twice: one duplicate
            await asyncio.gather(*(bot.copy_message(chat, 1, 1) for chat in chats))
            assert await bot.delete_message(100, 1)  # anything else: the canned `true`
        seen = await server.seen(100, 300)
    assert (seen["delivered"], seen["losses"], seen["duplicates"]) == (201, 0, 1)
