"""Every language end to end: the original one tap away, and readers reporting a problem with a text."""

from __future__ import annotations

import sqlite3

from bot.reports.desk import REPORTS_PER_HOUR
from emulator import EmulatedUser
from tests.conftest import ADMIN_ID, BotEnv


async def press(user: EmulatedUser, label: str) -> None:
    await user.press(label)
    await user.wait_reply()


async def open_climate_barriers(env: BotEnv, user: EmulatedUser, code: str) -> None:
    climate = env.services.content.get(code).theme("climate")
    assert climate is not None
    await user.send("/menu")
    await user.wait_reply()
    await press(user, climate.short_title)
    barriers = climate.sections[0]
    await press(user, f"{barriers.short_title} ({len(barriers.items)})")


def item_text(env: BotEnv, code: str, index: int = 0) -> str:
    climate = env.services.content.get(code).theme("climate")
    assert climate is not None
    return climate.sections[0].items[index].text.split()[0:4]  # type: ignore[return-value]


def words(env: BotEnv, code: str) -> str:
    return " ".join(item_text(env, code))


async def test_the_original_is_one_tap_away_and_the_choice_is_remembered(env: BotEnv) -> None:
    t = env.services.i18n.get("kk")
    reader = env.emu.user(4001, language_code="kk")
    await open_climate_barriers(env, reader, "kk")
    assert words(env, "kk") in (reader.last.text or "")  # type: ignore[union-attr]
    message_id = reader.last.message_id  # type: ignore[union-attr]

    await press(reader, t.gettext("📖 Original"))  # English first: the brief's own text
    assert reader.last is not None and reader.last.message_id == message_id  # edited in place
    assert words(env, "en") in (reader.last.text or "")
    assert t.gettext("📖 The brief's original text, in English:") in (reader.last.text or "")

    await press(reader, "📖 Русский")  # the other original, chosen and remembered
    assert words(env, "ru") in (reader.last.text or "")
    stored = await env.services.storage.readers.get(4001)
    assert stored is not None and stored.reference == "ru"

    await press(reader, "◂ Қазақша")  # and back
    assert words(env, "kk") in (reader.last.text or "")
    await press(reader, t.gettext("📖 Original"))
    assert words(env, "ru") in (reader.last.text or "")  # the remembered choice
    assert len(reader.messages) == 1  # all of it in one message


async def test_english_readers_see_no_original_button_and_russian_readers_get_english(env: BotEnv) -> None:
    english = env.emu.user(4002, language_code="en")
    await open_climate_barriers(env, english, "en")
    assert "📖 Original" not in english.last.button_texts  # type: ignore[union-attr]
    russian = env.emu.user(4003, language_code="ru")
    await open_climate_barriers(env, russian, "ru")
    await press(russian, "📖 Оригинал")
    assert words(env, "en") in (russian.last.text or "")  # type: ignore[union-attr]
    assert "📖 Русский" not in russian.last.button_texts  # type: ignore[union-attr]


async def test_a_report_reaches_the_admins_with_its_place_and_the_bot_keeps_nothing(env: BotEnv) -> None:
    t = env.services.i18n.get("tg")
    admin = env.emu.user(ADMIN_ID, language_code="ru")
    reader = env.emu.user(4004, language_code="tg")
    await open_climate_barriers(env, reader, "tg")
    await press(reader, t.gettext("⚠ Report a problem"))
    await press(reader, t.gettext("Typo"))
    comment = "хато дар банди дуюм 7c1f"
    await reader.send(comment)
    await reader.wait_reply()
    report = admin.find("7c1f")
    assert report is not None
    text = report.text or ""
    assert "climate / barriers / barriers-1" in text and "(tg)" in text and "Опечатка" in text
    assert t.gettext("Thank you! Your report was sent to the bot's team.") in (reader.last.text or "")  # type: ignore[union-attr]
    assert not any("7c1f" in (m.text or "") for m in reader.messages)  # a comment, not a search

    # Nothing of it in the database but the reported items' ids, language and day (for the translators).
    db = sqlite3.connect(env.settings.database_path)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        dump = "\n".join(
            str(row) for table in tables if table != "reported_items" for row in db.execute(f"SELECT * FROM {table}")
        )
    finally:
        db.close()
    assert "7c1f" not in dump and "barriers-1" not in dump


async def test_reports_are_limited_per_hour(env: BotEnv) -> None:
    t = env.services.i18n.get("en")
    env.emu.user(ADMIN_ID, language_code="en")  # the admin has a chat with the bot
    reader = env.emu.user(4005, language_code="en")
    await open_climate_barriers(env, reader, "en")
    for _ in range(REPORTS_PER_HOUR):
        await press(reader, "⚠ Report a problem")
        await press(reader, "Something else")
        await press(reader, "Send without a comment")
        assert "Thank you!" in (reader.last.text or "")  # type: ignore[union-attr]
    await reader.press("⚠ Report a problem")
    answer = await reader.wait_answer()
    assert answer.show_alert
    assert answer.text == t.gettext("You have sent several reports in the last hour. Please try again later.")


async def test_an_uzbek_reader_switches_to_cyrillic_from_the_first_screen(env: BotEnv) -> None:
    """Telegram's "uz" is Latin; the first screen offers Cyrillic; 📖 Original, reports and search then work."""
    cyrillic = env.services.content.get("uz-Cyrl")
    t = env.services.i18n.get("uz-Cyrl")
    admin = env.emu.user(ADMIN_ID, language_code="ru")
    reader = env.emu.user(4006, language_code="uz")
    await reader.send("/start")
    await reader.wait_reply()
    first = reader.last
    assert first is not None
    assert first.button_texts[0] == cyrillic.offer == "Кирилл алифбосида ўқиш"
    assert {"✓ Oʻzbekcha", "Ўзбекча"} <= set(first.button_texts)  # each in itself, side by side
    await press(reader, "Кирилл алифбосида ўқиш")
    stored = await env.services.storage.readers.get(4006)
    assert stored is not None and stored.language == "uz-Cyrl" and stored.language_chosen
    climate = cyrillic.theme("climate")
    assert climate is not None and climate.short_title in reader.last.button_texts  # type: ignore[union-attr]

    await open_climate_barriers(env, reader, "uz-Cyrl")
    assert words(env, "uz-Cyrl") in (reader.last.text or "")  # type: ignore[union-attr]
    await press(reader, t.gettext("📖 Original"))
    assert words(env, "en") in (reader.last.text or "")  # type: ignore[union-attr]
    await press(reader, "◂ Ўзбекча")
    assert words(env, "uz-Cyrl") in (reader.last.text or "")  # type: ignore[union-attr]

    await press(reader, t.gettext("⚠ Report a problem"))
    await press(reader, t.gettext("Typo"))
    await reader.send("имло хатоси 5e2a")
    await reader.wait_reply()
    report = admin.find("5e2a")
    assert report is not None and "(uz-Cyrl)" in (report.text or "")

    await reader.send("аёллар")  # any text is a search: Cyrillic pages for a Cyrillic reader
    await reader.wait_reply()
    assert "аёллар" in (reader.last.text or "").lower()  # type: ignore[union-attr]
    latin = env.emu.user(4007, language_code="uz")
    await latin.send("аёллар")  # a Latin reader typing Cyrillic still finds Latin pages
    await latin.wait_reply()
    assert "ayollar" in (latin.last.text or "").lower()  # type: ignore[union-attr]
