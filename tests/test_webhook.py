"""The webhook server on loopback, with a real HTTP client: secret before body, size cap, 400/405, replays."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot

from bot.config import ConfigError, load_settings
from bot.telegram.webhook import SECRET_HEADER, WEBHOOK_BODY_MAX, webhook_app

SECRET = "s3cret-token"
PATH = "/telegram"


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, asyncio.Queue[Any]]]:
    queue: asyncio.Queue[Any] = asyncio.Queue()
    bot = Bot("123456789:AAE-webhook-test-token-0123456789abcdefgh")
    runner = web.AppRunner(webhook_app(bot, queue, PATH, SECRET))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", queue
    finally:
        await runner.cleanup()


def update(update_id: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 5, "type": "private"},
            "from": {"id": 5, "is_bot": False, "first_name": "U"},
            "text": "hi",
        },
    }


async def raw_status(base: str, head: str) -> int:
    """Send only a request head (no body) and return the status: proves the server answered without the body."""
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(head.encode())
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout=10)
        return int(line.split()[1])
    finally:
        writer.close()


async def test_no_secret_is_refused_before_the_body_is_read(server: tuple[str, Any]) -> None:
    base, queue = server
    head = f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 90000000\r\n\r\n"
    assert await raw_status(base, head) == 403
    wrong = head.replace("Host: x\r\n", f"Host: x\r\n{SECRET_HEADER}: wrong\r\n")
    assert await raw_status(base, wrong) == 403
    assert queue.empty()


async def test_a_body_over_the_cap_is_refused_before_it_is_read(server: tuple[str, Any]) -> None:
    base, _ = server
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: x\r\n{SECRET_HEADER}: {SECRET}\r\n"
        f"Content-Length: {WEBHOOK_BODY_MAX + 1}\r\n\r\n"
    )
    assert await raw_status(base, head) == 413


async def test_bad_requests_get_4xx_and_good_ones_are_queued_once(server: tuple[str, Any]) -> None:
    base, queue = server
    headers = {SECRET_HEADER: SECRET}
    async with aiohttp.ClientSession() as http:
        async with http.get(base + PATH) as response:
            assert response.status == 405

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(WEBHOOK_BODY_MAX // 65536 + 2):
                yield b" " * 65536

        async with http.post(base + PATH, data=chunks(), headers=headers) as response:
            assert response.status == 413  # chunked: no Content-Length, still capped
        for body in (b"{not json", b"[1, 2]", b'{"no_update_id": 1}', b"\xff\xfe"):
            async with http.post(base + PATH, data=body, headers=headers) as response:
                assert response.status == 400, body
        for _ in range(2):  # Telegram re-sends an update it got no answer for
            async with http.post(base + PATH, data=json.dumps(update(77)), headers=headers) as response:
                assert response.status == 200
        async with http.post(base + "/other", data=json.dumps(update(78)), headers=headers) as response:
            assert response.status == 404
    assert queue.qsize() == 1
    assert queue.get_nowait().update_id == 77


def test_webhook_listen_defaults_to_loopback_and_must_be_an_address(tmp_path: Path) -> None:
    env = {"DATABASE_PATH": str(tmp_path / "bot.sqlite3")}
    assert load_settings(env, env_file=None).webhook_listen == "127.0.0.1"
    assert load_settings({**env, "WEBHOOK_LISTEN": "0.0.0.0"}, env_file=None).webhook_listen == "0.0.0.0"
    with pytest.raises(ConfigError, match="WEBHOOK_LISTEN"):
        load_settings({**env, "WEBHOOK_LISTEN": "everywhere"}, env_file=None)
