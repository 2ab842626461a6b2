"""What /stats and /export show from the anonymous counters: today's summary, the charts' data, the CSV.

Every count passes through ``impact.shown`` (text, CSV) or is left out of a chart when it is below
``impact.SMALL_COUNT``. Plain functions over ``Storage``: no Telegram here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from bot.content import LocaleContent
from bot.impact import charts
from bot.impact.counts import SMALL_COUNT, by_week, shown, weeks_back
from bot.languages.i18n import Translator
from bot.storage import DeliveryState, Storage
from bot.storage.tally import ABOUT, Metric

__all__ = [
    "CHART_WEEKS",
    "CSV_ENCODING",
    "TOP_SECTIONS",
    "delivery_png",
    "export_csv",
    "sections_png",
    "today_lines",
    "weekly_png",
]

CHART_WEEKS = 26  # about six months: enough to see a campaign's effect, few enough points for a phone
TOP_SECTIONS = 10
# UTF-8 with a byte order mark: Excel then reads Cyrillic and Uzbek Latin titles correctly; LibreOffice and
# Google Sheets ignore the mark.
CSV_ENCODING = "utf-8-sig"


def _note(t: Translator) -> str:
    return t.gettext("Counts under {threshold} are not shown.").format(threshold=SMALL_COUNT)


def today_lines(totals: dict[str, int], t: Translator) -> list[str]:
    """Today's figures, one ``label: count`` line each (small counts as ``< 5``)."""
    rows = [
        (t.gettext("Readers"), totals.get(Metric.ACTIVE.value, 0)),
        (t.gettext("New readers"), totals.get(Metric.NEW.value, 0)),
        (t.gettext("Page views"), totals.get("views", 0)),
        (t.gettext("Searches"), totals.get(Metric.SEARCH.value, 0)),
        (t.gettext("Deep links opened"), totals.get(Metric.LINK.value, 0)),
        (t.gettext("Shared from inline mode"), totals.get(Metric.SHARE.value, 0)),
        (t.gettext("Subscribed"), totals.get(Metric.SUBSCRIBE.value, 0)),
        (t.gettext("Unsubscribed"), totals.get(Metric.UNSUBSCRIBE.value, 0)),
        (t.gettext("Data erased with /forget"), totals.get(Metric.FORGET.value, 0)),
        (t.gettext("Offline files downloaded"), totals.get(Metric.DOWNLOAD.value, 0)),
    ]
    return [f"{label}: {shown(count)}" for label, count in rows]


async def weekly_png(storage: Storage, today: dt.date, names: dict[str, str], t: Translator) -> bytes | None:
    """Readers a day and page views per week by language, or None when there is nothing to draw."""
    # Complete weeks only: a week in progress would look like a drop in reading.
    weeks = weeks_back(today - dt.timedelta(days=today.weekday() + 1), CHART_WEEKS)
    readers = by_week(await storage.counters.metric_series(Metric.ACTIVE, weeks[0]), weeks)
    views = by_week(await storage.counters.page_view_series(weeks[0]), weeks)
    if not any(n >= SMALL_COUNT for series in (*readers.values(), *views.values()) for n in series):
        return None  # every point would be left out
    days = [7] * len(weeks)
    labels = charts.WeeklyLabels(
        title=t.gettext("Readers and page views per week"),  # complete weeks, Monday to Sunday
        readers=t.gettext("Readers a day (weekly average)"),
        views=t.gettext("Page views per week"),
        other=t.gettext("Other languages"),
        note=_note(t),
    )
    return await charts.render(charts.weekly_chart, weeks, days, readers, views, names, labels)


def _title(content: LocaleContent, theme_id: str, section_id: str) -> str:
    """``Theme › Section`` in the admin's language (ids, if the content no longer has them)."""
    if theme_id == ABOUT:
        return content.about.short_title
    theme = content.theme(theme_id)
    if theme is None:
        return f"{theme_id} › {section_id}" if section_id else theme_id
    section = theme.section(section_id) if section_id else None
    if section is None:
        return theme.short_title if not section_id else f"{theme.short_title} › {section_id}"
    return f"{theme.short_title} › {section.short_title}"


async def sections_png(storage: Storage, today: dt.date, content: LocaleContent, t: Translator) -> bytes | None:
    """The most-read sections over the chart's weeks, or None when there is nothing to draw."""
    since = weeks_back(today, CHART_WEEKS)[0]
    top = await storage.counters.top_sections(since, TOP_SECTIONS)
    rows = [(_title(content, theme, section), n) for theme, section, n in top]
    if not any(n >= SMALL_COUNT for _, n in rows):
        return None
    labels = charts.SectionsLabels(
        title=t.gettext("Most-read sections, last {weeks} weeks").format(weeks=CHART_WEEKS),
        axis=t.gettext("Page views"),
        note=_note(t),
    )
    return await charts.render(charts.sections_chart, rows, labels)


def delivery_states(t: Translator) -> dict[str, str]:
    """The outcomes an announcement's chart draws, with their labels."""
    return {
        DeliveryState.SENT: t.gettext("Delivered"),
        DeliveryState.BLOCKED: t.gettext("Blocked the bot"),
        DeliveryState.GONE: t.gettext("Account gone"),
        DeliveryState.FAILED: t.gettext("Failed"),
    }


async def delivery_png(storage: Storage, announcement_id: int, t: Translator) -> tuple[bytes | None, dict[str, int]]:
    """An announcement's outcomes over time, and each outcome's total (None: nothing settled yet)."""
    timeline = await storage.deliveries.timeline(announcement_id)
    totals: dict[str, int] = {}
    for _, state, count in timeline:
        totals[state] = totals.get(state, 0) + count
    if not timeline:
        return None, totals
    labels = charts.DeliveryLabels(
        title=t.gettext("Announcement #{id}: delivery").format(id=announcement_id),
        axis=t.gettext("Time (UTC)"),
        states=delivery_states(t),
        note=_note(t),
    )
    return await charts.render(charts.delivery_chart, timeline, labels), totals


async def export_csv(storage: Storage, content: LocaleContent, t: Translator) -> tuple[bytes, int]:
    """Page views per day × language × theme × section as CSV bytes (small counts as ``< 5``), and the rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180 line ends, as spreadsheets expect
    writer.writerow(
        [
            t.gettext("Day"),
            t.gettext("Language"),
            t.gettext("Theme"),
            t.gettext("Section"),
            t.gettext("Title"),
            t.gettext("Page views"),
        ]
    )
    rows = await storage.counters.page_view_rows()
    for day, language, theme, section, views in rows:
        writer.writerow([day, language, theme, section, _title(content, theme, section), shown(views)])
    return out.getvalue().encode(CSV_ENCODING), len(rows)
