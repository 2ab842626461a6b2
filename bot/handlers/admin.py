"""Admins: /announce (audience → message per language → options → preview → confirm), /announcements, /stats,
/export.

To anyone not in ADMIN_IDS these commands behave like unknown commands (the attempt is logged by id only).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import logging
from typing import Any

from telegram import InlineKeyboardButton, InputFile, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ApplicationHandlerStop

from bot import impact_report
from bot.announce import (
    Draft,
    ScheduleError,
    Step,
    audience_label,
    figures_text,
    parse_schedule,
    progress_text,
    recipients_text,
)
from bot.broadcast import MarkupFor, Progress
from bot.callbacks import Action, Callback, pack
from bot.handlers.common import SERVICES_KEY, BotContext, Reader, Services, get_reader, show
from bot.i18n import I18n, Translator
from bot.impact import shown
from bot.keyboards import GENERAL_TOPIC, Keyboard, announcement_keyboard, checkbox, is_topic, language_name
from bot.limits import CAPTION_MAX
from bot.screens import Screen
from bot.storage import Announcement, DeliveryFigures

__all__ = [
    "ADMIN_COMMANDS",
    "announce_command",
    "announcements_command",
    "export_command",
    "on_admin_callback",
    "on_admin_message",
    "report_progress",
    "stats_command",
]

logger = logging.getLogger(__name__)

ADMIN_COMMANDS = ("announce", "announcements", "stats", "export", "cancel")
DRAFT_KEY = "announce_draft"
RECENT_ANNOUNCEMENTS = 8
PREVIEW_ID = 0  # the unsubscribe button in a preview points at no real announcement


def is_admin(context: BotContext, user_id: int | None) -> bool:
    """Whether ``user_id`` is in ADMIN_IDS."""
    return user_id is not None and user_id in context.services.settings.admin_ids


def _btn(text: str, step: str, value: str | int) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=pack(Action.ADMIN, step, value))


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


# --------------------------------------------------------------------------------------------- screens


def audience_screen(context: BotContext, reader: Reader, draft: Draft) -> Screen:
    t = reader.t
    content = context.library.locale(reader.language)
    rows = [[_btn(checkbox(draft.everyone) + " " + t.gettext("Everyone"), "aud", "all")]]
    general = t.gettext("General announcements")
    rows.append([_btn(f"{checkbox(GENERAL_TOPIC in draft.topics)} {general}", "aud", GENERAL_TOPIC)])
    rows += [[_btn(f"{checkbox(th.id in draft.topics)} {th.short_title}", "aud", th.id)] for th in content.themes]
    rows.append([_btn(t.gettext("Next ›"), "aud", "next"), _btn(t.gettext("Cancel"), "no", 0)])
    text = t.gettext("New announcement, step 1 of 4: who receives it? Choose everyone, or the subscribers of topics.")
    return Screen(html.escape(text), Keyboard(rows))


def language_filter_screen(context: BotContext, reader: Reader) -> Screen:
    t = reader.t
    rows = [[_btn(t.gettext("All languages"), "lng", "all")]]
    rows += [[_btn(t.gettext("Only {language}").format(language=language_name(c)), "lng", c)] for c in _langs(context)]
    rows.append([_btn(t.gettext("Cancel"), "no", 0)])
    text = t.gettext("Step 2 of 4: all readers, or only the readers of one language?")
    return Screen(html.escape(text), Keyboard(rows))


def ask_message_screen(context: BotContext, reader: Reader, draft: Draft) -> Screen:
    t = reader.t
    assert draft.asking is not None
    default = context.services.settings.default_language
    text = t.gettext(
        "Step 3 of 4: send the message in {language}: text, a photo or a document with a caption. "
        "It is delivered exactly as you send it."
    ).format(language=language_name(draft.asking))
    rows = []
    if draft.asking != default and draft.language is None:
        text += "\n\n" + t.gettext("Or skip: readers of this language then get the {default} version.").format(
            default=language_name(default)
        )
        rows.append([_btn(t.gettext("Skip"), "skip", draft.asking)])
    rows.append([_btn(t.gettext("Cancel"), "no", 0)])
    return Screen(html.escape(text), Keyboard(rows))


def options_screen(reader: Reader, draft: Draft) -> Screen:
    t = reader.t
    rows = [
        [_btn(checkbox(draft.silent) + " " + t.gettext("Silent (no notification sound)"), "opt", "silent")],
        [_btn(checkbox(draft.protect) + " " + t.gettext("Protect (no forwarding or saving)"), "opt", "protect")],
        [_btn(t.gettext("Send now"), "opt", "now"), _btn(t.gettext("Schedule…"), "opt", "when")],
        [_btn(t.gettext("Cancel"), "no", 0)],
    ]
    return Screen(html.escape(t.gettext("Step 4 of 4: options.")), Keyboard(rows))


def schedule_screen(reader: Reader, problem: str | None = None) -> Screen:
    t = reader.t
    text = t.gettext(
        "Send the date and time as YYYY-MM-DD HH:MM, with a time zone if it is not UTC, "
        "for example: 2026-12-01 09:00 Asia/Almaty"
    )
    if problem == "format":
        text = t.gettext("I could not read that date.") + "\n\n" + text
    elif problem == "zone":
        text = t.gettext("I do not know that time zone.") + "\n\n" + text
    elif problem == "past":
        text = t.gettext("That moment has already passed.") + "\n\n" + text
    elif problem == "range":
        text = t.gettext("That date is too far in the future.") + "\n\n" + text
    return Screen(html.escape(text), Keyboard([[_btn(t.gettext("Cancel"), "no", 0)]]))


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
    await show(update, context, audience_screen(context, reader, draft))


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
    t = reader.t
    storage = context.storage
    content = context.library.locale(reader.language)
    items = await storage.announcements(limit=RECENT_ANNOUNCEMENTS)
    if not items:
        return Screen(html.escape(t.gettext("No announcements yet. Start one with /announce.")))
    lines = [_bold(t.gettext("Recent announcements"))]
    rows: list[list[InlineKeyboardButton]] = []
    for item in items:
        head = t.gettext("#{id} · {when} · {audience}").format(
            id=item.id,
            when=_short_time(item.created_at),
            audience=audience_label(item.topics, item.language, content, t),
        )
        figures = await storage.delivery_figures(item.id)
        if item.state == "scheduled":
            # Nobody is queued before its time: figures would read "Sent: 0 of 0 … Waiting: 0".
            body = html.escape(t.gettext("Scheduled for {time}.").format(time=_short_time(item.scheduled_at)))
        else:
            body = progress_text(item, figures, 0.0, None, True, t)
        lines.append(f"\n<b>{html.escape(head)}</b>\n{body}")
        controls = _controls(item, t, figures.failed)
        chart = _btn(t.gettext("📊 #{id}").format(id=item.id), "achart", item.id)
        if item.state != "scheduled":  # a scheduled one has no deliveries to draw yet
            if controls:
                controls[0].append(chart)
            else:
                controls = [[chart]]
        rows += controls
    rows.append([_btn(t.gettext("↻ Refresh"), "list", 0)])
    return Screen("\n".join(lines), Keyboard(rows))


def _controls(item: Announcement, t: Translator, failed: int = 0) -> list[list[InlineKeyboardButton]]:
    row: list[InlineKeyboardButton] = []
    if item.state in ("running", "queued"):
        row.append(_btn(t.gettext("⏸ Pause #{id}").format(id=item.id), "pause", item.id))
    if item.state == "paused":
        row.append(_btn(t.gettext("▶ Resume #{id}").format(id=item.id), "resume", item.id))
    if item.state in ("scheduled", "queued", "running", "paused"):
        row.append(_btn(t.gettext("✕ Cancel #{id}").format(id=item.id), "cancel", item.id))
    if failed and item.state in ("running", "paused", "done"):
        # E.g. after an outage that outlasted the engine's horizon: the failed ones are sent again.
        row.append(_btn(t.gettext("↻ Retry failed #{id}").format(id=item.id), "retry", item.id))
    return [row] if row else []


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
    keyboard = Keyboard([[_btn(t.gettext("📊 Most-read sections"), "chart", "sections")]])
    await _send_photo(update, context, png, caption, keyboard)


async def _stats_screen(context: BotContext, reader: Reader) -> Screen:
    """Today's counters, readers per language, subscribers per theme, the last announcements."""
    await context.storage.flush_counters()  # today's figures include the last seconds
    t = reader.t
    storage = context.storage
    content = context.library.locale(reader.language)
    by_language = await storage.users_by_language()
    active = sum(n for (_, blocked), n in by_language.items() if not blocked)
    blocked = sum(n for (_, b), n in by_language.items() if b)
    today = await storage.day_counts(_today())
    lines = [_bold(t.gettext("Today (UTC)")), *map(html.escape, impact_report.today_lines(today, t)), ""]
    lines += [
        _bold(t.gettext("Readers")),
        html.escape(t.ngettext("{count} active reader", "{count} active readers", active).format(count=active)),
        html.escape(t.ngettext("{count} blocked the bot", "{count} blocked the bot", blocked).format(count=blocked)),
    ]
    languages: dict[str, int] = {}
    for (code, is_blocked), n in by_language.items():
        if not is_blocked:
            key = code or context.services.settings.default_language
            languages[key] = languages.get(key, 0) + n
    lines += [f"• {html.escape(language_name(code))}: {html.escape(shown(n))}" for code, n in sorted(languages.items())]
    per_topic = await storage.subscribers_per_topic()
    lines.append("\n" + _bold(t.gettext("Subscribers")))
    for theme in content.themes:
        count = per_topic.get(theme.id, 0)
        lines.append(f"• {html.escape(theme.short_title)}: {html.escape(shown(count))}")
    general = html.escape(shown(per_topic.get(GENERAL_TOPIC, 0)))
    lines.append("• " + html.escape(t.gettext("General announcements")) + f": {general}")
    recent = await storage.announcements(limit=3)
    if recent:
        lines.append("\n" + _bold(t.gettext("Last announcements")))
        for item in recent:
            figures = await storage.delivery_figures(item.id)
            lines.append(f"#{item.id}: " + html.escape(figures_text(figures, t)).replace("\n", " · "))
    return Screen("\n".join(lines))


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
    await context.bot.send_document(
        chat.id, InputFile(data, filename=name), caption=html.escape(caption[:CAPTION_MAX]), parse_mode=ParseMode.HTML
    )


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
        parse_mode=ParseMode.HTML,
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
            return language_filter_screen(context, reader)
        elif is_topic(content, value):
            draft.toggle_topic(value)
        return audience_screen(context, reader, draft)
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
            return schedule_screen(reader)
        return options_screen(reader, draft)
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
        return ask_message_screen(context, reader, draft)
    draft.step = Step.OPTIONS
    draft.asking = None
    return options_screen(reader, draft)


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
            await show(update, context, schedule_screen(reader, exc.reason))
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
            parse_mode=ParseMode.HTML,
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
    content = context.library.locale(reader.language)
    audience = audience_label(draft.topics, draft.language, content, t)
    lines = [
        _bold(t.gettext("Ready to send")),
        html.escape(t.gettext("To: {audience}").format(audience=audience)),
        html.escape(recipients_text(counts, t)),
    ]
    for code in counts:
        if code not in draft.versions:
            lines.append(
                html.escape(
                    t.gettext("{language} readers get the {default} version.").format(
                        language=language_name(code), default=language_name(default)
                    )
                )
            )
    flags = []
    if draft.silent:
        flags.append(t.gettext("silent"))
    if draft.protect:
        flags.append(t.gettext("protected"))
    if flags:
        lines.append(html.escape(", ".join(flags)))
    when = (
        t.gettext("Sends at {time} UTC.").format(time=draft.scheduled_at.strftime("%Y-%m-%d %H:%M"))
        if draft.scheduled_at
        else t.gettext("Sends as soon as you confirm.")
    )
    lines.append(html.escape(when))
    keyboard = Keyboard([[_btn(t.gettext("✓ Confirm"), "ok", 0), _btn(t.gettext("Cancel"), "no", 0)]])
    await context.bot.send_message(chat.id, "\n".join(lines), parse_mode=ParseMode.HTML, reply_markup=keyboard)


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
    t = reader.t
    text = (
        t.gettext("Announcement #{id} is scheduled. See /announcements.")
        if draft.scheduled_at
        else t.gettext("Announcement #{id} is being sent. This message shows the progress.")
    ).format(id=announcement_id)
    return Screen(html.escape(text))


# --------------------------------------------------------------------------------------------- delivery side


def make_markup_for(i18n: I18n) -> MarkupFor:
    """The engine's ``markup_for``: the unsubscribe button in the recipient's language."""

    def markup_for(announcement: Announcement, language: str) -> Keyboard:
        return announcement_keyboard(announcement.id, announcement.topics, i18n.get(language))

    return markup_for


async def report_progress(app: Any, announcement: Announcement, progress: Progress) -> None:
    """Edit the status message of ``announcement`` (in its admin's language)."""
    if announcement.status_chat is None or announcement.status_message is None:
        return
    services: Services = app.bot_data[SERVICES_KEY]
    admin = await services.storage.get_user(announcement.created_by)
    t = services.i18n.get(admin.language if admin else None)
    figures = DeliveryFigures(
        pending=progress.pending, sent=progress.sent, blocked=progress.blocked, failed=progress.failed
    )
    current = dataclasses.replace(announcement, state=progress.state)
    text = progress_text(current, figures, progress.rate, progress.eta_seconds, progress.final, t)
    keyboard = Keyboard(_controls(current, t)) if not progress.final else None
    try:
        await app.bot.edit_message_text(
            text,
            chat_id=announcement.status_chat,
            message_id=announcement.status_message,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard,
        )
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            logger.info("could not update the status of announcement %s: %s", announcement.id, exc.message)
    except TelegramError as exc:
        logger.info("could not update the status of announcement %s: %s", announcement.id, exc)


def _bold(text: str) -> str:
    return f"<b>{html.escape(text)}</b>"


def _short_time(iso: str | None) -> str:
    """``YYYY-MM-DD HH:MM UTC`` (stored times are UTC; the zone is said, as a reader may assume their own)."""
    if not iso:
        return "—"
    return iso.replace("T", " ")[:16] + " UTC"
