"""The help feature's own button payloads, in bot/reading/callbacks.py's style: ``h1:<action>[:<arg>...]``.

The prefix keeps them apart from the reading menus' payloads (``1:...``): the feature's handler is registered
with ``pattern=PATTERN`` and sees only its own buttons. Stale or forged data reads as ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.telegram.payloads import PayloadCodec

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


@dataclass(frozen=True, slots=True)
class HelpPayload:
    """A help button's payload; ``pack()`` encodes it."""

    def pack(self) -> str:
        """Encode; raise ``ValueError`` for an argument that is not a short id, or data over 64 bytes."""
        return CODEC.pack(self)


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
CODEC: PayloadCodec[HelpPayload] = PayloadCodec(PREFIX, _ACTIONS)
PATTERN = CODEC.pattern


def read(data: str | None) -> HelpPayload | None:
    """Decode one of this feature's payloads; None for anything stale, forged or ill-typed."""
    return CODEC.read(data)
