"""The values storage hands out and takes in: plain frozen records, no SQL (callers import them freely)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "Announcement",
    "AnnouncementDraft",
    "AnnouncementState",
    "Delivery",
    "DeliveryFigures",
    "DeliveryState",
    "Erased",
    "Outcome",
    "UserRecord",
]


class AnnouncementState(StrEnum):
    """Where an announcement is; the values are what the database stores (the schema's CHECK lists them)."""

    SCHEDULED = "scheduled"  # waits for its time
    QUEUED = "queued"  # waits for the engine
    RUNNING = "running"
    PAUSED = "paused"
    DONE = "done"
    CANCELLED = "cancelled"


class DeliveryState(StrEnum):
    """Where one recipient's copy is; the values are what the database stores."""

    PENDING = "pending"
    SENDING = "sending"  # claimed by the engine; back to pending if it stops before the outcome is stored
    SENT = "sent"
    BLOCKED = "blocked"  # the reader blocked the bot
    GONE = "gone"  # the account no longer exists
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class UserRecord:
    """What the bot knows about one person."""

    user_id: int
    language: str | None
    first_seen: str
    last_seen: str
    blocked: bool
    language_chosen: bool = False  # False: the language was guessed from Telegram's language_code
    reference: str | None = None  # the original this reader compares translated pages with


@dataclass(frozen=True, slots=True)
class AnnouncementDraft:
    """What an admin confirmed: audience, one copied message per language, and options."""

    created_by: int
    topics: frozenset[str]  # empty: everyone
    language: str | None  # only readers of this language; None: all
    versions: dict[str, tuple[int, int]]  # language -> (chat id, message id) of the admin's message
    silent: bool = False
    protect: bool = False
    scheduled_at: str | None = None  # UTC ISO 8601; None: now
    status_chat: int | None = None
    status_message: int | None = None


@dataclass(frozen=True, slots=True)
class Announcement:
    """A stored announcement."""

    id: int
    created_by: int
    created_at: str
    topics: frozenset[str]
    language: str | None
    silent: bool
    protect: bool
    scheduled_at: str | None
    state: AnnouncementState
    status_chat: int | None
    status_message: int | None
    started_at: str | None
    finished_at: str | None
    versions: dict[str, tuple[int, int]]
    # Set once its per-recipient rows were dropped (past DELIVERY_RETENTION_DAYS): the figures they added up to.
    totals: DeliveryFigures | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One recipient of an announcement, claimed for sending."""

    user_id: int
    language: str
    attempts: int
    discreet: bool = False  # the reader gets a neutral message first (bot/help/: discreet mode)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened when a delivery was tried: sent, blocked, gone, failed, or pending again (retry)."""

    user_id: int
    state: DeliveryState
    error: str | None = None
    not_before: float = 0.0


@dataclass(frozen=True, slots=True)
class DeliveryFigures:
    """Deliveries of one announcement by outcome."""

    pending: int
    sent: int
    blocked: int
    failed: int

    @property
    def total(self) -> int:
        """Every recipient."""
        return self.pending + self.sent + self.blocked + self.failed

    @property
    def done(self) -> int:
        """Recipients whose delivery is settled."""
        return self.sent + self.blocked + self.failed

    def after(self, outcomes: Iterable[Outcome]) -> DeliveryFigures:
        """These figures once ``outcomes`` (of pending deliveries) are written; a retry stays pending."""
        sent = blocked = failed = 0
        for outcome in outcomes:
            state = outcome.state
            if state == DeliveryState.SENT:
                sent += 1
            elif state in (DeliveryState.BLOCKED, DeliveryState.GONE):
                blocked += 1
            elif state == DeliveryState.FAILED:
                failed += 1
        return DeliveryFigures(
            pending=self.pending - sent - blocked - failed,
            sent=self.sent + sent,
            blocked=self.blocked + blocked,
            failed=self.failed + failed,
        )


@dataclass(frozen=True, slots=True)
class Erased:
    """What ``Readers.forget`` removed."""

    user: bool
    subscriptions: int
