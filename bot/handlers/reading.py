"""Reading the brief: menus, themes, paginated sections, About, language, search, deep links, /forget."""

from __future__ import annotations

import html
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot import deeplinks
from bot.callbacks import Action, Callback, unpack
from bot.deeplinks import DeepLink
from bot.handlers.common import BotContext, Reader, Screen, get_reader, show
from bot.keyboards import (
    GENERAL_TOPIC,
    about_keyboard,
    confirm_forget_keyboard,
    language_keyboard,
    main_menu_keyboard,
    menu_keyboard,
    search_results_keyboard,
    section_keyboard,
    subscriptions_keyboard,
    theme_keyboard,
)
from bot.limits import BUTTON_TEXT_MAX, SEARCH_RESULTS_MAX
from bot.render import main_menu_html, section_page_html, snippet, theme_html
from bot.search import QueryProblem, check_query

__all__ = [
    "about_command",
    "forget_command",
    "help_command",
    "language_command",
    "menu_command",
    "on_callback",
    "on_text",
    "search_command",
    "start_command",
    "subscriptions_command",
]

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------- screens


def main_menu_screen(context: BotContext, reader: Reader, note: str | None = None) -> Screen:
    """The main menu; on first contact it also offers the language picker."""
    t = reader.t
    content = context.library.locale(reader.language)
    text = main_menu_html(content, t)
    keyboard = main_menu_keyboard(content, t)
    if not reader.chosen:
        picker = language_keyboard(context.services.i18n.languages, reader.language, t).inline_keyboard[0]
        keyboard = InlineKeyboardMarkup([list(picker), *keyboard.inline_keyboard])
        text += "\n\n" + html.escape(t.gettext("Choose your language:"))
    if note:
        text = f"<i>{html.escape(note)}</i>\n\n{text}"
    return Screen(text, keyboard)


def _share(context: BotContext, link: DeepLink, title: str) -> str | None:
    username = context.bot.username if context.bot.bot else None
    if not username:
        return None
    return deeplinks.share_url(deeplinks.start_url(username, link), title)


async def theme_screen(context: BotContext, reader: Reader, theme_id: str) -> Screen | None:
    """A theme's page with one button per section."""
    theme = context.library.theme(reader.language, theme_id)
    if theme is None:
        return None
    subscribed = theme.id in await context.storage.subscriptions(reader.user_id)
    share = _share(context, DeepLink(theme.id), theme.title)
    return Screen(
        theme_html(theme, reader.t, subscribed),
        theme_keyboard(theme, reader.t, subscribed=subscribed, share=share),
        protect=theme.protect_content,
    )


def section_screen(context: BotContext, reader: Reader, theme_id: str, section_id: str, page: int) -> Screen | None:
    """One page of a section."""
    theme = context.library.theme(reader.language, theme_id)
    section = theme.section(section_id) if theme else None
    pages = context.library.pages(reader.language, theme_id, section_id)
    if theme is None or section is None or not 0 <= page < len(pages):
        return None
    share = _share(context, DeepLink(theme.id, section_id=section.id), f"{theme.short_title}: {section.title}")
    return Screen(
        section_page_html(theme, section, pages[page], reader.t),
        section_keyboard(theme, section, page, len(pages), reader.t, share=share),
        protect=theme.protect_content,
    )


def item_screen(context: BotContext, reader: Reader, theme_id: str, item_id: str) -> Screen | None:
    """The page holding one item."""
    where = context.library.locate(reader.language, theme_id, item_id)
    if where is None:
        return None
    return section_screen(context, reader, where.theme_id, where.section_id, where.page)


def about_screen(context: BotContext, reader: Reader, page: int) -> Screen | None:
    """The attribution, background and licence, paginated."""
    pages = context.library.about_pages(reader.language, reader.t)
    if not 0 <= page < len(pages):
        return None
    return Screen(pages[page], about_keyboard(page, len(pages), reader.t))


def language_screen(context: BotContext, reader: Reader) -> Screen:
    """The language picker."""
    t = reader.t
    return Screen(
        html.escape(t.gettext("Choose your language:")),
        language_keyboard(context.services.i18n.languages, reader.language, t),
    )


def search_help_screen(reader: Reader) -> Screen:
    """How to search."""
    t = reader.t
    return Screen(
        html.escape(
            t.gettext(
                "Send me a few words and I will find them in the brief, for example: {example}. "
                "You can also type /search followed by the words."
            ).format(example=t.gettext("violence"))
        ),
        menu_keyboard(t),
    )


def search_screen(context: BotContext, reader: Reader, query: str) -> Screen:
    """Search results, or a clear word on why there are none."""
    t = reader.t
    problem = check_query(query)
    if problem is QueryProblem.EMPTY:
        return search_help_screen(reader)
    if problem is QueryProblem.TOO_LONG:
        return Screen(html.escape(t.gettext("That is too long to search. Send a few words.")), menu_keyboard(t))
    if problem is QueryProblem.NO_WORDS:
        return Screen(
            html.escape(t.gettext("I can only search for words. Send a few words from the brief.")), menu_keyboard(t)
        )
    hits = context.services.search.search(reader.language, query, SEARCH_RESULTS_MAX)
    content = context.library.locale(reader.language)
    if not hits:
        text = html.escape(
            t.gettext("Nothing found for “{query}”. Try other words, or open a theme:").format(query=query[:100])
        )
        return Screen(text, main_menu_keyboard(content, t))
    lines = [html.escape(t.gettext("Found in the brief:"))]
    targets: list[tuple[str, str, str]] = []
    for number, hit in enumerate(hits, start=1):
        theme = content.theme(hit.theme_id)
        section = theme.section(hit.section_id) if theme else None
        if theme is None or section is None:
            continue
        where = f"{theme.short_title} › {section.short_title}"
        lines.append(f"\n<b>{number}.</b> <i>{html.escape(where)}</i>\n{html.escape(snippet(hit.text, hit.position))}")
        label = f"{number}. {where}"
        if len(label) > BUTTON_TEXT_MAX:
            label = label[: BUTTON_TEXT_MAX - 1] + "…"
        targets.append((label, hit.theme_id, hit.item_id))
    return Screen("\n".join(lines), search_results_keyboard(targets, t))


async def subscriptions_screen(context: BotContext, reader: Reader) -> Screen:
    """The subscription checklist."""
    t = reader.t
    subscribed = await context.storage.subscriptions(reader.user_id)
    count = len(subscribed)
    text = "\n\n".join(
        [
            html.escape(t.gettext("Choose what you want to receive. Tap a line to switch it on or off.")),
            html.escape(
                t.ngettext("You follow {count} topic.", "You follow {count} topics.", count).format(count=count)
                if count
                else t.gettext("You do not follow any topic yet.")
            ),
        ]
    )
    return Screen(text, subscriptions_keyboard(context.library.locale(reader.language), subscribed, t))


def forget_screen(reader: Reader) -> Screen:
    """Ask before erasing."""
    t = reader.t
    return Screen(
        html.escape(
            t.gettext(
                "This erases everything the bot keeps about you: your language and your subscriptions. "
                "You will stop receiving updates. Erase?"
            )
        ),
        confirm_forget_keyboard(t),
    )


def help_screen(reader: Reader) -> Screen:
    """Commands and privacy in a few lines."""
    t = reader.t
    return Screen(
        html.escape(
            t.gettext(
                "/menu — themes of the brief\n"
                "/about — about the brief, authors and licence\n"
                "/search words — search the brief\n"
                "/subscriptions — choose which updates you receive\n"
                "/language — change the language\n"
                "/forget — erase your data\n\n"
                "The bot keeps only your Telegram id, language and subscriptions: no names and no messages. "
                "The ✕ Hide button removes a message from this chat."
            )
        ),
        menu_keyboard(t),
    )


# --------------------------------------------------------------------------------------------- commands


async def start_command(update: Update, context: BotContext) -> None:
    """``/start`` with an optional deep-link payload."""
    reader = await get_reader(update, context)
    if reader is None:
        return
    screen: Screen | None = None
    note: str | None = None
    if context.args:
        link = deeplinks.decode(context.args[0])
        if link is not None:
            screen = await _open_link(context, reader, link)
        if screen is None:
            note = reader.t.gettext("That link is not valid any more. Here is the menu.")
    await show(update, context, screen or main_menu_screen(context, reader, note))


async def _open_link(context: BotContext, reader: Reader, link: DeepLink) -> Screen | None:
    if link.item_id:
        return item_screen(context, reader, link.theme_id, link.item_id)
    if link.section_id:
        return section_screen(context, reader, link.theme_id, link.section_id, 0)
    return await theme_screen(context, reader, link.theme_id)


async def menu_command(update: Update, context: BotContext) -> None:
    """``/menu`` and ``/themes``."""
    if reader := await get_reader(update, context):
        await show(update, context, main_menu_screen(context, reader))


async def about_command(update: Update, context: BotContext) -> None:
    """``/about``."""
    if reader := await get_reader(update, context):
        screen = about_screen(context, reader, 0)
        assert screen is not None  # page 0 always exists
        await show(update, context, screen)


async def language_command(update: Update, context: BotContext) -> None:
    """``/language``."""
    if reader := await get_reader(update, context):
        await show(update, context, language_screen(context, reader))


async def search_command(update: Update, context: BotContext) -> None:
    """``/search words``."""
    if reader := await get_reader(update, context):
        await show(update, context, search_screen(context, reader, " ".join(context.args or [])))


async def on_text(update: Update, context: BotContext) -> None:
    """Any plain text in a private chat is a search."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    if reader := await get_reader(update, context):
        await show(update, context, search_screen(context, reader, message.text))


async def subscriptions_command(update: Update, context: BotContext) -> None:
    """``/subscriptions``."""
    if reader := await get_reader(update, context):
        await show(update, context, await subscriptions_screen(context, reader))


async def forget_command(update: Update, context: BotContext) -> None:
    """``/forget``: ask first."""
    if reader := await get_reader(update, context):
        await show(update, context, forget_screen(reader))


async def help_command(update: Update, context: BotContext) -> None:
    """``/help``."""
    if reader := await get_reader(update, context):
        await show(update, context, help_screen(reader))


# --------------------------------------------------------------------------------------------- buttons


async def on_callback(update: Update, context: BotContext) -> None:
    """Every inline button of the reader's menus."""
    query = update.callback_query
    if query is None:
        return
    reader = await get_reader(update, context)
    if reader is None:
        await query.answer()
        return
    callback = unpack(query.data)
    if callback is None:
        await _expired(update, context, reader)
        return
    if callback.action is Action.HIDE:
        await query.answer()
        if isinstance(query.message, Message):
            try:
                await query.message.delete()
            except BadRequest:
                # Messages older than 48 hours cannot be deleted by a bot: blank it instead.
                await show(update, context, Screen("·"))
        return
    if callback.action is Action.NOOP:
        await query.answer()
        return
    if callback.action is Action.FORGET_CONFIRM:
        await _forget(update, context, reader)
        return
    if callback.action is Action.LANGUAGE:
        reader = await _set_language(context, reader, callback.args[0])
        if reader is None:
            await _expired(update, context, await get_reader(update, context))
            return
        await query.answer(reader.t.gettext("Language changed."))
        await show(update, context, main_menu_screen(context, reader))
        return
    if callback.action is Action.TOGGLE:
        await _toggle(update, context, reader, callback)
        return
    screen = await _screen_for(context, reader, callback)
    if screen is None:
        await _expired(update, context, reader)
        return
    await query.answer()
    await show(update, context, screen)


async def _screen_for(context: BotContext, reader: Reader, callback: Callback) -> Screen | None:
    match callback.action:
        case Action.MENU:
            return main_menu_screen(context, reader)
        case Action.THEME:
            return await theme_screen(context, reader, callback.args[0])
        case Action.SECTION:
            page = callback.int_arg(2)
            return None if page is None else section_screen(context, reader, *callback.args[:2], page)
        case Action.ITEM:
            return item_screen(context, reader, *callback.args)
        case Action.ABOUT:
            page = callback.int_arg(0)
            return None if page is None else about_screen(context, reader, page)
        case Action.LANGUAGES:
            return language_screen(context, reader)
        case Action.SEARCH:
            return search_help_screen(reader)
        case Action.SUBSCRIPTIONS:
            return await subscriptions_screen(context, reader)
        case Action.FORGET:
            return forget_screen(reader)
    return None


async def _expired(update: Update, context: BotContext, reader: Reader | None) -> None:
    """A button from an old menu or another version of the bot: say so, and show a fresh menu."""
    query = update.callback_query
    if query is None or reader is None:
        return
    await query.answer(reader.t.gettext("This menu has expired. Here is a fresh one."))
    await show(update, context, main_menu_screen(context, reader))


async def _set_language(context: BotContext, reader: Reader, code: str) -> Reader | None:
    i18n = context.services.i18n
    if code not in i18n.languages:
        return None
    await context.storage.set_language(reader.user_id, code)
    return Reader(reader.user_id, code, True, i18n.get(code))


async def _toggle(update: Update, context: BotContext, reader: Reader, callback: Callback) -> None:
    query = update.callback_query
    assert query is not None
    topic, origin = callback.args
    content = context.library.locale(reader.language)
    if (topic != GENERAL_TOPIC and content.theme(topic) is None) or origin not in ("t", "S"):
        await _expired(update, context, reader)
        return
    now_subscribed = topic not in await context.storage.subscriptions(reader.user_id)
    await context.storage.set_subscription(reader.user_id, topic, now_subscribed)
    t = reader.t
    await query.answer(t.gettext("Subscribed.") if now_subscribed else t.gettext("Unsubscribed."))
    screen = await theme_screen(context, reader, topic) if origin == "t" else None
    await show(update, context, screen or await subscriptions_screen(context, reader))


async def _forget(update: Update, context: BotContext, reader: Reader) -> None:
    query = update.callback_query
    assert query is not None
    erased = await context.storage.forget_user(reader.user_id)
    t = reader.t
    # After erasing, the reader is a stranger again: the confirmation must not re-create their record.
    lines = [t.gettext("Done. Your data is erased:")]
    lines.append(t.gettext("• your language setting"))
    lines.append(
        t.ngettext("• {count} subscription", "• {count} subscriptions", erased.subscriptions).format(
            count=erased.subscriptions
        )
    )
    lines.append(t.gettext("If you send /start again, the bot will know only your Telegram id."))
    await query.answer()
    await show(update, context, Screen(html.escape("\n".join(lines))))


def open_in_private_keyboard(username: str, label: str) -> InlineKeyboardMarkup:
    """A button that opens the bot's private chat."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, url=f"https://t.me/{username}")]])


async def send_plain(update: Update, text: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
    """Reply with a short, escaped text."""
    chat = update.effective_chat
    message = update.effective_message
    if chat is None or message is None:
        return
    await message.reply_text(html.escape(text), parse_mode=ParseMode.HTML, reply_markup=keyboard)
