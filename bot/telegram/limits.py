"""Telegram's limits and the bot's own size budgets, in one place.

Telegram's numbers come from python-telegram-bot's ``telegram.constants``; the rest are our choices, each
derived from them or explained.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings

from telegram.constants import FloodLimit, InlineKeyboardButtonLimit, InlineQueryLimit, MessageLimit
from telegram.error import RetryAfter
from telegram.warnings import PTBDeprecationWarning

__all__ = [
    "BUTTON_TEXT_MAX",
    "CALLBACK_DATA_MAX_BYTES",
    "CAPTION_MAX",
    "DEEP_LINK_PAYLOAD_MAX",
    "FREE_BROADCAST_RATE",
    "GLOBAL_MESSAGES_PER_SECOND",
    "INLINE_RESULTS_MAX",
    "ITEM_TEXT_MAX",
    "MESSAGES_PER_SECOND_PER_CHAT",
    "PAGE_HEADER_RESERVE",
    "PAGE_TARGET_CHARS",
    "SEARCH_QUERY_MAX",
    "SEARCH_RESULTS_MAX",
    "TELEGRAM_LANGUAGE_CODE",
    "TEXT_MAX",
    "USER_ID_MAX",
    "retry_after_seconds",
]

TEXT_MAX: int = MessageLimit.MAX_TEXT_LENGTH  # 4096 characters of a message's text, after entity parsing
CAPTION_MAX: int = MessageLimit.CAPTION_LENGTH  # 1024 characters of a media caption
CALLBACK_DATA_MAX_BYTES: int = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA  # 64 bytes
GLOBAL_MESSAGES_PER_SECOND: int = FloodLimit.MESSAGES_PER_SECOND  # ~30 messages/s in bulk, all chats
MESSAGES_PER_SECOND_PER_CHAT: int = FloodLimit.MESSAGES_PER_SECOND_PER_CHAT  # 1 message/s to one chat
# Broadcasting faster than this needs allow_paid_broadcast on each message; Telegram charges Stars for it.
FREE_BROADCAST_RATE: int = GLOBAL_MESSAGES_PER_SECOND
INLINE_RESULTS_MAX: int = InlineQueryLimit.RESULTS  # 50 results per inline answer

# Telegram user ids "have at most 52 significant bits" (Bot API, User.id): positive and below 2**52.
USER_ID_MAX = 2**52 - 1

# /start payloads: Telegram allows 64 characters of A-Za-z0-9_- in t.me/<bot>?start=<payload>.
DEEP_LINK_PAYLOAD_MAX: int = MessageLimit.DEEP_LINK_LENGTH

# setMyCommands, setMyDescription...: "A two-letter ISO 639-1 language code" (Bot API), nothing longer.
TELEGRAM_LANGUAGE_CODE = re.compile(r"^[a-z]{2}$")

# A button label longer than this is cut with "…" by Telegram clients on a narrow phone screen.
BUTTON_TEXT_MAX = 32

# A page of several items holds at most this many characters: small enough for a slow 2G connection to show it
# quickly and to read without scrolling far, large enough that a section has few pages.
PAGE_TARGET_CHARS = 1500

# Room kept on every page for the theme/section heading and the "page 2/5" line.
PAGE_HEADER_RESERVE = 400

# One item must fit on a page on its own, with the heading.
ITEM_TEXT_MAX = TEXT_MAX - PAGE_HEADER_RESERVE

# Search: at most this many hits in one answer. A query is a few words: anything longer than this (up to a
# whole 4096-character message) is refused with a clear answer rather than searched word by word.
SEARCH_RESULTS_MAX = 5
SEARCH_QUERY_MAX = 256


def retry_after_seconds(exc: RetryAfter) -> float:
    """How long Telegram's flood control asked to wait, in seconds (PTB 22 is moving the attribute from an int
    to a timedelta, and warns on each read until then)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait = exc.retry_after
    return wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
