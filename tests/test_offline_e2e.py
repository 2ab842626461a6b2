"""Downloads in the bot, end to end: the real bot, PTB's HTTP stack, the local Bot API emulator."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Static
from bot.config import Settings
from bot.offline.document import BRIEF, Form
from bot.offline.service import OFFLINE_KEY, Offline
from bot.offline.store import Shelf
from bot.storage.tally import Metric
from emulator import BotAPIEmulator, EmulatedMessage, EmulatedUser
from tests.conftest import BotEnv, eventually, start_bot, stop_application


def with_files(tmp_path: Path, shelf: Shelf) -> Settings:
    """Settings whose cache directory holds the session's built files, as after an earlier start."""
    cache = tmp_path / "cache"
    cache.mkdir(exist_ok=True)
    link = cache / shelf.directory.name
    if not link.exists():
        link.symlink_to(shelf.directory)
    return Settings(database_path=tmp_path / "bot.sqlite3")


@pytest.fixture
async def env(tmp_path: Path, static: Static, offline_shelf: Shelf) -> AsyncIterator[BotEnv]:
    async with BotAPIEmulator() as emu:
        settings = with_files(tmp_path, offline_shelf)
        settings = Settings(token=emu.token, api_base_url=emu.base_url, database_path=settings.database_path)
        app = await start_bot(emu, settings, static)
        try:
            yield BotEnv(emu, app, settings)
        finally:
            await stop_application(app)


async def press(user: EmulatedUser, label: str, *, count: int = 1) -> EmulatedMessage:
    await user.press(label)
    await user.wait_reply(count=count)
    assert user.last is not None
    return user.last


async def open_theme(user: EmulatedUser, title: str, *, protected: bool = False) -> EmulatedMessage:
    await user.send("/menu")
    await user.wait_reply()
    return await press(user, title, count=2 if protected else 1)


async def has_file_id(offline: Offline, sha256: str) -> bool:
    return await offline.file_ids.get(sha256) is not None


def uploads(emu: BotAPIEmulator) -> list[int]:
    return [c.uploads for c in emu.calls("sendDocument") if c.status == 200]


async def test_a_theme_downloads_in_two_taps_and_the_second_download_sends_no_upload(
    env: BotEnv, offline_shelf: Shelf
) -> None:
    user = env.emu.user(3001, language_code="kk")
    t = env.services.i18n.get("kk")
    theme = env.services.content.get("kk").theme("climate")
    assert theme is not None and not theme.protect_content
    page = await open_theme(user, theme.short_title)
    download = t.gettext("📄 Download")
    assert download in page.button_texts
    choice = await press(user, download)  # tap 1: the choice, with sizes
    file = offline_shelf.get("kk", "climate", Form.PDF)
    assert file is not None
    pdf_label = t.gettext("📄 PDF to print, {size} KB").format(size=round(file.size / 1024))
    assert pdf_label in choice.button_texts
    sent = await press(user, pdf_label)  # tap 2: the file
    assert sent.media == "document" and not sent.protect_content
    assert theme.title in (sent.caption or "")
    assert t.gettext("You can share this file with others.") in (sent.caption or "")
    assert sent.file_id is not None and env.emu.file_content(sent.file_id) == file.path.read_bytes()
    # Again, from the same choice: Telegram's file_id is reused, nothing is uploaded.
    await user.press(pdf_label, message_id=choice.message_id)
    await user.wait_reply()
    assert uploads(env.emu) == [1, 0]
    assert user.last is not None and user.last.file_id == sent.file_id


async def test_a_protected_theme_says_so_and_its_file_cannot_be_forwarded(env: BotEnv) -> None:
    user = env.emu.user(3002, language_code="ru")
    t = env.services.i18n.get("ru")
    theme = env.services.content.get("ru").theme("gbv")
    assert theme is not None and theme.protect_content
    page = await open_theme(user, theme.short_title, protected=True)
    label = t.gettext("📄 Download (read in Telegram)")
    assert label in page.button_texts
    choice = await press(user, label)
    assert t.gettext("🔒 This file can be read in Telegram, but not forwarded or saved.") in (choice.text or "")
    page_label = next(b for b in choice.button_texts if b.startswith("📱"))
    sent = await press(user, page_label)
    assert sent.media == "document" and sent.protect_content
    assert t.gettext("It can be read here in Telegram, but not forwarded or saved.") in (sent.caption or "")


async def test_the_whole_brief_downloads_from_about_and_is_counted_anonymously(env: BotEnv) -> None:
    user = env.emu.user(3003, language_code="en")
    await user.send("/about")
    await user.wait_reply()
    assert user.last is not None
    label = next(b for b in user.last.button_texts if b.startswith("📄"))
    choice = await press(user, label, count=2)  # the brief holds protected themes: a protected copy is sent
    sent = await press(user, next(b for b in choice.button_texts if b.startswith("📄 PDF")))
    assert sent.media == "document" and sent.protect_content
    storage = env.services.storage

    async def counted() -> bool:  # the handler counts once the file is sent
        await storage.counters.flush()
        async with storage.database.connection.execute(
            "SELECT * FROM daily_counts WHERE metric = ?", (Metric.DOWNLOAD.value,)
        ) as cursor:
            rows = [tuple(r) for r in await cursor.fetchall()]
        return bool(rows)

    await eventually(counted, what="the download's count")
    async with storage.database.connection.execute(
        "SELECT language, metric, subject, count FROM daily_counts WHERE metric = ?", (Metric.DOWNLOAD.value,)
    ) as cursor:
        rows = [tuple(r) for r in await cursor.fetchall()]
    # A day, a language, what was downloaded: nobody's id (the table has no column for one).
    assert rows == [("en", "download", f"{BRIEF}.pdf", 1)]


async def test_the_file_id_cache_survives_a_restart(tmp_path: Path, static: Static, offline_shelf: Shelf) -> None:
    async with BotAPIEmulator() as emu:
        settings = with_files(tmp_path, offline_shelf)
        settings = Settings(token=emu.token, api_base_url=emu.base_url, database_path=settings.database_path)
        user = emu.user(3004, language_code="tg")
        file = offline_shelf.get("tg", "economy", Form.PDF)
        assert file is not None
        for _ in range(2):
            app = await start_bot(emu, settings, static)
            try:
                services = app.bot_data["services"]
                theme = services.content.get("tg").theme("economy")
                await open_theme(user, theme.short_title)
                choice = await press(user, services.i18n.get("tg").gettext("📄 Download"))
                await press(user, next(b for b in choice.button_texts if b.startswith("📄 PDF")))
                # The handler stores Telegram's file_id once the upload is answered.
                stored = functools.partial(has_file_id, app.bot_data[OFFLINE_KEY], file.sha256)
                await eventually(stored, what="the file_id stored")
            finally:
                await stop_application(app)
        assert uploads(emu) == [1, 0]


async def test_downloads_wait_for_the_files_and_a_stale_button_gets_a_fresh_menu(env: BotEnv) -> None:
    offline: Offline = env.app.bot_data[OFFLINE_KEY]
    user = env.emu.user(3005, language_code="en")
    t = env.services.i18n.get("en")
    await user.send("/menu")
    await user.wait_reply()
    shelf, offline.shelf = offline.shelf, None  # as while the files of a new content version are built
    try:
        await user.press_data("d1:c:climate")
        answer = await user.wait_answer()
        assert t.gettext("The files are being prepared. Please try again in a minute.") in (answer.text or "")
    finally:
        offline.shelf = shelf
    await user.press_data("d1:f:nosuchtheme:pdf")  # the menu it shows again is the one already there
    assert t.gettext("This menu has expired. Here is a fresh one.") in ((await user.wait_answer()).text or "")


async def test_a_file_id_telegram_refuses_is_replaced_by_a_fresh_upload(env: BotEnv, offline_shelf: Shelf) -> None:
    file = offline_shelf.get("en", "movements", Form.HTML)
    assert file is not None
    offline: Offline = env.app.bot_data[OFFLINE_KEY]
    await offline.file_ids.put(file.sha256, "no such file")  # Telegram answers "wrong file identifier"
    user = env.emu.user(3006, language_code="en")
    t = env.services.i18n.get("en")
    theme = env.services.content.get("en").theme("movements")
    assert theme is not None
    await open_theme(user, theme.short_title)
    choice = await press(user, t.gettext("📄 Download"))
    sent = await press(user, next(b for b in choice.button_texts if b.startswith("📱")))
    assert sent.media == "document" and uploads(env.emu) == [1]

    async def replaced() -> bool:  # stored once Telegram's answer is read
        return await offline.file_ids.get(file.sha256) == sent.file_id

    await eventually(replaced, what="the new file_id stored")


async def test_a_reader_in_discreet_mode_gets_a_file_that_names_no_theme(env: BotEnv, offline_shelf: Shelf) -> None:
    user = env.emu.user(3010, language_code="ru")
    t = env.services.i18n.get("ru")
    theme = env.services.content.get("ru").theme("gbv")
    assert theme is not None
    await user.send("/start")
    await user.wait_reply()
    await env.services.storage.safety.set_discreet(3010, True)
    page = await open_theme(user, theme.short_title, protected=True)
    choice = await press(user, t.gettext("📄 Download (read in Telegram)"))
    sent = await press(user, next(b for b in choice.button_texts if b.startswith("📄 PDF")))
    assert sent.media == "document" and sent.protect_content and sent.file_id is not None
    caption = sent.caption or ""
    assert t.gettext("📄 Your file.") in caption and theme.title not in caption and theme.short_title not in caption
    assert env.emu.file_name(sent.file_id) == "brief.pdf"  # the chat list shows the name: no "gbv" in it
    file = offline_shelf.get("ru", "gbv", Form.PDF)
    assert file is not None and env.emu.file_content(sent.file_id) == file.path.read_bytes()
    # Another reader, not discreet, gets the named file: its own upload, not the neutral one.
    other = env.emu.user(3011, language_code="ru")
    await open_theme(other, theme.short_title, protected=True)
    choice = await press(other, t.gettext("📄 Download (read in Telegram)"))
    named = await press(other, next(b for b in choice.button_texts if b.startswith("📄 PDF")))
    assert named.file_id is not None and env.emu.file_name(named.file_id) == file.name
    assert uploads(env.emu) == [1, 1]
    assert page is not None
