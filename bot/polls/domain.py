"""Polls and ratings as plain values and rules: the admin's poll text, the key that hides who answered, states.

No Telegram I/O and no database: the wizard, the handlers and the tests call these directly.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final

from telegram.constants import PollLimit

__all__ = [
    "CHANGES_MAX",
    "CLOSES_CHOICE",
    "CLOSE_DAYS",
    "NO_CHOICE",
    "OPTIONS_MAX",
    "OPTIONS_MIN",
    "OPTION_MAX",
    "POLL_CHOICE",
    "QUESTION_MAX",
    "Keys",
    "PollProblem",
    "PollState",
    "PollVersion",
    "load_key",
    "parse_poll",
    "poll_state",
]

OPTIONS_MIN: Final = 2
OPTIONS_MAX: Final = min(10, int(PollLimit.MAX_OPTION_NUMBER))
# Telegram's own limits for a poll's texts: the same question and options must also fit a native poll.
QUESTION_MAX: Final = int(PollLimit.MAX_QUESTION_LENGTH)  # 300 characters
OPTION_MAX: Final = int(PollLimit.MAX_OPTION_LENGTH)  # 100 characters
# Answers one reader may give to one poll (the first and its changes): a flood of taps stops here.
CHANGES_MAX: Final = 10
CLOSE_DAYS: Final = (1, 3, 7, 14)  # the closing times an admin chooses from, in days after sending
# The /announce wizard's own button values for polls (beside bot/reading/callbacks.py's WizardChoice).
POLL_CHOICE: Final = "poll"  # audience step: a poll instead of a message
CLOSES_CHOICE: Final = "closes"  # options step: the next closing time
NO_CHOICE: Final = 0  # options are numbered from 1; 0 means "not answered yet"
TOKEN_BYTES: Final = 16
SIGNATURE_BYTES: Final = 8  # 64 bits: a forged button is guessed once in 2**64 tries
KEY_BYTES: Final = 32

_MARKER = re.compile(r"^\s*(?:[-•*–—]+|\d{1,2}[.)])\s*")


@dataclass(frozen=True, slots=True)
class PollVersion:
    """One language version of a poll: the question and its options."""

    question: str
    options: tuple[str, ...]


class PollProblem(ValueError):
    """The admin's poll text cannot be used: ``reason`` (question, few, many, question_long, option_long,
    option_empty, duplicate) and, for one option, its number (1-based)."""

    def __init__(self, reason: str, number: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.number = number


def parse_poll(text: str) -> PollVersion:
    """Read a poll from the admin's message: the question on the first line, then one option per line.

    List markers ("-", "•", "1.", "2)") before an option are dropped; blank lines are ignored.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise PollProblem("question")
    question, raw = lines[0], lines[1:]
    if len(question) > QUESTION_MAX:
        raise PollProblem("question_long")
    if len(raw) < OPTIONS_MIN:
        raise PollProblem("few")
    if len(raw) > OPTIONS_MAX:
        raise PollProblem("many")
    options: list[str] = []
    seen: set[str] = set()
    for number, line in enumerate(raw, start=1):
        option = _MARKER.sub("", line, count=1).strip()
        if not option:
            raise PollProblem("option_empty", number)
        if len(option) > OPTION_MAX:
            raise PollProblem("option_long", number)
        folded = " ".join(option.casefold().split())
        if folded in seen:
            raise PollProblem("duplicate", number)
        seen.add(folded)
        options.append(option)
    return PollVersion(question, tuple(options))


class PollState(StrEnum):
    """Whether a poll takes answers."""

    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


def poll_state(closes_at: str, announcement_state: str | None, now: dt.datetime) -> PollState:
    """A cancelled announcement's poll is cancelled; past its closing time a poll is closed."""
    if announcement_state is None or announcement_state == "cancelled":
        return PollState.CANCELLED
    if now >= dt.datetime.fromisoformat(closes_at):
        return PollState.CLOSED
    return PollState.OPEN


class Keys:
    """Keyed hashes with the bot's secret key: tokens that say "answered" without saying who, and signatures
    that make a poll button's state (the reader's current answer) unforgeable.

    Without the key (a file beside the database, never in it or in a backup) a token cannot be matched to a
    Telegram id; with it, one can test whether a given reader answered, never which option: no option is ever
    hashed into a token.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) < KEY_BYTES:
            raise ValueError("the key is too short")
        self._key = key

    def _mac(self, *parts: object) -> bytes:
        message = "\x1f".join(str(p) for p in parts).encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def token(self, *parts: object) -> bytes:
        """A token for ``parts`` (e.g. a poll and a reader)."""
        return self._mac("token", *parts)[:TOKEN_BYTES]

    def sign(self, *parts: object) -> str:
        """A short signature of ``parts``, in callback data's alphabet (A-Z a-z 0-9 _ -)."""
        raw = self._mac("sign", *parts)[:SIGNATURE_BYTES]
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def verify(self, signature: str, *parts: object) -> bool:
        """Whether ``signature`` is the one of ``parts``."""
        return hmac.compare_digest(signature, self.sign(*parts))


def load_key(path: Path) -> bytes:
    """The key in ``path``, made (mode 0600) on first use."""
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        key = secrets.token_bytes(KEY_BYTES)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(key)
        return key
    if len(key) < KEY_BYTES:
        raise ValueError(f"{path}: the key file is damaged (shorter than {KEY_BYTES} bytes)")
    return key
