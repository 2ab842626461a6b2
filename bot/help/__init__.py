"""Where to get help: a directory of services by country, the "staying safe" page, and discreet mode.

``install`` loads the data (``content/help.yaml``, ``content/staying-safe.yaml``) into the application and
returns the buttons the reading screens carry into the feature; ``handlers`` are registered by the composition
root before the reading menus' catch-all; ``neutral_message`` is what the delivery engine sends a reader in
discreet mode instead of the announcement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.content import ContentError, ContentProblem
from bot.help.directory import HELP_FILE, Directory, check_directory, with_derived_languages
from bot.help.handlers import VIEWS_KEY, handlers
from bot.help.stats import stats_html
from bot.help.staying_safe import STAYING_SAFE_FILE, load_staying_safe, staying_safe_problems
from bot.help.views import HelpButtons, HelpViews, neutral_keyboard, neutral_text
from bot.languages.i18n import I18n
from bot.reading.keyboards import Keyboard
from bot.storage import Announcement

__all__ = [
    "Directory",
    "HelpButtons",
    "check_directory",
    "handlers",
    "install",
    "neutral_message",
    "stats_html",
    "staying_safe_problems",
    "views_of",
]


def install(
    app: Application[Any, Any, Any, Any, Any, Any], content_root: Path, languages: Iterable[str], i18n: I18n
) -> HelpButtons:
    """Load the directory and the staying-safe page into ``app``; raise ``ContentError`` if either is invalid."""
    codes = tuple(languages)
    directory, problems, _ = check_directory(content_root, codes, dt.datetime.now(dt.UTC).date())
    found = [ContentProblem(HELP_FILE, p.path, p.message) for p in problems]
    found += [ContentProblem(STAYING_SAFE_FILE, "", p) for p in staying_safe_problems(content_root, codes)]
    if directory is None or found:
        raise ContentError(found)
    directory = with_derived_languages(directory, content_root, codes)
    app.bot_data[VIEWS_KEY] = HelpViews(directory, i18n, load_staying_safe(content_root, codes))
    return HelpButtons(directory, i18n)


def views_of(app: Application[Any, Any, Any, Any, Any, Any]) -> HelpViews:
    """The feature's views (its directory) installed in ``app``."""
    views: HelpViews = app.bot_data[VIEWS_KEY]
    return views


def neutral_message(i18n: I18n, announcement: Announcement, language: str) -> tuple[str, Keyboard]:
    """The neutral message for a reader in discreet mode: no theme, no word of the announcement."""
    t = i18n.get(language)
    return neutral_text(t), neutral_keyboard(announcement.id, t)
