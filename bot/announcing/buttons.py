"""The admins' buttons (the /announce wizard's steps, the controls under /announcements, the charts of /stats).

Their data is ``1:A:<button>:<value>``, the format buttons already in admins' chats carry; ``PATTERN`` routes
them to the admins' handlers and nothing else. Stale or forged data reads as ``None``; ``admin_pressed`` reads
the pressed button for an admin only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from telegram import Update

from bot.reading.context import BotContext, is_admin
from bot.reading.stale import pressed
from bot.telegram.payloads import PayloadCodec

__all__ = ["CHART_PATTERN", "PATTERN", "Admin", "AdminButton", "WizardChoice", "admin_pressed", "read"]

logger = logging.getLogger(__name__)

PREFIX = "1"  # shared with the reading menus' payloads (bot/reading/callbacks.py): the action letter differs


class AdminButton(StrEnum):
    """What an admin's button does: a step of the /announce wizard, or a control of /announcements."""

    AUDIENCE = "aud"  # wizard step 1: everyone, a topic, or next
    LANGUAGE = "lng"  # step 2: all languages or one
    SKIP = "skip"  # step 3: skip this language's version
    OPTION = "opt"  # step 4: silent, protect, now, or schedule
    CONFIRM = "ok"  # send (or schedule) the previewed announcement
    DROP = "no"  # cancel the draft
    PAUSE = "pause"  # controls of a sent announcement: its id
    RESUME = "resume"
    CANCEL = "cancel"
    RETRY = "retry"
    LIST = "list"  # refresh /announcements
    CHART = "chart"  # the most-read sections chart
    ANNOUNCEMENT_CHART = "achart"  # one announcement's delivery chart: its id


class WizardChoice(StrEnum):
    """The fixed values of the /announce wizard's buttons (the others are a topic or a language code)."""

    ALL = "all"  # everyone (audience), or every language
    NEXT = "next"  # the audience is chosen
    SILENT = "silent"  # options: toggle no notification sound
    PROTECT = "protect"  # options: toggle no forwarding or saving
    NOW = "now"  # options: send now (to the preview)
    WHEN = "when"  # options: schedule


@dataclass(frozen=True, slots=True)
class Admin:
    """An admin's choice: the button and its value (a topic, a language, an option, an announcement id)."""

    button: AdminButton
    value: str

    def pack(self) -> str:
        """Encode; raise ``CallbackDataError`` if malformed or too long."""
        return CODEC.pack(self)


CODEC: PayloadCodec[Admin] = PayloadCodec(PREFIX, {"A": Admin})
PATTERN = CODEC.pattern
# The chart buttons (/stats, /announcements) belong to the impact figures' handler (bot/impact/handlers.py).
CHART_PATTERN = rf"^{PREFIX}:A:(?:{AdminButton.CHART.value}|{AdminButton.ANNOUNCEMENT_CHART.value}):"


def read(data: str | None) -> Admin | None:
    """Decode an admin's button; ``None`` for anything else, stale or forged."""
    return CODEC.read(data)


async def admin_pressed(update: Update, context: BotContext) -> Admin | None:
    """The admins' button pressed (``pressed``), or None when already answered: also when the person is not an
    admin (logged by id, answered like a stale menu)."""
    payload = await pressed(update, context, read)
    reader = context.reader
    if payload is None or is_admin(context, reader.user_id):
        return payload
    query = update.callback_query
    assert query is not None  # pressed() read its data
    logger.warning("non-admin %s pressed an admin button", reader.user_id)
    await query.answer(reader.t.gettext("This menu has expired. Here is a fresh one."))
    return None
