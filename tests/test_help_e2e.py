"""Help directory and discreet mode end to end: the real bot, PTB's HTTP stack, the local Bot API emulator."""

from __future__ import annotations

import re

import pytest

from bot.help.directory import INTERNATIONAL
from bot.help.handlers import VIEWS_KEY
from bot.help.views import HelpViews
from bot.languages.discovery import discover_languages
from bot.ops.paths import content_dir
from emulator import EmulatedMessage, EmulatedUser
from tests.conftest import ADMIN_ID, BotEnv, eventually

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


def views(env: BotEnv) -> HelpViews:
    help_views: HelpViews = env.app.bot_data[VIEWS_KEY]
    return help_views


def t(env: BotEnv, code: str, text: str) -> str:
    return env.services.i18n.get(code).gettext(text)


async def press(user: EmulatedUser, label: str, *, count: int = 1) -> EmulatedMessage:
    await user.press(label)
    await user.wait_reply(count=count)
    assert user.last is not None
    return user.last


async def press_to_protected(user: EmulatedUser, label: str, *, protected: bool = True) -> EmulatedMessage:
    """Press a button leading to a (protected) screen: an unprotected message is replaced (delete + send)."""
    assert user.last is not None
    return await press(user, label, count=2 if protected and not user.last.protect_content else 1)


async def open_menu(user: EmulatedUser) -> EmulatedMessage:
    await user.send("/menu")
    await user.wait_reply()
    assert user.last is not None
    return user.last


def assert_country_list(env: BotEnv, code: str, country_code: str, message: EmulatedMessage) -> None:
    country = views(env).directory.country(country_code)
    assert country is not None
    text = message.text or ""
    assert country.name(code) in text
    assert message.protect_content
    for entry in country.entries:
        assert entry.name(code) in text
        assert entry.checked.isoformat() in text
        if entry.phone:
            assert re.search(rf"^📞 {re.escape(entry.phone)}$", text, re.M)  # plain text: tappable
    assert t(env, code, "⚠ Report a problem") in message.button_texts


async def test_every_country_is_two_taps_from_the_menu(env: BotEnv) -> None:
    user = env.emu.user(2001, language_code="en")
    directory = views(env).directory
    for country in directory.countries:
        await open_menu(user)
        await press_to_protected(user, "🆘 Where to get help")  # tap 1
        assert "Choose a country" in (user.last.text or "")  # type: ignore[union-attr]
        page = await press(user, country.name("en"))  # tap 2
        assert_country_list(env, "en", country.code, page)
        if not country.entries:  # nothing citable: the reader is told, not shown an invented number
            assert "We have not found a number for this country" in (page.text or "")


@pytest.mark.parametrize("code", discover_languages(content_dir()))
async def test_the_directory_is_two_taps_from_a_gbv_page_and_a_safety_page_in_every_language(
    env: BotEnv, code: str
) -> None:
    user = env.emu.user(2100 + len(code) + ord(code[0]), language_code=code)
    content = env.services.content.get(code)
    label = t(env, code, "🆘 Where to get help")
    gbv, climate = content.theme("gbv"), content.theme("climate")
    assert gbv is not None and climate is not None
    for theme, section in ((gbv, gbv.sections[0]), (climate, climate.section("safety"))):
        assert section is not None
        await open_menu(user)
        await press_to_protected(user, theme.short_title, protected=theme.protect_content)
        page = await press_to_protected(
            user, f"{section.short_title} ({len(section.items)})", protected=theme.protect_content
        )
        assert label in page.button_texts  # at the end of the page
        await press_to_protected(user, label)
        country = views(env).directory.country("UZ")
        assert country is not None
        assert_country_list(env, code, "UZ", await press(user, country.name(code)))
    # A page that is neither GBV nor safety carries no such button.
    await open_menu(user)
    await press(user, climate.short_title)
    page = await press(user, f"{climate.sections[0].short_title} ({len(climate.sections[0].items)})")
    assert label not in page.button_texts


async def test_the_country_is_remembered_only_on_request_and_forget_erases_it(env: BotEnv) -> None:
    user = env.emu.user(2201, language_code="en")
    safety = env.services.storage.safety
    await open_menu(user)
    await press_to_protected(user, "🆘 Where to get help")
    await press(user, "Kyrgyzstan")
    assert await safety.help_country(2201) is None  # looked at, not remembered
    await press(user, "📌 Remember this country")
    assert await safety.help_country(2201) == "KG"
    assert "📌 Forget my country" in user.last.button_texts  # type: ignore[union-attr]
    await open_menu(user)
    page = await press_to_protected(user, "🆘 Where to get help")  # one tap: the remembered country
    assert_country_list(env, "en", "KG", page)
    await user.send("/forget")
    await user.wait_reply()
    await press(user, "Yes, erase my data")
    assert await safety.help_country(2201) is None
    await open_menu(user)
    page = await press_to_protected(user, "🆘 Where to get help")
    assert "Choose a country" in (page.text or "")


async def test_report_a_problem_with_a_list_reaches_the_admins(env: BotEnv) -> None:
    admin = env.emu.user(ADMIN_ID, language_code="ru")
    user = env.emu.user(2301, language_code="en")
    await open_menu(user)
    await press_to_protected(user, "🆘 Where to get help")
    await press(user, "International")
    await user.press("⚠ Report a problem")
    await user.wait_answer()
    assert user.last_callback_answer is not None
    assert user.last_callback_answer.text == "Thank you! Your report was sent to the bot's team."
    await eventually(lambda: _has(admin, "не работает"), what="the admins got the report")
    assert INTERNATIONAL in (admin.last.text or "")  # type: ignore[union-attr]


async def _has(user: EmulatedUser, fragment: str) -> bool:
    return user.find(fragment) is not None


# --------------------------------------------------------------------------------------------- discreet mode


async def _subscribe_general(env: BotEnv, user: EmulatedUser) -> None:
    await user.send("/subscriptions")
    await user.wait_reply()
    await press(user, "☐ " + t(env, user.language_code or "ru", "General announcements"))


async def _discreet_on(env: BotEnv, user: EmulatedUser) -> None:
    code = user.language_code or "ru"
    await open_menu(user)
    await press_to_protected(user, t(env, code, "🆘 Where to get help"))
    await press(user, t(env, code, "🛡 Staying safe"))
    await press(user, "☐ " + t(env, code, "🛡 Discreet mode"))
    assert "☑ " + t(env, code, "🛡 Discreet mode") in user.last.button_texts  # type: ignore[union-attr]


async def _announce(env: BotEnv, send: str, *, photo: bool = False) -> int:
    """The admin's wizard, as a person goes through it: general announcements, the default language only."""
    admin = env.emu.user(ADMIN_ID, language_code="en")
    for step in ("/announce", "☐ General announcements", "Next ›", "All languages"):
        if step.startswith("/"):
            await admin.send(step)
            await admin.wait_reply()
        else:
            await press(admin, step)
    if photo:
        await admin.send_photo(caption=send)
    else:
        await admin.send(send)
    await admin.wait_reply()
    for _ in env.services.i18n.languages[1:]:
        await press(admin, "Skip")
    await admin.press("Send now")
    await admin.wait_for(lambda: admin.last is not None and "✓ Confirm" in admin.last.button_texts, what="preview")
    await press(admin, "✓ Confirm")
    announcement = (await env.services.storage.announcements.recent(limit=1))[0]

    async def done() -> bool:
        item = await env.services.storage.announcements.get(announcement.id)
        return item is not None and item.state == "done"

    await eventually(done, within=15, what="the announcement was delivered")
    return announcement.id


ANNOUNCEMENT = "Собрание кризисного центра в субботу, приходите с подругами"


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"\w{3,}", text)}


async def test_discreet_mode_sends_a_neutral_message_that_opens_in_place_and_hides_again(env: BotEnv) -> None:
    discreet, plain = env.emu.user(2401, language_code="ru"), env.emu.user(2402, language_code="ru")
    for user in (discreet, plain):
        await _subscribe_general(env, user)
    await _discreet_on(env, discreet)
    before = len(env.emu.calls("copyMessage"))
    await _announce(env, ANNOUNCEMENT)
    neutral = discreet.last
    assert neutral is not None and neutral.text == "📬 Новое сообщение — нажмите, чтобы открыть"
    assert not _words(ANNOUNCEMENT) & _words(" ".join([neutral.text, *neutral.button_texts]))
    copies = [c.chat_id for c in env.emu.calls("copyMessage")[before:]]
    assert discreet.id not in copies and plain.id in copies  # the discreet reader got no copy
    # Discreet mode off: nothing changes, the copy with its unsubscribe button.
    assert plain.last is not None and plain.last.text == ANNOUNCEMENT
    # The tap opens it in place: the same message, edited.
    opened = await press(discreet, "📖 Открыть")
    assert opened.message_id == neutral.message_id and opened.text == ANNOUNCEMENT
    assert "✕ Скрыть" in opened.button_texts
    collapsed = await press(discreet, "✕ Скрыть")
    assert collapsed.message_id == neutral.message_id
    assert collapsed.text == "📬 Новое сообщение — нажмите, чтобы открыть"
    # /forget removes the setting: the next announcement arrives in full.
    await discreet.send("/forget")
    await discreet.wait_reply()
    await press(discreet, "Да, удалить мои данные")
    assert not await env.services.storage.safety.discreet(discreet.id)


async def test_a_discreet_announcement_with_a_photo_opens_as_a_reply_and_hide_removes_it(env: BotEnv) -> None:
    reader = env.emu.user(2501, language_code="ru")
    await _subscribe_general(env, reader)
    await _discreet_on(env, reader)
    await _announce(env, ANNOUNCEMENT, photo=True)
    neutral = reader.last
    assert neutral is not None and neutral.text == "📬 Новое сообщение — нажмите, чтобы открыть"
    await reader.press("📖 Открыть")
    await reader.wait_reply(count=2)  # the photo as a reply, and the neutral message edited
    photo = next(m for m in reader.messages if m.reply_to_message_id == neutral.message_id)
    assert photo.caption == ANNOUNCEMENT and photo.protect_content is False
    await reader.press("✕ Скрыть", message_id=neutral.message_id)
    await reader.wait_reply(count=2)  # the photo deleted, the text collapsed
    assert all(m.message_id != photo.message_id for m in reader.messages)


async def test_stats_show_directory_opens_per_country_with_small_counts_hidden(env: BotEnv) -> None:
    user = env.emu.user(2601, language_code="en")
    await open_menu(user)
    await press_to_protected(user, "🆘 Where to get help")
    await press(user, "Tajikistan")
    admin = env.emu.user(ADMIN_ID, language_code="en")
    await admin.send("/stats")
    await admin.wait_for(lambda: admin.find("Help directory") is not None, what="the stats")
    stats = admin.find("Help directory")
    assert stats is not None
    assert "• Tajikistan: < 5" in (stats.text or "")
    assert "• Kazakhstan: 0" in (stats.text or "")


async def test_the_gbv_theme_offers_discreet_mode_on_its_first_screen(env: BotEnv) -> None:
    user = env.emu.user(2701, language_code="en")
    gbv = env.services.content.get("en").theme("gbv")
    assert gbv is not None
    await open_menu(user)
    page = await press_to_protected(user, gbv.short_title)
    assert "🛡 Discreet mode" in page.button_texts
    safe = await press(user, "🛡 Discreet mode")
    assert "/forget" in (safe.text or "") and "☐ 🛡 Discreet mode" in safe.button_texts
