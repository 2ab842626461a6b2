"""Bad input, privacy and the less travelled paths, end to end against the emulator."""

from __future__ import annotations

import logging
import shutil
import stat
from pathlib import Path

import pytest

from bot.announcing.buttons import Admin, AdminButton
from bot.ops.checks import sync_locales
from bot.ops.logs import setup_logging
from bot.ops.paths import locales_dir
from bot.reading.callbacks import Action, pack
from bot.reading.search import SearchIndex
from bot.storage import Storage
from emulator import EmulatedUser
from tests.conftest import ADMIN_ID, BotEnv
from tests.test_admin_e2e import button, click, say, subscribe, wait_button, wait_state

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


async def english_admin(env: BotEnv) -> EmulatedUser:
    admin = env.emu.user(ADMIN_ID, language_code="en")
    await say(admin, "/language")
    await click(admin, button(admin, "English"))
    return admin


# --------------------------------------------------------------------------------------------- errors


async def test_a_crashing_handler_is_logged_and_the_reader_told(
    env: BotEnv, logged_errors: list[logging.LogRecord], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(code: str, query: str) -> None:
        raise RuntimeError("search index broke")

    monkeypatch.setattr(env.services.screens, "search_for", broken)
    user = env.emu.user(8001, language_code="en")
    await say(user, "water")
    assert user.last is not None and user.last.text == "Something went wrong. Please try again."
    assert [r.name for r in logged_errors] == ["bot.reading.fallbacks"]
    assert "water" not in logged_errors[0].getMessage()  # never what the person wrote
    logged_errors.clear()


async def test_a_non_admin_pressing_an_admin_button_gets_nothing(env: BotEnv, caplog: pytest.LogCaptureFixture) -> None:
    stranger = env.emu.user(8002, language_code="en")
    await say(stranger, "/menu")
    with caplog.at_level(logging.WARNING):
        await stranger.press_data(Admin(AdminButton.CANCEL, "1").pack())
        answer = await stranger.wait_answer()
    assert "expired" in (answer.text or "")
    assert "non-admin 8002 pressed an admin button" in caplog.text


async def test_cancel_says_whether_there_was_anything_to_cancel(env: BotEnv) -> None:
    admin = await english_admin(env)
    await say(admin, "/cancel")
    assert admin.last is not None and admin.last.text == "There is no announcement in progress to cancel."
    await say(admin, "/announce")
    await click(admin, "Next ›")
    await click(admin, "Only English")
    await say(admin, "/cancel")
    assert admin.last.text == "The announcement was cancelled."
    await say(admin, "water")  # no draft any more: an ordinary search
    assert "Found in the brief" in (admin.last.text or "")


# --------------------------------------------------------------------------------------------- bad input


async def test_lone_surrogates_in_a_search_and_in_callback_data(env: BotEnv) -> None:
    user = env.emu.user(8003, language_code="en")
    await say(user, "zzqxv \ud800")
    assert user.last is not None and "Nothing found for “zzqxv”" in (user.last.text or "")
    await say(user, "\udc00")
    assert "Send me a few words" in (user.last.text or "")
    await say(user, "/menu")
    await user.press_data("1:t:\ud800")
    assert "expired" in ((await user.wait_answer()).text or "")


async def test_a_schedule_beyond_the_calendar_is_refused_and_not_searched(env: BotEnv) -> None:
    admin = await english_admin(env)
    await say(admin, "/announce")
    await click(admin, "Next ›")
    await click(admin, "Only English")
    await say(admin, "Far future")
    await click(admin, "Schedule…")
    sent = len(admin.messages)
    await say(admin, "9999-12-31 23:59 Etc/GMT+12")
    assert admin.last is not None and "too far in the future" in (admin.last.text or "")
    assert len(admin.messages) == sent + 1  # one answer: not also a search result
    await say(admin, "2030-01-01 09:00")
    await wait_button(admin, "✓ Confirm")


async def test_hide_on_a_message_too_old_to_delete_says_so(env: BotEnv) -> None:
    user = env.emu.user(8004, language_code="en")
    await say(user, "/menu")
    menu = user.last
    assert menu is not None
    env.emu.mark_too_old(user.id, menu.message_id)
    await user.press("✕ Hide")
    answer = await user.wait_answer()
    assert answer.show_alert and "too old" in (answer.text or "")
    assert [m.message_id for m in user.messages] == [menu.message_id]  # no new "·" message


# --------------------------------------------------------------------------------------------- privacy


async def test_inline_mode_shares_a_link_not_the_text_of_protected_themes(env: BotEnv) -> None:
    user = env.emu.user(8005, language_code="en")
    await user.inline_query("violence")
    results = (await user.wait_inline()).results
    protected = [r for r in results if r["title"].startswith("Gender-based violence")]
    assert protected
    gbv = env.services.content.get("en").theme("gbv")
    assert gbv is not None and gbv.protect_content
    texts = [item.text for section in gbv.sections for item in section.items]
    for result in protected:
        body = result["input_message_content"]["message_text"]
        assert "start=i_gbv_" in body
        assert not any(text[:40] in body for text in texts)
    # someone who only used inline mode never started the bot: nothing is stored about them
    assert await env.services.storage.readers.get(8005) is None


async def test_forget_tells_the_truth_and_old_buttons_start_afresh(env: BotEnv) -> None:
    user = env.emu.user(8006, language_code="en")
    await say(user, "/menu")
    old_menu = user.last
    assert old_menu is not None
    await say(user, "/forget")
    await click(user, "Yes, erase my data")
    assert "stores your Telegram id and language again" in (user.last.text or "")  # type: ignore[union-attr]
    assert await env.services.storage.readers.get(8006) is None
    await user.press("Climate justice", message_id=old_menu.message_id)
    await user.wait_reply()
    assert "starts afresh" in (old_menu.text or "") and "Choose your language" in (old_menu.text or "")
    stored = await env.services.storage.readers.get(8006)
    assert stored is not None and not stored.language_chosen
    assert await env.services.storage.subscriptions.topics(8006) == frozenset()


async def test_the_database_is_private_when_the_bot_creates_it(tmp_path: Path) -> None:
    path = tmp_path / "data" / "bot.sqlite3"
    async with await Storage.open(path):
        pass
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


async def test_aiosqlite_never_logs_statements_even_at_debug(tmp_path: Path) -> None:
    root = logging.getLogger()
    saved = (root.level, list(root.handlers), logging.getLogger("aiosqlite").level)
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    try:
        setup_logging("DEBUG")
        root.addHandler(Collect(logging.DEBUG))
        async with await Storage.open(tmp_path / "bot.sqlite3") as storage:
            await storage.subscriptions.set(8007, "gbv", True)
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[1]:
            root.addHandler(handler)
        root.setLevel(saved[0])
        logging.getLogger("aiosqlite").setLevel(saved[2])
    assert [r for r in records if r.name.startswith("aiosqlite") and r.levelno < logging.INFO] == []
    assert not any("8007" in r.getMessage() for r in records)


# --------------------------------------------------------------------------------------------- smaller things


def test_a_hit_in_a_footnote_is_snipped_around_its_word(static: tuple[object, ...]) -> None:
    content = static[0]
    search = static[3]
    assert isinstance(search, SearchIndex)
    for theme in content.get("en").themes:  # type: ignore[attr-defined]
        for section in theme.sections:
            for item in section.items:
                for note in item.notes:
                    words = [w.strip(".,;:()") for w in (note.text or "").split()]
                    unique = [w for w in words if len(w) > 6 and w.isalpha() and w.lower() not in item.text.lower()]
                    if unique:
                        word = unique[0]
                        hits = [h for h in search.search("en", word, 50) if h.item_id == item.id]
                        assert hits, word
                        from bot.reading.render import snippet

                        assert word.lower() in snippet(hits[0].text, hits[0].position).lower()
                        return
    pytest.fail("no footnote with a word of its own in the English content")


async def test_nothing_found_echoes_the_query_as_typed(env: BotEnv) -> None:
    user = env.emu.user(8008, language_code="en")
    await say(user, "Zzqxv  WATER-Mill")
    assert "Nothing found for “Zzqxv WATER-Mill”" in (user.last.text or "")  # type: ignore[union-attr]


async def test_unsubscribing_twice_says_already_unsubscribed(env: BotEnv) -> None:
    reader = await subscribe(env, 8009, "en", ["climate"])
    admin = await english_admin(env)
    await say(admin, "/announce")
    await click(admin, "☐ Climate justice")
    await click(admin, "Next ›")
    await click(admin, "Only English")
    await say(admin, "Climate news")
    await click(admin, "Send now")
    await wait_button(admin, "✓ Confirm")
    await click(admin, "✓ Confirm")
    announcement = (await env.services.storage.announcements.recent(limit=1))[0]
    await wait_state(env, announcement.id, "done")
    await reader.wait_for(lambda: reader.find("Climate news") is not None, what="the announcement")
    delivered = reader.find("Climate news")
    assert delivered is not None
    await reader.press("🔕 Unsubscribe from this theme", message_id=delivered.message_id)
    assert (await reader.wait_answer()).text == "Unsubscribed."
    await reader.press_data(pack(Action.UNSUBSCRIBE, announcement.id), message_id=delivered.message_id)
    assert (await reader.wait_answer()).text == "You are already unsubscribed."


async def test_announcements_show_a_scheduled_one_with_its_time_and_zone(env: BotEnv) -> None:
    admin = await english_admin(env)
    await say(admin, "/announce")
    await click(admin, "Next ›")
    await click(admin, "Only English")
    await say(admin, "Later")
    await click(admin, "Schedule…")
    await say(admin, "2030-01-01 09:00 Asia/Almaty")
    await wait_button(admin, "✓ Confirm")
    await click(admin, "✓ Confirm")
    await say(admin, "/announcements")
    text = admin.last.text or ""  # type: ignore[union-attr]
    assert "Scheduled for 2030-01-01 04:00 UTC." in text
    assert "Sent:" not in text and "Waiting:" not in text


async def test_an_admin_whose_draft_was_lost_is_told_and_not_searched(env: BotEnv) -> None:
    admin = await english_admin(env)
    await say(admin, "/announce")
    await click(admin, "Next ›")
    await click(admin, "Only English")
    env.app.drop_user_data(ADMIN_ID)  # what a restart does to the draft kept in memory
    await say(admin, "water")
    assert "announcement you were preparing was lost" in (admin.last.text or "")  # type: ignore[union-attr]
    await say(admin, "water")  # told once; now it is a search again
    assert "Found in the brief" in (admin.last.text or "")  # type: ignore[union-attr]


# --------------------------------------------------------------------------------------------- sync-locales


def _catalogues(root: Path) -> dict[Path, list[str]]:
    """Every catalogue's lines, without the creation date that each run stamps anew."""
    return {
        p.relative_to(root): [
            line for line in p.read_text(encoding="utf-8").splitlines() if "-Creation-Date" not in line
        ]
        for p in root.rglob("*.po*")
    }


def test_sync_locales_is_idempotent_and_fills_english(tmp_path: Path) -> None:
    root = tmp_path / "locales"
    shutil.copytree(locales_dir(), root)
    en = root / "en" / "LC_MESSAGES" / "messages.po"
    before = _catalogues(root)
    text = en.read_text(encoding="utf-8")
    en.write_text(text.replace('msgstr "Language changed."', 'msgstr ""'), encoding="utf-8")
    sync_locales(root)
    assert _catalogues(root) == before  # the template is current, and the English msgstr came back from its msgid
