"""JSON request bodies (bot/telegram/json_request.py): what is sent, through PTB, to a transport and the emulator."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, TimedOut
from telegram.request import RequestData

from bot.telegram.aiohttp_request import AiohttpRequest
from bot.telegram.json_request import JSON_CONTENT_TYPE, JsonRequest, json_body
from emulator import BotAPIEmulator

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456789:AAE-test-token-0123456789abcdefghijklm"
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "T", "username": "t_bot"}
KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton(f"Раздел {i}", callback_data=f"s:{i}")] for i in range(10)])
TEXT = "<b>Насилие</b> в отношении женщин " * 40


class Recording(JsonRequest):
    """A JsonRequest whose client answers in-process and keeps what it was sent."""

    def __init__(self) -> None:
        super().__init__(4)
        self.sent: list[httpx.Request] = []
        self.data: list[RequestData] = []

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = None,
        write_timeout: object = None,
        connect_timeout: object = None,
        pool_timeout: object = None,
    ) -> tuple[int, bytes]:
        if request_data is not None:
            self.data.append(request_data)
        return await super().do_request(url, method, request_data, read_timeout, write_timeout)

    def _build_client(self) -> httpx.AsyncClient:
        def answer(request: httpx.Request) -> httpx.Response:
            self.sent.append(request)
            method = request.url.path.rsplit("/", 1)[-1]
            if method == "getMe":
                return httpx.Response(200, json={"ok": True, "result": BOT_USER})
            if method == "sendDocument":
                return httpx.Response(400, json={"ok": False, "error_code": 400, "description": "Bad Request: x"})
            message = {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "ok"}
            return httpx.Response(200, json={"ok": True, "result": message})

        return httpx.AsyncClient(transport=httpx.MockTransport(answer))


async def test_calls_are_sent_as_json_and_uploads_as_multipart() -> None:
    request = Recording()
    async with Bot(TOKEN, request=request) as bot:
        await bot.send_message(5, TEXT, parse_mode="HTML", reply_markup=KEYBOARD)
        with pytest.raises(BadRequest):
            await bot.send_document(5, InputFile(io.BytesIO(b"report"), filename="r.txt"), caption="c")
    message = request.sent[-2]
    assert message.headers["content-type"] == JSON_CONTENT_TYPE
    body = json.loads(message.content)
    assert body["text"] == TEXT and body["chat_id"] == 5
    assert body["reply_markup"]["inline_keyboard"][0][0]["text"] == "Раздел 0"  # an object, not a string
    assert "Насилие".encode() in message.content  # UTF-8, not \\u escapes
    upload = request.sent[-1]
    assert upload.headers["content-type"].startswith("multipart/form-data")
    assert b"report" in upload.content


async def test_a_json_body_is_smaller_than_the_form_ptb_sends() -> None:
    request = Recording()
    async with Bot(TOKEN, request=request) as bot:
        await bot.edit_message_text(TEXT, chat_id=5, message_id=1, parse_mode="HTML", reply_markup=KEYBOARD)
    data = request.data[-1]
    form = httpx.Request("POST", "http://x", data=data.json_parameters).read()  # what HTTPXRequest sends
    body = request.sent[-1].content
    assert body == json_body(data)
    assert json.loads(body)["text"] == parse_qs(form.decode())["text"][0] == TEXT
    assert len(body) * 2 < len(form)


@pytest.fixture
async def emu() -> AsyncIterator[BotAPIEmulator]:
    async with BotAPIEmulator() as emulator:
        yield emulator


async def test_json_request_against_the_emulator(emu: BotAPIEmulator) -> None:
    user = emu.user(10, language_code="en")
    async with Bot(emu.token, base_url=emu.base_url, request=JsonRequest(2)) as bot:
        sent = await bot.send_message(10, "<b>hello</b>", parse_mode="HTML", reply_markup=KEYBOARD)
        assert user.last is not None and user.last.text == "hello"
        assert user.last.button_texts[0] == "Раздел 0"
        document = await bot.send_document(10, InputFile(io.BytesIO(b"report"), filename="r.txt"), caption="c")
        assert document.document is not None
        await bot.copy_message(10, 10, sent.message_id)


async def test_json_request_times_out(emu: BotAPIEmulator) -> None:
    emu.user(12)
    emu.add_fault(chat_id=12, kind="timeout", hold=5)
    async with Bot(emu.token, base_url=emu.base_url, request=JsonRequest(2, read_timeout=0.3)) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(12, "x")


async def test_the_broadcast_backend_sends_json_too() -> None:
    seen: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append(request.content_type)
        if request.match_info["method"] == "getMe":
            return web.json_response({"ok": True, "result": BOT_USER})
        return web.json_response({"ok": True, "result": {"message_id": 3}})

    server = web.Application()
    server.router.add_post("/bot{token}/{method}", handle)
    async with TestServer(server, host="127.0.0.1") as test_server:
        base = str(test_server.make_url("/bot"))
        async with Bot(TOKEN, base_url=base, request=AiohttpRequest(2)) as bot:
            await bot.copy_message(5, 6, 7, reply_markup=KEYBOARD)
    assert seen == [JSON_CONTENT_TYPE, JSON_CONTENT_TYPE]


def test_nothing_imports_aiohttp_before_a_broadcast_or_a_webhook() -> None:
    code = "import sys, bot.app, bot.ops.runner, bot.__main__; print('aiohttp' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
