"""Admins: /announce (audience → message per language → options → preview → confirm), /announcements, /stats,
/export.

To anyone not in ADMIN_IDS these commands behave like unknown commands (the attempt is logged by id only).
The handlers read storage and keep the wizard's draft; what they show is built by ``bot/admin_screens.py``.
"""

from __future__ import annotations

import datetime as dt
import html
import logging

from telegram import InputFile, Message, Update
from telegram.ext import ApplicationHandlerStop

from bot import admin_screens as views
from bot import impact_report
from bot.announce import Draft, ScheduleError, Step, parse_schedule
from bot.callbacks import Callback
from bot.handlers.common import BotContext, Reader, get_reader, show
from bot.impact import shown
from bot.keyboards import Keyboard, announcement_keyboard, is_topic, language_name
from bot.limits import CAPTION_MAX
from bot.screens import Screen

__all__ = [
    "announce_command",
    "announcements_command",
    "export_command",
    "on_admin_callback",
    "on_admin_message",
    "stats_command",
]

logger = logging.getLogger(__name__)

DRAFT_KEY = "announce_draft"
RECENT_ANNOUNCEMENTS = 8
PREVIEW_ID = 0  # the unsubscribe button in a preview points at no real announcement


def is_admin(context: BotContext, user_id: int | None) -> bool:
    """Whether ``user_id`` is in ADMIN_IDS."""
    return user_id is not None and user_id in context.services.settings.admin_ids


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
    await context.storage.delete_meta(_draft_marker(admin_id))
    return had


# --------------------------------------------------------------------------------------------- commands


async def announce_command(update: Update, context: BotContext) -> None:
    """Start a new announcement."""
    reader = await get_reader(update, context)
    if reader is None:
        return
    draft = Draft(admin_id=reader.user_id)
    if context.user_data is not None:
        context.user_data[DRAFT_KEY] = draft
    await context.storage.set_meta(_draft_marker(reader.user_id), "1")
    await show(update, context, views.audience_screen(reader.t, context.library.locale(reader.language), draft))


async def cancel_command(update: Update, context: BotContext) -> None:
    """Drop the announcement being prepared."""
    reader = await get_reader(update, context)
    if reader is None:
        return
    if await _drop_draft(context, reader.user_id):
        text = reader.t.gettext("The announcement was cancelled.")
    else:
        text = reader.t.gettext("There is no announcement in progress to cancel.")
    await show(update, context, Screen(html.escape(text)))


async def announcements_command(update: Update, context: BotContext) -> None:
    """Recent and scheduled announcements, with their figures and controls."""
    reader = await get_reader(update, context)
    if reader is None:
        return
    await show(update, context, await announcements_screen(context, reader))


async def announcements_screen(context: BotContext, reader: Reader) -> Screen:
    """/announcements with the figures read now."""
    storage = context.storage
    items = await storage.announcements(limit=RECENT_ANNOUNCEMENTS)
    figures = [(item, await storage.delivery_figures(item.id)) for item in items]
    return views.announcements_screen(reader.t, context.library.locale(reader.language), figures)


async def stats_command(update: Update, context: BotContext) -> None:
    """Today's figures and the totals, then the weekly chart; ``/stats <id>``: one announcement's delivery."""
    reader = await get_reader(update, context)
    if reader is None:
        return
    if context.args:
        number = context.args[0].lstrip("#")
        if number.isdigit() and await context.storage.announcement(int(number)) is not None:
            await _announcement_chart(update, context, reader, int(number))
        else:
            text = reader.t.gettext("There is no announcement #{id}. See /announcements.").format(id=number[:20])
            await show(update, context, Screen(html.escape(text)))
        return
    await show(update, context, await _stats_screen(context, reader))
    t = reader.t
    names = {code: language_name(code) for code in _langs(context)}
    png = await impact_report.weekly_png(context.storage, _today(), names, t)
    if png is None:
        await show(update, context, Screen(html.escape(t.gettext("No reading figures to draw yet."))))
        return
    caption = t.gettext("Readers and page views per week, last {weeks} weeks, by language.").format(
        weeks=impact_report.CHART_WEEKS
    )
    keyboard = Keyboard([[views.button(t.gettext("📊 Most-read sections"), "chart", "sections")]])
    await _send_photo(update, context, png, caption, keyboard)


async def _stats_screen(context: BotContext, reader: Reader) -> Screen:
    """Today's counters, readers per language, subscribers per theme, the last announcements."""
    await context.storage.flush_counters()  # today's figures include the last seconds
    storage = context.storage
    by_language = await storage.users_by_language()
    today = await storage.day_counts(_today())
    per_topic = await storage.subscribers_per_topic()
    recent = [(item.id, await storage.delivery_figures(item.id)) for item in await storage.announcements(limit=3)]
    return views.stats_screen(
        reader.t,
        context.library.locale(reader.language),
        context.services.settings.default_language,
        today,
        by_language,
        per_topic,
        recent,
    )


async def export_command(update: Update, context: BotContext) -> None:
    """``/export``: page views per day × language × theme × section as a CSV document."""
    reader = await get_reader(update, context)
    chat = update.effective_chat
    if reader is None or chat is None:
        return
    t = reader.t
    await context.storage.flush_counters()
    content = context.library.locale(reader.language)
    data, rows = await impact_report.export_csv(context.storage, content, t)
    caption = t.ngettext(
        "{count} row: page views per day, language, theme and section. Counts under {threshold} read “< {threshold}”.",
        "{count} rows: page views per day, language, theme and section. Counts under {threshold} read “< {threshold}”.",
        rows,
    ).format(count=rows, threshold=impact_report.SMALL_COUNT)
    name = f"page-views-{_today().isoformat()}.csv"
    await context.bot.send_document(chat.id, InputFile(data, filename=name), caption=html.escape(caption[:CAPTION_MAX]))


async def _announcement_chart(update: Update, context: BotContext, reader: Reader, announcement_id: int) -> None:
    """One announcement's delivery over time, with each outcome's total (small ones as ``< 5``)."""
    t = reader.t
    png, totals = await impact_report.delivery_png(context.storage, announcement_id, t)
    if png is None:
        text = t.gettext("Nothing of announcement #{id} has been delivered yet.").format(id=announcement_id)
        await show(update, context, Screen(html.escape(text)))
        return
    parts = [f"{label}: {shown(totals.get(state, 0))}" for state, label in impact_report.delivery_states(t).items()]
    caption = t.gettext("Announcement #{id}").format(id=announcement_id) + "\n" + "\n".join(parts)
    await _send_photo(update, context, png, caption)


async def _sections_chart(update: Update, context: BotContext, reader: Reader) -> None:
    t = reader.t
    await context.storage.flush_counters()
    content = context.library.locale(reader.language)
    png = await impact_report.sections_png(context.storage, _today(), content, t)
    if png is None:
        await show(update, context, Screen(html.escape(t.gettext("No reading figures to draw yet."))))
        return
    caption = t.gettext("Most-read sections, last {weeks} weeks").format(weeks=impact_report.CHART_WEEKS)
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


# --------------------------------------------------------------------------------------------- the wizard


async def on_admin_callback(update: Update, context: BotContext, reader: Reader, callback: Callback) -> None:
    """Buttons of /announce and /announcements (dispatched from the main callback handler)."""
    query = update.callback_query
    assert query is not None
    t = reader.t
    if not is_admin(context, reader.user_id):
        logger.warning("non-admin %s pressed an admin button", reader.user_id)
        await query.answer(t.gettext("This menu has expired. Here is a fresh one."))
        return
    step, value = callback.args
    engine = context.services.engine
    if step in ("pause", "resume", "cancel", "retry") and value.isdigit() and engine is not None:
        action = {
            "pause": engine.pause,
            "resume": engine.resume,
            "cancel": engine.cancel,
            "retry": engine.retry_failed,
        }[step]
        changed = await action(int(value))
        await query.answer(t.gettext("Done.") if changed else t.gettext("Nothing to change."))
        await show(update, context, await announcements_screen(context, reader))
        return
    if step == "list":
        await query.answer()
        await show(update, context, await announcements_screen(context, reader))
        return
    if step == "chart":  # a new photo below: the pressed message stays as it is
        await query.answer()
        await _sections_chart(update, context, reader)
        return
    if step == "achart" and value.isdigit():
        await query.answer()
        await _announcement_chart(update, context, reader, int(value))
        return
    draft = _draft(context)
    if draft is None:
        await query.answer(t.gettext("This announcement is no longer being prepared. Start again with /announce."))
        return
    await query.answer()
    screen = await _advance(update, context, reader, draft, step, value)
    if screen is not None:
        await show(update, context, screen)


async def _advance(
    update: Update, context: BotContext, reader: Reader, draft: Draft, step: str, value: str
) -> Screen | None:
    t = reader.t
    content = context.library.locale(reader.language)
    if step == "no":
        await _drop_draft(context, reader.user_id)
        return Screen(html.escape(t.gettext("The announcement was cancelled.")))
    if step == "aud" and draft.step == Step.AUDIENCE:
        if value == "all":
            draft.choose_everyone()
        elif value == "next":
            draft.step = Step.LANGUAGE
            return views.language_filter_screen(reader.t, _langs(context))
        elif is_topic(content, value):
            draft.toggle_topic(value)
        return views.audience_screen(reader.t, context.library.locale(reader.language), draft)
    if step == "lng" and draft.step == Step.LANGUAGE:
        draft.language = None if value == "all" else value if value in _langs(context) else None
        return _ask_next_version(context, reader, draft)
    if step == "skip" and draft.step == Step.MESSAGE and draft.asking == value:
        draft.versions.pop(value, None)
        return _ask_next_version(context, reader, draft, skipped=value)
    if step == "opt" and draft.step == Step.OPTIONS:
        if value == "silent":
            draft.silent = not draft.silent
        elif value == "protect":
            draft.protect = not draft.protect
        elif value == "now":
            draft.scheduled_at = None
            await _preview(update, context, reader, draft)
            return None
        elif value == "when":
            draft.step = Step.SCHEDULE
            return views.schedule_screen(reader.t)
        return views.options_screen(reader.t, draft)
    if step == "ok" and draft.step == Step.PREVIEW:
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
        if await context.storage.delete_meta(_draft_marker(user.id)):
            # The bot restarted while this admin was preparing an announcement: this message was meant for it.
            reader = await get_reader(update, context)
            if reader is not None:
                text = reader.t.gettext(
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
    reader = await get_reader(update, context)
    if reader is None:
        return
    if draft.step == Step.MESSAGE and draft.asking is not None:
        draft.versions[draft.asking] = (message.chat_id, message.message_id)
        await show(update, context, _ask_next_version(context, reader, draft))
    elif draft.step == Step.SCHEDULE:
        try:
            draft.scheduled_at = parse_schedule(message.text or "", dt.datetime.now(dt.UTC))
        except ScheduleError as exc:
            await show(update, context, views.schedule_screen(reader.t, exc.reason))
        else:
            await _preview(update, context, reader, draft)


async def _preview(update: Update, context: BotContext, reader: Reader, draft: Draft) -> None:
    """Show each version exactly as readers will get it, then the recipients and Confirm / Cancel."""
    t = reader.t
    chat = update.effective_chat
    assert chat is not None
    draft.step = Step.PREVIEW
    default = context.services.settings.default_language
    for code, (from_chat, message_id) in draft.versions.items():
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
            reply_markup=announcement_keyboard(PREVIEW_ID, frozenset(draft.topics), context.services.i18n.get(code)),
        )
    counts = await context.storage.count_audience(draft.topics, draft.language)
    summary = views.preview_screen(t, context.library.locale(reader.language), draft, counts, default)
    await context.bot.send_message(chat.id, summary.text, reply_markup=summary.keyboard)


async def _confirm(update: Update, context: BotContext, reader: Reader, draft: Draft) -> Screen:
    query = update.callback_query
    message = query.message if query else None
    status_chat = message.chat.id if isinstance(message, Message) else None
    status_message = message.message_id if isinstance(message, Message) else None
    announcement_id = await context.storage.create_announcement(draft.to_storage(status_chat, status_message))
    await _drop_draft(context, reader.user_id)
    engine = context.services.engine
    if engine is not None:
        engine.wake()
    logger.info("admin %s confirmed announcement %s", reader.user_id, announcement_id)
    return views.confirmed_screen(reader.t, announcement_id, draft.scheduled_at is not None)
