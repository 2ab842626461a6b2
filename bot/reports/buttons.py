"""The buttons of a reader's report of a problem with a page: report it, say what is wrong, send it.

Their data is ``1:r|k|K:...``, the format of buttons already in readers' chats; ``PATTERN`` routes them to the
reports' handler. The reading pages draw the first of them (bot/reading/keyboards.py). Stale or forged data
reads as ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.telegram.payloads import PayloadCodec

__all__ = ["ABOUT_PAGE", "PATTERN", "ReportKind", "ReportPage", "ReportSend", "ReportWhat", "read"]

PREFIX = "1"  # shared with the reading menus' payloads (bot/reading/callbacks.py): the action letters differ
ABOUT_PAGE = "about"  # the "theme" of a report about the About pages


class ReportKind(StrEnum):
    """What the reader says is wrong (the value goes into callback data)."""

    TRANSLATION = "tr"
    UNCLEAR = "un"
    TYPO = "ty"
    OTHER = "ot"


@dataclass(frozen=True, slots=True)
class ReportPage:
    """Report a problem with a page."""

    theme: str  # or ABOUT_PAGE

    def pack(self) -> str:
        """Encode; raise ``CallbackDataError`` if malformed or too long."""
        return CODEC.pack(self)

    section: str
    page: int


@dataclass(frozen=True, slots=True)
class ReportWhat:
    """What is wrong with the page (a ``ReportKind`` value, checked by the report desk)."""

    kind: str

    def pack(self) -> str:
        """Encode; raise ``CallbackDataError`` if malformed or too long."""
        return CODEC.pack(self)

    theme: str
    section: str
    page: int


@dataclass(frozen=True, slots=True)
class ReportSend:
    """Send the waiting report without a comment."""

    def pack(self) -> str:
        """Encode; raise ``CallbackDataError`` if malformed or too long."""
        return CODEC.pack(self)


CODEC: PayloadCodec[ReportPage | ReportWhat | ReportSend] = PayloadCodec(
    PREFIX, {"r": ReportPage, "k": ReportWhat, "K": ReportSend}
)
PATTERN = CODEC.pattern


def read(data: str | None) -> ReportPage | ReportWhat | ReportSend | None:
    """Decode a report's button; ``None`` for anything else, stale or forged."""
    return CODEC.read(data)
