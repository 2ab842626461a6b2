"""The download buttons: the choice of forms for a theme (or the whole brief), then the file itself, sent with
``sendDocument`` once and by its ``file_id`` afterwards; protected themes' files with ``protect_content``."""

from __future__ import annotations

import logging

from telegram import Document as TelegramDocument
from telegram import InputFile, Message, Update
from telegram.error import BadRequest, RetryAfter
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.offline.callbacks import PATTERN, DownloadChoice, read
from bot.offline.document import BRIEF, Form
from bot.offline.screens import NEUTRAL_SUFFIX, caption, choice_screen, neutral_name
from bot.offline.service import OFFLINE_KEY, Offline
from bot.offline.store import OfflineFile
from bot.reading.context import REPLY_RETRY_WAIT_MAX, BotContext, show
from bot.storage.tally import Metric
from bot.telegram.limits import retry_after_seconds
from bot.telegram.updates import wait_without_slot

__all__ = ["handlers", "on_download"]

logger = logging.getLogger(__name__)

# Telegram's answers to a file_id it no longer knows: the file is uploaded again.
_STALE_FILE_ID = ("wrong file identifier", "file reference", "wrong remote file", "file_id")


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    """The download buttons' handler (``PATTERN``)."""
    return [CallbackQueryHandler(on_download, pattern=PATTERN)]


def _title(offline: Offline, code: str, subject: str) -> tuple[str, bool] | None:
    """The title of a subject and whether its files are protected; None if it cannot be downloaded."""
    if subject not in offline.subjects:
        return None
    loc = offline.library.locale(code)
    if subject == BRIEF:
        # The whole brief holds protected themes' text too: it is protected when any of them is.
        settings = offline.settings
        protect = any(t.protect_content for t in loc.themes if settings is not None and settings.allows(t.id))
        return loc.about.title, protect
    theme = loc.theme(subject)
    return (theme.title, theme.protect_content) if theme is not None else None


async def on_download(update: Update, context: BotContext) -> None:
    """A download button: offer the forms, or send the chosen file."""
    query = update.callback_query
    if query is None:
        return
    reader = context.reader
    t = reader.t
    payload = read(query.data)
    offline: Offline = context.bot_data[OFFLINE_KEY]
    code = context.library.locale(reader.language).code
    known = _title(offline, code, payload.subject) if payload is not None else None
    if payload is None or known is None:
        await query.answer(t.gettext("This menu has expired. Here is a fresh one."))
        await show(update, context, context.screens.main_menu(reader.language, not reader.chosen))
        return
    title, protect = known
    shelf = offline.shelf
    if shelf is None:
        await query.answer(t.gettext("The files are being prepared. Please try again in a minute."), show_alert=True)
        return
    if isinstance(payload, DownloadChoice):
        files = {form: f for form in Form if (f := shelf.get(code, payload.subject, form)) is not None}
        await query.answer()
        await show(update, context, choice_screen(t, payload.subject, title, files, protect=protect))
        return
    file = shelf.get(code, payload.subject, payload.form)
    if file is None:
        await query.answer(t.gettext("The files are being prepared. Please try again in a minute."), show_alert=True)
        return
    await query.answer()
    # A reader in discreet mode gets a file whose caption and name say nothing of its theme: the chat list shows
    # both. It is uploaded (and its file_id kept) under a name of its own.
    discreet = await context.storage.safety.discreet(reader.user_id)
    text = caption(t, None if discreet else title, file.form, protect=protect)
    if await _send(update, context, offline, file, text, protect, discreet=discreet):
        # Anonymous: the day, the file's language, its subject and form; never who.
        context.storage.counters.tally.count(Metric.DOWNLOAD, file.code, f"{file.subject}.{file.form.value}")


async def _send(
    update: Update,
    context: BotContext,
    offline: Offline,
    file: OfflineFile,
    text: str,
    protect: bool,
    *,
    discreet: bool = False,
) -> bool:
    """Send ``file`` (its file_id when it went up before); whether it was sent."""
    chat = update.effective_chat
    if chat is None:
        return False
    key, name = (f"{file.sha256}{NEUTRAL_SUFFIX}", neutral_name(file)) if discreet else (file.sha256, file.name)
    for attempt in range(2):
        file_id = await offline.file_ids.get(key)
        try:
            message = await context.bot.send_document(
                chat.id,
                document=file_id or InputFile(file.path.read_bytes(), filename=name),
                caption=text,
                protect_content=protect,
            )
        except BadRequest as exc:
            if file_id is None or not any(s in exc.message.lower() for s in _STALE_FILE_ID):
                raise
            logger.info("a stored file_id was refused; uploading the file again")
            await offline.file_ids.forget(key)
            continue
        except RetryAfter as exc:
            wait = retry_after_seconds(exc)
            if attempt or wait > REPLY_RETRY_WAIT_MAX:
                logger.info("file not sent: Telegram asks to wait %.0f s before writing to this chat", wait)
                return False
            await wait_without_slot(wait)  # other people's updates run meanwhile
            continue
        if file_id is None:
            await _remember(offline, key, message)
        return True
    return False


async def _remember(offline: Offline, key: str, message: Message) -> None:
    document: TelegramDocument | None = message.document
    if document is not None:
        await offline.file_ids.put(key, document.file_id)
