"""Reader latency while /stats draws charts, and what counting costs on the reader's path.

The harness of ``bench/reading.py`` (updates fed to ``process_update``, Bot API answered in-process, one core,
100,000 users), with 26 weeks of counters for the demo's scripted population. Menu navigation is measured
three ways: alone; while the weekly chart is drawn again and again the way /stats draws it (a worker thread);
and, for comparison, while it is drawn on the event loop itself (what the bot does not do).

Run: ``.venv/bin/python bench/stats.py [--updates N] [--users N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from reading import NAVIGATION, TOKEN, InstantRequest, callback_update, measure, summary  # type: ignore[import-not-found]

from bench.population import add_users_bulk
from bot.app import build_application, load_static, start_application, stop_application
from bot.config import Settings
from bot.impact import charts
from bot.impact.summary import weekly_png
from bot.ops.demo import seed_population
from bot.reading.context import SERVICES_KEY

P99_TARGET_MS = 20.0  # the reading benchmark's target (README, Benchmarks)
ON_LOOP_UPDATES = 50


async def draw_forever(storage: Any, t: Any, stop: asyncio.Event, on_loop: bool, times: list[float]) -> None:
    """Draw the weekly chart until ``stop``, off the loop (as /stats does) or on it."""
    today = dt.datetime.now(dt.UTC).date()
    names = {"ru": "Русский", "kk": "Қазақ тілі", "uz": "Oʻzbek", "ky": "Кыргызча", "en": "English"}
    while not stop.is_set():
        start = time.perf_counter()
        if on_loop:
            original = charts.render

            async def inline(draw: Any, *args: Any) -> Any:
                return draw(*args)

            charts.render = inline
            try:
                await weekly_png(storage, today, names, t)
            finally:
                charts.render = original
        else:
            await weekly_png(storage, today, names, t)
        times.append(time.perf_counter() - start)
        await asyncio.sleep(0)


async def counting_cost(storage: Any, n: int) -> tuple[float, float]:
    """Microseconds per event: a tally increment, and one UPSERT per event (the alternative)."""
    start = time.perf_counter()
    for i in range(n):
        storage.counters.tally.page("ru", "gbv", f"s{i % 7}")
    tally_us = (time.perf_counter() - start) / n * 1e6
    await storage.counters.flush()
    start = time.perf_counter()
    for i in range(n):
        await storage.database.execute_write(
            "INSERT INTO page_views (day, language, theme, section, views) VALUES ('2000-01-01', 'ru', 'gbv', ?, 1) "
            "ON CONFLICT (day, language, theme, section) DO UPDATE SET views = views + 1",
            (f"s{i % 7}",),
        )
    upsert_us = (time.perf_counter() - start) / n * 1e6
    return tally_us, upsert_us


async def run(updates: int, users: int) -> None:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(token=TOKEN, database_path=Path(tmp) / "bench.sqlite3")
        static = load_static(settings)
        app = build_application(
            settings, static=static, request=InstantRequest(), sync_bot_profile=False, broadcast=False
        )
        await start_application(app)
        services = app.bot_data[SERVICES_KEY]
        storage = services.storage
        await add_users_bulk(storage, range(1, users + 1), "ru")
        await seed_population(storage, services.content.get("en"), dt.datetime.now(dt.UTC).date())
        t = services.i18n.get("en")

        def navigate(i: int) -> dict[str, Any]:
            return callback_update(i, rng.randint(1, users), rng.choice(NAVIGATION))

        await measure(app, navigate, 300)  # warm up (and import matplotlib once, as the first /stats would)
        await weekly_png(storage, dt.datetime.now(dt.UTC).date(), {}, t)

        rows = [summary("alone", await measure(app, navigate, updates))]
        # On the loop every update waits for a whole chart: a few hundred updates tell the story.
        for label, on_loop, count in (
            ("chart in a thread", False, updates),
            ("chart on the loop", True, ON_LOOP_UPDATES),
        ):
            stop, times = asyncio.Event(), list[float]()
            drawer = asyncio.create_task(draw_forever(storage, t, stop, on_loop, times))
            await asyncio.sleep(0)
            result = summary(label, await measure(app, navigate, count))
            stop.set()
            await drawer
            result["charts"] = len(times)
            result["chart_s"] = sum(times) / max(len(times), 1)
            rows.append(result)
        tally_us, upsert_us = await counting_cost(storage, 2000)
        async with storage.database.connection.execute(
            "SELECT count(*) FROM daily_counts WHERE metric = ?", ("active",)
        ) as c:
            days = (await c.fetchone())[0]
        await stop_application(app)

    print(
        f"menu navigation, {updates} updates per row ({ON_LOOP_UPDATES} for the last), {users:,} users, "
        f"{days} language-days of counters, one core"
    )
    print(f"{'while':<20}{'median ms':>11}{'p99 ms':>9}{'charts drawn':>14}{'s per chart':>13}")
    for r in rows:
        drawn = f"{r['charts']}" if "charts" in r else "—"
        per = f"{float(r['chart_s']):.2f}" if "chart_s" in r else "—"
        print(f"{r['flow']:<20}{float(r['median_ms']):>11.3f}{float(r['p99_ms']):>9.2f}{drawn:>14}{per:>13}")
    verdict = "within" if float(rows[1]["p99_ms"]) <= P99_TARGET_MS else "OVER"
    print(f"reader p99 while a chart is drawn in a thread: {verdict} the {P99_TARGET_MS:g} ms target")
    print(f"counting one page view: {tally_us:.2f} µs in the tally, {upsert_us:.0f} µs as one UPSERT per event")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--users", type=int, default=100_000)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    asyncio.run(run(args.updates, args.users))


if __name__ == "__main__":
    main()
