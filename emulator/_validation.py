"""What Telegram refuses in a message's text, caption or inline keyboard, refused the same way and in its words."""

from __future__ import annotations

import logging
from typing import Any, Final

from telegram.constants import InlineKeyboardButtonLimit, InlineKeyboardMarkupLimit, MessageLimit

from ._html import HTMLParseError, parse_html, trim_text
from ._models import (
    ERR_BUTTON_DATA,
    ERR_BUTTON_URL,
    ERR_CAPTION_TOO_LONG,
    ERR_MARKUP_TOO_LONG,
    ERR_PARSE_ENTITIES,
    ERR_TEXT_BUTTON,
    ERR_TEXT_EMPTY,
    ERR_TEXT_TOO_LONG,
    ERR_UNSUPPORTED_PARSE_MODE,
    bad_request,
)

__all__ = ["checked_markup", "formatted"]

logger = logging.getLogger(__name__)

_URL_PREFIXES: Final = ("http://", "https://", "tg://")
_PARSE_MODES: Final = frozenset({"html", "markdown", "markdownv2"})


def formatted(
    raw: Any, parse_mode: Any, entities: Any, *, caption: bool
) -> tuple[str, list[dict[str, Any]], str | None]:
    """Apply parse_mode/entities to a text or caption; return (plain, entities, html as sent)."""
    text = "" if raw is None else str(raw)
    html: str | None = None
    parsed: list[dict[str, Any]] = []
    mode = str(parse_mode).lower() if parse_mode else ""
    if entities:
        if not isinstance(entities, list) or not all(isinstance(e, dict) for e in entities):
            raise bad_request("Bad Request: can't parse entities JSON object")
        parsed = [dict(e) for e in entities]
    elif mode:
        if mode not in _PARSE_MODES:
            raise bad_request(ERR_UNSUPPORTED_PARSE_MODE)
        if mode == "html":
            html = text
            try:
                text, parsed = parse_html(text)
            except HTMLParseError as exc:
                raise bad_request(ERR_PARSE_ENTITIES + str(exc)) from None
    text, parsed = trim_text(text, parsed)
    limit = MessageLimit.CAPTION_LENGTH if caption else MessageLimit.MAX_TEXT_LENGTH
    if len(text) > limit:
        raise bad_request(ERR_CAPTION_TOO_LONG if caption else ERR_TEXT_TOO_LONG)
    if not caption and len(text) < MessageLimit.MIN_TEXT_LENGTH:
        raise bad_request(ERR_TEXT_EMPTY)
    return text, parsed, html


def checked_markup(value: Any) -> dict[str, Any] | None:
    """Validate a reply_markup parameter like Telegram does; return it as a dict."""
    if value is None or value == "":
        return None
    if not isinstance(value, dict):
        raise bad_request("Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in value:
        return value
    rows = value["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad_request("Bad Request: can't parse inline keyboard markup JSON object")
    if sum(len(r) for r in rows) > InlineKeyboardMarkupLimit.TOTAL_BUTTON_NUMBER:
        raise bad_request(ERR_MARKUP_TOO_LONG)
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request("Bad Request: can't parse inline keyboard button: Text must be a String")
            if "callback_data" in button:
                size = len(str(button["callback_data"]).encode("utf-8"))
                if (
                    not InlineKeyboardButtonLimit.MIN_CALLBACK_DATA
                    <= size
                    <= (InlineKeyboardButtonLimit.MAX_CALLBACK_DATA)
                ):
                    raise bad_request(ERR_BUTTON_DATA)
            elif "url" in button:
                if not str(button["url"]).startswith(_URL_PREFIXES):
                    raise bad_request(ERR_BUTTON_URL)
            elif len(button) == 1:
                raise bad_request(ERR_TEXT_BUTTON)
    return value
