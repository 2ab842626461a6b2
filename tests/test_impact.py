"""Anonymous counters, the figures shown from them (/stats, charts, /export) and their retention."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sqlite3
from collections.abc import Awaitable
from pathlib import Path

import pytest

from bench.population import add_users_bulk
from bot.announcing.services import engine_of
from bot.impact import charts
from bot.impact.counts import SMALL_COUNT, shown
from bot.impact.summary import CSV_ENCODING
from bot.reading.callbacks import Action, pack
from bot.storage import AnnouncementDraft, DeliveryState, Outcome, Storage
from bot.storage.tally import Metric, PageKey, Tally, flush_periodically
from emulator import EmulatedUser
from tests.conftest import ADMIN_ID, BotEnv

COUNTER_TABLES = ("page_views", "daily_counts", "delivery_timeline")
SECRET_WORDS = "насилия zqxwvfjord"  # a search nobody else would type: it must be stored nowhere
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PNG = b"\x89PNG\r\n\x1a\n"


async def _reply(user: EmulatedUser, action: Awaitable[object]) -> None:
    await action
    await user.wait_reply()


async def _read_like_a_person(user: EmulatedUser, n: int) -> None:
    """A reader's session: start (some through a shared link), a theme, a section, a search, a subscription."""
    await _reply(user, user.send("/start i_gbv_barriers-1" if n % 3 == 0 else "/start"))
    await _reply(user, user.press_data(pack(Action.THEME, "gbv")))
    await _reply(user, user.press_data(pack(Action.SECTION, "gbv", "barriers", 0)))
    await _reply(user, user.send(SECRET_WORDS))
    if n % 2 == 0:
        await user.press_data(pack(Action.TOGGLE, "gbv", "t"))
        await user.wait_answer()


async def test_a_session_of_many_readers_leaves_no_person_in_the_counters(env: BotEnv, tmp_path: Path) -> None:
    ru = [env.emu.user(700_001 + n, language_code="ru") for n in range(30)]
    kk = [env.emu.user(710_001 + n, language_code="kk") for n in range(3)]  # a small village
    for n, user in enumerate(ru + kk):
        await _read_like_a_person(user, n)
    for user in kk[:2]:  # two of them erase their data
        await _reply(user, user.press_data(pack(Action.FORGET_CONFIRM)))
    storage = env.services.storage
    # Last week, as the bot would have counted it: enough for the weekly chart.
    last_week = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=7)
    await storage.counters.add(
        {PageKey(last_week.isoformat(), "ru", "gbv", "barriers"): 120},
        {(last_week.isoformat(), "ru", Metric.ACTIVE.value, ""): 40},
    )
    await storage.counters.flush()

    # The whole database, read as anyone holding the file could.
    db = sqlite3.connect(env.settings.database_path)
    ids = {u.id for u in ru + kk}
    for table in COUNTER_TABLES:
        columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
        assert not any("user" in c for c in columns), (table, columns)
        for row in db.execute(f"SELECT * FROM {table}"):
            for column, value in zip(columns, row, strict=True):
                assert value not in ids, (table, row)
                assert not any(str(i) in str(value) for i in ids), (table, row)
                if column == "day":
                    assert DAY.match(value), (table, row)  # a day, never a time
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:  # the words of a search are nowhere, in no table
        for row in db.execute(f"SELECT * FROM {table}"):
            assert not any("zqxwvfjord" in str(v) for v in row), (table, row)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    counts = dict(
        ((lang, metric), n)
        for lang, metric, n in db.execute(
            "SELECT language, metric, sum(count) FROM daily_counts WHERE day = ? GROUP BY language, metric", (today,)
        )
    )
    assert counts[("ru", "new")] == counts[("ru", "active")] == 30  # each counted once, though seen many times
    assert counts[("kk", "active")] == 3 and counts[("ru", "search")] == 30 and counts[("kk", "forget")] == 2
    assert counts[("ru", "link")] == 10 and counts[("ru", "subscribe")] == 15
    (views,) = db.execute(
        "SELECT views FROM page_views WHERE day = ? AND language = 'ru' AND theme = 'gbv' AND section = 'barriers'",
        (today,),
    ).fetchone()
    assert views == 30 + 10  # the section's page, and the shared links that opened it
    db.close()

    admin = env.emu.user(ADMIN_ID, language_code="en")
    await admin.send("/stats")
    await admin.wait_for(lambda: admin.last is not None and admin.last.media == "photo", what="the chart")
    summary = admin.find("Today (UTC)")
    assert summary is not None and summary.text is not None
    assert "Data erased with /forget: < 5" in summary.text  # 2 of them
    assert "Қазақ тілі: < 5" in summary.text  # the village's readers, not counted out
    assert "Readers: 34" in summary.text  # 30 + 3 readers and the admin, each once
    chart = admin.last
    assert chart is not None and chart.file_id is not None
    assert (env.emu.file_content(chart.file_id) or b"").startswith(PNG)
    await admin.press("📊 Most-read sections")
    await admin.wait_for(lambda: admin.last is not None and admin.last.message_id != chart.message_id, what="chart 2")
    assert admin.last is not None and admin.last.media == "photo"

    await admin.send("/export")
    await admin.wait_for(lambda: admin.last is not None and admin.last.media == "document", what="the export")
    assert admin.last is not None and admin.last.file_id is not None
    data = env.emu.file_content(admin.last.file_id) or b""
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte order mark, for Excel
    rows = list(csv.reader(io.StringIO(data.decode(CSV_ENCODING))))
    assert rows[0] == ["Day", "Language", "Theme", "Section", "Title", "Page views"]
    kazakh = [r for r in rows[1:] if r[1] == "kk"]
    assert kazakh and all(r[5] == "< 5" for r in kazakh)  # 3 readers' views: suppressed
    assert [today, "ru", "gbv", "barriers", "Gender-based violence › Structural barriers", "40"] in rows
    assert not any(r[5].isdigit() and 0 < int(r[5]) < SMALL_COUNT for r in rows[1:])


def test_small_counts_are_shown_as_under_the_threshold() -> None:
    assert [shown(n) for n in (0, 1, 4, 5, 120)] == ["0", "< 5", "< 5", "5", "120"]


async def test_readers_are_counted_once_a_day_from_last_seen(tmp_path: Path) -> None:
    async with await Storage.open(tmp_path / "bot.sqlite3") as storage:
        await storage.readers.touch(1, "ru")
        await storage.readers.touch(1, "ru")
        await storage.readers.touch(2, "kk")
        # Someone last seen long ago comes back: active today, not new.
        await add_users_bulk(storage, [3], "ru")
        await storage.database.connection.execute("UPDATE users SET last_seen = '2000-01-01' WHERE user_id = 3")
        await storage.readers.touch(3, "ru")
        await storage.readers.touch(3, "ru")
        await storage.counters.flush()
        today = dt.datetime.now(dt.UTC).date()
        assert await storage.counters.day_counts(today) == {"new": 2, "active": 3, "views": 0}


async def test_unwritten_counts_are_kept_for_the_next_flush(tmp_path: Path) -> None:
    async with await Storage.open(tmp_path / "bot.sqlite3") as storage:
        storage.counters.tally.page("ru", "gbv", "barriers")
        await storage.database.connection.execute("DROP TABLE page_views")  # the write fails
        with pytest.raises(sqlite3.OperationalError):
            await storage.counters.flush()
        assert sum(storage.counters.tally.pages.values()) == 1


async def test_counters_older_than_the_retention_are_deleted_daily(tmp_path: Path) -> None:
    import asyncio

    days = iter([dt.date(2026, 6, 1), dt.date(2026, 6, 2)])
    current = [next(days)]
    async with await Storage.open(tmp_path / "bot.sqlite3") as storage:
        for day in ("2024-05-31", "2024-06-01", "2024-06-02", "2026-05-01"):
            await storage.counters.add({PageKey(day, "ru", "gbv", "x"): 9}, {(day, "ru", "search", ""): 9})
        task = asyncio.create_task(flush_periodically(storage.counters, 730, interval=0.01, today=lambda: current[0]))

        async def kept() -> list[str]:
            async with storage.database.connection.execute("SELECT day FROM page_views ORDER BY day") as cur:
                return [r[0] for r in await cur.fetchall()]

        async def until(expected: list[str]) -> None:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 10
            while await kept() != expected:
                assert loop.time() < deadline, await kept()
                await asyncio.sleep(0.01)

        await until(["2024-06-01", "2024-06-02", "2026-05-01"])  # 730 days before 2026-06-01 is 2024-06-01
        current[0] = next(days)  # the next day's purge
        await until(["2024-06-02", "2026-05-01"])
        task.cancel()
        async with storage.database.connection.execute("SELECT min(day) FROM daily_counts") as cur:
            assert (await cur.fetchone())[0] == "2024-06-02"  # type: ignore[index]


async def test_an_announcement_s_delivery_is_drawn_over_time(tmp_path: Path) -> None:
    async with await Storage.open(tmp_path / "bot.sqlite3") as storage:
        await add_users_bulk(storage, range(1, 21), "ru")
        draft = AnnouncementDraft(created_by=9, topics=frozenset(), language=None, versions={"ru": (9, 1)})
        announcement_id = await storage.announcements.create(draft)
        await storage.deliveries.queue(announcement_id)
        claimed = await storage.deliveries.claim(announcement_id, 20, 0.0)
        outcomes = [Outcome(d.user_id, DeliveryState.SENT) for d in claimed[:15]] + [
            Outcome(claimed[15].user_id, DeliveryState.BLOCKED),
            Outcome(claimed[16].user_id, DeliveryState.FAILED, "x"),
            Outcome(claimed[17].user_id, DeliveryState.PENDING, "retry", 1.0),
        ]
        await storage.deliveries.record_outcomes(announcement_id, outcomes)
        timeline = await storage.deliveries.timeline(announcement_id)
        totals = {state: n for _, state, n in timeline}
        assert totals == {"sent": 15, "blocked": 1, "failed": 1}  # a retry is not an outcome yet
        assert all(re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$", minute) for minute, _, _ in timeline)
        await storage.announcements.set_state(announcement_id, "done")
        assert await storage.deliveries.retry_failed(announcement_id) == 1
        totals = {}
        for _, state, n in await storage.deliveries.timeline(announcement_id):
            totals[state] = totals.get(state, 0) + n
        assert totals["failed"] == 0  # the failed line comes down as they are sent again
        labels = charts.DeliveryLabels("#1", "UTC", {"sent": "Sent", "blocked": "Blocked", "failed": "Failed"}, "n")
        assert charts.delivery_chart(timeline, labels).startswith(PNG)


def test_chart_labels_in_every_script_render_without_missing_glyphs(recwarn: pytest.WarningsRecorder) -> None:
    names = {"kk": "Қазақ тілі", "tg": "Тоҷикӣ", "tk": "Türkmen dili ňžşýäöüç", "uz": "Oʻzbek gʻ"}
    weeks = [dt.date(2026, 1, 5) + dt.timedelta(weeks=n) for n in range(4)]
    series = {code: [10, 20, 30, 40] for code in names}
    labels = charts.WeeklyLabels("Оқырмандар ҳафта", "Ҷ ӯ ӣ ҳ", "ә ғ қ ң ө ұ ү һ і", "Oʻ", "ñ")
    png = charts.weekly_chart(weeks, [7] * 4, series, series, names, labels)
    assert png.startswith(PNG)
    assert not [w for w in recwarn if "missing from" in str(w.message)]


def test_the_tally_is_bounded() -> None:
    tally = Tally(today=lambda: dt.date(2026, 1, 1))
    for n in range(5_000):
        tally.page("ru", "gbv", f"s{n}")
    assert tally.due.is_set()  # the flusher writes at once
    pages, _ = tally.take()
    assert len(pages) == 5_000 and not tally.pages and not tally.due.is_set()


async def test_stats_for_one_announcement_draws_its_delivery(env: BotEnv) -> None:
    readers = [env.emu.user(720_001 + n, language_code="ru") for n in range(8)]
    storage = env.services.storage
    await add_users_bulk(storage, [r.id for r in readers], "ru")
    readers[0].block(notify=False)  # Telegram answers 403 for this one
    admin = env.emu.user(ADMIN_ID, language_code="ru")
    source = await admin.send("Объявление для графика")
    draft = AnnouncementDraft(
        created_by=ADMIN_ID, topics=frozenset(), language=None, versions={"ru": (ADMIN_ID, source.message_id)}
    )
    announcement_id = await storage.announcements.create(draft)
    engine = engine_of(env.app.bot_data)
    assert engine is not None
    engine.wake()

    async def done() -> bool:
        item = await storage.announcements.get(announcement_id)
        return item is not None and item.state == "done"

    from tests.conftest import eventually

    await eventually(done, what="the announcement delivered")
    await admin.send("/announcements")
    await admin.wait_for(lambda: admin.last is not None and f"📊 №{announcement_id}" in admin.last.button_texts)
    await admin.press(f"📊 №{announcement_id}")
    await admin.wait_for(lambda: admin.last is not None and admin.last.media == "photo", what="the delivery chart")
    caption = admin.last.caption or ""  # type: ignore[union-attr]
    assert f"Объявление №{announcement_id}" in caption
    assert "Доставлено: 8" in caption  # seven readers and the admin
    assert "Заблокировали бота: < 5" in caption  # one: too few to show
    await admin.send(f"/stats {announcement_id + 100}")
    await admin.wait_for(lambda: admin.find(f"Объявления №{announcement_id + 100} нет") is not None)
