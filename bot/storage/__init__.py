"""Every SQL statement of the bot: one ``Database`` and one repository per concern, composed by ``Storage``.

``Storage.open(path, default_language)`` opens the ``Database`` and hands it to each repository; they share its
one aiosqlite connection and its write lock, and none builds on another:

- ``database`` (``storage.database``): the connection, the exclusive lock file, the write lock and transactions,
  migrations (``schema``) and the snapshot before one, and the bot's own key/value facts (``get_meta`` ...);
- ``counters`` (``storage.counters``): the anonymous daily counters, counted in memory into ``tally``
  (bot/storage/tally.py) and written in batches;
- ``readers`` (``storage.readers``): readers, their language and reference, blocking, forgetting; it counts a
  reader's first visit of a day into the counters it is given;
- ``subscriptions`` (``storage.subscriptions``): which topics each reader follows;
- ``announcements`` (``storage.announcements``): confirmed announcements, their audience and their state;
- ``deliveries`` (``storage.deliveries``): each announcement's delivery queue, its outcomes (a blocked recipient
  is marked so through the readers it is given, which drops their cached record), figures, timeline, and the
  expiry of the rows of announcements finished long ago;
- ``safety`` (``storage.safety``): the help directory's country and discreet mode of readers, announcement texts;
- ``reported`` (``storage.reported``): which items readers reported, as counts.

``records`` holds the plain values they hand out; ``lock`` (one bot process per database) and ``backup`` (backup,
restore, the snapshot before a migration) work on the database file. ``Storage.close`` writes the counters' last
tally, then closes the database.
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import TracebackType

from bot.storage.announcements import Announcements
from bot.storage.counters import Counters
from bot.storage.database import Database, DatabaseLockedError, SchemaTooNewError, run_to_end
from bot.storage.deliveries import QUEUE_CHUNK, Deliveries
from bot.storage.readers import USER_CACHE_SIZE, Readers
from bot.storage.records import (
    Announcement,
    AnnouncementDraft,
    AnnouncementState,
    Delivery,
    DeliveryFigures,
    DeliveryState,
    Erased,
    Outcome,
    UserRecord,
)
from bot.storage.reported import ReportedItems
from bot.storage.safety import AnnouncementText, Safety
from bot.storage.schema import MIGRATIONS, SCHEMA_VERSION
from bot.storage.subscriptions import Subscriptions

__all__ = [
    "MIGRATIONS",
    "QUEUE_CHUNK",
    "SCHEMA_VERSION",
    "USER_CACHE_SIZE",
    "Announcement",
    "AnnouncementDraft",
    "AnnouncementState",
    "AnnouncementText",
    "Announcements",
    "Counters",
    "Database",
    "DatabaseLockedError",
    "Deliveries",
    "Delivery",
    "DeliveryFigures",
    "DeliveryState",
    "Erased",
    "Outcome",
    "Readers",
    "ReportedItems",
    "Safety",
    "SchemaTooNewError",
    "Storage",
    "Subscriptions",
    "UserRecord",
    "run_to_end",
]


logger = logging.getLogger(__name__)


class Storage:
    """The bot's SQLite database and its repositories: open with ``await Storage.open(path)``, ``close()`` it."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.counters = Counters(database)
        self.readers = Readers(database, self.counters)
        self.subscriptions = Subscriptions(database)
        self.announcements = Announcements(database)
        self.deliveries = Deliveries(database, self.announcements, self.readers)
        self.safety = Safety(database)
        self.reported = ReportedItems(database)

    @classmethod
    async def open(cls, path: Path | str, default_language: str = "ru") -> Storage:
        """Open (creating if needed) and migrate the database at ``path`` (``Database.open``), with its repositories.

        ``default_language`` is the language of readers who never chose one (and were never guessed one).
        """
        return cls(await Database.open(path, default_language))

    async def close(self) -> None:
        """Write the counters' waiting tally (a failure is logged), then close the database and release its lock."""
        try:
            await self.counters.flush()
        except Exception:
            logger.warning("could not write the last counters", exc_info=True)
        finally:
            await self.database.close()

    async def __aenter__(self) -> Storage:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
