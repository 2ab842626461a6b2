"""The download buttons' payloads: typed, packed as ``d1:<subject>[:<form>]`` and checked against 64 bytes.

The prefix is not the shared codec's version (bot/callbacks.py), so the reading menus' handler never takes these
for its own; ``PATTERN`` routes them to this feature's handler. Stale or forged data reads as ``None``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.callbacks import CallbackDataError
from bot.limits import CALLBACK_DATA_MAX_BYTES
from bot.offline.document import Form

__all__ = ["PATTERN", "PREFIX", "DownloadChoice", "DownloadFile", "read"]

PREFIX = "d1"  # bump the digit when the meaning of these payloads changes: old buttons then expire politely
SEPARATOR = ":"
PATTERN = re.compile(rf"^{PREFIX}{SEPARATOR}")
_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def _pack(*parts: str) -> str:
    for part in parts:
        if not _ID.match(part):
            raise CallbackDataError(f"{part!r} is not a short id")
    data = SEPARATOR.join((PREFIX, *parts))
    if len(data.encode()) > CALLBACK_DATA_MAX_BYTES:
        raise CallbackDataError(f"{data!r} is over {CALLBACK_DATA_MAX_BYTES} bytes")
    return data


@dataclass(frozen=True, slots=True)
class DownloadChoice:
    """Offer the files of a theme (or of the whole brief) with their sizes."""

    subject: str

    def pack(self) -> str:
        """Encode; raise ``CallbackDataError`` if malformed or too long."""
        return _pack(self.subject)


@dataclass(frozen=True, slots=True)
class DownloadFile:
    """Send one file."""

    subject: str
    form: Form

    def pack(self) -> str:
        """Encode; raise ``CallbackDataError`` if malformed or too long."""
        return _pack(self.subject, self.form.value)


def read(data: str | None) -> DownloadChoice | DownloadFile | None:
    """Decode a download button's data; ``None`` for anything else, stale or forged."""
    if not data or len(data.encode(errors="replace")) > CALLBACK_DATA_MAX_BYTES:
        return None
    parts = data.split(SEPARATOR)
    if parts[0] != PREFIX or not all(_ID.match(p) for p in parts[1:]):
        return None
    if len(parts) == 2:
        return DownloadChoice(parts[1])
    if len(parts) == 3 and parts[2] in Form._value2member_map_:
        return DownloadFile(parts[1], Form(parts[2]))
    return None
