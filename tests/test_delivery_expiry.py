"""Delivery rows expire: past DELIVERY_RETENTION_DAYS a finished or cancelled announcement keeps its totals and
timeline, not who it reached; the figures, the screens and the chart read the same; no log names a recipient."""

from __future__ import annotations

import asyncio
import datetime as dt
import gettext
import logging
import time
from pathlib import Path

import pytest

from bench.population import add_users_bulk
from bot.announcing.delivery import BroadcastEngine
from bot.announcing.drafts import progress_text
from bot.announcing.screens import controls
from bot.config import DEFAULT_DELIVERY_RETENTION_DAYS, load_settings
from bot.languages.i18n import Translator
from bot.storage import AnnouncementDraft, DeliveryFigures, DeliveryState, Outcome, Storage
from tests.conftest import BotEnv
from tests.test_admin_e2e import click, say, subscribe, wait_button, wait_state
from tests.test_broadcast import running, unsubscribe_markup, world
from tests.test_trust_e2e import english_admin

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")

DAY = 86400.0
T = Translator("en", gettext.NullTranslations())


def iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="microseconds")


async def rows_of(storage: Storage, announcement_id: int) -> int:
    async with storage.database.connection.execute(
        "SELECT count(*) FROM deliveries WHERE announcement_id = ?", (announcement_id,)
    ) as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def finished_announcements(storage: Storage) -> tuple[int, int]:
    """One done announcement (sent, blocked, gone, failed) and one cancelled half-way, to the 'gbv' readers."""
    await add_users_bulk(storage, range(1, 31), "ru")
    for user_id in range(1, 31):
        await storage.subscriptions.set(user_id, "gbv", True)
    draft = AnnouncementDraft(created_by=1, topics=frozenset({"gbv"}), language=None, versions={"ru": (1, 1)})
    done = await storage.announcements.create(draft)
    await storage.deliveries.queue(done)
    claimed = await storage.deliveries.claim(done, 30, 0.0)
    states = [DeliveryState.BLOCKED] * 2 + [DeliveryState.GONE] + [DeliveryState.FAILED] * 3
    outcomes = [Outcome(d.user_id, states[n] if n < len(states) else DeliveryState.SENT) for n, d in enumerate(claimed)]
    await storage.deliveries.record_outcomes(done, outcomes)
    assert await storage.deliveries.finish(done)
    cancelled = await storage.announcements.create(draft)
    await storage.deliveries.queue(cancelled)
    half = await storage.deliveries.claim(cancelled, 12, 0.0)
    await storage.deliveries.record_outcomes(cancelled, [Outcome(d.user_id, DeliveryState.SENT) for d in half])
    assert await storage.announcements.set_state(cancelled, "cancelled")
    return done, cancelled


async def screens(storage: Storage, announcement_id: int) -> tuple[DeliveryFigures, str, list[tuple[str, str, int]]]:
    """What the admin sees of an announcement: its figures, its /announcements text, and its chart's data."""
    item = await storage.announcements.get(announcement_id)
    assert item is not None
    figures = await storage.deliveries.figures(announcement_id)
    return figures, progress_text(item, figures, 0.0, None, True, T), await storage.deliveries.timeline(announcement_id)


async def test_rows_are_purged_after_the_window_and_the_figures_stay(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    storage = await Storage.open(path)
    try:
        done, cancelled = await finished_announcements(storage)
        before = {a: await screens(storage, a) for a in (done, cancelled)}
        # The 3 who blocked the bot or are gone are not asked again.
        assert before[done][0].failed == 3 and before[cancelled][0].pending == 15
        done_item = await storage.announcements.get(done)
        assert done_item is not None and controls(done_item, T, 3)  # "↻ Retry failed" while the rows are kept
        # Within the window nothing goes.
        assert await storage.deliveries.purge(iso(time.time() - DEFAULT_DELIVERY_RETENTION_DAYS * DAY)) == 0
        assert await rows_of(storage, done) == 30
        # Past it, the rows go and the totals stay.
        assert await storage.deliveries.purge(iso(time.time() + DAY)) == 2
        assert await rows_of(storage, done) == 0 and await rows_of(storage, cancelled) == 0
        assert {a: await screens(storage, a) for a in (done, cancelled)} == before
        expired = await storage.announcements.get(done)
        assert expired is not None and expired.totals == before[done][0]
        # Nobody is left to send again: no retry button, and an old one changes nothing.
        assert all(b.text and "Retry" not in b.text for row in controls(expired, T, 3) for b in row)
        assert await storage.deliveries.retry_failed(done) == 0
        assert await storage.deliveries.purge(iso(time.time() + DAY)) == 0
    finally:
        await storage.close()
    # Also after reopening (the totals are stored, not cached).
    storage = await Storage.open(path)
    try:
        assert (await screens(storage, done))[0] == before[done][0]
    finally:
        await storage.close()


async def test_the_engine_purges_at_start_and_then_on_its_clock(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        done, cancelled = await finished_announcements(w.storage)
        now = [time.time()]
        engine = BroadcastEngine(
            w.bot, w.storage, rate=100.0, markup_for=unsubscribe_markup, tick=0.02, clock=lambda: now[0]
        )
        async with running(engine):
            # The engine has looked (purge, then pick) once it sent a new announcement: nothing was past the
            # window yet.
            later = await w.announce(language=None)
            engine.wake()
            await w.wait_state(later, "done", timeout=30)
            assert await rows_of(w.storage, done) == 30
            # The engine's clock moves past the window (and past the next look): the rows go.
            now[0] += (DEFAULT_DELIVERY_RETENTION_DAYS + 1) * DAY
            deadline = time.monotonic() + 30
            while await rows_of(w.storage, done) or await rows_of(w.storage, cancelled):
                assert time.monotonic() < deadline, "the engine did not purge the expired rows"
                await asyncio.sleep(0.02)
        assert await rows_of(w.storage, later) == 0  # finished "15 days" before the engine's clock too
        figures = await w.storage.deliveries.figures(done)
        assert (figures.sent, figures.blocked, figures.failed, figures.pending) == (24, 3, 3, 0)


async def test_no_log_line_names_a_recipient(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with world(tmp_path) as w:
        readers = await w.users(range(424_242, 424_252), "ru")
        w.emu.block(readers[0])
        w.emu.remove_chat(readers[1])
        announcement_id = await w.announce(language=None)
        async with running(w.engine()):
            await w.wait_state(announcement_id, "done")
    named = [r.getMessage() for r in caplog.records if r.name.startswith("bot.") and "42424" in r.getMessage()]
    assert named == []


def test_the_retention_is_a_setting() -> None:
    token = {"BOT_TOKEN": "123456789:AAHfake-token-for-tests_0123456789abc"}
    assert load_settings({**token, "DELIVERY_RETENTION_DAYS": "30"}, env_file=None).delivery_retention_days == 30
    assert load_settings(token, env_file=None).delivery_retention_days == DEFAULT_DELIVERY_RETENTION_DAYS == 14


@pytest.mark.filterwarnings("ignore:No artists with labels:UserWarning")  # one recipient: its line shows as "< 5"
async def test_after_the_purge_the_admin_screens_and_the_unsubscribe_button_still_work(env: BotEnv) -> None:
    reader = await subscribe(env, 8109, "en", ["climate"])
    admin = await english_admin(env)
    await say(admin, "/announce")
    await click(admin, "☐ Climate justice")
    await click(admin, "Next ›")
    await click(admin, "Only English")
    await say(admin, "Climate news")
    await click(admin, "Send now")
    await wait_button(admin, "✓ Confirm")
    await click(admin, "✓ Confirm")
    storage = env.services.storage
    announcement = (await storage.announcements.recent(limit=1))[0]
    await wait_state(env, announcement.id, "done")
    await reader.wait_for(lambda: reader.find("Climate news") is not None, what="the announcement")
    await say(admin, "/announcements")
    before = admin.last.text if admin.last is not None else None
    assert await storage.deliveries.purge(iso(time.time() + DAY)) == 1
    assert await rows_of(storage, announcement.id) == 0
    await say(admin, "/announcements")
    assert admin.last is not None and admin.last.text == before
    await say(admin, f"/stats {announcement.id}")
    assert admin.last is not None and "Delivered: < 5" in (admin.last.caption or "")
    delivered = reader.find("Climate news")
    assert delivered is not None
    await reader.press("🔕 Unsubscribe from this theme", message_id=delivered.message_id)
    assert (await reader.wait_answer()).text == "Unsubscribed."
    assert await storage.subscriptions.topics(8109) == set()
