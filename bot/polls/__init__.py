"""Polls to subscribers and "was this useful?" at the end of each section: counted, never linked to a person.

Polls are announcements (the /announce wizard offers them; the delivery engine copies the poll's message with
its options as inline buttons, ``PollBook.markup``). Answers are counts per poll x language version x option;
a reader's current answer lives in their own message's buttons (signed with the bot's key), never in the
database. See the README's privacy section for what is stored.

``install`` puts the feature's state into the application and hooks "was this useful?" and /forget into
reading (bot/reading/hooks.py); ``handlers`` are registered by the composition root.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.polls.admin import export, poll_screen, stats_html
from bot.polls.book import PollBook, close_due
from bot.polls.domain import (
    CLOSE_DAYS,
    CLOSES_CHOICE,
    OPTION_MAX,
    OPTIONS_MAX,
    OPTIONS_MIN,
    POLL_CHOICE,
    QUESTION_MAX,
    Keys,
    PollProblem,
    PollVersion,
    load_key,
    parse_poll,
)
from bot.polls.handlers import BOOK_KEY, CLOCK_KEY, book_of, forget_reader, handlers, now, with_useful
from bot.polls.store import PollStore
from bot.polls.views import poll_keyboard, poll_text
from bot.reading.hooks import hooks_of

__all__ = [
    "CLOCK_KEY",
    "CLOSES_CHOICE",
    "CLOSE_DAYS",
    "OPTIONS_MAX",
    "OPTIONS_MIN",
    "OPTION_MAX",
    "POLL_CHOICE",
    "QUESTION_MAX",
    "PollBook",
    "PollProblem",
    "PollStore",
    "PollVersion",
    "book_of",
    "close_due",
    "export",
    "forget_reader",
    "handlers",
    "install",
    "key_path",
    "now",
    "parse_poll",
    "poll_keyboard",
    "poll_screen",
    "poll_text",
    "stats_html",
    "with_useful",
]


def key_path(database_path: Path) -> Path:
    """Where the feature's key lives: beside the database, never inside it (a backup copies only the database)."""
    return database_path.with_name(database_path.name + ".key")


def install(app: Application[Any, Any, Any, Any, Any, Any], database_path: Path, default_language: str) -> PollBook:
    """Load (or make) the key and put the feature's state into ``app``."""
    book = PollBook(Keys(load_key(key_path(database_path))), default_language)
    app.bot_data[BOOK_KEY] = book
    hooks = hooks_of(app)
    hooks.section_page.append(with_useful)  # "was this useful?" under a section's last page
    hooks.forget.append(forget_reader)  # /forget: which sections the reader rated (not how) goes too
    return book
