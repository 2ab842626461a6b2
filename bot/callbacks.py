"""Callback data of inline buttons: one small typed codec, each payload checked against 64 bytes when packed.

Format: ``<version>:<action>[:<arg>...]``. Arguments are ids from the content (never titles), so a payload is
short and stable. Data from another version of the bot, or forged, unpacks to ``None``: the handler then
answers "this menu has expired" and shows a fresh menu.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.limits import CALLBACK_DATA_MAX_BYTES

__all__ = ["VERSION", "Action", "Callback", "CallbackDataError", "pack", "unpack"]

VERSION = "1"  # bump when the meaning of existing payloads changes: old buttons then expire politely
SEPARATOR = ":"
_ARG = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


class Action(StrEnum):
    """What a button does."""

    MENU = "m"  # main menu
    THEME = "t"  # theme page: theme
    SECTION = "s"  # a page of a section: theme, section, page
    ITEM = "i"  # the page holding an item: theme, item
    ABOUT = "a"  # about the brief: page
    LANGUAGES = "L"  # language picker
    LANGUAGE = "l"  # choose a language: code
    SEARCH = "q"  # how to search
    SUBSCRIPTIONS = "S"  # the subscriptions checklist
    TOGGLE = "u"  # subscribe/unsubscribe: topic, where the toggle was pressed (t = theme page, S = checklist)
    UNSUBSCRIBE = "U"  # "unsubscribe from this theme" under an announcement: topic
    FORGET = "f"  # ask to erase my data
    FORGET_CONFIRM = "F"  # erase my data
    HIDE = "h"  # delete this message
    NOOP = "n"  # a label-only button (e.g. "page 2/5")
    ADMIN = "A"  # an admin's choice inside /announce: step, value
    ORIGINAL = "o"  # a translated page in the reader's original (en or ru): theme (or "about"), section, page
    REFERENCE = "R"  # compare with the other original from now on: code, theme, section, page
    REPORT = "r"  # report a problem with a page: theme (or "about"), section, page
    REPORT_KIND = "k"  # what is wrong: kind, theme, section, page
    REPORT_SEND = "K"  # send the waiting report without a comment


ARITY: dict[Action, int] = {
    Action.MENU: 0,
    Action.THEME: 1,
    Action.SECTION: 3,
    Action.ITEM: 2,
    Action.ABOUT: 1,
    Action.LANGUAGES: 0,
    Action.LANGUAGE: 1,
    Action.SEARCH: 0,
    Action.SUBSCRIPTIONS: 0,
    Action.TOGGLE: 2,
    Action.UNSUBSCRIBE: 1,
    Action.FORGET: 0,
    Action.FORGET_CONFIRM: 0,
    Action.HIDE: 0,
    Action.NOOP: 0,
    Action.ADMIN: 2,
    Action.ORIGINAL: 3,
    Action.REFERENCE: 4,
    Action.REPORT: 3,
    Action.REPORT_KIND: 4,
    Action.REPORT_SEND: 0,
}


class CallbackDataError(ValueError):
    """A payload cannot be packed: wrong arguments or over Telegram's 64 bytes."""


@dataclass(frozen=True, slots=True)
class Callback:
    """An unpacked button payload."""

    action: Action
    args: tuple[str, ...] = ()

    def int_arg(self, index: int) -> int | None:
        """Return argument ``index`` as a non-negative int, or None when it is not one."""
        value = self.args[index]
        return int(value) if value.isdigit() and len(value) < 6 else None


def pack(action: Action, *args: str | int) -> str:
    """Encode a button payload; raise ``CallbackDataError`` if it is malformed or too long."""
    if len(args) != ARITY[action]:
        raise CallbackDataError(f"{action.name} takes {ARITY[action]} argument(s), got {len(args)}")
    parts = [VERSION, action.value]
    for arg in args:
        text = str(arg)
        if not _ARG.match(text):
            raise CallbackDataError(f"argument {text!r} of {action.name} is not a short id")
        parts.append(text)
    data = SEPARATOR.join(parts)
    if len(data.encode()) > CALLBACK_DATA_MAX_BYTES:
        raise CallbackDataError(f"{data!r} is over {CALLBACK_DATA_MAX_BYTES} bytes")
    return data


def unpack(data: str | None) -> Callback | None:
    """Decode a payload; ``None`` for data from another version of the bot or forged data."""
    if not data:
        return None
    try:
        size = len(data.encode())
    except UnicodeEncodeError:  # a lone surrogate: forged, never packed by this bot
        return None
    if size > CALLBACK_DATA_MAX_BYTES:
        return None
    parts = data.split(SEPARATOR)
    if len(parts) < 2 or parts[0] != VERSION:
        return None
    try:
        action = Action(parts[1])
    except ValueError:
        return None
    args = tuple(parts[2:])
    if len(args) != ARITY[action] or not all(_ARG.match(a) for a in args):
        return None
    return Callback(action, args)
