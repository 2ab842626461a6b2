"""The download buttons' payloads: ``d1:<action>:<subject>[:<form>]``, through the features' shared codec.

The prefix keeps them apart from the reading menus' payloads (bot/reading/callbacks.py), so the reading menus' handler
never takes these for its own; ``PATTERN`` routes them to this feature's handler. Stale or forged data reads as
``None``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.offline.document import Form
from bot.telegram.payloads import PayloadCodec

__all__ = ["PATTERN", "PREFIX", "DownloadChoice", "DownloadFile", "read"]

PREFIX = "d1"  # bump the digit when the meaning of these payloads changes: old buttons then expire politely


@dataclass(frozen=True, slots=True)
class DownloadChoice:
    """Offer the files of a theme (or of the whole brief) with their sizes."""

    subject: str

    def pack(self) -> str:
        """Encode; raise ``CallbackDataError`` if malformed or too long."""
        return CODEC.pack(self)


@dataclass(frozen=True, slots=True)
class DownloadFile:
    """Send one file."""

    subject: str
    form: Form

    def pack(self) -> str:
        """Encode; raise ``CallbackDataError`` if malformed or too long."""
        return CODEC.pack(self)


CODEC: PayloadCodec[DownloadChoice | DownloadFile] = PayloadCodec(PREFIX, {"c": DownloadChoice, "f": DownloadFile})
PATTERN = CODEC.pattern


def read(data: str | None) -> DownloadChoice | DownloadFile | None:
    """Decode a download button's data; ``None`` for anything else, stale or forged."""
    return CODEC.read(data)
