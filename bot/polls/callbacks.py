"""The polls feature's own button payloads, in bot/callbacks.py's style: ``p1:<action>[:<arg>...]``.

The prefix keeps them apart from the reading menus' payloads: the feature's handler is registered with
``pattern=PATTERN`` and sees only its own buttons. Stale, forged or ill-typed data reads as ``None``.

A vote button carries the reader's current answer and how many answers they gave, signed with the bot's key
(``Keys.sign``): Telegram keeps this state in the reader's own message, the database never holds it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import get_type_hints

from bot.limits import CALLBACK_DATA_MAX_BYTES

__all__ = ["PATTERN", "PollPayload", "Results", "Useful", "Vote", "read"]

PREFIX = "p1"  # bump the digit when the meaning of existing payloads changes: old buttons then expire politely
PATTERN = rf"^{PREFIX}:"
SEPARATOR = ":"
_ARG = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


@dataclass(frozen=True, slots=True)
class PollPayload:
    """A polls button's payload; ``pack()`` encodes it."""

    def pack(self) -> str:
        """Encode; raise ``ValueError`` for an argument that is not a short id, or data over 64 bytes."""
        parts = [PREFIX, _ACTION_OF[type(self)]]
        for f in fields(self):
            text = str(getattr(self, f.name))
            if not _ARG.match(text):
                raise ValueError(f"argument {text!r} of {type(self).__name__} is not a short id")
            parts.append(text)
        data = SEPARATOR.join(parts)
        if len(data.encode()) > CALLBACK_DATA_MAX_BYTES:
            raise ValueError(f"{data!r} is over {CALLBACK_DATA_MAX_BYTES} bytes")
        return data


@dataclass(frozen=True, slots=True)
class Vote(PollPayload):
    """Answer ``poll`` (0: an admin's preview) in its ``language`` version with option ``choice`` (1-based).

    ``current`` is the reader's answer so far (0: none) and ``answers`` how many they gave; ``signature`` signs
    both with the poll, the language and (once they answered) the reader.
    """

    poll: int
    language: str
    choice: int
    current: int
    answers: int
    signature: str


@dataclass(frozen=True, slots=True)
class Results(PollPayload):
    """Show (again) the results of ``poll`` in its ``language`` version."""

    poll: int
    language: str


@dataclass(frozen=True, slots=True)
class Useful(PollPayload):
    """ "Was this useful?" at the end of a section: ``answer`` is ``y`` or ``n``."""

    theme: str
    section: str
    answer: str


_ACTIONS: dict[str, type[PollPayload]] = {"v": Vote, "r": Results, "u": Useful}
_ACTION_OF = {payload: action for action, payload in _ACTIONS.items()}
_FIELDS = {p: tuple(get_type_hints(p)[f.name] for f in fields(p)) for p in _ACTIONS.values()}


def read(data: str | None) -> PollPayload | None:
    """Decode one of this feature's payloads; None for anything stale, forged or ill-typed."""
    if not data or len(data.encode(errors="replace")) > CALLBACK_DATA_MAX_BYTES:
        return None
    parts = data.split(SEPARATOR)
    if len(parts) < 2 or parts[0] != PREFIX or parts[1] not in _ACTIONS:
        return None
    cls = _ACTIONS[parts[1]]
    args, kinds = parts[2:], _FIELDS[cls]
    if len(args) != len(kinds) or not all(_ARG.match(a) for a in args):
        return None
    values: list[object] = []
    for kind, text in zip(kinds, args, strict=True):
        if kind is int:
            if not text.isdigit() or len(text) > 12:
                return None
            values.append(int(text))
        else:
            values.append(text)
    return cls(*values)
