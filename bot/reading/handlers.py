"""Reading the brief: menus, themes, paginated sections, About, language, search, deep links, /forget."""

from __future__ import annotations

import dataclasses
import logging

from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.languages.discovery import reference_choices
from bot.reading import deeplinks
from bot.reading.callbacks import (
    PATTERN,
    AboutPage,
    ChooseLanguage,
    Forget,
    ForgetConfirm,
    Hide,
    ItemPage,
    Languages,
    Menu,
    Noop,
    OriginalPage,
    Payload,
    Reference,
    SearchHelp,
    SectionPage,
    SetSubscription,
    Subscriptions,
    ThemePage,
    Toggle,
    ToggleFrom,
    Unsubscribe,
    Want,
    read,
)
from bot.reading.context import BotContext, Reader, show
from bot.reading.deeplinks import DeepLink
from bot.reading.hooks import hooks_of
from bot.reading.keyboards import is_topic, my_subscriptions_keyboard
from bot.reading.screens import Screen
from bot.reading.stale import expired, main_menu, pressed
from bot.storage.tally import ABOUT, Metric

__all__ = [
    "about_command",
    "forget_command",
    "handlers",
    "help_command",
    "language_command",
    "menu_command",
    "on_button",
    "on_text",
    "search_command",
    "start_command",
    "subscriptions_command",
]

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------- commands


async def start_command(update: Update, context: BotContext) -> None:
    """``/start`` with an optional deep-link payload."""
    reader = context.reader
    screen: Screen | None = None
    if context.args:
        link = deeplinks.decode(context.args[0])
        if link is not None:
            screen = await _open_link(context, reader, link)
            if screen is not None and link.page is None:  # links to content that exists; not the admins' links
                _count_link(context, reader, link)
        if screen is None:
            note = reader.t.gettext("That link is not valid any more. Here is the menu.")
            screen = context.screens.with_note(main_menu(context, reader), note)
    await show(update, context, screen or main_menu(context, reader))


async def theme_screen(context: BotContext, reader: Reader, theme_id: str) -> Screen | None:
    """A theme page, with the reader's subscription state."""
    subscribed = theme_id in await context.storage.subscriptions.topics(reader.user_id)
    return context.screens.theme(reader.language, theme_id, subscribed)


async def subscriptions_screen(context: BotContext, reader: Reader) -> Screen:
    """The reader's subscription checklist."""
    return context.screens.subscriptions(reader.language, await context.storage.subscriptions.topics(reader.user_id))


def _count_link(context: BotContext, reader: Reader, link: DeepLink) -> None:
    """One deep-link open (by its payload: content ids only) and the page it opened."""
    tally = context.storage.counters.tally
    tally.count(Metric.LINK, reader.language, deeplinks.encode(link))
    section = link.section_id
    if link.item_id:
        where = context.library.locate(reader.language, link.theme_id, link.item_id)
        section = where.section_id if where else None
    tally.page(reader.language, link.theme_id, section or "")


def _count_view(context: BotContext, reader: Reader, payload: Payload) -> None:
    """A page view of a theme, section or About (called once the page exists)."""
    tally, code = context.storage.counters.tally, reader.language
    match payload:
        case ThemePage(theme):
            tally.page(code, theme)
        case SectionPage(theme, section):
            tally.page(code, theme, section)
        case ItemPage(theme, item):
            where = context.library.locate(code, theme, item)
            if where is not None:
                tally.page(code, where.theme_id, where.section_id)
        case AboutPage():
            tally.page(code, ABOUT)
        case OriginalPage(theme, section) | Reference(_, theme, section):
            tally.page(code, theme, section)


async def _open_link(context: BotContext, reader: Reader, link: DeepLink) -> Screen | None:
    if link.page is not None and link.section_id:  # a report's link: the page as that reader saw it
        code = link.language if link.language in context.screens.names else reader.language
        return context.screens.page_screen(code, link.theme_id, link.section_id, link.page)
    if link.item_id:
        return await _item_page(context, reader, link.theme_id, link.item_id)
    if link.section_id:
        return await section_page(context, reader, link.theme_id, link.section_id, 0)
    return await theme_screen(context, reader, link.theme_id)


async def section_page(context: BotContext, reader: Reader, theme: str, section: str, page: int) -> Screen | None:
    """A section's page, however reached (button, item, deep link), with what ``hooks.section_page`` add."""
    screen = context.screens.section(reader.language, theme, section, page)
    if screen is not None:
        for hook in hooks_of(context.application).section_page:
            screen = await hook(context, reader, theme, section, page, screen)
    return screen


async def _item_page(context: BotContext, reader: Reader, theme: str, item: str) -> Screen | None:
    where = context.library.locate(reader.language, theme, item)
    return None if where is None else await section_page(context, reader, where.theme_id, where.section_id, where.page)


async def menu_command(update: Update, context: BotContext) -> None:
    """``/menu`` and ``/themes``."""
    await show(update, context, main_menu(context, context.reader))


async def about_command(update: Update, context: BotContext) -> None:
    """``/about``."""
    screen = context.screens.about(context.reader.language, 0)
    assert screen is not None  # page 0 always exists
    await show(update, context, screen)


async def language_command(update: Update, context: BotContext) -> None:
    """``/language``."""
    await show(update, context, context.screens.language(context.reader.language))


async def search_command(update: Update, context: BotContext) -> None:
    """``/search words``."""
    language = context.reader.language
    if context.args:
        context.storage.counters.tally.count(Metric.SEARCH, language)  # that one searched, never the words
    await show(update, context, context.screens.search_for(language, " ".join(context.args or [])))


async def on_text(update: Update, context: BotContext) -> None:
    """Any plain text in a private chat is a search."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    language = context.reader.language
    context.storage.counters.tally.count(Metric.SEARCH, language)  # that one searched, never the words
    await show(update, context, context.screens.search_for(language, message.text))


async def subscriptions_command(update: Update, context: BotContext) -> None:
    """``/subscriptions``."""
    await show(update, context, await subscriptions_screen(context, context.reader))


async def forget_command(update: Update, context: BotContext) -> None:
    """``/forget``: ask first."""
    await show(update, context, context.screens.forget(context.reader.language))


async def help_command(update: Update, context: BotContext) -> None:
    """``/help``."""
    await show(update, context, context.screens.help(context.reader.language))


# --------------------------------------------------------------------------------------------- buttons


async def on_button(update: Update, context: BotContext) -> None:
    """The buttons of the reader's menus and pages (``PATTERN``)."""
    payload = await pressed(update, context, read)
    if payload is None:
        return
    query, reader = update.callback_query, context.reader
    assert query is not None  # pressed() read its data
    match payload:
        case Hide():
            await _hide(update, reader)
        case Noop():
            await query.answer()
        case ForgetConfirm():
            await _forget(update, context, reader)
        case ChooseLanguage(code):
            changed = await _set_language(context, reader, code)
            if changed is None:
                await expired(update, context, reader)
                return
            context.reader = changed
            await query.answer(changed.t.gettext("Language changed."))
            await show(update, context, main_menu(context, changed))
        case Toggle() | SetSubscription():
            await _toggle(update, context, reader, payload)
        case Unsubscribe(announcement_id):
            await _unsubscribe_from_announcement(update, context, reader, announcement_id)
        case _:
            if isinstance(payload, Reference):
                reader = context.reader = await _set_reference(context, reader, payload.code)
            screen = await _screen_for(context, reader, payload)
            if screen is None:
                await expired(update, context, reader)
                return
            _count_view(context, reader, payload)
            await query.answer()
            await show(update, context, screen)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    """The reading buttons' handler (its own payloads); bot/app.py adds ``stale.on_stale_button`` after every
    feature's."""
    return [CallbackQueryHandler(on_button, pattern=PATTERN)]


async def _hide(update: Update, reader: Reader) -> None:
    query = update.callback_query
    assert query is not None
    if isinstance(query.message, Message):
        try:
            await query.message.delete()
        except BadRequest:
            # A bot cannot delete its messages after 48 hours. Say so, rather than leave a new message
            # behind (editing fails on such old messages too, and show() would then send one).
            text = reader.t.gettext("This message is too old for me to hide. You can delete it yourself.")
            await query.answer(text, show_alert=True)
            return
    await query.answer()


async def _screen_for(context: BotContext, reader: Reader, payload: Payload) -> Screen | None:
    screens, code = context.screens, reader.language
    match payload:
        case Menu():
            return main_menu(context, reader)
        case ThemePage(theme):
            return await theme_screen(context, reader, theme)
        case SectionPage(theme, section, page):
            return await section_page(context, reader, theme, section, page)
        case ItemPage(theme, item):
            return await _item_page(context, reader, theme, item)
        case AboutPage(page):
            return screens.about(code, page)
        case Languages():
            return screens.language(code)
        case SearchHelp():
            return screens.search_help(code)
        case Subscriptions():
            return await subscriptions_screen(context, reader)
        case Forget():
            return screens.forget(code)
        case OriginalPage(theme, section, page) | Reference(_, theme, section, page):
            if reader.reference is None:
                return None
            return screens.original(code, reader.reference, theme, section, page)
    return None


async def _set_reference(context: BotContext, reader: Reader, code: str) -> Reader:
    """Remember which original the reader compares pages with (an unknown code changes nothing)."""
    if code not in reference_choices(reader.language) or code == reader.reference:
        return reader
    await context.storage.readers.set_reference(reader.user_id, code)
    return dataclasses.replace(reader, reference=code)


async def _set_language(context: BotContext, reader: Reader, code: str) -> Reader | None:
    i18n = context.services.i18n
    if code not in i18n.languages:
        return None
    await context.storage.readers.set_language(reader.user_id, code)
    return Reader(reader.user_id, code, True, i18n.get(code))


async def _toggle(update: Update, context: BotContext, reader: Reader, toggle: Toggle | SetSubscription) -> None:
    """Subscribe or unsubscribe: to the state the button asks for (a flip for buttons of earlier versions)."""
    query = update.callback_query
    assert query is not None
    topic = toggle.topic
    if not is_topic(context.library.locale(reader.language), topic):
        await expired(update, context, reader)
        return
    storage = context.storage
    if isinstance(toggle, SetSubscription):
        now_subscribed = toggle.want is Want.SUBSCRIBED
        changed = await storage.subscriptions.set(reader.user_id, topic, now_subscribed)
    else:
        now_subscribed, changed = await storage.subscriptions.toggle(reader.user_id, topic), True
    if changed:  # the same tap delivered twice counts once
        storage.counters.tally.count(Metric.SUBSCRIBE if now_subscribed else Metric.UNSUBSCRIBE, reader.language, topic)
    t = reader.t
    await query.answer(t.gettext("Subscribed.") if now_subscribed else t.gettext("Unsubscribed."))
    screen = await theme_screen(context, reader, topic) if toggle.origin is ToggleFrom.THEME else None
    await show(update, context, screen or await subscriptions_screen(context, reader))


async def _unsubscribe_from_announcement(
    update: Update, context: BotContext, reader: Reader, announcement_id: int
) -> None:
    """The button under an announcement: leave the topics it was sent for; the message itself stays."""
    query = update.callback_query
    assert query is not None
    t = reader.t
    announcement = await context.storage.announcements.get(announcement_id) if announcement_id else None
    if announcement is None or not announcement.topics:
        await query.answer(t.gettext("Nothing to unsubscribe from here."))
        return
    followed = await context.storage.subscriptions.topics(reader.user_id)
    if not followed & announcement.topics:
        await query.answer(t.gettext("You are already unsubscribed."))
        return
    for topic in announcement.topics:
        await context.storage.subscriptions.set(reader.user_id, topic, False)
    for topic in followed & announcement.topics:
        context.storage.counters.tally.count(Metric.UNSUBSCRIBE, reader.language, topic)
    await query.answer(t.gettext("Unsubscribed."))
    if isinstance(query.message, Message):
        try:
            await query.message.edit_reply_markup(reply_markup=my_subscriptions_keyboard(t))
        except BadRequest:
            logger.debug("could not replace the unsubscribe button")


async def _forget(update: Update, context: BotContext, reader: Reader) -> None:
    query = update.callback_query
    assert query is not None
    erased = await context.storage.readers.forget(reader.user_id)
    if erased.user:  # a count of uses, by language: nothing about who
        context.storage.counters.tally.count(Metric.FORGET, reader.language)
    for hook in hooks_of(context.application).forget:  # what other features keep of the reader (polls' tokens)
        await hook(context, reader.user_id)
    # After erasing, the reader is a stranger again: nothing here may re-create their record.
    await query.answer()
    await show(update, context, context.screens.forgotten(reader.language, erased.subscriptions))
