"""Answers to what no feature handles: unknown commands, stickers and the like, group chats, a block, errors."""

from __future__ import annotations

import html
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.helpers import create_deep_linked_url

from bot.reading.context import SERVICES_KEY, BotContext
from bot.reading.keyboards import menu_keyboard
from bot.telegram.limits import retry_after_seconds

__all__ = [
    "on_error",
    "on_group_message",
    "on_my_chat_member",
    "on_unknown_command",
    "on_unsupported",
]

logger = logging.getLogger(__name__)


async def on_unsupported(update: Update, context: BotContext) -> None:
    """Stickers, photos, voice, contacts, locations, ...: say what the bot understands."""
    t = context.reader.t
    await send_plain(
        update, t.gettext("I understand text only. Send words to search the brief, or open the menu."), menu_keyboard(t)
    )


async def on_unknown_command(update: Update, context: BotContext, admin_commands: frozenset[str] = frozenset()) -> None:
    """A command the bot does not have (``admin_commands`` too, for non-admins: logged as such)."""
    message = update.effective_message
    user = update.effective_user
    command = (message.text or "").split()[0].lstrip("/").split("@")[0] if message and message.text else ""
    if command in admin_commands and user is not None:
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
    await context.storage.readers.set_blocked(change.from_user.id, blocked)


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


def open_in_private_keyboard(username: str, label: str) -> InlineKeyboardMarkup:
    """A button that opens the bot's private chat."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, url=create_deep_linked_url(username))]])


async def send_plain(update: Update, text: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
    """Reply with a short, escaped text."""
    chat = update.effective_chat
    message = update.effective_message
    if chat is None or message is None:
        return
    await message.reply_text(html.escape(text), reply_markup=keyboard)
