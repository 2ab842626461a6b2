"""The polls feature's own button payloads, in bot/reading/callbacks.py's style: ``p1:<action>[:<arg>...]``.

The prefix keeps them apart from the reading menus' payloads: the feature's handler is registered with
``pattern=PATTERN`` and sees only its own buttons. Stale, forged or ill-typed data reads as ``None``.

A vote button carries the reader's current answer and how many answers they gave, signed with the bot's key
(``Keys.sign``): Telegram keeps this state in the reader's own message, the database never holds it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.telegram.payloads import PayloadCodec

__all__ = ["PATTERN", "PollPayload", "Results", "Useful", "Vote", "read"]

PREFIX = "p1"  # bump the digit when the meaning of existing payloads changes: old buttons then expire politely


@dataclass(frozen=True, slots=True)
class PollPayload:
    """A polls button's payload; ``pack()`` encodes it."""

    def pack(self) -> str:
        """Encode; raise ``ValueError`` for an argument that is not a short id, or data over 64 bytes."""
        return CODEC.pack(self)


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
CODEC: PayloadCodec[PollPayload] = PayloadCodec(PREFIX, _ACTIONS)
PATTERN = CODEC.pattern


def read(data: str | None) -> PollPayload | None:
    """Decode one of this feature's payloads; None for anything stale, forged or ill-typed."""
    return CODEC.read(data)
