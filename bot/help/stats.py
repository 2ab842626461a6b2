"""The help directory's line in /stats: how often each country's list was opened, small counts as "< 5"."""

from __future__ import annotations

import datetime as dt
import html

from bot.help.directory import Directory
from bot.impact import shown
from bot.languages.i18n import Translator
from bot.storage import Storage

__all__ = ["STATS_DAYS", "stats_html"]

STATS_DAYS = 30


async def stats_html(storage: Storage, directory: Directory, t: Translator, today: dt.date) -> str:
    """Opens per country over the last ``STATS_DAYS`` days (anonymous daily counts: nobody is stored)."""
    since = today - dt.timedelta(days=STATS_DAYS - 1)
    opens = await storage.safety.help_opens(since.isoformat())
    title = t.ngettext(
        "Help directory: lists opened in the last {count} day",
        "Help directory: lists opened in the last {count} days",
        STATS_DAYS,
    ).format(count=STATS_DAYS)
    lines = [f"<b>{html.escape(title)}</b>"]
    for country in directory.countries:
        count = opens.get(country.code, 0)
        lines.append(f"• {html.escape(country.name(t.code))}: {html.escape(shown(count))}")
    return "\n".join(lines)
