"""A reader reports a problem with a page: what is wrong, an optional comment, then a message to the admins.

The bot logs none of a report's text, and stores only which items were reported, in which language, on which
day (no reader id, no comment): the report itself lives only in the admins' Telegram chat.
"""

from __future__ import annotations

import datetime as dt
import html
import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot.languages.i18n import Translator
from bot.reading.context import BotContext, Reader, show
from bot.reading.deeplinks import DeepLink, start_url
from bot.reading.keyboards import report_kind_labels
from bot.reading.stale import expired, pressed
from bot.reports import buttons
from bot.reports.buttons import ABOUT_PAGE, ReportKind, ReportPage, ReportSend, ReportWhat
from bot.reports.desk import COMMENT_MAX_CHARS, Report, desk_of

__all__ = ["comment_handler", "handlers", "on_report_button", "on_report_comment", "report_html"]

logger = logging.getLogger(__name__)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    """The report buttons' handler (``buttons.PATTERN``)."""
    return [CallbackQueryHandler(on_report_button, pattern=buttons.PATTERN)]


def comment_handler() -> BaseHandler[Update, BotContext, None]:
    """A reader's plain message in a private chat, for the group that runs before commands and search: while
    their report waits for a comment, it is that comment (``on_report_comment``)."""
    private_text = filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE
    return MessageHandler(private_text, on_report_comment)


async def on_report_button(update: Update, context: BotContext) -> None:
    """The report buttons under a page and on the report's own screens."""
    payload: ReportPage | ReportWhat | ReportSend | None = await pressed(update, context, buttons.read)
    if payload is not None and not await on_report_callback(update, context, context.reader, payload):
        await expired(update, context, context.reader)


async def on_report_callback(
    update: Update, context: BotContext, reader: Reader, payload: ReportPage | ReportWhat | ReportSend
) -> bool:
    """The Report buttons; return False for a payload that names no real page (the menu has expired)."""
    query = update.callback_query
    assert query is not None
    screens, desk, t = context.screens, desk_of(context.bot_data), reader.t
    match payload:
        case ReportSend():
            report = desk.take(reader.user_id)
            if report is None:
                return False
            await query.answer()
            await _deliver(update, context, reader, report, comment=None)
            return True
        case ReportPage(theme_id, section_id, page):
            screen = screens.report_kinds(reader.language, theme_id, section_id, page)
            if screen is None:
                return False
            if not desk.allowed(reader.user_id):
                await query.answer(_too_many(t), show_alert=True)
                return True
            await query.answer()
            await show(update, context, screen)
            return True
    kind_text, theme_id, section_id, page = payload.kind, payload.theme, payload.section, payload.page
    items = screens.page_items(reader.language, theme_id, section_id, page)
    if items is None or kind_text not in ReportKind.__members__.values():
        return False
    if not desk.allowed(reader.user_id):
        await query.answer(_too_many(t), show_alert=True)
        return True
    report = Report(ReportKind(kind_text), reader.language, theme_id, section_id, page, items)
    desk.wait_for_comment(reader.user_id, report)
    await query.answer()
    await show(update, context, screens.report_comment(reader.language, theme_id, section_id, page))
    return True


async def on_report_comment(update: Update, context: BotContext) -> None:
    """A reader's message while their report waits for a comment: it is the comment (and nothing else)."""
    user = update.effective_user
    message = update.effective_message
    if user is None or message is None or message.text is None:
        return
    if not desk_of(context.bot_data).waiting(user.id):
        return  # not reporting: the message goes on to the other handlers (a search, an admin's draft…)
    report = desk_of(context.bot_data).take(user.id)
    if report is None:
        return
    reader = context.reader
    await _deliver(update, context, reader, report, comment=message.text[:COMMENT_MAX_CHARS])
    raise ApplicationHandlerStop


async def _deliver(update: Update, context: BotContext, reader: Reader, report: Report, comment: str | None) -> None:
    """Send the report to the reports chat (or each admin), then thank the reader on the page they read."""
    services = context.services
    settings = services.settings
    targets = [settings.reports_chat_id] if settings.reports_chat_id is not None else sorted(settings.admin_ids)
    text = report_html(report, comment, services.i18n.get(settings.default_language), context)
    delivered = 0
    for chat_id in targets:
        try:
            await context.bot.send_message(chat_id, text)
            delivered += 1
        except TelegramError as exc:
            # The error names the chat, never the report's text.
            logger.warning("could not deliver a reader's report to chat %s: %s", chat_id, exc.__class__.__name__)
    t = reader.t
    if delivered:
        desk_of(context.bot_data).record_sent(reader.user_id)
        # For the translators' list (brief-bot translations export --reported): item ids, language, day only.
        if report.theme_id != ABOUT_PAGE:
            await services.storage.reported.record(
                report.language, report.theme_id, report.item_ids, dt.datetime.now(dt.UTC).date()
            )
        note = t.gettext("Thank you! Your report was sent to the bot's team.")
    elif targets:
        note = t.gettext("Sorry, the report could not be delivered just now. Please try again later.")
    else:
        note = t.gettext("Sorry, the report could not be delivered: nobody receives reports on this bot yet.")
    page = services.screens.page_screen(reader.language, report.theme_id, report.section_id, report.page)
    screen = services.screens.with_note(page, note) if page is not None else None
    if screen is not None:
        await show(update, context, screen)


def _too_many(t: Translator) -> str:
    return t.gettext("You have sent several reports in the last hour. Please try again later.")


def report_html(report: Report, comment: str | None, t: Translator, context: BotContext) -> str:
    """The admins' message: what is wrong, where (language, theme, section, page, item ids), the comment."""
    kinds = report_kind_labels(t)
    library, names = context.library, context.screens.names
    if report.theme_id == ABOUT_PAGE:
        where = t.gettext("About the brief, page {page}").format(page=report.page + 1)
    else:
        place = library.place(t.code, report.theme_id, report.section_id)
        titles = f"{place[0].short_title} › {place[1].short_title}" if place else report.theme_id
        where = t.gettext("{titles}, page {page}").format(titles=titles, page=report.page + 1)
    title = t.gettext("A reader reports a problem: {kind}").format(kind=kinds[report.kind])
    lines = [
        f"<b>⚠ {html.escape(title)}</b>",
        html.escape(
            t.gettext("Language: {language}").format(
                language=f"{names.get(report.language, report.language)} ({report.language})"
            )
        ),
        html.escape(where),
        f"<code>{html.escape(report.theme_id)} / {html.escape(report.section_id)}"
        + (f" / {html.escape(', '.join(report.item_ids))}" if report.item_ids else "")
        + "</code>",
    ]
    if context.bot.username:
        link = DeepLink(report.theme_id, report.section_id, page=report.page, language=report.language)
        label = t.gettext("Open this page as the reader sees it")
        lines.append(f'<a href="{html.escape(start_url(context.bot.username, link))}">{html.escape(label)}</a>')
    if comment:
        lines += ["", html.escape(t.gettext("Comment:")), f"<i>{html.escape(comment)}</i>"]
    return "\n".join(lines)
