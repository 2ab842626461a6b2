"""The /stats text: today's counters, readers per language, subscribers per theme, the last announcements."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from bot.announcing import bold, figures_text
from bot.content import LocaleContent
from bot.impact import summary as impact_report
from bot.impact.counts import shown
from bot.languages.i18n import Translator
from bot.reading.keyboards import GENERAL_TOPIC, language_name
from bot.reading.screens import Screen
from bot.storage import DeliveryFigures

__all__ = ["stats_screen"]


def stats_screen(
    t: Translator,
    content: LocaleContent,
    default_language: str,
    today: dict[str, int],
    by_language: Mapping[tuple[str | None, bool], int],
    per_topic: Mapping[str, int],
    recent: Sequence[tuple[int, DeliveryFigures]],
) -> Screen:
    """Today's counters, readers per language, subscribers per theme, the last announcements' figures."""
    active = sum(n for (_, blocked), n in by_language.items() if not blocked)
    blocked = sum(n for (_, b), n in by_language.items() if b)
    lines = [bold(t.gettext("Today (UTC)")), *map(html.escape, impact_report.today_lines(today, t)), ""]
    lines += [
        bold(t.gettext("Readers")),
        html.escape(t.ngettext("{count} active reader", "{count} active readers", active).format(count=active)),
        html.escape(t.ngettext("{count} blocked the bot", "{count} blocked the bot", blocked).format(count=blocked)),
    ]
    languages: dict[str, int] = {}
    for (code, is_blocked), n in by_language.items():
        if not is_blocked:
            key = code or default_language
            languages[key] = languages.get(key, 0) + n
    lines += [f"• {html.escape(language_name(code))}: {html.escape(shown(n))}" for code, n in sorted(languages.items())]
    lines.append("\n" + bold(t.gettext("Subscribers")))
    for theme in content.themes:
        count = per_topic.get(theme.id, 0)
        lines.append(f"• {html.escape(theme.short_title)}: {html.escape(shown(count))}")
    general = html.escape(shown(per_topic.get(GENERAL_TOPIC, 0)))
    lines.append("• " + html.escape(t.gettext("General announcements")) + f": {general}")
    if recent:
        lines.append("\n" + bold(t.gettext("Last announcements")))
        for announcement_id, figures in recent:
            lines.append(f"#{announcement_id}: " + html.escape(figures_text(figures, t)).replace("\n", " · "))
    return Screen("\n".join(lines))
