"""Pure pieces of the admin side: the /announce draft, schedule parsing, and the texts of figures."""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.content import LocaleContent
from bot.languages.discovery import FALLBACK_LANGUAGE, REFERENCE_LANGUAGE
from bot.languages.i18n import Translator
from bot.polls import CLOSE_DAYS, PollVersion
from bot.reading.keyboards import language_name
from bot.storage import Announcement, AnnouncementDraft, AnnouncementState, DeliveryFigures

__all__ = [
    "Draft",
    "ScheduleError",
    "Step",
    "audience_label",
    "figures_text",
    "parse_schedule",
    "progress_text",
    "recipients_text",
]

_SCHEDULE = re.compile(r"^\s*([0-9]{4}-[0-9]{2}-[0-9]{2})[ T]([0-9]{1,2}:[0-9]{2})(?:\s+(\S+))?\s*$")


class Step(StrEnum):
    """Where an admin is in /announce."""

    AUDIENCE = "audience"
    LANGUAGE = "language"
    MESSAGE = "message"  # waiting for the message of ``Draft.asking``
    OPTIONS = "options"
    SCHEDULE = "schedule"  # waiting for a date and time
    PREVIEW = "preview"


@dataclass
class Draft:
    """An announcement being put together by one admin (kept in memory until confirmed)."""

    admin_id: int
    step: Step = Step.AUDIENCE
    everyone: bool = True
    topics: set[str] = field(default_factory=set)
    language: str | None = None  # only readers of this language
    versions: dict[str, tuple[int, int]] = field(default_factory=dict)
    # Each version's text or caption as HTML, and whether it has media: discreet mode opens it in place.
    texts: dict[str, tuple[str, bool]] = field(default_factory=dict)
    asking: str | None = None  # the language whose message is awaited
    skipped: set[str] = field(default_factory=set)  # languages that get the default language's version
    silent: bool = False
    protect: bool = False
    scheduled_at: dt.datetime | None = None  # aware, UTC
    poll: bool = False  # a poll (bot/polls/): each version is a question and its options
    poll_versions: dict[str, PollVersion] = field(default_factory=dict)
    closes_days: int = CLOSE_DAYS[1]  # the poll closes this many days after it is sent

    def next_closing(self) -> None:
        """Choose the next of the offered closing times."""
        self.closes_days = CLOSE_DAYS[(CLOSE_DAYS.index(self.closes_days) + 1) % len(CLOSE_DAYS)]

    def closes_at(self, now: dt.datetime) -> dt.datetime:
        """When the poll closes: ``closes_days`` after it is sent (now, or at its scheduled time)."""
        return (self.scheduled_at or now) + dt.timedelta(days=self.closes_days)

    def toggle_topic(self, topic: str) -> None:
        """Add or remove a topic; choosing any topic means not everyone, and the reverse."""
        if topic in self.topics:
            self.topics.discard(topic)
        else:
            self.topics.add(topic)
        self.everyone = not self.topics

    def choose_everyone(self) -> None:
        """Send to every reader."""
        self.topics.clear()
        self.everyone = True

    def languages_needed(self, languages: tuple[str, ...], default: str) -> list[str]:
        """Which message versions to ask for: the default language first (it is the fallback), then Russian
        and English, then the region's own languages (each may be skipped: its readers get the default)."""
        if self.language is not None:
            return [self.language]
        anchors = [code for code in (FALLBACK_LANGUAGE, REFERENCE_LANGUAGE) if code in languages and code != default]
        return [default, *anchors, *(code for code in languages if code != default and code not in anchors)]

    def to_storage(self, status_chat: int | None = None, status_message: int | None = None) -> AnnouncementDraft:
        """The confirmed announcement as storage keeps it."""
        return AnnouncementDraft(
            created_by=self.admin_id,
            topics=frozenset(self.topics),
            language=self.language,
            versions=dict(self.versions),
            silent=self.silent,
            protect=self.protect,
            scheduled_at=self.scheduled_at.isoformat(timespec="seconds") if self.scheduled_at else None,
            status_chat=status_chat,
            status_message=status_message,
        )


class ScheduleError(ValueError):
    """The date and time cannot be used; ``reason`` is one of: format, zone, past, range."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_schedule(text: str, now: dt.datetime) -> dt.datetime:
    """Parse ``YYYY-MM-DD HH:MM [Area/City]`` (UTC if no zone); return the moment in UTC."""
    match = _SCHEDULE.match(text)
    if not match:
        raise ScheduleError("format")
    day, clock, zone_name = match.groups()
    try:
        zone = ZoneInfo(zone_name) if zone_name else dt.UTC
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError("zone") from None
    try:
        local = dt.datetime.fromisoformat(f"{day}T{int(clock.split(':')[0]):02d}:{clock.split(':')[1]}")
    except ValueError:
        raise ScheduleError("format") from None
    try:
        moment = local.replace(tzinfo=zone).astimezone(dt.UTC)
    except OverflowError:  # e.g. 9999-12-31 23:59 in a zone behind UTC: past the last representable moment
        raise ScheduleError("range") from None
    if moment <= now:
        raise ScheduleError("past")
    return moment


def audience_label(
    topics: frozenset[str] | set[str], language: str | None, content: LocaleContent, t: Translator
) -> str:
    """Who an announcement is for, in words."""
    if not topics:
        who = t.gettext("everyone")
    else:
        names = []
        for topic in sorted(topics):
            theme = content.theme(topic)
            names.append(theme.short_title if theme else t.gettext("General announcements"))
        who = ", ".join(names)
    if language is not None:
        who += " · " + t.gettext("only {language}").format(language=language_name(language))
    return who


def recipients_text(counts: dict[str, int], t: Translator) -> str:
    """Recipients per language, with the total, for the preview."""
    total = sum(counts.values())
    lines = [
        t.ngettext("{count} recipient", "{count} recipients", total).format(count=_n(total)),
    ]
    for code, count in sorted(counts.items()):
        lines.append(f"• {language_name(code)}: {_n(count)}")
    return "\n".join(lines)


def figures_text(figures: DeliveryFigures, t: Translator) -> str:
    """Sent / total, blocked, failed, pending."""
    return "\n".join(
        [
            t.gettext("Sent: {sent} of {total}").format(sent=_n(figures.sent), total=_n(figures.total)),
            t.gettext("Blocked the bot or gone: {count}").format(count=_n(figures.blocked)),
            t.gettext("Failed: {count}").format(count=_n(figures.failed)),
            t.gettext("Waiting: {count}").format(count=_n(figures.pending)),
        ]
    )


def progress_text(
    announcement: Announcement,
    figures: DeliveryFigures,
    rate: float,
    eta_seconds: float | None,
    final: bool,
    t: Translator,
) -> str:
    """The admin's live status message."""
    state = {
        AnnouncementState.RUNNING: t.gettext("sending"),
        AnnouncementState.PAUSED: t.gettext("paused"),
        AnnouncementState.DONE: t.gettext("finished"),
        AnnouncementState.CANCELLED: t.gettext("cancelled"),
        AnnouncementState.QUEUED: t.gettext("queued"),
        AnnouncementState.SCHEDULED: t.gettext("scheduled"),
    }.get(announcement.state, announcement.state)
    lines = [
        "<b>" + html.escape(t.gettext("Announcement #{id}: {state}").format(id=announcement.id, state=state)) + "</b>",
        html.escape(figures_text(figures, t)),
    ]
    if not final and announcement.state == AnnouncementState.RUNNING:
        speed = t.gettext("{rate} messages per second").format(rate=f"{rate:.1f}")
        if eta_seconds is not None:
            minutes = max(1, round(eta_seconds / 60))
            speed += " · " + t.ngettext("about {count} minute left", "about {count} minutes left", minutes).format(
                count=minutes
            )
        lines.append(html.escape(speed))
    return "\n".join(lines)


def _n(number: int) -> str:
    """Thousands separated by a thin space, readable in both languages."""
    return f"{number:,}".replace(",", "\u202f")
