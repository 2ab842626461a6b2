"""The codec of a feature's own button payloads: ``<prefix>:<action>[:<arg>...]``, within Telegram's 64 bytes.

Each feature declares its payloads as dataclasses (their fields are the arguments: ``int``, ``str`` or an
``Enum`` of short values) and one ``PayloadCodec`` with its prefix and action letters; its handler is registered
with ``pattern=codec.pattern``, which matches that prefix and those letters only, so it sees only its own buttons
(features may share a prefix: the reading menus, the admins' buttons and readers' reports all use ``1``, the
format deployed buttons carry). Stale, forged or ill-typed data reads as ``None``.
"""

from __future__ import annotations

import re
from dataclasses import fields
from enum import Enum
from typing import Any, Generic, TypeVar, get_type_hints

from bot.telegram.ids import parse_id
from bot.telegram.limits import CALLBACK_DATA_MAX_BYTES

__all__ = ["CallbackDataError", "PayloadCodec"]

P = TypeVar("P")
SEPARATOR = ":"
_ARG = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


class CallbackDataError(ValueError):
    """A payload cannot be packed: an argument is not a short id, or the data is over Telegram's 64 bytes."""


class PayloadCodec(Generic[P]):
    """Packs and reads the payloads of one feature (``actions``: action letter → payload class)."""

    def __init__(self, prefix: str, actions: dict[str, type[P]]) -> None:
        self.prefix = prefix
        letters = "|".join(re.escape(action) for action in actions)
        self.pattern = rf"^{re.escape(prefix)}{SEPARATOR}(?:{letters})(?:{SEPARATOR}|$)"
        self._actions = actions
        self._action_of: dict[type[Any], str] = {cls: action for action, cls in actions.items()}
        self._fields = {
            cls: tuple(get_type_hints(cls)[f.name] for f in fields(cls))  # type: ignore[arg-type]
            for cls in actions.values()
        }

    def pack(self, payload: P) -> str:
        """Encode; raise ``CallbackDataError`` (a ``ValueError``) for an argument that is not a short id, or data
        over 64 bytes."""
        parts = [self.prefix, self._action_of[type(payload)]]
        for f in fields(payload):  # type: ignore[arg-type]
            value = getattr(payload, f.name)
            text = str(value.value if isinstance(value, Enum) else value)
            if not _ARG.match(text) or (isinstance(value, int) and parse_id(text) is None):
                raise CallbackDataError(
                    f"argument {text!r} of {type(payload).__name__} is not a short id (or a storable number)"
                )
            parts.append(text)
        data = SEPARATOR.join(parts)
        if len(data.encode()) > CALLBACK_DATA_MAX_BYTES:
            raise CallbackDataError(f"{data!r} is over {CALLBACK_DATA_MAX_BYTES} bytes")
        return data

    def split(self, data: str | None) -> tuple[str, tuple[str, ...]] | None:
        """The action letter and the arguments of well-formed data (right prefix, action and number of short
        ids, within 64 bytes), not yet typed; None for anything else."""
        if not data or len(data.encode(errors="replace")) > CALLBACK_DATA_MAX_BYTES:
            return None
        parts = data.split(SEPARATOR)
        if len(parts) < 2 or parts[0] != self.prefix or parts[1] not in self._actions:
            return None
        args = tuple(parts[2:])
        if len(args) != len(self._fields[self._actions[parts[1]]]) or not all(_ARG.match(a) for a in args):
            return None
        return parts[1], args

    def read(self, data: str | None) -> P | None:
        """Decode one of these payloads; None for anything stale, forged or ill-typed."""
        split = self.split(data)
        if split is None:
            return None
        action, args = split
        cls = self._actions[action]
        values: list[object] = []
        for kind, text in zip(self._fields[cls], args, strict=True):
            if kind is int:
                number = parse_id(text)  # what SQLite can store: a bigger number is forged
                if number is None:
                    return None
                values.append(number)
            elif isinstance(kind, type) and issubclass(kind, Enum):
                if text not in kind._value2member_map_:
                    return None
                values.append(kind(text))
            else:
                values.append(text)
        return cls(*values)
