"""Admins' charts as PNG bytes: plain data and already-translated labels in, an image out.

matplotlib (Agg backend, no pyplot: no global figure state) is imported on the first drawing, so start-up
and readers never pay for it. The functions are synchronous and CPU-bound: callers run them off the event
loop (``render``). Sized for a phone: large type, at most ``SERIES_MAX`` lines per panel, small counts left out.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import textwrap
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.impact.counts import suppressed

__all__ = [
    "SERIES_MAX",
    "DeliveryLabels",
    "SectionsLabels",
    "WeeklyLabels",
    "delivery_chart",
    "render",
    "sections_chart",
    "weekly_chart",
]

SERIES_MAX = 4  # languages drawn one by one; the others are added up as one "other" line
SIZE_INCHES = (7.0, 8.5)  # portrait, like a phone screen
DPI = 140  # about 980 × 1190 px: sharp on a phone, well under Telegram's photo limits
TITLE_PT, LABEL_PT, TICK_PT = 19, 15, 13
COLORS = ("#1b6ca8", "#e07b00", "#2a9d55", "#b8336a", "#777777")

T = TypeVar("T")

# One chart at a time (per event loop): a burst of /stats taps queues here instead of taking every core
# from the readers.
_drawing: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


async def render(draw: Callable[..., T], *args: Any) -> T:
    """Run a drawing function in a worker thread, one drawing at a time."""
    gate = _drawing.setdefault(asyncio.get_running_loop(), asyncio.Semaphore(1))
    async with gate:
        return await asyncio.to_thread(draw, *args)


@dataclass(frozen=True, slots=True)
class WeeklyLabels:
    """Texts of the readers and page views chart."""

    title: str
    readers: str  # the upper panel: readers a day, weekly average
    views: str  # the lower panel: page views per week
    other: str  # the line that adds up the smaller languages
    note: str  # small counts are not drawn


@dataclass(frozen=True, slots=True)
class SectionsLabels:
    """Texts of the most-read sections chart."""

    title: str
    axis: str
    note: str


@dataclass(frozen=True, slots=True)
class DeliveryLabels:
    """Texts of an announcement's delivery chart."""

    title: str
    axis: str  # the time axis
    states: dict[str, str]  # sent, blocked, gone, failed -> label
    note: str


def _figure(rows: int = 1) -> tuple[Any, list[Any]]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    # The bottom 3 % is left for the note at the foot.
    figure = Figure(figsize=SIZE_INCHES, dpi=DPI, layout=ConstrainedLayoutEngine(rect=(0, 0.03, 1, 0.97)))
    axes = figure.subplots(rows, 1, squeeze=False)[:, 0]
    for ax in axes:
        ax.tick_params(labelsize=TICK_PT)
        ax.grid(axis="y", alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
    return figure, list(axes)


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _hidden(values: Sequence[float]) -> list[float]:
    """Small counts become gaps (NaN is not drawn)."""
    return [float("nan") if suppressed(round(v)) else v for v in values]


def _top(series: dict[str, list[int]], names: dict[str, str], other: str) -> list[tuple[str, list[int]]]:
    """The ``SERIES_MAX`` biggest series by name, the rest added up under ``other``."""
    ranked = sorted(series.items(), key=lambda kv: (-sum(kv[1]), kv[0]))
    if len(ranked) <= SERIES_MAX + 1:
        return [(names.get(code, code), values) for code, values in ranked]
    kept = [(names.get(code, code), values) for code, values in ranked[:SERIES_MAX]]
    rest = [sum(column) for column in zip(*(values for _, values in ranked[SERIES_MAX:]), strict=True)]
    return [*kept, (other, rest)]


def weekly_chart(
    weeks: list[dt.date],
    days_per_week: list[int],
    readers: dict[str, list[int]],
    views: dict[str, list[int]],
    names: dict[str, str],
    labels: WeeklyLabels,
) -> bytes:
    """Readers a day (weekly average) and page views per week, one line per language."""
    figure, (top, bottom) = _figure(2)
    figure.suptitle(labels.title, fontsize=TITLE_PT, fontweight="bold")
    for ax, data, heading, average in ((top, readers, labels.readers, True), (bottom, views, labels.views, False)):
        for n, (name, sums) in enumerate(_top(data, names, labels.other)):
            # A week's sum below the threshold is left out, whatever its average.
            values = [
                float("nan") if suppressed(s) else (s / max(days, 1) if average else float(s))
                for s, days in zip(sums, days_per_week, strict=True)
            ]
            ax.plot(weeks, values, marker="o", markersize=4, linewidth=2.5, label=name, color=COLORS[n % len(COLORS)])
        ax.set_title(heading, fontsize=LABEL_PT, loc="left")
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=TICK_PT, frameon=False, loc="upper left")
        ax.xaxis.set_major_formatter(_day_month())
    figure.text(0.01, 0.003, labels.note, fontsize=TICK_PT - 2, color="#555555")
    return _png(figure)


def _day_month() -> Any:
    from matplotlib.dates import DateFormatter

    return DateFormatter("%d.%m")  # numbers only: no month names to translate


def sections_chart(rows: list[tuple[str, int]], labels: SectionsLabels) -> bytes:
    """The most-read sections as horizontal bars, the most read on top (small counts left out)."""
    kept = [(name, count) for name, count in rows if not suppressed(count)]
    figure, (ax,) = _figure(1)
    figure.suptitle(labels.title, fontsize=TITLE_PT, fontweight="bold")
    names = ["\n".join(textwrap.wrap(name, 26)[:2]) for name, _ in reversed(kept)]
    counts = [count for _, count in reversed(kept)]
    bars = ax.barh(names, counts, color=COLORS[0])
    ax.bar_label(bars, padding=4, fontsize=TICK_PT)
    ax.set_xlabel(labels.axis, fontsize=LABEL_PT)
    ax.tick_params(axis="y", labelsize=TICK_PT - 1)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", alpha=0.3)
    ax.margins(x=0.15)
    figure.text(0.01, 0.003, labels.note, fontsize=TICK_PT - 2, color="#555555")
    return _png(figure)


def delivery_chart(timeline: list[tuple[str, str, int]], labels: DeliveryLabels) -> bytes:
    """Each outcome's running total over time, from ``(UTC minute, state, count)`` rows."""
    minutes = sorted({minute for minute, _, _ in timeline})
    figure, (ax,) = _figure(1)
    figure.suptitle(labels.title, fontsize=TITLE_PT, fontweight="bold")
    times = [dt.datetime.fromisoformat(m) for m in minutes]
    for n, (state, label) in enumerate(labels.states.items()):
        per_minute = {minute: count for minute, s, count in timeline if s == state}
        total, running = 0, []
        for minute in minutes:
            total += per_minute.get(minute, 0)
            running.append(float(total))
        peak = round(max(abs(v) for v in running))
        if peak and not suppressed(peak):  # an outcome that stayed small gets no line (and no legend entry)
            ax.step(times, _hidden(running), where="post", linewidth=3, label=label, color=COLORS[n % len(COLORS)])
    from matplotlib.dates import DateFormatter

    ax.xaxis.set_major_formatter(DateFormatter("%H:%M"))
    ax.set_xlabel(labels.axis, fontsize=LABEL_PT)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=TICK_PT, frameon=False, loc="upper left")
    figure.text(0.01, 0.003, labels.note, fontsize=TICK_PT - 2, color="#555555")
    return _png(figure)
