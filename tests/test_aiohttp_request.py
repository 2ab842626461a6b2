"""The aiohttp request backend of the broadcast Bot, through PTB against the emulator."""

from __future__ import annotations

import io
import socket
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.telegram.aiohttp_request import AiohttpRequest
from emulator import BotAPIEmulator

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


@pytest.fixture
async def emu() -> AsyncIterator[BotAPIEmulator]:
    async with BotAPIEmulator() as emulator:
        yield emulator


def make_bot(emu: BotAPIEmulator, read_timeout: float = 5.0) -> Bot:
    return Bot(emu.token, base_url=emu.base_url, request=AiohttpRequest(4, read_timeout=read_timeout))


async def test_calls_uploads_and_copies(emu: BotAPIEmulator) -> None:
    user = emu.user(10, language_code="en")
    async with make_bot(emu) as bot:
        assert (await bot.get_me()).username == "brief_demo_bot"
        sent = await bot.send_message(10, "<b>hello</b>", parse_mode="HTML")
        assert user.last is not None and user.last.text == "hello"
        document = await bot.send_document(10, InputFile(io.BytesIO(b"report"), filename="r.txt"), caption="c")
        assert document.document is not None
        await bot.copy_message(10, 10, sent.message_id, disable_notification=True)
        assert user.last.text == "hello" and user.last.disable_notification


@pytest.mark.logs_errors("telegram.request")  # PTB logs a 502's HTML body as invalid JSON
@pytest.mark.parametrize(
    ("kind", "error"),
    [("429", RetryAfter), ("403", Forbidden), ("400_chat_not_found", BadRequest), ("502", NetworkError)],
)
async def test_telegram_errors_map_to_ptb_exceptions(emu: BotAPIEmulator, kind: str, error: type[Exception]) -> None:
    emu.user(11)
    emu.add_fault(chat_id=11, kind=kind, retry_after=2)
    async with make_bot(emu) as bot:
        with pytest.raises(error):
            await bot.send_message(11, "x")


async def test_a_held_request_times_out(emu: BotAPIEmulator) -> None:
    emu.user(12)
    emu.add_fault(chat_id=12, kind="timeout", hold=5)
    async with make_bot(emu, read_timeout=0.3) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(12, "x")


async def test_a_closed_port_is_a_network_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest(2, connect_timeout=1)
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.post(f"http://127.0.0.1:{port}/bot123:abc/getMe")
    finally:
        await request.shutdown()
    with pytest.raises(NetworkError, match="not initialized"):
        await request.post(f"http://127.0.0.1:{port}/bot123:abc/getMe")
