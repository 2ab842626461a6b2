"""The /announce wizard: audience → message per language → options → preview → confirm.

The draft lives in the admin's ``user_data`` until confirmed; what each step shows is built by
``bot/announcing/screens.py``. /announcements, /stats and /export are in ``bot/announcing/handlers.py``.
"""

from __future__ import annotations

import datetime as dt
import html
import logging

from telegram import Message, Update
from telegram.ext import ApplicationHandlerStop

from bot import polls as bot_polls
from bot.announcing import screens as views
from bot.announcing.buttons import Admin, AdminButton, WizardChoice
from bot.announcing.drafts import Draft, ScheduleError, Step, parse_schedule
from bot.announcing.services import engine_of
from bot.reading.context import BotContext, Reader, is_admin, show
from bot.reading.keyboards import announcement_keyboard, is_topic, language_name
from bot.reading.screens import Screen
from bot.storage import AnnouncementText

__all__ = ["announce_command", "cancel_command", "on_admin_message", "on_wizard_button"]

logger = logging.getLogger(__name__)

DRAFT_KEY = "announce_draft"
PREVIEW_ID = 0  # the unsubscribe button in a preview points at no real announcement


def _draft(context: BotContext) -> Draft | None:
    draft = (context.user_data or {}).get(DRAFT_KEY)
    return draft if isinstance(draft, Draft) else None


# Drafts live in memory only. This marker (the admin's id, never any text) survives a restart, so the admin
# learns that their draft was lost instead of having their next message answered as a search.
def _draft_marker(admin_id: int) -> str:
    return f"announce_draft:{admin_id}"


async def _drop_draft(context: BotContext, admin_id: int) -> bool:
    """Forget the admin's draft; return whether one was in progress."""
    had = context.user_data is not None and context.user_data.pop(DRAFT_KEY, None) is not None
    await context.storage.database.delete_meta(_draft_marker(admin_id))
    return had


async def announce_command(update: Update, context: BotContext) -> None:
    """Start a new announcement."""
    reader = context.reader
    draft = Draft(admin_id=reader.user_id)
    if context.user_data is not None:
        context.user_data[DRAFT_KEY] = draft
    await context.storage.database.set_meta(_draft_marker(reader.user_id), "1")
    await show(update, context, views.audience_screen(reader.t, context.library.locale(reader.language), draft))


async def cancel_command(update: Update, context: BotContext) -> None:
    """Drop the announcement being prepared."""
    reader = context.reader
    if await _drop_draft(context, reader.user_id):
        text = reader.t.gettext("The announcement was cancelled.")
    else:
        text = reader.t.gettext("There is no announcement in progress to cancel.")
    await show(update, context, Screen(html.escape(text)))


async def on_wizard_button(update: Update, context: BotContext, reader: Reader, payload: Admin) -> None:
    """A button of /announce (an admin's, checked by the caller)."""
    query = update.callback_query
    assert query is not None
    draft = _draft(context)
    if draft is None:
        text = reader.t.gettext("This announcement is no longer being prepared. Start again with /announce.")
        await query.answer(text)
        return
    await query.answer()
    screen = await _advance(update, context, reader, draft, payload.button, payload.value)
    if screen is not None:
        await show(update, context, screen)


async def _advance(
    update: Update, context: BotContext, reader: Reader, draft: Draft, button: AdminButton, value: str
) -> Screen | None:
    t = reader.t
    content = context.library.locale(reader.language)
    if button is AdminButton.DROP:
        await _drop_draft(context, reader.user_id)
        return Screen(html.escape(t.gettext("The announcement was cancelled.")))
    if button is AdminButton.AUDIENCE and draft.step is Step.AUDIENCE:
        if value == WizardChoice.ALL:
            draft.choose_everyone()
        elif value == bot_polls.POLL_CHOICE:
            draft.poll = not draft.poll
        elif value == WizardChoice.NEXT:
            draft.step = Step.LANGUAGE
            return views.language_filter_screen(reader.t, _langs(context))
        elif is_topic(content, value):
            draft.toggle_topic(value)
        return views.audience_screen(reader.t, context.library.locale(reader.language), draft)
    if button is AdminButton.LANGUAGE and draft.step is Step.LANGUAGE:
        draft.language = None if value == WizardChoice.ALL else value if value in _langs(context) else None
        return _ask_next_version(context, reader, draft)
    if button is AdminButton.SKIP and draft.step is Step.MESSAGE and draft.asking == value:
        draft.versions.pop(value, None)
        return _ask_next_version(context, reader, draft, skipped=value)
    if button is AdminButton.OPTION and draft.step is Step.OPTIONS:
        if value == WizardChoice.SILENT:
            draft.silent = not draft.silent
        elif value == WizardChoice.PROTECT:
            draft.protect = not draft.protect
        elif value == WizardChoice.NOW:
            draft.scheduled_at = None
            await _preview(update, context, reader, draft)
            return None
        elif value == bot_polls.CLOSES_CHOICE and draft.poll:
            draft.next_closing()
        elif value == WizardChoice.WHEN:
            draft.step = Step.SCHEDULE
            return views.schedule_screen(reader.t)
        return views.options_screen(reader.t, draft)
    if button is AdminButton.CONFIRM and draft.step is Step.PREVIEW:
        return await _confirm(update, context, reader, draft)
    return None  # a button of an earlier step: ignore


def _langs(context: BotContext) -> tuple[str, ...]:
    return context.services.i18n.languages


def _ask_next_version(context: BotContext, reader: Reader, draft: Draft, skipped: str | None = None) -> Screen:
    if skipped:
        draft.skipped.add(skipped)
    needed = draft.languages_needed(_langs(context), context.services.settings.default_language)
    remaining = [code for code in needed if code not in draft.versions and code not in draft.skipped]
    if remaining:
        draft.step = Step.MESSAGE
        draft.asking = remaining[0]
        return views.ask_message_screen(reader.t, draft, context.services.settings.default_language)
    draft.step = Step.OPTIONS
    draft.asking = None
    return views.options_screen(reader.t, draft)


async def on_admin_message(update: Update, context: BotContext) -> None:
    """An admin's message while /announce waits for one: a language version, or the schedule."""
    user = update.effective_user
    message = update.effective_message
    if user is None or message is None or not is_admin(context, user.id):
        return
    draft = _draft(context)
    if draft is None:
        if await context.storage.database.delete_meta(_draft_marker(user.id)):
            # The bot restarted while this admin was preparing an announcement: this message was meant for it.
            text = context.reader.t.gettext(
                "The bot restarted and the announcement you were preparing was lost. Start again with /announce."
            )
            await show(update, context, Screen(html.escape(text)))
            raise ApplicationHandlerStop
        return  # not for the wizard: let the ordinary handlers answer
    if draft.step not in (Step.MESSAGE, Step.SCHEDULE):
        return  # not for the wizard: let the ordinary handlers answer
    try:
        await _take_message(update, context, draft, message)
    except Exception as exc:  # reported through the error handler, like any other update
        await context.application.process_error(update, exc)
    # Handled (even if it failed): the search and other handlers must not also answer this message.
    raise ApplicationHandlerStop


async def _take_message(update: Update, context: BotContext, draft: Draft, message: Message) -> None:
    """A language version, or the schedule, for the wizard."""
    reader = context.reader
    if draft.step is Step.MESSAGE and draft.asking is not None and draft.poll:
        await _take_poll(update, context, draft, message)
    elif draft.step is Step.MESSAGE and draft.asking is not None:
        draft.versions[draft.asking] = (message.chat_id, message.message_id)
        body = message.text_html if message.text is not None else (message.caption_html or "")
        draft.texts[draft.asking] = (body, message.text is None)
        await show(update, context, _ask_next_version(context, reader, draft))
    elif draft.step is Step.SCHEDULE:
        try:
            draft.scheduled_at = parse_schedule(message.text or "", dt.datetime.now(dt.UTC))
        except ScheduleError as exc:
            await show(update, context, views.schedule_screen(reader.t, exc.reason))
        else:
            await _preview(update, context, reader, draft)


async def _take_poll(update: Update, context: BotContext, draft: Draft, message: Message) -> None:
    """A poll's version: checked, then shown as readers will get it (that message is what the engine copies)."""
    reader, language = context.reader, draft.asking
    assert language is not None
    first = next(iter(draft.poll_versions.values()), None)
    try:
        version = bot_polls.parse_poll(message.text or "")
        if first is not None and len(version.options) != len(first.options):
            raise bot_polls.PollProblem("count")
    except bot_polls.PollProblem as problem:
        expected = len(first.options) if first is not None else 0
        await show(update, context, Screen(html.escape(views.poll_problem_text(reader.t, problem, expected))))
        return
    book = bot_polls.book_of(context)
    t = context.services.i18n.get(language)
    sent = await context.bot.send_message(
        message.chat_id,
        bot_polls.poll_text(version, t),
        reply_markup=bot_polls.poll_keyboard(PREVIEW_ID, language, version, book.keys),
    )
    draft.versions[language] = (sent.chat_id, sent.message_id)
    draft.poll_versions[language] = version
    draft.texts[language] = (bot_polls.poll_text(version, t), False)  # opens a discreet message in place
    book.add_pending((sent.chat_id, sent.message_id), language, version)
    await show(update, context, _ask_next_version(context, reader, draft))


async def _preview(update: Update, context: BotContext, reader: Reader, draft: Draft) -> None:
    """Show each version exactly as readers will get it, then the recipients and Confirm / Cancel."""
    t = reader.t
    chat = update.effective_chat
    assert chat is not None
    draft.step = Step.PREVIEW
    default = context.services.settings.default_language
    counts = await context.storage.announcements.count_audience(draft.topics, draft.language)
    if draft.poll and not sum(counts.values()):
        screen = views.empty_audience_screen(t)
        await context.bot.send_message(chat.id, screen.text, reply_markup=screen.keyboard)
        return
    book = bot_polls.book_of(context)
    for code, (from_chat, message_id) in draft.versions.items():
        markup = (
            bot_polls.poll_keyboard(PREVIEW_ID, code, draft.poll_versions[code], book.keys)
            if draft.poll
            else announcement_keyboard(PREVIEW_ID, frozenset(draft.topics), context.services.i18n.get(code))
        )
        await context.bot.send_message(
            chat.id,
            html.escape(t.gettext("Preview: {language}").format(language=language_name(code))),
        )
        await context.bot.copy_message(
            chat.id,
            from_chat,
            message_id,
            disable_notification=draft.silent,
            protect_content=draft.protect,
            reply_markup=markup,
        )
    summary = views.preview_screen(t, context.library.locale(reader.language), draft, counts, default)
    await context.bot.send_message(chat.id, summary.text, reply_markup=summary.keyboard)


async def _confirm(update: Update, context: BotContext, reader: Reader, draft: Draft) -> Screen:
    query = update.callback_query
    message = query.message if query else None
    status_chat = message.chat.id if isinstance(message, Message) else None
    status_message = message.message_id if isinstance(message, Message) else None
    announcement_id = await context.storage.announcements.create(draft.to_storage(status_chat, status_message))
    if draft.poll:
        closes_at = draft.closes_at(dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
        await bot_polls.PollStore(context.storage.database).create(announcement_id, closes_at, draft.poll_versions)
        bot_polls.book_of(context).add(announcement_id, draft.poll_versions)
    texts = {
        code: AnnouncementText(body, media) for code, (body, media) in draft.texts.items() if code in draft.versions
    }
    await context.storage.safety.save_texts(announcement_id, texts)
    await _drop_draft(context, reader.user_id)
    engine = engine_of(context.bot_data)
    if engine is not None:
        engine.wake()
    logger.info("admin %s confirmed announcement %s", reader.user_id, announcement_id)
    return views.confirmed_screen(reader.t, announcement_id, draft.scheduled_at is not None)
