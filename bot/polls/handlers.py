"""The polls feature's buttons: a reader's answer to a poll, its results, and "was this useful?".

Registered by the composition root (``handlers()``) before the reading menus' catch-all, with the feature's own
``pattern``. Nothing here logs a reader's id next to a poll, a section or an answer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import logging
from collections.abc import Callable

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.polls.book import PollBook, close_due
from bot.polls.callbacks import PATTERN, Results, Useful, Vote, read
from bot.polls.domain import NO_CHOICE, PollState, poll_state
from bot.polls.store import Answer, Poll, PollStore
from bot.polls.views import poll_keyboard, results_text, useful_row, without_useful_row
from bot.reading.context import BotContext, Reader
from bot.reading.keyboards import with_row
from bot.reading.screens import Screen

__all__ = ["BOOK_KEY", "CLOCK_KEY", "book_of", "forget_reader", "handlers", "now", "useful_token", "with_useful"]

logger = logging.getLogger(__name__)

BOOK_KEY = "polls_book"
Clock = Callable[[], dt.datetime]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


CLOCK_KEY = "polls_clock"  # tests put a clock here to close a poll without waiting


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    """This feature's handlers, for the composition root."""
    return [CallbackQueryHandler(on_poll_callback, pattern=PATTERN)]


def book_of(context: BotContext) -> PollBook:
    """The feature's state installed in the application."""
    book: PollBook = context.application.bot_data[BOOK_KEY]
    return book


def now(context: BotContext) -> dt.datetime:
    """The polls' clock: UTC now, or a test's (``CLOCK_KEY``)."""
    clock: Clock = context.application.bot_data.get(CLOCK_KEY, _utc_now)
    return clock()


def useful_token(book: PollBook, user_id: int, theme: str, section: str) -> bytes:
    """The token saying that ``user_id`` answered "was this useful?" for this section (not what)."""
    return book.keys.token("useful", user_id, theme, section)


async def on_poll_callback(update: Update, context: BotContext) -> None:
    """Any button of this feature."""
    query = update.callback_query
    assert query is not None
    reader = context.reader
    payload = read(query.data)
    match payload:
        case Vote():
            await _vote(query, context, reader, payload)
        case Results():
            await _results(query, context, reader, payload)
        case Useful():
            await _useful(query, context, reader, payload)
        case _:
            await query.answer(reader.t.gettext("This button is not valid any more."), show_alert=True)


async def _edit(message: object, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    if not isinstance(message, Message):
        return
    try:
        await message.edit_text(text, reply_markup=keyboard)
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise


async def _vote(query: CallbackQuery, context: BotContext, reader: Reader, vote: Vote) -> None:
    t = reader.t
    if vote.poll == 0:
        await query.answer(t.gettext("This is a preview: answers here are not counted."))
        return
    store, book = PollStore(context.storage.database), book_of(context)
    poll = await store.poll(vote.poll)
    version = poll.versions.get(vote.language) if poll is not None else None
    signed = (vote.poll, vote.language, vote.current, vote.answers) + ((reader.user_id,) if vote.answers else ())
    if (
        poll is None
        or version is None
        or not 1 <= vote.choice <= len(version.options)
        or not NO_CHOICE <= vote.current <= len(version.options)
        or (vote.answers == 0) != (vote.current == NO_CHOICE)
        or not book.keys.verify(vote.signature, *signed)
    ):
        # Forged, or from another version of the bot: no count moves.
        await query.answer(t.gettext("This button is not valid any more."), show_alert=True)
        return
    state = poll_state(poll.closes_at, poll.announcement_state, now(context))
    if state is not PollState.OPEN:
        await _closed(query, context, reader, poll, vote.language, state)
        return
    token = book.keys.token("poll", poll.id, reader.user_id)
    outcome = await store.answer(poll.id, token, vote.language, vote.choice, vote.current, vote.answers)
    current, answers = vote.current, vote.answers
    if outcome is Answer.COUNTED:
        current, answers = vote.choice, vote.answers + 1
        await query.answer(t.gettext("Thank you! Your answer is counted."))
    elif outcome is Answer.SAME:
        await query.answer(t.gettext("This is already your answer."))
    elif outcome is Answer.FLOOD:
        await query.answer(
            t.gettext("You have changed your answer too many times. Your last answer stays."), show_alert=True
        )
    else:
        await query.answer(
            t.gettext("You have already answered this poll. Change your answer on the message where you answered."),
            show_alert=True,
        )
        return
    counts = await store.counts(poll.id)
    keyboard = poll_keyboard(
        poll.id, vote.language, version, book.keys, user_id=reader.user_id, current=current, answers=answers
    )
    await _edit(query.message, results_text(poll, vote.language, counts, state, t, current), keyboard)


async def _closed(
    query: CallbackQuery, context: BotContext, reader: Reader, poll: Poll, language: str, state: PollState
) -> None:
    """A tap on a poll that takes no answers: say so, and show the final results in place."""
    t = reader.t
    store = PollStore(context.storage.database)
    if not poll.closed:
        await close_due(store, now(context))
    if state is PollState.CANCELLED:
        await query.answer(t.gettext("This poll was cancelled. Your answer is not counted."), show_alert=True)
        await _edit(query.message, html.escape(t.gettext("This poll was cancelled.")), None)
        return
    await query.answer(t.gettext("This poll is closed. Here are the final results."), show_alert=True)
    await _edit(query.message, results_text(poll, language, await store.counts(poll.id), state, t), None)


async def _results(query: CallbackQuery, context: BotContext, reader: Reader, payload: Results) -> None:
    store = PollStore(context.storage.database)
    poll = await store.poll(payload.poll)
    if poll is None or payload.language not in poll.versions:
        await query.answer(reader.t.gettext("This button is not valid any more."), show_alert=True)
        return
    state = poll_state(poll.closes_at, poll.announcement_state, now(context))
    if state is not PollState.OPEN:
        await _closed(query, context, reader, poll, payload.language, state)
        return
    await query.answer()
    message = query.message
    keyboard = message.reply_markup if isinstance(message, Message) else None
    current = _current_in(keyboard)
    text = results_text(poll, payload.language, await store.counts(poll.id), state, reader.t, current)
    await _edit(message, text, keyboard)


def _current_in(keyboard: InlineKeyboardMarkup | None) -> int:
    """The answer marked in a poll message's own keyboard (0: none)."""
    for row in keyboard.inline_keyboard if keyboard else ():
        for button in row:
            payload = read(str(button.callback_data or ""))
            if isinstance(payload, Vote):
                return payload.current
    return NO_CHOICE


async def _useful(query: CallbackQuery, context: BotContext, reader: Reader, payload: Useful) -> None:
    t = reader.t
    content = context.library.locale(reader.language)
    theme = content.theme(payload.theme)
    if theme is None or theme.section(payload.section) is None or payload.answer not in ("y", "n"):
        await query.answer(t.gettext("This button is not valid any more."), show_alert=True)
        return
    book = book_of(context)
    token = useful_token(book, reader.user_id, payload.theme, payload.section)
    counted = await PollStore(context.storage.database).rate(
        token, payload.theme, payload.section, reader.language, payload.answer == "y"
    )
    await query.answer(
        t.gettext("Thank you! This helps the translators.")
        if counted
        else t.gettext("You already answered, thank you.")
    )
    message = query.message
    if isinstance(message, Message) and message.reply_markup is not None:
        try:
            await message.edit_reply_markup(without_useful_row(message.reply_markup.inline_keyboard))
        except BadRequest as exc:
            if "not modified" not in exc.message.lower():
                raise


async def forget_reader(context: BotContext, user_id: int) -> int:
    """/forget: erase the reader's "was this useful?" tokens (they would be asked again); return how many."""
    book = book_of(context)
    sections = {
        (theme.id, section.id)
        for code in context.services.i18n.languages
        for theme in context.library.locale(code).themes
        for section in theme.sections
    }
    tokens = [useful_token(book, user_id, theme, section) for theme, section in sections]
    return await PollStore(context.storage.database).forget_ratings(tokens)


async def with_useful(
    context: BotContext, reader: Reader, theme: str, section: str, page: int, screen: Screen
) -> Screen:
    """A page of a section (reading's hook); its last page asks "was this useful?" until the reader answered."""
    if (
        screen.keyboard is None
        or page != len(context.library.pages(reader.language, theme, section)) - 1
        or await PollStore(context.storage.database).rated(
            useful_token(book_of(context), reader.user_id, theme, section)
        )
    ):
        return screen
    row = useful_row(theme, section, reader.t)
    return dataclasses.replace(screen, keyboard=with_row(screen.keyboard, row, at=0))
