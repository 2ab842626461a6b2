"""The reader's experience end to end: the real bot, PTB's HTTP stack, the local Bot API emulator."""

from __future__ import annotations

import re

import pytest

from bot.content import Content
from bot.languages.discovery import discover_languages
from bot.ops.paths import content_dir
from bot.reading.callbacks import Action, pack
from emulator import EmulatedMessage, EmulatedUser
from tests.conftest import BotEnv, eventually


def content_of(env: BotEnv) -> Content:
    return env.services.content


def numbers_on_page(message: EmulatedMessage) -> list[int]:
    """The item numbers shown on a section page ("1. ...")."""
    return [int(n) for n in re.findall(r"^(\d+)\. ", message.text or "", re.M)]


async def open_menu(user: EmulatedUser) -> EmulatedMessage:
    await user.send("/menu")
    await user.wait_reply()
    assert user.last is not None
    return user.last


async def press(user: EmulatedUser, label: str, *, count: int = 1) -> EmulatedMessage:
    """Press a button and wait for the reply: an edit in place, or (count=2) a delete and a fresh message."""
    await user.press(label)
    await user.wait_reply(count=count)
    assert user.last is not None
    return user.last


@pytest.mark.parametrize(("language", "code"), [(code, code) for code in discover_languages(content_dir())])
async def test_walk_every_theme_section_and_page_reaching_every_item(env: BotEnv, language: str, code: str) -> None:
    user = env.emu.user(1000 + len(code), language_code=language)
    loc = content_of(env).get(code)
    await open_menu(user)
    reached = 0
    for theme in loc.themes:
        # A protected theme cannot be edited into an unprotected menu: the menu is deleted, a copy sent.
        assert user.last is not None
        replaced = theme.protect_content and not user.last.protect_content
        page = await press(user, theme.short_title, count=2 if replaced else 1)
        assert theme.title in (page.text or "")
        assert theme.moderator_name in (page.text or "")
        for section in theme.sections:
            await press(user, f"{section.short_title} ({len(section.items)})")
            seen: list[int] = []
            while True:
                message = user.last
                assert message is not None
                assert section.title in (message.text or "")
                assert len(message.text or "") <= 4096
                seen += numbers_on_page(message)
                if "›" not in message.button_texts:
                    break
                await press(user, "›")
            assert seen == list(range(1, len(section.items) + 1)), (theme.id, section.id)
            # every item's own words are on its page
            reached += len(seen)
            back = next(b for b in message.button_texts if b.startswith("‹ "))
            await press(user, back)
        menu = next(b for b in user.last.button_texts if b.startswith("☰"))
        await press(user, menu)
    assert reached == sum(len(s.items) for t in loc.themes for s in t.sections)
    # navigation edited one message in place instead of flooding the chat
    assert len(user.messages) == 1


async def test_language_comes_from_telegram_then_the_choice_wins(env: BotEnv) -> None:
    kazakh = env.emu.user(2001, language_code="kk")
    await kazakh.send("/start")
    await kazakh.wait_reply()
    assert kazakh.last is not None
    assert "Тілді таңдаңыз" in (kazakh.last.text or "")  # Kazakh, the reader's own language
    assert "✓ Қазақша" in kazakh.last.button_texts
    assert {"Кыргызча", "Тоҷикӣ", "Türkmençe", "Oʻzbekcha", "Русский", "English"} <= set(kazakh.last.button_texts)
    await press(kazakh, "English")
    assert "Climate justice" in kazakh.last.button_texts
    stored = await env.services.storage.readers.get(2001)
    assert stored is not None and stored.language == "en"
    await kazakh.send("/menu")
    await kazakh.wait_reply()
    assert "Climate justice" in kazakh.last.button_texts
    assert "Выберите язык" not in (kazakh.last.text or "")

    german = env.emu.user(2002, language_code="de")
    await german.send("/start")
    await german.wait_reply()
    assert "Климатическая справедливость" in german.last.button_texts  # type: ignore[union-attr]

    ukrainian = env.emu.user(2004, language_code="uk")  # post-Soviet, not shipped: Russian
    await ukrainian.send("/start")
    await ukrainian.wait_reply()
    assert "✓ Русский" in ukrainian.last.button_texts  # type: ignore[union-attr]


async def test_language_command_and_not_modified(env: BotEnv) -> None:
    user = env.emu.user(2003, language_code="en")
    await user.send("/language")
    await user.wait_reply()
    assert user.last is not None and "✓ English" in user.last.button_texts
    await press(user, "✓ English")  # same language: the menu edit may be "not modified"
    await press(user, "🌐 Language")
    await user.press("✓ English")
    await user.wait_reply()
    assert user.last_callback_answer is not None


async def test_deep_links_open_theme_section_and_item(env: BotEnv) -> None:
    user = env.emu.user(3001, language_code="en")
    await user.start("t_gbv")
    await user.wait_reply()
    assert "Elimination of gender-based violence" in (user.last.text or "")  # type: ignore[union-attr]
    await user.start("s_climate_safety")
    await user.wait_reply()
    assert "How to protect the rights & safety" in (user.last.text or "")  # type: ignore[union-attr]
    await user.start("i_economy_solutions-2")
    await user.wait_reply()
    text = user.last.text or ""  # type: ignore[union-attr]
    assert "Young programmers' league" in text
    assert "vbyrai.kz" in text  # the footnote travels with its item
    await user.start("i_gbv_nonexistent-9")
    await user.wait_reply()
    assert "not valid any more" in (user.last.text or "")  # type: ignore[union-attr]
    assert "Climate justice" in user.last.button_texts  # type: ignore[union-attr]


async def test_section_share_button_is_a_deep_link(env: BotEnv) -> None:
    user = env.emu.user(3002, language_code="en")
    await user.start("s_movements_advocacy")
    await user.wait_reply()
    share = [v for row in user.last.buttons for t, v in row if "Share" in t]  # type: ignore[union-attr]
    assert share and "start%3Ds_movements_advocacy" in (share[0] or "")


@pytest.mark.parametrize(
    "data",
    [
        "0:m",
        "1:t:weather",
        "1:s:climate:barriers:99",
        "1:s:climate:nothing:0",
        "nonsense",
        "1:a:x",
        "1:u:gbv:z",
    ],
)
async def test_stale_or_forged_buttons_get_a_fresh_menu(env: BotEnv, data: str) -> None:
    user = env.emu.user(4001, language_code="en")
    await open_menu(user)
    await user.press_data(data)
    answer = await user.wait_answer()  # the menu is already showing: the edit is "not modified"
    assert "expired" in (answer.text or "")
    assert "Climate justice" in user.last.button_texts  # type: ignore[union-attr]


async def test_a_message_too_old_to_edit_gets_a_fresh_one(env: BotEnv) -> None:
    user = env.emu.user(4002, language_code="en")
    menu = await open_menu(user)
    env.emu.mark_too_old(user.id, menu.message_id)
    await user.press("Climate justice")
    await user.wait_reply()
    assert len(user.messages) == 2
    assert "Feminist activism for climate justice" in (user.last.text or "")  # type: ignore[union-attr]


async def test_protected_theme_is_sent_with_forwarding_disabled(env: BotEnv) -> None:
    user = env.emu.user(4003, language_code="en")
    menu = await open_menu(user)
    await user.press("Gender-based violence")
    await user.wait_reply(count=2)  # the menu deleted, a protected message sent
    assert user.last is not None and user.last.protect_content
    assert menu.message_id not in [m.message_id for m in user.messages]  # replaced, not left behind
    unprotected = await press(user, "☰ Menu")
    assert "Climate justice" in unprotected.button_texts


async def test_hide_deletes_the_message(env: BotEnv) -> None:
    user = env.emu.user(4004, language_code="en")
    await open_menu(user)
    await user.press("✕ Hide")
    await user.wait_reply()
    assert user.messages == []


@pytest.mark.parametrize(
    ("language", "query", "theme_title"),
    [("ru", "насилия", "Гендерное насилие"), ("en", "violence", "Gender-based violence")],
)
async def test_search_finds_and_opens_the_page(env: BotEnv, language: str, query: str, theme_title: str) -> None:
    user = env.emu.user(5000 + len(language), language_code=language)
    await user.send(query)
    await user.wait_reply()
    results = user.last
    assert results is not None
    assert theme_title in (results.text or "")
    first = results.button_texts[0]
    assert first.startswith("1. ")
    listing = results.text
    await user.press(first)
    # The page replaces the results: edited in place, or (a protected theme) deleted and sent anew.
    await user.wait_for(lambda: user.last is not None and user.last.text != listing)
    page = user.last
    assert page is not None


async def test_search_command_and_bad_queries(env: BotEnv) -> None:
    user = env.emu.user(5003, language_code="en")
    for text, expected in [
        ("/search", "Send me a few words"),
        ("/search water women", "Found in the brief"),
        ("😀🔥", "I can only search for words"),
        ("x " * 2048, "too long to search"),
        ("zzqxv", "Nothing found"),
    ]:
        await user.send(text)
        await user.wait_reply()
        assert expected in (user.last.text or ""), text  # type: ignore[union-attr]


async def test_inline_mode_offers_items_with_a_link_back(env: BotEnv) -> None:
    user = env.emu.user(5004, language_code="ru")
    await user.inline_query("насилие")
    results = (await user.wait_inline()).results
    assert results
    body = results[0]["input_message_content"]["message_text"]
    assert "t.me/" in body and "start=i_" in body
    assert "Ликвидация гендерного насилия" in body or "насили" in body


async def test_forget_erases_after_confirmation(env: BotEnv) -> None:
    user = env.emu.user(6001, language_code="en")
    await open_menu(user)
    await press(user, "Climate justice")
    await press(user, "🔔 Subscribe")
    assert await env.services.storage.subscriptions.topics(6001) == {"climate"}
    await user.send("/forget")
    await user.wait_reply()
    assert "Erase?" in (user.last.text or "")  # type: ignore[union-attr]
    await press(user, "No, keep it")
    assert await env.services.storage.readers.get(6001) is not None
    await user.send("/forget")
    await user.wait_reply()
    done = await press(user, "Yes, erase my data")
    assert "erased" in (done.text or "")
    assert "1 subscription" in (done.text or "")
    assert await env.services.storage.readers.get(6001) is None
    assert await env.services.storage.subscriptions.topics(6001) == frozenset()


@pytest.mark.parametrize("kind", ["sticker", "photo", "voice", "contact", "location", "document"])
async def test_non_text_messages_get_a_short_answer(env: BotEnv, kind: str) -> None:
    user = env.emu.user(7001, language_code="en")
    await getattr(user, f"send_{kind}")()
    await user.wait_reply()
    assert "I understand text only" in (user.last.text or "")  # type: ignore[union-attr]


async def test_unknown_and_admin_commands_for_strangers(env: BotEnv) -> None:
    user = env.emu.user(7002, language_code="ru")
    for command in ("/nonsense", "/announce", "/stats"):
        await user.send(command)
        await user.wait_reply()
        assert "не знаю такой команды" in (user.last.text or "")  # type: ignore[union-attr]


async def test_edited_messages_are_ignored_on_purpose(env: BotEnv) -> None:
    user = env.emu.user(7003, language_code="en")
    sent = await user.send("water")
    await user.wait_reply()
    count = len(user.messages)
    await user.edit(sent.message_id, "climate")
    with pytest.raises(TimeoutError):
        await user.wait_reply(timeout=0.5)
    assert len(user.messages) == count


async def test_group_chats_point_to_the_private_chat(env: BotEnv) -> None:
    group = env.emu.group(-100500, title="Activists")
    member = env.emu.user(7004, language_code="en")
    await group.send(member, "/start")
    await group.wait_reply()
    assert "only in a private chat" in (group.last.text or "")  # type: ignore[union-attr]
    await group.send(member, "/start@some_other_bot")
    with pytest.raises(TimeoutError):
        await group.wait_reply(timeout=0.5)
    await group.send(member, "just chatting")
    with pytest.raises(TimeoutError):
        await group.wait_reply(timeout=0.5)
    assert await env.services.storage.readers.get(7004) is None  # nothing stored from a group


async def test_help_and_about_show_licence_and_privacy(env: BotEnv) -> None:
    user = env.emu.user(7005, language_code="en")
    await user.send("/help")
    await user.wait_reply()
    assert "no names and no messages" in (user.last.text or "")  # type: ignore[union-attr]
    await user.send("/about")
    await user.wait_reply()
    pages = [user.last.text or ""]  # type: ignore[union-attr]
    while "›" in user.last.button_texts:  # type: ignore[union-attr]
        pages.append((await press(user, "›")).text or "")
    about = "\n".join(pages)
    for fragment in (
        "CC BY-NC 4.0",
        "Olga Djanaeva",
        "Nargis Azizova",
        "Leyla Ali",
        "Swiss Agency",
        "94 activists",
    ):
        assert fragment in about


async def test_callback_data_of_every_menu_fits_telegram(env: BotEnv) -> None:
    user = env.emu.user(7006, language_code="ru")
    await open_menu(user)
    await press(user, "Гендерное насилие", count=2)
    checked = 0
    for message in user.messages:
        for row in (message.reply_markup or {}).get("inline_keyboard", []):
            for button in row:
                if "callback_data" in button:
                    assert len(button["callback_data"].encode()) <= 64
                    checked += 1
    assert checked >= 10
    assert pack(Action.SECTION, "movements", "solidarity", 12)  # the longest kind packs


async def test_command_menus_are_set_per_language_only_when_changed(env: BotEnv) -> None:
    calls = env.emu.stats.calls.get("setMyCommands", 0)
    # The default, then each shipped language Telegram can name: two letters only, so no uz-Cyrl menu (its
    # readers' Telegram says "uz": they get the uz one).
    two_letter = [code for code in env.services.i18n.languages if len(code) == 2]
    assert "uz-Cyrl" in env.services.i18n.languages and "uz-Cyrl" not in two_letter
    assert calls == 1 + len(two_letter)
    from bot.ops.profile import sync_profile

    assert not await sync_profile(env.app.bot, env.services.i18n, env.services.storage)
    assert env.emu.stats.calls.get("setMyCommands", 0) == calls  # nothing changed: nothing sent again


async def test_blocking_the_bot_is_recorded_and_coming_back_clears_it(env: BotEnv) -> None:
    user = env.emu.user(7007, language_code="en")
    await open_menu(user)
    storage = env.services.storage

    async def blocked() -> bool:
        stored = await storage.readers.get(7007)
        return stored is not None and stored.blocked

    async def unblocked() -> bool:
        stored = await storage.readers.get(7007)
        return stored is not None and not stored.blocked

    user.block()
    await eventually(blocked, what="the block recorded")
    user.unblock()
    await eventually(unblocked, what="the block cleared")
