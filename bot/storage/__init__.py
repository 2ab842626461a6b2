"""Every SQL statement of the bot, behind one ``Storage`` class over a single aiosqlite connection.

One module per area, each class building on the one before it and sharing its connection and write lock:

- ``database``: the connection, the exclusive lock file, migrations (``schema``) and the snapshot before one,
  transactions, and the bot's own key/value facts;
- ``counters``: the anonymous daily counters;
- ``readers``: readers, their language and reference, subscriptions, forgetting (counted into the counters);
- ``deliveries``: announcements and their delivery queue (whose outcomes mark readers blocked);
- ``expiry``: dropping the delivery rows of announcements finished long ago, keeping their totals.

``records`` holds the plain values they hand out. Handlers use ``Storage``, which is all of them together.
"""

from __future__ import annotations

import functools

from bot.storage.database import DatabaseLockedError, SchemaTooNewError, run_to_end
from bot.storage.deliveries import QUEUE_CHUNK
from bot.storage.expiry import Expiry
from bot.storage.readers import USER_CACHE_SIZE
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
from bot.storage.safety import AnnouncementText, Safety
from bot.storage.schema import MIGRATIONS, SCHEMA_VERSION

__all__ = [
    "MIGRATIONS",
    "QUEUE_CHUNK",
    "SCHEMA_VERSION",
    "USER_CACHE_SIZE",
    "Announcement",
    "AnnouncementDraft",
    "AnnouncementState",
    "AnnouncementText",
    "DatabaseLockedError",
    "Delivery",
    "DeliveryFigures",
    "DeliveryState",
    "Erased",
    "Outcome",
    "SchemaTooNewError",
    "Storage",
    "UserRecord",
    "run_to_end",
]


class Storage(Expiry):
    """The bot's SQLite database: open with ``await Storage.open(path)``, close with ``await close()``."""

    @functools.cached_property
    def safety(self) -> Safety:
        """The help directory's country and discreet mode of readers, and announcement texts (bot/help/)."""
        return Safety(self)
