"""Admins: /announcements (recent ones, with their figures and controls) and the admins' buttons.

To anyone not in ADMIN_IDS these commands behave like unknown commands (the attempt is logged by id only).
The /announce wizard is in ``bot/announcing/wizard.py``; what both show is built by
``bot/announcing/screens.py``; /stats and /export are ``bot/impact/handlers.py``.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot.announcing import buttons
from bot.announcing import screens as views
from bot.announcing.buttons import Admin, AdminButton, admin_pressed
from bot.announcing.services import engine_of
from bot.announcing.wizard import on_admin_message, on_wizard_button
from bot.reading.context import BotContext, Reader, show
from bot.reading.screens import Screen
from bot.telegram.ids import parse_id

__all__ = [
    "announcements_command",
    "draft_handler",
    "handlers",
    "on_admin_button",
    "on_admin_callback",
]

logger = logging.getLogger(__name__)

RECENT_ANNOUNCEMENTS = 8


async def announcements_command(update: Update, context: BotContext) -> None:
    """Recent and scheduled announcements, with their figures and controls."""
    await show(update, context, await announcements_screen(context, context.reader))


async def announcements_screen(context: BotContext, reader: Reader) -> Screen:
    """/announcements with the figures read now."""
    storage = context.storage
    items = await storage.announcements.recent(limit=RECENT_ANNOUNCEMENTS)
    figures = [(item, await storage.deliveries.figures(item.id)) for item in items]
    return views.announcements_screen(reader.t, context.library.locale(reader.language), figures)


# --------------------------------------------------------------------------------------------- buttons

# The controls of a sent announcement; the button's value is its id.
_CONTROLS = (AdminButton.PAUSE, AdminButton.RESUME, AdminButton.CANCEL, AdminButton.RETRY)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    """The admins' buttons (``buttons.PATTERN``); the chart buttons among them are the impact figures'
    (bot/impact/handlers.py), registered before these."""
    return [CallbackQueryHandler(on_admin_button, pattern=buttons.PATTERN)]


def draft_handler(admins: filters.BaseFilter) -> BaseHandler[Update, BotContext, None]:
    """An admin's message in a private chat, for the group that runs before commands and search: while
    /announce waits for a message (a language version, a date), it is taken by the wizard."""
    private = filters.ChatType.PRIVATE & admins & ~filters.COMMAND & filters.UpdateType.MESSAGE
    return MessageHandler(private, on_admin_message)


async def on_admin_button(update: Update, context: BotContext) -> None:
    """The buttons of /announce and /announcements."""
    payload = await admin_pressed(update, context)
    if payload is not None:
        await on_admin_callback(update, context, context.reader, payload)


async def on_admin_callback(update: Update, context: BotContext, reader: Reader, payload: Admin) -> None:
    """An admin's button, read: a control of a sent announcement, /announcements' refresh, or a wizard step."""
    query = update.callback_query
    assert query is not None
    t = reader.t
    button, value = payload.button, payload.value
    announcement_id = parse_id(value)
    engine = engine_of(context.bot_data)
    if button in _CONTROLS and announcement_id is not None and engine is not None:
        action = {
            AdminButton.PAUSE: engine.pause,
            AdminButton.RESUME: engine.resume,
            AdminButton.CANCEL: engine.cancel,
            AdminButton.RETRY: engine.retry_failed,
        }[button]
        changed = await action(announcement_id)
        await query.answer(t.gettext("Done.") if changed else t.gettext("Nothing to change."))
        await show(update, context, await announcements_screen(context, reader))
        return
    if button is AdminButton.LIST:
        await query.answer()
        await show(update, context, await announcements_screen(context, reader))
        return
    await on_wizard_button(update, context, reader, payload)
