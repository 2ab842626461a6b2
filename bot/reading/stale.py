"""A pressed button, read once for every feature: a button from before /forget starts afresh, stale or forged
data gets a fresh menu, and a button nobody's pattern took (``on_stale_button``) the same."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from telegram import Update

from bot.reading.context import BotContext, Reader, show
from bot.reading.screens import Screen

__all__ = ["expired", "fresh_start", "main_menu", "on_stale_button", "pressed"]

P = TypeVar("P")


def main_menu(context: BotContext, reader: Reader) -> Screen:
    """The main menu, offering the language picker until the reader has chosen."""
    return context.screens.main_menu(reader.language, not reader.chosen)


async def pressed(update: Update, context: BotContext, read: Callable[[str | None], P | None]) -> P | None:
    """The payload of the pressed button as ``read`` reads it; None when this already answered: a button from
    before /forget (a fresh start, storing nothing again) or stale or forged data (a fresh menu)."""
    query = update.callback_query
    if query is None:
        return None
    reader = context.reader
    if reader.stranger:
        await fresh_start(update, context, reader)
        return None
    payload = read(query.data)
    if payload is None:
        await expired(update, context, reader)
    return payload


async def on_stale_button(update: Update, context: BotContext) -> None:
    """Any button no feature took (another version of the bot's, or forged): a fresh menu."""
    if update.callback_query is None:
        return
    reader = context.reader
    await (fresh_start if reader.stranger else expired)(update, context, reader)


async def expired(update: Update, context: BotContext, reader: Reader) -> None:
    """A button from an old menu or another version of the bot: say so, and show a fresh menu."""
    query = update.callback_query
    if query is None:
        return
    await query.answer(reader.t.gettext("This menu has expired. Here is a fresh one."))
    await show(update, context, main_menu(context, reader))


async def fresh_start(update: Update, context: BotContext, reader: Reader) -> None:
    """The newcomer's start (the language picker), for someone the bot no longer knows."""
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    note = reader.t.gettext("Your data was erased, so the bot starts afresh.")
    await show(update, context, context.screens.with_note(main_menu(context, reader), note))
