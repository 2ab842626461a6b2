"""Local Telegram Bot API emulator over HTTP on loopback, for end-to-end tests and the offline demo.

The unmodified bot talks to it through PTB's own HTTP stack (``base_url=emulator.base_url``); tests
act as users through :meth:`BotAPIEmulator.user` / :meth:`BotAPIEmulator.group`.
"""

from __future__ import annotations

import logging

from ._core import DEFAULT_TOKEN, SEND_METHODS, MessageListener
from ._driver import ChatView, EmulatedGroup, EmulatedUser
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
