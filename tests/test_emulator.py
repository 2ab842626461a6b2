"""End-to-end tests of the Bot API emulator, driven through PTB's real HTTP stack."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from emulator import BotAPIEmulator, EmulatedUser, parse_html

USER_ID = 1001
OTHER_ID = 1002

# PTB warns about the future type of RetryAfter.retry_after each time it builds one.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


@pytest.fixture
async def emu() -> AsyncIterator[BotAPIEmulator]:
    """A running emulator."""
    async with BotAPIEmulator() as emulator:
        yield emulator


def make_bot(emu: BotAPIEmulator, *, read_timeout: float = 5.0, token: str | None = None) -> Bot:
    """A real PTB Bot pointed at the emulator."""
    return Bot(
        token or emu.token,
        base_url=emu.base_url,
        request=HTTPXRequest(read_timeout=read_timeout, connect_timeout=2.0),
    )


@pytest.fixture
async def bot(emu: BotAPIEmulator) -> AsyncIterator[Bot]:
    """An initialised PTB Bot."""
    async with make_bot(emu) as tg_bot:
        yield tg_bot


@pytest.fixture
def user(emu: BotAPIEmulator) -> EmulatedUser:
    """An emulated Russian-speaking user."""
    return emu.user(USER_ID, first_name="Aida", username="aida")


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    """Build an inline keyboard of callback buttons."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in row] for row in rows])


def seconds(value: int | dt.timedelta) -> float:
    """Normalise PTB's retry_after (int, or timedelta with PTB_TIMEDELTA) to seconds."""
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


@pytest.fixture
async def polling_app(emu: BotAPIEmulator) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """A PTB Application polling the emulator; handlers are added by the test."""
    app = Application.builder().token(emu.token).base_url(emu.base_url).build()
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=2, poll_interval=0)
        yield app
        await app.updater.stop()
        await app.stop()


# --------------------------------------------------------------------------- basics


async def test_get_me_and_base_url(emu: BotAPIEmulator, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.username == "brief_demo_bot"
    assert me.is_bot
    assert emu.base_url.startswith("http://127.0.0.1:") and emu.base_url.endswith("/bot")
    assert emu.stats.calls["getMe"] >= 1


async def test_wrong_token_is_unauthorized(emu: BotAPIEmulator) -> None:
    wrong = make_bot(emu, token="987654321:wrong-token")
    try:
        with pytest.raises(InvalidToken, match=r"Unauthorized"):
            await wrong.get_me()
    finally:
        await wrong.request.shutdown()
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{emu.base_url}987654321:wrong/getMe") as response,
    ):
        assert response.status == 401
        assert await response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_unknown_method_is_not_found(emu: BotAPIEmulator, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": 1})
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{emu.base_url}{emu.token}/sendTelepathy") as response,
    ):
        assert response.status == 404
        assert await response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_json_body_and_case_insensitive_method(emu: BotAPIEmulator, user: EmulatedUser) -> None:
    async with aiohttp.ClientSession() as session:
        url = f"{emu.base_url}{emu.token}/SENDMESSAGE"
        payload = {"chat_id": USER_ID, "text": "123", "reply_markup": {"inline_keyboard": [[]]}}
        async with session.post(url, json=payload) as response:
            body = await response.json()
    assert body["ok"] is True
    assert body["result"]["text"] == "123"
    assert user.last is not None and user.last.text == "123"


# --------------------------------------------------------------------------- polling


async def test_long_polling_and_offsets(emu: BotAPIEmulator, bot: Bot, user: EmulatedUser) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    assert not poll.done()
    await user.send("hi")
    updates = await asyncio.wait_for(poll, 2)
    assert time.monotonic() - started < 2
    assert len(updates) == 1
    message = updates[0].message
    assert message is not None and message.text == "hi" and message.from_user is not None
    assert message.from_user.language_code == "ru"
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [updates[0].update_id]
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == ()
    assert emu.pending_updates == 0


async def test_get_updates_limit_and_timeout_without_updates(bot: Bot, user: EmulatedUser) -> None:
    for i in range(3):
        await user.send(f"m{i}")
    updates = await bot.get_updates(limit=2, timeout=0)
    assert [u.message.text for u in updates if u.message] == ["m0", "m1"]
    rest = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    assert [u.message.text for u in rest if u.message] == ["m2"]
    started = time.monotonic()
    assert await bot.get_updates(offset=rest[-1].update_id + 1, timeout=dt.timedelta(seconds=0.3)) == ()
    assert time.monotonic() - started >= 0.25


async def test_allowed_updates_filter_new_updates(bot: Bot, user: EmulatedUser) -> None:
    assert await bot.get_updates(timeout=0, allowed_updates=["callback_query"]) == ()
    await user.send("ignored")
    await bot.send_message(USER_ID, "menu", reply_markup=keyboard([("A", "a")]))
    await user.press("A")
    updates = await bot.get_updates(timeout=0)
    assert [u.callback_query.data for u in updates if u.callback_query] == ["a"] and len(updates) == 1
    await bot.get_updates(offset=updates[0].update_id + 1, timeout=0, allowed_updates=[])
    await user.send("seen again")
    assert [u.message.text for u in await bot.get_updates(timeout=0) if u.message] == ["seen again"]


async def test_application_echo_end_to_end(
    emu: BotAPIEmulator, polling_app: Application[Any, Any, Any, Any, Any, Any], user: EmulatedUser
) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(update.effective_message.text or "")

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"start:{','.join(context.args or [])}")

    polling_app.add_handler(CommandHandler("start", start))
    polling_app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    await user.send("hi")
    replies = await user.wait_reply()
    assert [m.text for m in replies] == ["hi"]
    assert user.last is not None and user.last.text == "hi"
    assert [m.text for m in await user.ask("/start deep_link")] == ["start:deep_link"]
    await emu.wait_idle(quiet=0.05)
    assert emu.pending_updates == 0
    assert [m.text for m in user.history] == ["hi", "hi", "/start deep_link", "start:deep_link"]


async def test_wait_reply_counts_the_expected_message_changes(
    polling_app: Application[Any, Any, Any, Any, Any, Any], user: EmulatedUser
) -> None:
    async def chatty(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        first = await context.bot.send_message(update.effective_chat.id, "one")
        await asyncio.sleep(0.01)
        await context.bot.send_message(update.effective_chat.id, "two")
        await first.edit_text("one (edited)")

    polling_app.add_handler(MessageHandler(filters.TEXT, chatty))
    await user.send("go")
    replies = await user.wait_reply(count=3)  # two sends and an edit
    assert [m.text for m in replies] == ["one (edited)", "two"]
    await user.send("again")
    await user.wait_reply()  # returns at the first change ...
    await user.wait_reply(count=2)  # ... and the two after it are still counted, however fast they came
    assert [m.text for m in user.messages] == ["one (edited)", "two", "one (edited)", "two"]


async def test_wait_reply_timeout_explains(emu: BotAPIEmulator, user: EmulatedUser) -> None:
    await user.send("nobody polls")
    with pytest.raises(TimeoutError, match=r"is the bot polling"):
        await user.wait_reply(timeout=0.2)
    with pytest.raises(TimeoutError, match=r"not fetched"):
        await emu.wait_idle(timeout=0.2)


async def test_wait_reply_ignores_activity_not_caused_by_the_action(bot: Bot, user: EmulatedUser) -> None:
    await user.send("question")
    await bot.send_message(USER_ID, "unrelated broadcast")  # before the bot even fetched the update
    with pytest.raises(TimeoutError, match=r"has not fetched update"):
        await user.wait_reply(timeout=0.2)
    [update] = await bot.get_updates(timeout=0)
    await bot.send_message(USER_ID, "answer")
    assert [m.text for m in await user.wait_reply()] == ["answer"]

    await bot.send_message(USER_ID, "menu", reply_markup=keyboard([("A", "a")]))
    first = await user.press("A")
    second = await user.press("A")
    await bot.get_updates(offset=update.update_id + 1, timeout=0)
    await bot.answer_callback_query(first)  # a late answer to the previous press
    with pytest.raises(TimeoutError):
        await user.wait_reply(timeout=0.2)
    await bot.answer_callback_query(second, text="fresh")
    assert (await user.wait_answer()).text == "fresh"
    with pytest.raises(TimeoutError):  # an answer alone is not a message change
        await user.wait_reply(timeout=0.2)
    assert [a.text for a in user.callback_answers] == [None, "fresh"]


async def test_webhook_conflicts_with_polling(emu: BotAPIEmulator, bot: Bot) -> None:
    assert await bot.set_webhook("https://example.org/hook", secret_token="s3cret")
    assert (await bot.get_webhook_info()).url == "https://example.org/hook"
    with pytest.raises(Conflict):
        await bot.get_updates(timeout=0)
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert emu.webhook_url == ""
    assert await bot.get_updates(timeout=0) == ()


async def test_stop_releases_long_poll() -> None:
    emulator = BotAPIEmulator()
    await emulator.start()
    async with make_bot(emulator, read_timeout=10) as polling_bot:
        poll = asyncio.create_task(polling_bot.get_updates(timeout=30))
        await asyncio.sleep(0.1)
        started = time.monotonic()
        await emulator.stop()
        assert time.monotonic() - started < 2
        assert await asyncio.wait_for(poll, 2) == ()
    assert not emulator.running


# --------------------------------------------------------------------------- sendMessage & HTML


def test_parse_html_entities_and_utf16_offsets() -> None:
    text, entities = parse_html(
        '😀 <b>bold <i>both</i></b> &lt;x&gt; &#65;&#x42; <a href="https://e.org/?a=1&amp;b=2">link</a> '
        '<span class="tg-spoiler">s</span> <pre><code class="language-python">x=1</code></pre> '
        "<blockquote expandable>q</blockquote> a & b"
    )
    assert text == "😀 bold both <x> AB link s x=1 q a & b"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 9},
        {"type": "italic", "offset": 8, "length": 4},
        {"type": "text_link", "offset": 20, "length": 4, "url": "https://e.org/?a=1&b=2"},
        {"type": "spoiler", "offset": 25, "length": 1},
        {"type": "pre", "offset": 27, "length": 3, "language": "python"},
        {"type": "expandable_blockquote", "offset": 31, "length": 1},
    ]


async def test_send_message_html(emu: BotAPIEmulator, bot: Bot, user: EmulatedUser) -> None:
    html = "  <b>Привет</b>, <a href='https://example.org'>мир</a>!\n"
    message = await bot.send_message(USER_ID, html, parse_mode="HTML", protect_content=True, disable_notification=True)
    assert message.text == "Привет, мир!"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [("bold", 0, 6), ("text_link", 8, 3)]
    assert message.has_protected_content
    assert message.from_user is not None and message.from_user.username == "brief_demo_bot"
    assert message.chat.first_name == "Aida"
    last = user.last
    assert last is not None
    assert (last.text, last.html, last.protect_content, last.disable_notification) == (
        "Привет, мир!",
        html,
        True,
        True,
    )
    second = await bot.send_message(USER_ID, "plain", reply_to_message_id=message.message_id)
    assert second.message_id == message.message_id + 1
    assert second.reply_to_message is not None and second.reply_to_message.message_id == message.message_id
    assert emu.delivered(USER_ID) == 2


@pytest.mark.parametrize(
    ("html", "fragment"),
    [
        ("<b>unclosed", "can't find end tag corresponding to start tag b"),
        ("<foo>x</foo>", 'unsupported start tag "foo" at byte offset 0'),
        ("<b>x</i>", 'unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "unexpected end tag at byte offset 1"),
        ("<span>x</span>", 'tag "span" must have class "tg-spoiler"'),
        ("1 < 2", 'unsupported start tag "" at byte offset 2'),
        ("<br>", 'unsupported start tag "br"'),
    ],
)
async def test_send_message_bad_html(bot: Bot, user: EmulatedUser, html: str, fragment: str) -> None:
    with pytest.raises(BadRequest) as info:
        await bot.send_message(USER_ID, html, parse_mode="HTML")
    assert info.value.message.lower().startswith("can't parse entities: ")
    assert fragment in info.value.message.lower()
    assert user.last is None


async def test_send_message_validation(emu: BotAPIEmulator, bot: Bot, user: EmulatedUser) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(USER_ID, "x" * (MessageLimit.MAX_TEXT_LENGTH + 1))
    # The limit applies after entity parsing: markup does not count.
    await bot.send_message(USER_ID, f"<b>{'x' * MessageLimit.MAX_TEXT_LENGTH}</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(USER_ID, "  <b> </b> ", parse_mode="HTML")
    too_long = "d" * (InlineKeyboardButtonLimit.MAX_CALLBACK_DATA + 1)
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(USER_ID, "k", reply_markup=keyboard([("B", too_long)]))
    with pytest.raises(BadRequest, match=r"(?i)button_url_invalid"):
        await bot.send_message(USER_ID, "k", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("u", url="x")]]))
    with pytest.raises(BadRequest, match=r"Chat not found"):
        await bot.send_message(424242, "nobody")
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(USER_ID, "r", reply_to_message_id=999)
    with pytest.raises(BadRequest, match=r"(?i)unsupported parse_mode"):
        await bot.send_message(USER_ID, "x", parse_mode="BBCode")
    assert emu.delivered(USER_ID) == 1
    assert len(user.messages) == 1
    assert emu.stats.errors[400] == 7


# --------------------------------------------------------------------------- edits, deletes, copies


async def test_edit_message_text_and_markup(emu: BotAPIEmulator, bot: Bot, user: EmulatedUser) -> None:
    sent = await bot.send_message(USER_ID, "v1", reply_markup=keyboard([("A", "a")]))
    edited = await bot.edit_message_text("<i>v2</i>", USER_ID, sent.message_id, parse_mode="HTML")
    assert isinstance(edited, type(sent)) and edited.text == "v2" and edited.edit_date is not None
    last = user.last
    assert last is not None and last.text == "v2" and last.html == "<i>v2</i>" and last.edited == 1
    assert last.buttons == []  # editMessageText without reply_markup removes the keyboard, as in Telegram
    with pytest.raises(BadRequest, match=r"(?i)message is not modified: specified new message content"):
        await bot.edit_message_text("<i>v2</i>", USER_ID, sent.message_id, parse_mode="HTML")
    await bot.edit_message_reply_markup(USER_ID, sent.message_id, reply_markup=keyboard([("B", "b")]))
    assert user.last is not None and user.last.buttons == [[("B", "b")]] and user.last.edited == 2
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(USER_ID, sent.message_id, reply_markup=keyboard([("B", "b")]))
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", USER_ID, 999)
    emu.mark_too_old(USER_ID, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
        await bot.edit_message_text("v3", USER_ID, sent.message_id)
    own = await user.send("mine")
    with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
        await bot.edit_message_text("hijack", USER_ID, own.message_id)


async def test_delete_and_history(emu: BotAPIEmulator, bot: Bot, user: EmulatedUser) -> None:
    first = await bot.send_message(USER_ID, "one")
    await bot.send_message(USER_ID, "two")
    assert await bot.delete_message(USER_ID, first.message_id)
    assert [m.text for m in user.messages] == ["two"]
    assert [(m.text, m.deleted) for m in user.history] == [("one", True), ("two", False)]
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(USER_ID, first.message_id)
    emu.mark_too_old(USER_ID, 2)
    with pytest.raises(BadRequest, match=r"(?i)message can't be deleted"):
        await bot.delete_message(USER_ID, 2)


async def test_copy_message(emu: BotAPIEmulator, bot: Bot, user: EmulatedUser) -> None:
    other = emu.user(OTHER_ID, language_code="en")
    source = await bot.send_message(USER_ID, "<b>brief</b>", parse_mode="HTML")
    copied = await bot.copy_message(OTHER_ID, USER_ID, source.message_id, reply_markup=keyboard([("ok", "ok")]))
    assert copied.message_id == 1
    last = other.last
    assert last is not None and last.text == "brief" and last.entities[0]["type"] == "bold"
    assert last.buttons == [[("ok", "ok")]]
    with pytest.raises(BadRequest, match=r"(?i)message to copy not found"):
        await bot.copy_message(OTHER_ID, USER_ID, 999)
    with pytest.raises(BadRequest, match=r"Chat not found"):
        await bot.copy_message(OTHER_ID, 5555, 1)
    assert emu.delivered(OTHER_ID) == 1


async def test_photos_documents_and_files(emu: BotAPIEmulator, bot: Bot, user: EmulatedUser) -> None:
    photo = await bot.send_photo(USER_ID, b"\x89PNG fake bytes", caption="<b>cap</b>", parse_mode="HTML")
    assert photo.photo and photo.caption == "cap" and photo.caption_entities[0].type == "bold"
    reused = await bot.send_photo(USER_ID, photo.photo[-1].file_id)
    assert reused.photo[-1].file_id == photo.photo[-1].file_id
    document = await bot.send_document(USER_ID, b"%PDF-1.4 brief", filename="brief.pdf")
    assert document.document is not None and document.document.file_name == "brief.pdf"
    assert emu.file_content(document.document.file_id) == b"%PDF-1.4 brief"
    by_id = await bot.send_document(USER_ID, document.document.file_id, caption="again")
    assert by_id.document is not None and by_id.document.file_id == document.document.file_id
    # The call log says which calls carried a file and which only a file_id.
    assert [c.uploads for c in emu.calls("sendDocument")] == [1, 0]
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await bot.send_document(USER_ID, "BQACAgIAAxkBAAIfake", caption="c" * (MessageLimit.CAPTION_LENGTH + 1))
    big = await bot.send_document(USER_ID, b"x" * 3_000_000, filename="big.bin")
    assert big.document is not None and big.document.file_size == 3_000_000
    await bot.delete_message(USER_ID, big.message_id)
    with pytest.raises(BadRequest, match=r"(?i)file must be non-empty"):
        await bot.send_document(USER_ID, b"", filename="empty.txt")
    assert [(m.media, m.caption) for m in user.messages] == [
        ("photo", "cap"),
        ("photo", None),
        ("document", None),
        ("document", "again"),
    ]
    assert emu.delivered(USER_ID) == 5


async def test_user_media_updates_parse_in_ptb(bot: Bot, user: EmulatedUser) -> None:
    await user.send_sticker()
    await user.send_photo(caption="look")
    await user.send_voice()
    await user.send_contact()
    await user.send_location()
    await user.send_document(file_name="cv.pdf")
    own = await user.send("typo")
    await user.edit(own.message_id, "fixed")
    updates = await bot.get_updates(timeout=0)
    messages = [u.message for u in updates if u.message]
    assert messages[0].sticker is not None
    assert messages[1].photo and messages[1].caption == "look"
    assert messages[2].voice is not None
    assert messages[3].contact is not None and messages[3].contact.user_id == USER_ID
    assert messages[4].location is not None
    assert messages[5].document is not None and messages[5].document.file_name == "cv.pdf"
    assert updates[-1].edited_message is not None and updates[-1].edited_message.text == "fixed"


# --------------------------------------------------------------------------- buttons & queries


async def test_press_by_text_and_index(bot: Bot, user: EmulatedUser) -> None:
    await bot.send_message(USER_ID, "old", reply_markup=keyboard([("Old", "old")]))
    sent = await bot.send_message(
        USER_ID,
        "menu",
        reply_markup=keyboard([("Русский", "lang:ru")], [("English", "lang:en"), ("Back", "back")]),
    )
    assert user.last is not None and user.last.button_texts == ["Русский", "English", "Back"]
    await user.press("English")
    await user.press(3)
    await user.press("Old", message_id=1)
    query_id = await user.press_data("forged:" + "x" * 100)
    updates = await bot.get_updates(timeout=0)
    queries = [u.callback_query for u in updates if u.callback_query]
    assert [q.data for q in queries] == ["lang:en", "back", "old", "forged:" + "x" * 100]
    assert queries[0].message is not None and queries[0].message.message_id == sent.message_id
    assert queries[0].from_user.id == USER_ID
    assert len({q.id for q in queries}) == 4 and queries[3].id == query_id
    assert await bot.answer_callback_query(queries[0].id, text="Saved", show_alert=True)
    assert user.callback_answers[-1].text == "Saved" and user.callback_answers[-1].show_alert
    assert user.callback_answers[-1].data == "lang:en"
    with pytest.raises(BadRequest, match=r"(?i)query is too old and response timeout expired"):
        await bot.answer_callback_query(queries[0].id)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query("123")
    with pytest.raises(LookupError, match=r"Deutsch"):
        await user.press("Deutsch")
    with pytest.raises(IndexError):
        await user.press(4)


async def test_click_through_application(
    polling_app: Application[Any, Any, Any, Any, Any, Any], user: EmulatedUser
) -> None:
    async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("Pick", reply_markup=keyboard([("One", "1"), ("Two", "2")]))

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer(f"got {query.data}")
        await query.edit_message_text(f"picked {query.data}")

    polling_app.add_handler(CommandHandler("menu", menu))
    polling_app.add_handler(CallbackQueryHandler(pressed))
    [reply] = await user.ask("/menu")
    assert reply.button_texts == ["One", "Two"]
    changed = await user.click("Two")
    assert [m.text for m in changed] == ["picked 2"]
    assert changed[0].edited == 1 and changed[0].message_id == reply.message_id
    assert user.last_callback_answer is not None and user.last_callback_answer.text == "got 2"


async def test_inline_query(bot: Bot, user: EmulatedUser) -> None:
    query_id = await user.inline_query("gender")
    updates = await bot.get_updates(timeout=0)
    inline = updates[-1].inline_query
    assert inline is not None and inline.query == "gender" and inline.id == query_id
    result = InlineQueryResultArticle("r1", "Brief", InputTextMessageContent("<b>Brief</b>", parse_mode="HTML"))
    assert await bot.answer_inline_query(inline.id, [result], cache_time=0)
    assert user.inline_results[0]["id"] == "r1"
    assert user.inline_results[0]["input_message_content"]["message_text"] == "<b>Brief</b>"
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_inline_query(inline.id, [result])
    second = await user.inline_query("x")
    duplicate = [result, InlineQueryResultArticle("r1", "Dup", InputTextMessageContent("d"))]
    with pytest.raises(BadRequest, match=r"(?i)result_id_duplicate"):
        await bot.answer_inline_query(second, duplicate)


async def test_group_chat(bot: Bot, emu: BotAPIEmulator, user: EmulatedUser) -> None:
    group = emu.group(-100500, "Forum")
    await group.send(user, "/help@brief_demo_bot please")
    [update] = await bot.get_updates(timeout=0)
    message = update.message
    assert message is not None and message.chat.type == "group" and message.chat.title == "Forum"
    assert message.entities[0].type == "bot_command" and message.entities[0].length == len("/help@brief_demo_bot")
    await bot.send_message(group.id, "hello group", reply_markup=keyboard([("Go", "go")]))
    await group.press(user, "Go")
    updates = await bot.get_updates(offset=update.update_id + 1, timeout=0)
    query = updates[-1].callback_query
    assert query is not None and query.data == "go" and query.from_user.id == USER_ID
    await bot.answer_callback_query(query.id, text="ok")
    assert group.callback_answers[-1].text == "ok" and user.callback_answers[-1].text == "ok"


# --------------------------------------------------------------------------- bot settings


async def test_commands_and_descriptions_per_language(emu: BotAPIEmulator, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "Начать"), BotCommand("help", "Помощь")], language_code="ru")
    await bot.set_my_commands([BotCommand("start", "Start")], language_code="en")
    await bot.set_my_commands([BotCommand("menu", "Menu")], scope=BotCommandScopeAllPrivateChats())
    assert emu.commands(language_code="en") == [("start", "Start")]
    assert emu.commands() == []
    assert emu.commands("all_private_chats") == [("menu", "Menu")]
    assert emu.commands(language_code="ru") == [("start", "Начать"), ("help", "Помощь")]
    await bot.set_my_commands([], language_code="en")  # an empty list deletes, as deleteMyCommands would
    assert emu.commands(language_code="en") == []
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad Command", "x")])
    await bot.set_my_description("Описание", language_code="ru")
    await bot.set_my_short_description("Short", language_code="en")
    assert emu.description() == ""
    assert emu.description("ru") == "Описание" and emu.short_description("en") == "Short"


# --------------------------------------------------------------------------- blocking & faults


async def test_blocked_user(bot: Bot, user: EmulatedUser) -> None:
    user.block()
    with pytest.raises(Forbidden, match=r"bot was blocked by the user"):
        await bot.send_message(USER_ID, "hello?")
    updates = await bot.get_updates(timeout=0)
    member = updates[-1].my_chat_member
    assert member is not None and member.new_chat_member.status == "kicked"
    user.unblock()
    assert (await bot.send_message(USER_ID, "welcome back")).text == "welcome back"


@pytest.mark.logs_errors("telegram.request")  # PTB logs a 502's HTML body as invalid JSON
@pytest.mark.parametrize(
    ("kind", "error", "fragment"),
    [
        ("429", RetryAfter, "Flood control exceeded. Retry in 3"),
        ("403", Forbidden, "bot was blocked by the user"),
        ("403_deactivated", Forbidden, "user is deactivated"),
        ("400_chat_not_found", BadRequest, "Chat not found"),
        ("500", NetworkError, "Internal Server Error"),
        ("502", NetworkError, "Bad Gateway"),
    ],
)
async def test_fault_kinds_surface_in_ptb(
    emu: BotAPIEmulator, bot: Bot, user: EmulatedUser, kind: str, error: type[Exception], fragment: str
) -> None:
    emu.add_fault(chat_id=USER_ID, method="sendMessage", kind=kind, retry_after=3)
    with pytest.raises(error, match=fragment) as info:
        await bot.send_message(USER_ID, "x")
    if kind == "429":
        assert isinstance(info.value, RetryAfter) and seconds(info.value.retry_after) == 3
        assert emu.stats.too_many_requests == 1
    if kind in ("500", "502"):
        assert not isinstance(info.value, BadRequest)
    assert (await bot.send_message(USER_ID, "ok")).text == "ok"  # consumed
    assert emu.delivered(USER_ID) == 1
    assert emu.stats.faults_fired[kind] == 1


async def test_timeout_fault_and_fast_stop() -> None:
    emulator = BotAPIEmulator()
    await emulator.start()
    emulator.user(USER_ID)
    emulator.add_fault(method="sendMessage", kind="timeout", hold=30)
    async with make_bot(emulator, read_timeout=0.3) as short_bot:
        with pytest.raises(TimedOut):
            await short_bot.send_message(USER_ID, "held")
        started = time.monotonic()
        await emulator.stop()
        assert time.monotonic() - started < 2.5
    assert emulator.delivered(USER_ID) == 0


async def test_error_bodies_match_telegram(emu: BotAPIEmulator, user: EmulatedUser) -> None:
    emu.add_fault(kind="429", retry_after=2)
    url = f"{emu.base_url}{emu.token}/sendMessage"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data={"chat_id": str(USER_ID), "text": "x"}) as response:
            assert response.status == 429
            assert await response.json() == {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 2",
                "parameters": {"retry_after": 2},
            }
        async with session.post(url, data={"chat_id": "777", "text": "x"}) as response:
            assert response.status == 400
            assert await response.json() == {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: chat not found",
            }
    assert [(c.method, c.status) for c in emu.calls("sendMessage")] == [
        ("sendMessage", 429),
        ("sendMessage", 400),
    ]


async def test_listener_sees_bot_activity(emu: BotAPIEmulator, bot: Bot, user: EmulatedUser) -> None:
    events: list[tuple[str, str | None]] = []
    emu.add_listener(lambda event, message: events.append((event, message.text)))
    sent = await bot.send_message(USER_ID, "a")
    await bot.edit_message_text("b", USER_ID, sent.message_id)
    await bot.delete_message(USER_ID, sent.message_id)
    assert events == [("sent", "a"), ("edited", "b"), ("deleted", "b")]


async def test_fault_matching_and_count(emu: BotAPIEmulator, bot: Bot) -> None:
    emu.add_users([1, 2])
    emu.add_fault(chat_id=1, kind="403", count=2)
    assert (await bot.send_message(2, "fine")).text == "fine"
    for _ in range(2):
        with pytest.raises(Forbidden):
            await bot.send_message(1, "x")
    await bot.send_message(1, "now ok")
    assert emu.pending_faults == []
    with pytest.raises(ValueError, match=r"unknown fault kind"):
        emu.add_fault(kind="418")


async def test_random_faults_are_seeded() -> None:
    async def failures(seed: int) -> list[int]:
        async with BotAPIEmulator(seed=seed) as emulator:
            emulator.add_users(range(1, 41))
            emulator.random_faults(0.3, ["500", "429"])
            failed = []
            async with make_bot(emulator) as tg_bot:
                for chat_id in range(1, 41):
                    try:
                        await tg_bot.send_message(chat_id, "x")
                    except (NetworkError, RetryAfter):
                        failed.append(chat_id)
                assert (await tg_bot.get_me()).is_bot  # non-sending methods are spared by default
            assert sum(emulator.stats.faults_fired.values()) == len(failed)
            assert emulator.stats.total_delivered == 40 - len(failed)
            return failed

    first = await failures(7)
    assert 0 < len(first) < 40
    assert await failures(7) == first


async def test_latency_is_added(emu: BotAPIEmulator, bot: Bot, user: EmulatedUser) -> None:
    emu.latency = 0.2
    started = time.monotonic()
    await bot.send_message(USER_ID, "slow")
    assert time.monotonic() - started >= 0.2


# --------------------------------------------------------------------------- flood limits & bulk


async def test_global_rate_limit() -> None:
    async with BotAPIEmulator(global_rate_limit=10) as emulator:
        emulator.add_users(range(1, 21))
        async with make_bot(emulator) as tg_bot:
            started = time.monotonic()
            results = await asyncio.gather(
                *(tg_bot.send_message(i, "burst") for i in range(1, 21)), return_exceptions=True
            )
            limited = [r for r in results if isinstance(r, RetryAfter)]
            assert limited and emulator.stats.too_many_requests == len(limited) == 20 - emulator.stats.total_delivered
            if time.monotonic() - started < 0.9:  # the whole burst fell into one window
                assert len(limited) == 10
            assert all(seconds(r.retry_after) >= 1 for r in limited)
            await asyncio.sleep(1.05)
            emulator.reset_stats()
            for i in range(1, 9):  # 8 messages over ~0.9 s respects 10/s
                await tg_bot.send_message(i, "paced")
                await asyncio.sleep(0.11)
            assert emulator.stats.too_many_requests == 0
            assert emulator.stats.total_delivered == 8


async def test_per_chat_rate_limit() -> None:
    async with BotAPIEmulator(per_chat_rate_limit=1) as emulator:
        emulator.add_users([1, 2])
        async with make_bot(emulator) as tg_bot:
            await tg_bot.send_message(1, "first")
            with pytest.raises(RetryAfter):
                await tg_bot.send_message(1, "second")
            await tg_bot.send_message(2, "other chat is fine")
            assert emulator.delivered(1) == 1 and emulator.delivered(2) == 1


async def test_bulk_users_are_cheap(emu: BotAPIEmulator, bot: Bot) -> None:
    started = time.monotonic()
    assert emu.add_users(range(10_000, 30_000), language_code="en") == 20_000
    assert time.monotonic() - started < 3.0
    assert emu.has_chat(29_999) and not emu.has_chat(30_000)
    sent = await bot.send_message(12_345, "broadcast", reply_markup=keyboard([("x", "x")]))
    assert sent.message_id == 1 and emu.delivered(12_345) == 1
    assert emu.messages(12_345) == []  # bodies of bulk chats are not kept
    await bot.edit_message_text("edited", 12_345, 1)
    assert await bot.delete_message(12_345, 1)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(12_345, 2)
    emu.block(12_346)
    emu.deactivate(12_347)
    with pytest.raises(Forbidden, match=r"blocked"):
        await bot.send_message(12_346, "x")
    with pytest.raises(Forbidden, match=r"deactivated"):
        await bot.send_message(12_347, "x")
    bulk_user = emu.user(12_348)
    assert bulk_user.language_code == "en"
    await bot.send_message(12_348, "now tracked")
    assert bulk_user.last is not None and bulk_user.last.text == "now tracked"
