"""The help feature's buttons: the directory, the remembered country, reports of a dead number, the staying-safe
page and discreet mode, and opening / collapsing an announcement that arrived as a neutral message.

Nothing here logs a reader's id, country or setting: a log line would tie a person to looking for help.
"""

from __future__ import annotations

import html
import logging

from telegram import Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.help.callbacks import (
    PATTERN,
    AnnouncementHide,
    AnnouncementOpen,
    Countries,
    CountryList,
    DiscreetToggle,
    OpenHelp,
    RememberCountry,
    ReportList,
    StayingSafe,
    read,
)
from bot.help.views import HelpViews, collapse_keyboard, neutral_keyboard, neutral_text
from bot.reading.context import ANNOUNCEMENT_MARKUP_KEY, BotContext, Reader, show
from bot.reading.keyboards import announcement_keyboard
from bot.reading.screens import Screen
from bot.reports import desk_of
from bot.storage.tally import Metric

__all__ = ["VIEWS_KEY", "handlers", "on_help_callback"]

logger = logging.getLogger(__name__)

VIEWS_KEY = "help_views"  # bot_data: the feature's HelpViews, set by bot.help.install


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    """The feature's handlers, to be registered before the reading menus' catch-all button handler."""
    return [CallbackQueryHandler(on_help_callback, pattern=PATTERN)]


def _views(context: BotContext) -> HelpViews:
    views: HelpViews = context.bot_data[VIEWS_KEY]
    return views


async def on_help_callback(update: Update, context: BotContext) -> None:
    """Every button of this feature."""
    query = update.callback_query
    if query is None:
        return
    reader, views, safety = context.reader, _views(context), context.storage.safety
    payload = read(query.data)
    answered = isinstance(payload, RememberCountry | ReportList | DiscreetToggle)  # each answers with a toast
    match payload:
        case OpenHelp():
            remembered = await safety.help_country(reader.user_id)
            country = views.directory.country(remembered) if remembered else None
            screen = await _country(context, reader, country.code) if country else views.countries(reader.language)
        case Countries():
            screen = views.countries(reader.language)
        case CountryList(code):
            screen = await _country(context, reader, code)
        case RememberCountry(code):
            screen = await _remember(update, context, reader, code)
        case ReportList(code):
            screen = await _report(update, context, reader, code)
        case StayingSafe():
            screen = views.staying_safe(reader.language, await safety.discreet(reader.user_id))
        case DiscreetToggle():
            on = not await safety.discreet(reader.user_id)
            await safety.set_discreet(reader.user_id, on)
            t = reader.t
            await query.answer(t.gettext("Discreet mode is on.") if on else t.gettext("Discreet mode is off."))
            screen = views.staying_safe(reader.language, on)
        case AnnouncementOpen(announcement_id):
            await _open(update, context, reader, announcement_id)
            return
        case AnnouncementHide(announcement_id, media):
            await _collapse(update, context, reader, announcement_id, media)
            return
        case _:
            screen = None
    if screen is None:
        await query.answer(reader.t.gettext("This menu has expired. Here is a fresh one."))
        screen = views.countries(reader.language)
    elif not answered:
        await query.answer()
    await show(update, context, screen)


async def _country(context: BotContext, reader: Reader, code: str) -> Screen | None:
    """A country's list, counted anonymously (a day, a language, the country: never who)."""
    views = _views(context)
    country = views.directory.country(code)
    if country is None:
        return None
    context.storage.counters.tally.count(Metric.HELP, reader.language, country.code)
    remembered = await context.storage.safety.help_country(reader.user_id) == country.code
    return views.country(reader.language, country, remembered)


async def _remember(update: Update, context: BotContext, reader: Reader, code: str) -> Screen | None:
    """Remember the country (the reader asked for it: that is the consent), or forget it."""
    views, safety, t = _views(context), context.storage.safety, reader.t
    country = views.directory.country(code)
    query = update.callback_query
    if country is None or query is None:
        return None
    if await safety.help_country(reader.user_id) == code:
        await safety.set_help_country(reader.user_id, None)
        await query.answer(t.gettext("The bot no longer remembers your country."))
        remembered = False
    else:
        await safety.set_help_country(reader.user_id, code)
        await query.answer(t.gettext("This country will open first next time. /forget erases it."))
        remembered = True
    return views.country(reader.language, country, remembered)


async def _report(update: Update, context: BotContext, reader: Reader, code: str) -> Screen | None:
    """ "A number does not work": to the reports chat (or each admin), like reports of a page."""
    services, views, t = context.services, _views(context), reader.t
    country = views.directory.country(code)
    query = update.callback_query
    if country is None or query is None:
        return None
    if not desk_of(context.bot_data).allowed(reader.user_id):
        await query.answer(t.gettext("You have sent several reports in the last hour. Please try again later."))
        return views.country(reader.language, country, await _is_remembered(context, reader, code))
    settings = services.settings
    targets = [settings.reports_chat_id] if settings.reports_chat_id is not None else sorted(settings.admin_ids)
    text = views.report_html(country, reader.language, services.i18n.get(settings.default_language))
    delivered = 0
    for chat_id in targets:
        try:
            await context.bot.send_message(chat_id, text)
            delivered += 1
        except TelegramError as exc:
            logger.warning("could not deliver a help-list report to chat %s: %s", chat_id, exc.__class__.__name__)
    if delivered:
        desk_of(context.bot_data).record_sent(reader.user_id)
        note = t.gettext("Thank you! Your report was sent to the bot's team.")
    elif targets:
        note = t.gettext("Sorry, the report could not be delivered just now. Please try again later.")
    else:
        note = t.gettext("Sorry, the report could not be delivered: nobody receives reports on this bot yet.")
    await query.answer(note, show_alert=True)
    return views.country(reader.language, country, await _is_remembered(context, reader, code))


async def _is_remembered(context: BotContext, reader: Reader, code: str) -> bool:
    return await context.storage.safety.help_country(reader.user_id) == code


# --------------------------------------------------------------------------------------------- discreet mode
# A neutral message is opened by editing it into the announcement's text (kept as HTML when the announcement was
# confirmed). An announcement with a photo, video or file cannot become one by an edit of a text message: the
# neutral message then says the announcement is just below, and the whole message (media and caption) is
# copied as a reply to it; Hide deletes that copy and collapses the text again. An announcement whose text was
# not kept is opened the same way.


async def _open(update: Update, context: BotContext, reader: Reader, announcement_id: int) -> None:
    query = update.callback_query
    assert query is not None
    storage, t = context.storage, reader.t
    message = query.message
    announcement = await storage.announcements.get(announcement_id)
    text = await storage.safety.text(announcement_id, reader.language, storage.database.default_language)
    if announcement is None or not announcement.versions or not isinstance(message, Message):
        await query.answer(t.gettext("This message is no longer available."), show_alert=True)
        return
    await query.answer()
    media = 0
    body = text.html if text is not None else ""
    if text is None or text.media:  # no text kept (an announcement older than this feature): copy it too
        versions = announcement.versions
        version = versions.get(reader.language) or versions.get(storage.database.default_language)
        if version is None and versions:
            version = versions[min(versions)]
        if version is None:
            return
        copied = await context.bot.copy_message(
            message.chat_id,
            version[0],
            version[1],
            reply_to_message_id=message.message_id,
            disable_notification=True,
            protect_content=announcement.protect or None,
        )
        media = copied.message_id
        body = html.escape(t.gettext("📎 The message is just below."))
    markup_for = context.application.bot_data.get(ANNOUNCEMENT_MARKUP_KEY)
    below = markup_for(announcement, reader.language) if markup_for else None
    below = below or announcement_keyboard(announcement.id, announcement.topics, t)
    try:
        await message.edit_text(
            body or neutral_text(t), reply_markup=collapse_keyboard(announcement.id, media, t, below)
        )
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise


async def _collapse(update: Update, context: BotContext, reader: Reader, announcement_id: int, media: int) -> None:
    query = update.callback_query
    assert query is not None
    message = query.message
    await query.answer()
    if not isinstance(message, Message):
        return
    if media:
        try:
            await context.bot.delete_message(message.chat_id, media)
        except BadRequest:
            logger.debug("the media copy of an opened announcement was already gone")
    try:
        await message.edit_text(neutral_text(reader.t), reply_markup=neutral_keyboard(announcement_id, reader.t))
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise
