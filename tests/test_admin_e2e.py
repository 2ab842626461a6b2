"""Subscriptions and admin announcements end to end: the real bot, its delivery engine, the emulator."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import pytest

from bench.population import add_users_bulk
from bot.storage import AnnouncementDraft
from emulator import EmulatedUser
from tests.conftest import ADMIN_ID, BotEnv

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


async def click(user: EmulatedUser, label: str) -> None:
    await user.press(label)
    await user.wait_reply()


async def say(user: EmulatedUser, text: str) -> None:
    await user.send(text)
    await user.wait_reply()


async def wait_button(user: EmulatedUser, label: str) -> None:
    """Wait until the newest message carries ``label`` (the preview's summary comes after the copies)."""
    await user.wait_for(lambda: user.last is not None and label in user.last.button_texts, what=f"button {label}")


def button(user: EmulatedUser, prefix: str) -> str:
    assert user.last is not None
    return next(b for b in user.last.button_texts if b.startswith(prefix) or prefix in b)


async def subscribe(env: BotEnv, user_id: int, language: str, themes: list[str]) -> EmulatedUser:
    """A reader who subscribes through the menus, as a person would."""
    reader = env.emu.user(user_id, language_code=language)
    await say(reader, "/subscriptions")
    content = env.services.content.get(language)
    for theme_id in themes:
        theme = content.theme(theme_id)
        label = theme.short_title if theme else ("General announcements" if language == "en" else "Общие объявления")
        await click(reader, button(reader, label))
    return reader


async def wait_state(env: BotEnv, announcement_id: int, state: str, within: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        item = await env.services.storage.announcements.get(announcement_id)
        if item is not None and item.state == state:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"announcement {announcement_id} is {item.state if item else None}, not {state}")
        await asyncio.sleep(0.05)


async def test_subscription_checklist_and_theme_toggle(env: BotEnv) -> None:
    reader = await subscribe(env, 100, "en", ["gbv", "climate"])
    assert await env.services.storage.subscriptions.topics(100) == {"gbv", "climate"}
    assert reader.last is not None
    assert "☑ Gender-based violence" in reader.last.button_texts
    assert "You follow 2 topics." in (reader.last.text or "")
    await click(reader, "☑ Gender-based violence")
    assert await env.services.storage.subscriptions.topics(100) == {"climate"}
    await click(reader, "☐ General announcements")
    assert await env.services.storage.subscriptions.topics(100) == {"climate", "general"}
    # the toggle on a theme page
    await say(reader, "/start t_economy")
    await click(reader, "🔔 Subscribe")
    assert "economy" in await env.services.storage.subscriptions.topics(100)
    assert "🔕 Unsubscribe" in reader.last.button_texts
    assert reader.last_callback_answer is not None and reader.last_callback_answer.text == "Subscribed."


async def test_russian_plural_forms_in_the_checklist(env: BotEnv) -> None:
    reader = await subscribe(env, 101, "ru", ["gbv"])
    assert "Вы подписаны на 1 тему." in (reader.last.text or "")  # type: ignore[union-attr]
    await click(reader, button(reader, "☐ Климат"))
    assert "на 2 темы." in (reader.last.text or "")  # type: ignore[union-attr]
    for theme_id in ("economy", "srhr", "movements"):
        theme = env.services.content.get("ru").theme(theme_id)
        assert theme is not None
        await click(reader, button(reader, "☐ " + theme.short_title))
    assert "на 5 тем." in (reader.last.text or "")  # type: ignore[union-attr]


async def test_non_admins_get_unknown_command_and_are_logged_by_id(
    env: BotEnv, caplog: pytest.LogCaptureFixture
) -> None:
    stranger = env.emu.user(555, language_code="en")
    with caplog.at_level(logging.WARNING):
        await say(stranger, "/announce")
    assert "I do not know that command" in (stranger.last.text or "")  # type: ignore[union-attr]
    assert "555" in caplog.text and "announce" in caplog.text


@pytest.mark.parametrize("admin_language", ["en", "ru"])
async def test_full_announce_flow_with_versions_and_fallback(env: BotEnv, admin_language: str) -> None:
    ru_reader = await subscribe(env, 201, "ru", ["climate"])
    en_reader = await subscribe(env, 202, "en", ["climate"])
    other = await subscribe(env, 203, "en", ["gbv"])  # not in the audience
    admin = env.emu.user(ADMIN_ID, language_code=admin_language)
    await say(admin, "/language")
    await click(admin, button(admin, "English" if admin_language == "en" else "Русский"))
    ru = admin_language == "ru"

    await say(admin, "/announce")
    climate = env.services.content.get(admin_language).theme("climate")
    assert climate is not None
    await click(admin, f"☐ {climate.short_title}")
    await click(admin, "Далее ›" if ru else "Next ›")
    await click(admin, "Все языки" if ru else "All languages")
    assert "Русский" in (admin.last.text or "")  # type: ignore[union-attr]  # default language first
    await say(admin, "Важное объявление о климате")
    assert "English" in (admin.last.text or "")  # type: ignore[union-attr]
    await say(admin, "Important climate announcement")
    for code in env.services.i18n.languages:
        if code not in ("ru", "en"):  # the region's own languages may be skipped: readers get the default
            await click(admin, "Пропустить" if ru else "Skip")
    await click(admin, button(admin, "☐ Без звука" if ru else "☐ Silent"))
    await click(admin, "Отправить сейчас" if ru else "Send now")
    await wait_button(admin, "✓ Подтвердить" if ru else "✓ Confirm")
    summary = admin.last
    assert summary is not None
    text = summary.text or ""
    assert ("2 получателя" if ru else "2 recipients") in text
    assert "Русский: 1" in text and "English: 1" in text
    previews = [
        m for m in admin.messages if m.text in ("Важное объявление о климате", "Important climate announcement")
    ]
    assert len(previews) >= 2 and all(p.disable_notification for p in previews[-2:])

    await click(admin, "✓ Подтвердить" if ru else "✓ Confirm")
    announcement = (await env.services.storage.announcements.recent(limit=1))[0]
    await wait_state(env, announcement.id, "done")

    assert ru_reader.last is not None and ru_reader.last.text == "Важное объявление о климате"
    assert en_reader.last is not None and en_reader.last.text == "Important climate announcement"
    assert ru_reader.last.disable_notification
    assert "🔕 Unsubscribe from this theme" in en_reader.last.button_texts
    assert not any(m.text == "Important climate announcement" for m in other.messages)
    assert env.emu.delivered(201) >= 1
    figures = await env.services.storage.deliveries.figures(announcement.id)
    assert (figures.sent, figures.total) == (2, 2)
    # the confirmation message becomes the status, edited until the final figures
    t = env.services.i18n.get(admin_language)
    finished = t.gettext("Announcement #{id}: {state}").format(id=announcement.id, state=t.gettext("finished"))
    sent = t.gettext("Sent: {sent} of {total}").format(sent=2, total=2)
    await admin.wait_for(lambda: admin.find(finished) is not None, what="the final status")
    status = admin.find(finished)
    assert status is not None and sent in (status.text or "")

    # the unsubscribe button under the delivered announcement
    await click(en_reader, "🔕 Unsubscribe from this theme")
    assert "climate" not in await env.services.storage.subscriptions.topics(202)
    assert en_reader.last is not None and en_reader.last.button_texts == ["🔔 My subscriptions"]


async def test_skipped_language_gets_the_default_version(env: BotEnv) -> None:
    en_reader = await subscribe(env, 301, "en", ["general"])
    admin = env.emu.user(ADMIN_ID, language_code="en")
    await say(admin, "/language")
    await click(admin, button(admin, "English"))
    await say(admin, "/announce")
    await click(admin, "☐ General announcements")
    await click(admin, "Next ›")
    await click(admin, "All languages")
    await say(admin, "Только по-русски")
    for _ in env.services.i18n.languages[1:]:  # every language but the default one is skipped
        await click(admin, "Skip")
    await click(admin, "Send now")
    await wait_button(admin, "✓ Confirm")
    assert "English readers get the Русский version." in (admin.last.text or "")  # type: ignore[union-attr]
    await click(admin, "✓ Confirm")
    announcement = (await env.services.storage.announcements.recent(limit=1))[0]
    await wait_state(env, announcement.id, "done")
    assert en_reader.last is not None and en_reader.last.text == "Только по-русски"


async def test_schedule_parsing_errors_and_a_scheduled_announcement(env: BotEnv) -> None:
    admin = env.emu.user(ADMIN_ID, language_code="en")
    await say(admin, "/language")
    await click(admin, button(admin, "English"))
    await say(admin, "/announce")
    await click(admin, "Next ›")
    await click(admin, "Only English")
    await say(admin, "Scheduled hello")
    await click(admin, "Schedule…")
    await say(admin, "tomorrow morning")
    assert "could not read that date" in (admin.last.text or "")  # type: ignore[union-attr]
    await say(admin, "2030-01-01 09:00 Mars/Olympus")
    assert "do not know that time zone" in (admin.last.text or "")  # type: ignore[union-attr]
    await say(admin, "2020-01-01 09:00")
    assert "already passed" in (admin.last.text or "")  # type: ignore[union-attr]
    await say(admin, "2030-01-01 09:00 Asia/Almaty")
    await wait_button(admin, "✓ Confirm")
    assert "2030-01-01 04:00 UTC" in (admin.last.text or "")  # type: ignore[union-attr]
    await click(admin, "✓ Confirm")
    item = (await env.services.storage.announcements.recent(limit=1))[0]
    assert item.state == "scheduled" and item.scheduled_at == "2030-01-01T04:00:00+00:00"
    await say(admin, "/announcements")
    assert "Scheduled" in (admin.last.text or "") or "scheduled" in (admin.last.text or "")  # type: ignore[union-attr]
    await click(admin, f"✕ Cancel #{item.id}")
    cancelled = await env.services.storage.announcements.get(item.id)
    assert cancelled is not None and cancelled.state == "cancelled"


async def test_stats_for_admins(env: BotEnv) -> None:
    await subscribe(env, 401, "ru", ["gbv", "srhr"])
    await subscribe(env, 402, "en", ["gbv"])
    admin = env.emu.user(ADMIN_ID, language_code="ru")
    await admin.send("/stats")
    await admin.wait_for(lambda: admin.find("Для графика пока нет") is not None, what="the chart's answer")
    stats = admin.find("активных читателя")
    assert stats is not None
    text = stats.text or ""
    assert "3 активных читателя" in text  # two readers and the admin
    assert "Гендерное насилие: < 5" in text  # 2: too few to show
    assert "Заблокировали бота: 0" in text


async def test_an_admin_retries_the_failed_recipients_from_announcements(env: BotEnv) -> None:
    readers = [env.emu.user(user_id, language_code="en") for user_id in (601, 602)]
    storage = env.services.storage
    await add_users_bulk(storage, [r.id for r in readers], "en")
    admin = env.emu.user(ADMIN_ID, language_code="en")
    source = await admin.send("An announcement that met a long outage")
    # Scheduled a year ahead, so the engine never queues it while the test writes what an outage left.
    draft = AnnouncementDraft(
        created_by=ADMIN_ID,
        topics=frozenset(),
        language=None,
        versions={"en": (ADMIN_ID, source.message_id)},
        scheduled_at=(dt.datetime.now(dt.UTC) + dt.timedelta(days=365)).isoformat(timespec="seconds"),
    )
    announcement_id = await storage.announcements.create(draft)
    assert await storage.announcements.set_state(announcement_id, "paused", expect=("scheduled",))
    # What an outage beyond the engine's horizon leaves: the announcement done, its recipients failed.
    async with storage.database.transaction() as db:
        await db.executemany(
            "INSERT INTO deliveries (announcement_id, user_id, language, state, last_error) "
            "VALUES (?, ?, 'en', 'failed', 'gave up after an outage of 60 min: Bad Gateway')",
            [(announcement_id, r.id) for r in readers],
        )
    assert await storage.announcements.set_state(announcement_id, "done", expect=("paused",))
    await say(admin, "/announcements")
    await click(admin, f"↻ Retry failed #{announcement_id}")
    assert admin.last_callback_answer is not None and admin.last_callback_answer.text == "Done."
    await wait_state(env, announcement_id, "done")
    assert [env.emu.delivered(r.id) for r in readers] == [1, 1]
    assert (await storage.deliveries.figures(announcement_id)).sent == 2
    assert f"↻ Retry failed #{announcement_id}" not in (admin.last.button_texts if admin.last else [])
