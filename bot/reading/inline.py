"""Inline mode: ``@bot words`` in any chat lists matching items to share, each with a link back to the bot."""

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

from bot.content.markup import to_html
from bot.reading import deeplinks
from bot.reading.context import BotContext
from bot.reading.deeplinks import DeepLink
from bot.reading.render import snippet
from bot.reading.search import check_query, without_lone_surrogates
from bot.storage.tally import Metric
from bot.telegram.limits import INLINE_RESULTS_MAX, TEXT_MAX

__all__ = ["on_chosen_inline_result", "on_inline_query"]

logger = logging.getLogger(__name__)

INLINE_RESULTS = 10  # enough to choose from on a phone; well under Telegram's INLINE_RESULTS_MAX
assert INLINE_RESULTS <= INLINE_RESULTS_MAX
INLINE_CACHE_SECONDS = 300  # the brief changes rarely: let Telegram cache answers for a few minutes


async def on_inline_query(update: Update, context: BotContext) -> None:
    """``@bot words`` in any chat: matching items in the user's language, each with a link back."""
    query = update.inline_query
    if query is None:
        return
    reader = context.reader  # looked up, never stored (bot/reading/context.py peek_reader)
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
    context.storage.counters.tally.count(Metric.SHARE, context.reader.language)
