"""The reader of an update is resolved once, before any handler (bot/reading/context.py resolve_reader), and
only a message in the private chat (a command even when edited) or a button stores a visit; typed button payloads
keep the wire format."""

from __future__ import annotations

from typing import Any

import pytest

from bot.announcing.buttons import Admin, AdminButton
from bot.announcing.buttons import read as read_admin
from bot.reading.callbacks import PAYLOADS, AboutPage, Action, SectionPage, Toggle, ToggleFrom, pack, read, unpack
from tests.conftest import BotEnv
from tests.test_admin_e2e import click, say

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


def test_every_action_has_a_typed_payload_that_packs_byte_identically() -> None:
    assert set(PAYLOADS) == set(Action)
    assert SectionPage("climate", "barriers", 3).pack() == pack(Action.SECTION, "climate", "barriers", 3)
    assert SectionPage("climate", "barriers", 3).pack() == "1:s:climate:barriers:3"
    assert Toggle("gbv", ToggleFrom.THEME).pack() == "1:u:gbv:t"
    assert Admin(AdminButton.CONFIRM, "0").pack() == "1:A:ok:0"
    for data in ("1:s:climate:barriers:3", "1:u:gbv:S", "1:a:0", "1:m"):
        payload = read(data)
        assert payload is not None and payload.pack() == data
    admin = read_admin("1:A:achart:12")
    assert admin is not None and admin.pack() == "1:A:achart:12"
    assert read("1:A:achart:12") is None  # an admin's button is not the reading menus' to read
    assert read("1:a:2") == AboutPage(2)


@pytest.mark.parametrize(
    "data", ["1:s:climate:barriers:abc", "1:a:9223372036854775808", "1:u:gbv:x", "1:A:zz:0", "1:t", None]
)
def test_ill_typed_payloads_read_as_none(data: str | None) -> None:
    assert read(data) is None


def test_an_ill_typed_payload_still_unpacks_for_the_codec() -> None:
    assert unpack("1:s:climate:barriers:abc") is not None  # well formed; only its page is not a number


def count_calls(env: BotEnv, monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    readers = env.services.storage.readers
    original = getattr(readers, name)
    calls: list[int] = []

    async def counted(user_id: int, *args: Any) -> Any:
        calls.append(user_id)
        return await original(user_id, *args)

    monkeypatch.setattr(readers, name, counted)
    return calls


async def test_a_forged_language_button_resolves_the_reader_once(env: BotEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    user = env.emu.user(8101, language_code="en")
    await say(user, "/menu")
    touched = count_calls(env, monkeypatch, "touch")
    await user.press_data(pack(Action.LANGUAGE, "xx"))
    answer = await user.wait_answer()
    assert "expired" in (answer.text or "")
    assert touched == [8101]  # once: not again to say the menu expired


async def test_an_edited_message_stores_nobody_and_a_button_after_forget_starts_afresh(env: BotEnv) -> None:
    user = env.emu.user(8102, language_code="en")
    sent = await user.send("water")
    await user.wait_reply()
    await say(user, "/forget")
    await click(user, "Yes, erase my data")
    assert await env.services.storage.readers.get(8102) is None
    await user.edit(sent.message_id, "climate")  # an edited search is ignored, and stores nothing
    await user.inline_query("climate")  # one person's updates run in order: this one comes after the edit
    await user.wait_inline()
    assert await env.services.storage.readers.get(8102) is None  # inline mode only looks
    await user.edit(sent.message_id, "/help")  # an edited command is answered: a visit
    await user.wait_reply()
    assert await env.services.storage.readers.get(8102) is not None
