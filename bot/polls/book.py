"""The polls feature's in-process state: the key, and each open poll's versions for the delivery engine.

The engine asks for a copy's keyboard without waiting (``markup``), so the versions of every poll it may send
are kept here: loaded at start-up, added when an admin sends a poll's version (before the announcement even
exists: the engine may pick it up the moment it is confirmed).
"""

from __future__ import annotations

import datetime as dt
import logging

from bot.polls.domain import Keys, PollState, PollVersion, poll_state
from bot.polls.store import PollStore
from bot.polls.views import poll_keyboard, version_for
from bot.reading.keyboards import Keyboard
from bot.storage import Announcement

__all__ = ["PollBook"]

logger = logging.getLogger(__name__)


class PollBook:
    """The key and the polls the engine may deliver."""

    def __init__(self, keys: Keys, default_language: str) -> None:
        self.keys = keys
        self.default_language = default_language
        self._by_id: dict[int, dict[str, PollVersion]] = {}
        # A version's message in the admin's chat -> (language, version), until its poll is confirmed.
        self._pending: dict[tuple[int, int], tuple[str, PollVersion]] = {}

    def add_pending(self, message: tuple[int, int], language: str, version: PollVersion) -> None:
        """A version of a poll being prepared, by the message the engine will copy."""
        self._pending[message] = (language, version)

    def add(self, poll_id: int, versions: dict[str, PollVersion]) -> None:
        """A confirmed poll."""
        self._by_id[poll_id] = dict(versions)

    def versions(self, announcement: Announcement) -> dict[str, PollVersion] | None:
        """The poll versions of ``announcement``; None when it is not a poll."""
        found = self._by_id.get(announcement.id)
        if found is not None:
            return found
        pending = {
            self._pending[m][0]: self._pending[m][1] for m in announcement.versions.values() if m in self._pending
        }
        return pending or None

    def markup(self, announcement: Announcement, language: str) -> Keyboard | None:
        """The options keyboard under the copy a reader of ``language`` gets; None when it is not a poll."""
        versions = self.versions(announcement)
        if versions is None:
            return None
        code = version_for(versions, language, self.default_language)
        if code is None:
            return None
        return poll_keyboard(announcement.id, code, versions[code], self.keys)

    async def load(self, store: PollStore, now: dt.datetime) -> None:
        """Read every poll (a closed one may still be being delivered); erase the tokens of those that closed."""
        for poll in await store.polls():
            self.add(poll.id, poll.versions)
        await close_due(store, now)


async def close_due(store: PollStore, now: dt.datetime) -> int:
    """Erase the tokens of every poll past its closing time (or cancelled); return how many closed."""
    closed = 0
    for poll in await store.polls(open_only=True):
        if poll_state(poll.closes_at, poll.announcement_state, now) is not PollState.OPEN:
            await store.close(poll.id)
            closed += 1
    if closed:
        logger.info("%d polls closed: their answer tokens are erased", closed)
    return closed
