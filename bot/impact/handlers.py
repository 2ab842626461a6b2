"""/stats and /export: today's figures, the weekly charts, one announcement's delivery, the CSV files."""

from __future__ import annotations

import datetime as dt
import html
import logging

from telegram import InputFile, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot import help as bot_help
from bot import polls as bot_polls
from bot.announcing import CHART_PATTERN, AdminButton, admin_pressed
from bot.announcing import button as admin_button
from bot.impact import summary
from bot.impact.counts import shown
from bot.impact.screens import stats_screen
from bot.reading.context import BotContext, Reader, show
from bot.reading.keyboards import Keyboard, language_name
from bot.reading.screens import Screen
from bot.reading.stale import expired
from bot.telegram.ids import parse_id
from bot.telegram.limits import CAPTION_MAX

__all__ = ["announcement_chart", "export_command", "handlers", "on_chart_button", "sections_chart", "stats_command"]

logger = logging.getLogger(__name__)


async def stats_command(update: Update, context: BotContext) -> None:
    """Today's figures and the totals, then the weekly chart; ``/stats <id>``: one announcement's delivery."""
    reader = context.reader
    if context.args:
        number = context.args[0].lstrip("#")
        announcement_id = parse_id(number)
        if announcement_id is not None and await context.storage.announcements.get(announcement_id) is not None:
            poll = await bot_polls.poll_screen(
                context.storage.database, announcement_id, reader.t, bot_polls.now(context)
            )
            if poll is not None:
                await show(update, context, Screen(poll))
            await announcement_chart(update, context, reader, announcement_id)
        else:
            text = reader.t.gettext("There is no announcement #{id}. See /announcements.").format(id=number[:20])
            await show(update, context, Screen(html.escape(text)))
        return
    await show(update, context, await _stats_screen(context, reader))
    t = reader.t
    names = {code: language_name(code) for code in context.services.i18n.languages}
    png = await summary.weekly_png(context.storage, _today(), names, t)
    if png is None:
        await show(update, context, Screen(html.escape(t.gettext("No reading figures to draw yet."))))
        return
    caption = t.gettext("Readers and page views per week, last {weeks} weeks, by language.").format(
        weeks=summary.CHART_WEEKS
    )
    keyboard = Keyboard([[admin_button(t.gettext("📊 Most-read sections"), AdminButton.CHART, "sections")]])
    await _send_photo(update, context, png, caption, keyboard)


async def _stats_screen(context: BotContext, reader: Reader) -> Screen:
    """Today's counters, readers per language, subscribers per theme, the last announcements."""
    await context.storage.counters.flush()  # today's figures include the last seconds
    storage = context.storage
    by_language = await storage.readers.by_language()
    today = await storage.counters.day_counts(_today())
    per_topic = await storage.subscriptions.per_topic()
    recent = [
        (item.id, await storage.deliveries.figures(item.id)) for item in await storage.announcements.recent(limit=3)
    ]
    screen = stats_screen(
        reader.t,
        context.library.locale(reader.language),
        context.services.settings.default_language,
        today,
        by_language,
        per_topic,
        recent,
    )
    directory = bot_help.views_of(context.application).directory
    help_lines = await bot_help.stats_html(storage, directory, reader.t, _today())
    useful = await bot_polls.stats_html(storage.database, context.library.locale(reader.language), reader.t)
    return Screen(f"{screen.text}\n\n{help_lines}\n\n{useful}", screen.keyboard)


async def export_command(update: Update, context: BotContext) -> None:
    """``/export``: page views per day × language × theme × section as a CSV document."""
    reader = context.reader
    chat = update.effective_chat
    if chat is None:
        return
    t = reader.t
    await context.storage.counters.flush()
    content = context.library.locale(reader.language)
    data, rows = await summary.export_csv(context.storage, content, t)
    caption = t.ngettext(
        "{count} row: page views per day, language, theme and section. Counts under {threshold} read “< {threshold}”.",
        "{count} rows: page views per day, language, theme and section. Counts under {threshold} read “< {threshold}”.",
        rows,
    ).format(count=rows, threshold=summary.SMALL_COUNT)
    name = f"page-views-{_today().isoformat()}.csv"
    await context.bot.send_document(chat.id, InputFile(data, filename=name), caption=html.escape(caption[:CAPTION_MAX]))
    data, rows = await bot_polls.export(context.storage.database, bot_polls.now(context))
    caption = t.ngettext(
        "{count} row: polls per language and answer, and “was this useful?” per section and language. "
        "Counts under {threshold} read “< {threshold}”.",
        "{count} rows: polls per language and answer, and “was this useful?” per section and language. "
        "Counts under {threshold} read “< {threshold}”.",
        rows,
    ).format(count=rows, threshold=summary.SMALL_COUNT)
    name = f"polls-{_today().isoformat()}.csv"
    await context.bot.send_document(chat.id, InputFile(data, filename=name), caption=html.escape(caption[:CAPTION_MAX]))


async def announcement_chart(update: Update, context: BotContext, reader: Reader, announcement_id: int) -> None:
    """One announcement's delivery over time, with each outcome's total (small ones as ``< 5``)."""
    t = reader.t
    png, totals = await summary.delivery_png(context.storage, announcement_id, t)
    if png is None:
        text = t.gettext("Nothing of announcement #{id} has been delivered yet.").format(id=announcement_id)
        await show(update, context, Screen(html.escape(text)))
        return
    parts = [f"{label}: {shown(totals.get(state, 0))}" for state, label in summary.delivery_states(t).items()]
    caption = t.gettext("Announcement #{id}").format(id=announcement_id) + "\n" + "\n".join(parts)
    await _send_photo(update, context, png, caption)


async def sections_chart(update: Update, context: BotContext, reader: Reader) -> None:
    t = reader.t
    await context.storage.counters.flush()
    content = context.library.locale(reader.language)
    png = await summary.sections_png(context.storage, _today(), content, t)
    if png is None:
        await show(update, context, Screen(html.escape(t.gettext("No reading figures to draw yet."))))
        return
    caption = t.gettext("Most-read sections, last {weeks} weeks").format(weeks=summary.CHART_WEEKS)
    await _send_photo(update, context, png, caption)


async def _send_photo(
    update: Update, context: BotContext, png: bytes, caption: str, keyboard: Keyboard | None = None
) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    await context.bot.send_photo(
        chat.id,
        InputFile(png, filename="chart.png"),
        caption=html.escape(caption[:CAPTION_MAX]),
        reply_markup=keyboard,
    )


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


# --------------------------------------------------------------------------------------------- buttons


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    """The chart buttons of /stats and /announcements (admins' buttons: ``CHART_PATTERN``)."""
    return [CallbackQueryHandler(on_chart_button, pattern=CHART_PATTERN)]


async def on_chart_button(update: Update, context: BotContext) -> None:
    """A chart, as a new photo below: the pressed message stays as it is."""
    payload = await admin_pressed(update, context)
    if payload is None:
        return
    query, reader = update.callback_query, context.reader
    assert query is not None  # pressed() read its data
    if payload.button is AdminButton.CHART:
        await query.answer()
        await sections_chart(update, context, reader)
        return
    announcement_id = parse_id(payload.value)
    if announcement_id is None:
        await expired(update, context, reader)
        return
    await query.answer()
    await announcement_chart(update, context, reader, announcement_id)
