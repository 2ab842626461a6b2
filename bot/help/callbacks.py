"""The help feature's own button payloads, in bot/callbacks.py's style: ``h1:<action>[:<arg>...]``.

The prefix keeps them apart from the reading menus' payloads (``1:...``): the feature's handler is registered
with ``pattern=PATTERN`` and sees only its own buttons. Stale or forged data reads as ``None``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import get_type_hints

from bot.limits import CALLBACK_DATA_MAX_BYTES

__all__ = [
    "PATTERN",
    "AnnouncementHide",
    "AnnouncementOpen",
    "Countries",
    "CountryList",
    "DiscreetToggle",
    "HelpPayload",
    "OpenHelp",
    "RememberCountry",
    "ReportList",
    "StayingSafe",
    "read",
]

PREFIX = "h1"  # bump the digit when the meaning of existing payloads changes: old buttons then expire politely
PATTERN = rf"^{PREFIX}:"
SEPARATOR = ":"
_ARG = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


@dataclass(frozen=True, slots=True)
class HelpPayload:
    """A help button's payload; ``pack()`` encodes it."""

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
class OpenHelp(HelpPayload):
    """ "Where to get help": the remembered country's list, else the countries."""


@dataclass(frozen=True, slots=True)
class Countries(HelpPayload):
    """The list of countries."""


@dataclass(frozen=True, slots=True)
class CountryList(HelpPayload):
    """One country's entries."""

    country: str


@dataclass(frozen=True, slots=True)
class RememberCountry(HelpPayload):
    """Remember this country (the reader agrees), or forget it when it is the remembered one."""

    country: str


@dataclass(frozen=True, slots=True)
class ReportList(HelpPayload):
    """ "This number does not work": tell the admins which country's list."""

    country: str


@dataclass(frozen=True, slots=True)
class StayingSafe(HelpPayload):
    """The "staying safe" page, with the discreet-mode switch."""


@dataclass(frozen=True, slots=True)
class DiscreetToggle(HelpPayload):
    """Switch discreet mode."""


@dataclass(frozen=True, slots=True)
class AnnouncementOpen(HelpPayload):
    """Show a neutral announcement message in full, in place."""

    announcement: int


@dataclass(frozen=True, slots=True)
class AnnouncementHide(HelpPayload):
    """Collapse an opened announcement back to the neutral text (and delete its media reply, if any: 0 none)."""

    announcement: int
    media: int


_ACTIONS: dict[str, type[HelpPayload]] = {
    "o": OpenHelp,
    "c": Countries,
    "k": CountryList,
    "r": RememberCountry,
    "p": ReportList,
    "s": StayingSafe,
    "d": DiscreetToggle,
    "O": AnnouncementOpen,
    "X": AnnouncementHide,
}
_ACTION_OF = {payload: action for action, payload in _ACTIONS.items()}
_FIELDS = {p: tuple(get_type_hints(p)[f.name] for f in fields(p)) for p in _ACTIONS.values()}


def read(data: str | None) -> HelpPayload | None:
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
