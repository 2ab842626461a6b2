"""Local Telegram Bot API emulator over HTTP on loopback, for end-to-end tests and the offline demo."""

# Usage: the unmodified bot talks to it through PTB's own HTTP stack; tests act as users.
#
#     async with BotAPIEmulator() as emu:
#         app = Application.builder().token(emu.token).base_url(emu.base_url).build()
#         ...start polling...
#         user = emu.user(1001, language_code="en")
#         [menu] = await user.ask("/start")
#         changed = await user.click("English")          # or user.click(2): 1-based, row-major
#         emu.add_fault(chat_id=1001, method="sendMessage", kind="429", retry_after=3)

from __future__ import annotations

import logging

from ._core import DEFAULT_TOKEN, SEND_METHODS, MessageListener
from ._driver import EmulatedGroup, EmulatedUser
from ._html import HTMLParseError, parse_html
from ._models import (
    FAULT_KINDS,
    CallbackAnswer,
    CallRecord,
    EmulatedMessage,
    EmulatorStats,
    Fault,
    FaultKind,
    InlineAnswer,
)
from ._server import BotAPIEmulator
from ._view import ChatView

__all__ = [
    "DEFAULT_TOKEN",
    "FAULT_KINDS",
    "SEND_METHODS",
    "BotAPIEmulator",
    "CallRecord",
    "CallbackAnswer",
    "ChatView",
    "EmulatedGroup",
    "EmulatedMessage",
    "EmulatedUser",
    "EmulatorStats",
    "Fault",
    "FaultKind",
    "HTMLParseError",
    "InlineAnswer",
    "MessageListener",
    "parse_html",
]

logger = logging.getLogger(__name__)
