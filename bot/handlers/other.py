"""Everything that is not reading: inline sharing, unexpected input, group chats, and errors."""

from __future__ import annotations

import html
import logging
from uuid import uuid4

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

from bot import deeplinks
from bot.commands import ADMIN_COMMANDS
from bot.deeplinks import DeepLink
from bot.handlers.common import SERVICES_KEY, BotContext
from bot.handlers.reading import open_in_private_keyboard, send_plain
from bot.impact import Metric
from bot.keyboards import menu_keyboard
from bot.limits import INLINE_RESULTS_MAX, TEXT_MAX, retry_after_seconds
from bot.markup import to_html
from bot.render import snippet
from bot.search import check_query, without_lone_surrogates

__all__ = [
    "on_chosen_inline_result",
    "on_error",
    "on_group_message",
    "on_inline_query",
    "on_my_chat_member",
    "on_unknown_command",
    "on_unsupported",
]

logger = logging.getLogger(__name__)

INLINE_RESULTS = 10  # enough to choose from on a phone; well under Telegram's INLINE_RESULTS_MAX
assert INLINE_RESULTS <= INLINE_RESULTS_MAX
INLINE_CACHE_SECONDS = 300  # the brief changes rarely: let Telegram cache answers for a few minutes


async def on_inline_query(update: Update, context: BotContext) -> None:
    """``@bot words`` in any chat: matching items in the user's language, each with a link back."""
    query = update.inline_query
    if query is None:
        return
    reader = context.reader  # looked up, never stored (bot/handlers/common.py peek_reader)
    text = without_lone_surrogates(query.query).strip()
    results: list[InlineQueryResultArticle] = []
    username = context.bot.username
    if check_query(text) is None:
        for hit in context.services.search.search(reader.language, text, INLINE_RESULTS):
            place = context.library.place(reader.language, hit.theme_id, hit.section_id)
            if place is None:
                continue
            theme, section = place
            link = deeplinks.start_url(username, DeepLink(theme.id, item_id=hit.item_id))
            item = next(i for i in section.items if i.id == hit.item_id)
            heading = f"<b>{html.escape(theme.title)}</b> › {html.escape(section.title)}"
            body = f"{heading}\n\n{to_html(item.text)}"
            label = reader.t.gettext("Read more in the bot")
            more = f'\n\n<a href="{html.escape(link)}">{html.escape(label)}</a>'
            if theme.protect_content:
                # The bot sends this theme with forwarding disabled; an inline result would put it, forwardable,
                # into any chat. Share only where to read it.
                note = reader.t.gettext("This topic is read only inside the bot, to keep readers safe.")
                body = f"{heading}\n\n{html.escape(note)}"
            elif len(body) + len(more) > TEXT_MAX:
                body = f"{heading}\n\n{html.escape(snippet(item.text, 0, width=TEXT_MAX // 2))}"
            results.append(
                InlineQueryResultArticle(
                    id=uuid4().hex,
                    title=f"{theme.short_title} › {section.short_title}",
                    description=snippet(hit.text, hit.position, width=120),
                    input_message_content=InputTextMessageContent(body + more),
                    reply_markup=InlineKeyboardMarkup(
                        [[InlineKeyboardButton(reader.t.gettext("Open in the bot"), url=link)]]
                    ),
                )
            )
    # is_personal: results depend on the user's language.
    await query.answer(results, cache_time=INLINE_CACHE_SECONDS, is_personal=True)


async def on_chosen_inline_result(update: Update, context: BotContext) -> None:
    """Someone shared a result of inline mode into a chat: one share, counted by language only."""
    context.storage.tally.count(Metric.SHARE, context.reader.language)


async def on_unsupported(update: Update, context: BotContext) -> None:
    """Stickers, photos, voice, contacts, locations, ...: say what the bot understands."""
    t = context.reader.t
    await send_plain(
        update, t.gettext("I understand text only. Send words to search the brief, or open the menu."), menu_keyboard(t)
    )


async def on_unknown_command(update: Update, context: BotContext) -> None:
    """A command the bot does not have (admin commands too, for non-admins)."""
    message = update.effective_message
    user = update.effective_user
    command = (message.text or "").split()[0].lstrip("/").split("@")[0] if message and message.text else ""
    if command in ADMIN_COMMANDS and user is not None:
        logger.warning("user %s is not an admin and tried /%s", user.id, command)
    t = context.reader.t
    await send_plain(update, t.gettext("I do not know that command. See /help."), menu_keyboard(t))


async def on_group_message(update: Update, context: BotContext) -> None:
    """Commands in a group: the bot works only in private chats, and says so (once per command)."""
    user = update.effective_user
    message = update.effective_message
    if user is None or message is None:
        return
    command = (message.text or "").split(maxsplit=1)[0] if message.text else ""
    if "@" in command and command.split("@", 1)[1].casefold() != (context.bot.username or "").casefold():
        return  # a command for another bot in the same group
    # In a group, nothing about the person is stored: pick the language from Telegram's setting only.
    i18n = context.services.i18n
    t = i18n.get(i18n.pick(user.language_code))
    await send_plain(
        update,
        t.gettext("I work only in a private chat, to keep your reading private. Open the chat with me:"),
        open_in_private_keyboard(context.bot.username, t.gettext("Open the bot")),
    )


async def on_my_chat_member(update: Update, context: BotContext) -> None:
    """Someone blocked the bot (or unblocked it): announcements skip them until they come back.

    Added to a group (the admins' reports group): one log line with the group's id, the value REPORTS_CHAT_ID
    needs, which Telegram's apps do not show. A group's id and title are not a person's: they may be logged.
    """
    change = update.my_chat_member
    if change is None:
        return
    if change.chat.type != change.chat.PRIVATE:
        if change.new_chat_member.status in (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR):
            logger.info(
                "added to the group %r: to send readers' reports there, set REPORTS_CHAT_ID=%d",
                change.chat.title,
                change.chat.id,
            )
        return
    status = change.new_chat_member.status
    blocked = status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
    await context.storage.set_blocked(change.from_user.id, blocked)


_STALE_QUERY = "query is too old"


async def on_error(update: object, context: BotContext) -> None:
    """Log the exception (never the message text) and tell the user something went wrong."""
    error = context.error
    if isinstance(error, RetryAfter):
        # Telegram's per-chat limit: an apology would be refused too. One line, no traceback: under a flood of
        # taps this happens for many updates in a row.
        logger.warning(
            "reply not sent: Telegram asks to wait %.0f s before writing to this chat", retry_after_seconds(error)
        )
        return
    if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        logger.warning("reply not sent: %s: %s", type(error).__name__, error.message)
        return
    if isinstance(error, BadRequest) and _STALE_QUERY in error.message.lower():
        # A tap answered too late, typically one Telegram sent again after a restart (it was handled before
        # the stop but not confirmed). Its effect is idempotent; an apology would be refused too.
        logger.info("a button's answer came too late: %s", error.message)
        return
    logger.error("error while handling an update", exc_info=error)
    if not isinstance(update, Update):
        return
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None or chat.type != chat.PRIVATE:
        return
    services = context.bot_data.get(SERVICES_KEY)
    if services is None:  # failed before start-up finished: nothing to answer with
        return
    try:
        i18n = services.i18n
        t = i18n.get(i18n.pick(user.language_code))
        if update.callback_query:
            await update.callback_query.answer(t.gettext("Something went wrong. Please try again."))
        else:
            await context.bot.send_message(chat.id, t.gettext("Something went wrong. Please try again."))
    except TelegramError as exc:
        logger.warning("could not tell the user about the error: %s: %s", type(exc).__name__, exc.message)
