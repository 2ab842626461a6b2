"""The broadcast engine's call-backs: each recipient's unsubscribe button, and the admin's progress message.

The engine (bot/broadcast/) knows nothing of languages or admins; ``bot/app.py`` hands it these two.
"""

from __future__ import annotations

import dataclasses
import logging

from telegram.error import BadRequest, TelegramError

from bot import admin_screens as views
from bot.announce import progress_text
from bot.broadcast import MarkupFor, Progress
from bot.handlers.common import SERVICES_KEY, BotApp, Services
from bot.i18n import I18n
from bot.keyboards import Keyboard, announcement_keyboard
from bot.storage import Announcement, AnnouncementState

__all__ = ["make_markup_for", "report_progress"]

logger = logging.getLogger(__name__)


def make_markup_for(i18n: I18n) -> MarkupFor:
    """The engine's ``markup_for``: the unsubscribe button in the recipient's language."""

    def markup_for(announcement: Announcement, language: str) -> Keyboard:
        return announcement_keyboard(announcement.id, announcement.topics, i18n.get(language))

    return markup_for


async def report_progress(app: BotApp, announcement: Announcement, progress: Progress) -> None:
    """Edit the status message of ``announcement`` (in its admin's language)."""
    if announcement.status_chat is None or announcement.status_message is None:
        return
    services: Services = app.bot_data[SERVICES_KEY]
    admin = await services.storage.get_user(announcement.created_by)
    t = services.i18n.get(admin.language if admin else None)
    current = dataclasses.replace(announcement, state=AnnouncementState(progress.state))
    text = progress_text(current, progress.figures, progress.rate, progress.eta_seconds, progress.final, t)
    keyboard = Keyboard(views.controls(current, t)) if not progress.final else None
    try:
        await app.bot.edit_message_text(
            text,
            chat_id=announcement.status_chat,
            message_id=announcement.status_message,
            reply_markup=keyboard,
        )
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            logger.info("could not update the status of announcement %s: %s", announcement.id, exc.message)
    except TelegramError as exc:
        logger.info("could not update the status of announcement %s: %s", announcement.id, exc)
