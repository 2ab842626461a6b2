"""What every handler shares: the typed context, the reader of an update (resolved once), and showing a screen."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any, TypeAlias

from telegram import LinkPreviewOptions, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import Application, ApplicationHandlerStop, CallbackContext, Defaults, ExtBot, filters

from bot.config import Settings
from bot.content import Content
from bot.languages.discovery import reference_choices
from bot.languages.i18n import I18n, Translator
from bot.reading.library import Library
from bot.reading.screens import Screen, Screens
from bot.reading.search import SearchIndex
from bot.storage import Storage
from bot.telegram.limits import retry_after_seconds
from bot.telegram.updates import wait_without_slot

__all__ = [
    "DEFAULTS",
    "BotApp",
    "BotContext",
    "Reader",
    "Services",
    "get_reader",
    "is_admin",
    "peek_reader",
    "resolve_reader",
    "show",
]

logger = logging.getLogger(__name__)

SERVICES_KEY = "services"
# The buttons under a delivered announcement (a poll's answers, else unsubscribe), (announcement, language) ->
# keyboard: set by the composition root, used by the engine and when a discreet message is opened in place.
ANNOUNCEMENT_MARKUP_KEY = "announcement_markup"
# Every text the bot writes is HTML it escaped itself, and its links point into the bot: a preview would only
# repeat the bot's own card. The reader Bot (an ExtBot built with these) fills them in wherever a call leaves
# them out; do_api_request (show()) bypasses that, so _screen_fields reads them from here.
DEFAULTS = Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))
# A reply refused with "retry after N s" (Telegram's per-chat limit, about one message a second) is sent again
# once if N is at most this; a longer wait means the reader has moved on and the screen is superseded.
REPLY_RETRY_WAIT_MAX = 3.0


@dataclass(frozen=True, slots=True)
class Services:
    """What every feature's handlers use, built once at start-up (a feature's own services are its own: e.g. the
    delivery engine, ``bot.announcing.engine_of``)."""

    settings: Settings
    storage: Storage
    content: Content
    library: Library
    search: SearchIndex
    i18n: I18n
    screens: Screens


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """A context with typed access to the services instead of ``bot_data`` look-ups."""

    def __init__(self, application: BotApp, chat_id: int | None = None, user_id: int | None = None) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        # PTB builds one context per update and hands it to the handler of every group (Application.
        # process_update), so what ``resolve_reader`` stores here in the first group is there for the others.
        self._reader: Reader | None = None

    @property
    def reader(self) -> Reader:
        """The person behind this update, resolved once by ``resolve_reader`` before any other handler."""
        if self._reader is None:
            raise RuntimeError("no reader for this update: its handler serves updates that resolve none")
        return self._reader

    @reader.setter
    def reader(self, reader: Reader) -> None:
        self._reader = reader

    @property
    def services(self) -> Services:
        """The bot's services."""
        services: Services = self.bot_data[SERVICES_KEY]
        return services

    @property
    def storage(self) -> Storage:
        """The database."""
        return self.services.storage

    @property
    def library(self) -> Library:
        """The content, paginated."""
        return self.services.library

    @property
    def screens(self) -> Screens:
        """Every view, built once."""
        return self.services.screens


BotApp: TypeAlias = Application[Any, BotContext, Any, Any, Any, Any]


@dataclass(frozen=True, slots=True)
class Reader:
    """The person behind an update, with their language."""

    user_id: int
    language: str
    chosen: bool  # False until they pick a language themselves
    t: Translator
    reference: str | None = None  # the original they compare translated pages with (None: reading English)
    stranger: bool = False  # nothing was stored about them before this update (checked for buttons only)


async def get_reader(update: Update, context: BotContext) -> Reader | None:
    """Record the user's visit and resolve their language (their choice, else Telegram's language_code)."""
    user = update.effective_user
    if user is None or user.is_bot:
        return None
    services = context.services
    guess = services.i18n.pick(user.language_code)
    record = await services.storage.readers.touch(user.id, guess)
    language = record.language if record.language in services.i18n.languages else guess
    chosen = record.language_chosen
    return Reader(user.id, language, chosen, services.i18n.get(language), pick_reference(language, record.reference))


def is_admin(context: BotContext, user_id: int | None) -> bool:
    """Whether ``user_id`` is in ADMIN_IDS."""
    return user_id is not None and user_id in context.services.settings.admin_ids


def pick_reference(language: str, stored: str | None) -> str | None:
    """The original a reader of ``language`` compares pages with: their choice, else the first offered."""
    choices = reference_choices(language)
    if not choices:
        return None
    return stored if stored in choices else choices[0]


async def peek_reader(update: Update, context: BotContext) -> Reader | None:
    """Resolve the user's language like ``get_reader``, but store nothing about them.

    For inline mode: someone who only typed ``@bot words`` in another chat never started the bot, Telegram
    would refuse our messages to them, and they did not agree to be remembered.
    """
    user = update.effective_user
    if user is None or user.is_bot:
        return None
    services = context.services
    guess = services.i18n.pick(user.language_code)
    record = await services.storage.readers.get(user.id)
    stored = record.language if record is not None else None
    language = stored if stored in services.i18n.languages else guess
    return Reader(user.id, language, record is not None and record.language_chosen, services.i18n.get(language))


# The updates that record a visit: a message in the private chat (a command even when edited, as the command
# handlers answer those too) and a button. Inline mode only looks (``peek_reader``); anything else (a group
# chat, a block) resolves no reader: nothing about the person is stored or needed.
_RECORDS_VISIT = filters.ChatType.PRIVATE & (filters.UpdateType.MESSAGE | filters.COMMAND)


async def resolve_reader(update: Update, context: BotContext) -> None:
    """Resolve the reader of ``update`` once, for every later handler (``context.reader``).

    Registered in the first handler group. An update that needs a reader but comes from nobody, or from a bot,
    goes no further: there is nobody to answer.
    """
    try:
        if update.inline_query is not None or update.chosen_inline_result is not None:
            reader = await peek_reader(update, context)
        elif update.callback_query is not None:
            # A button of a menu shown before /forget: the handler starts afresh instead of acting on it, so
            # whether the person was known is read before this visit stores them again.
            user = update.callback_query.from_user
            known = user.is_bot or await context.storage.readers.is_known(user.id)
            reader = await get_reader(update, context)
            if reader is not None and not known:
                reader = dataclasses.replace(reader, stranger=True)
        elif _RECORDS_VISIT.check_update(update):
            reader = await get_reader(update, context)
        else:
            return
    except Exception as exc:  # reported like any handler's error, once: the other handlers would fail too
        await context.application.process_error(update, exc)
        raise ApplicationHandlerStop from exc
    if reader is None:
        raise ApplicationHandlerStop
    context.reader = reader


_EDIT_IMPOSSIBLE = (
    "message can't be edited",
    "message to edit not found",
    "message can't be found",
    "there is no text in the message to edit",
)


async def show(update: Update, context: BotContext, screen: Screen) -> None:
    """Show ``screen``; under Telegram's per-chat limit, retry once after a short wait, or drop the screen."""
    try:
        return await _show(update, context, screen)
    except RetryAfter as exc:
        wait = retry_after_seconds(exc)
        if wait > REPLY_RETRY_WAIT_MAX:
            logger.info("reply dropped: Telegram asks to wait %.0f s before writing to this chat", wait)
            return None
        await wait_without_slot(wait)  # other people's updates run meanwhile
    try:
        return await _show(update, context, screen)
    except RetryAfter as exc:
        logger.info("reply dropped: Telegram still asks to wait %.0f s", retry_after_seconds(exc))
        return None


# show() sends its calls through ``Bot.do_api_request`` without a return type: PTB then skips building the
# ``Message`` Telegram returns (a sixth of a menu step), which nobody reads. The method names are spelt in
# lower case (the Bot API's names are case-insensitive): PTB warns when a name it has a method for is used.
_EDIT_TEXT = "editmessagetext"
_SEND_MESSAGE = "sendmessage"


async def _show(update: Update, context: BotContext, screen: Screen) -> None:
    """Edit the pressed message in place when possible, otherwise send a new one."""
    query = update.callback_query
    chat = update.effective_chat
    if chat is None:
        return
    old = query.message if query else None
    if isinstance(old, Message):
        # Telegram cannot add forwarding protection to an existing message: send a protected copy instead.
        if not screen.protect or old.has_protected_content:
            try:
                await context.bot.do_api_request(
                    _EDIT_TEXT,
                    api_kwargs={"chat_id": old.chat_id, "message_id": old.message_id, **_screen_fields(screen)},
                )
                return
            except BadRequest as exc:
                text = exc.message.lower()
                if "message is not modified" in text:
                    return
                if not any(reason in text for reason in _EDIT_IMPOSSIBLE):
                    raise
                logger.debug("cannot edit message %s, sending a new one", old.message_id)
        else:
            await _delete_quietly(old)
    await context.bot.do_api_request(
        _SEND_MESSAGE,
        api_kwargs={"chat_id": chat.id, **_screen_fields(screen), "protect_content": screen.protect},
    )


def _screen_fields(screen: Screen) -> dict[str, Any]:
    """What an edit and a new message of ``screen`` both carry."""
    return {
        "text": screen.text,
        "parse_mode": DEFAULTS.parse_mode,
        "reply_markup": screen.keyboard,
        "link_preview_options": DEFAULTS.link_preview_options,
    }


async def _delete_quietly(message: Message) -> None:
    try:
        await message.delete()
    except (BadRequest, Forbidden):
        logger.debug("could not delete message %s", message.message_id)
