"""Polls and ratings: the poll text's checks, the keyed tokens and signatures, counting (replays, changes,
floods), and each bad input or abuse answered clearly through the real bot on the emulator."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.announcing.services import engine_of
from bot.polls import CLOCK_KEY, PollStore
from bot.polls.callbacks import Useful, Vote, read
from bot.polls.domain import CHANGES_MAX, OPTION_MAX, Keys, PollProblem, PollVersion, load_key, parse_poll
from bot.polls.store import Answer
from bot.reading import deeplinks
from bot.reading.callbacks import ItemPage, SectionPage
from bot.reading.deeplinks import DeepLink
from bot.storage import Storage
from emulator import EmulatedUser
from tests.conftest import ADMIN_ID, BotEnv
from tests.test_admin_e2e import button, click, say, subscribe, wait_state
from tests.test_polls_e2e import send_poll, vote_buttons

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")

KEY = b"k" * 32


# ------------------------------------------------------------------------------------------ pure rules


@pytest.mark.parametrize(
    ("text", "reason", "number"),
    [
        ("", "question", 0),
        ("Question?\nOnly one", "few", 0),
        ("Q?\n" + "\n".join(f"option {n}" for n in range(11)), "many", 0),
        ("Q" * 301 + "\nyes\nno", "question_long", 0),
        ("Q?\nyes\n" + "n" * (OPTION_MAX + 1), "option_long", 2),
        ("Q?\nyes\n-\nno", "option_empty", 2),
        ("Q?\nYes\nno\n  yes ", "duplicate", 3),
    ],
)
def test_a_bad_poll_text_is_refused_with_its_reason(text: str, reason: str, number: int) -> None:
    with pytest.raises(PollProblem) as caught:
        parse_poll(text)
    assert (caught.value.reason, caught.value.number) == (reason, number)


def test_a_poll_text_drops_list_markers_and_blank_lines() -> None:
    assert parse_poll("Which?\n\n1. Roads\n- Jobs\n• Safety\n") == PollVersion("Which?", ("Roads", "Jobs", "Safety"))


def test_signatures_bind_the_state_and_tokens_hide_the_reader(tmp_path: Path) -> None:
    keys = Keys(load_key(tmp_path / "bot.key"))
    assert (tmp_path / "bot.key").stat().st_mode & 0o777 == 0o600
    assert Keys(load_key(tmp_path / "bot.key")).sign(1, "ru", 2, 1, 42) == keys.sign(1, "ru", 2, 1, 42)
    signature = keys.sign(1, "ru", 2, 1, 42)
    assert keys.verify(signature, 1, "ru", 2, 1, 42)
    assert not keys.verify(signature, 1, "ru", 3, 1, 42)  # another current answer
    assert not keys.verify(signature, 1, "ru", 2, 1, 43)  # another reader
    assert b"42" not in keys.token("poll", 1, 42)
    assert Keys(b"x" * 32).token("poll", 1, 42) != keys.token("poll", 1, 42)
    vote = Vote(123456, "uz-Cyrl", 10, 10, CHANGES_MAX, signature)
    assert len(vote.pack().encode()) <= 64 and read(vote.pack()) == vote


# ------------------------------------------------------------------------------------------ counting


async def _storage_with_poll(tmp_path: Path) -> tuple[Storage, PollStore]:
    storage = await Storage.open(tmp_path / "bot.sqlite3")
    async with storage.database.transaction() as db:
        await db.execute(
            "INSERT INTO announcements (id, created_by, created_at, topics, state) "
            "VALUES (1, 1, '2026-12-06T00:00:00', '[]', 'done')"
        )
    store = PollStore(storage.database)
    await store.create(1, "2026-12-09T00:00:00+00:00", {"ru": PollVersion("Q?", ("a", "b", "c"))})
    return storage, store


async def test_a_change_moves_one_count_and_a_replay_or_flood_moves_none(tmp_path: Path) -> None:
    storage, store = await _storage_with_poll(tmp_path)
    token = Keys(KEY).token("poll", 1, 42)
    try:
        assert await store.answer(1, token, "ru", 1, 0, 0) is Answer.COUNTED
        assert await store.answer(1, token, "ru", 2, 0, 0) is Answer.STALE  # the first button again: a replay
        assert await store.answer(1, token, "ru", 1, 1, 1) is Answer.SAME
        assert await store.answer(1, token, "ru", 2, 1, 1) is Answer.COUNTED  # a change
        assert await store.answer(1, token, "ru", 3, 1, 1) is Answer.STALE  # the pre-change button again
        assert await store.counts(1) == {("ru", 1): 0, ("ru", 2): 1}
        current = 2
        for answers in range(2, CHANGES_MAX):
            choice = 3 if current == 2 else 2
            assert await store.answer(1, token, "ru", choice, current, answers) is Answer.COUNTED
            current = choice
        other = 3 if current == 2 else 2
        assert await store.answer(1, token, "ru", other, current, CHANGES_MAX) is Answer.FLOOD
        assert sum((await store.counts(1)).values()) == 1
        await store.close(1)
        rows = await storage.database.connection.execute_fetchall("SELECT count(*) FROM poll_tokens")
        assert next(iter(rows))[0] == 0
    finally:
        await storage.close()


async def test_a_section_is_rated_once_and_forgetting_asks_again(tmp_path: Path) -> None:
    storage, store = await _storage_with_poll(tmp_path)
    keys = Keys(KEY)
    token = keys.token("useful", 42, "climate", "barriers")
    try:
        assert await store.rate(token, "climate", "barriers", "ru", True)
        assert not await store.rate(token, "climate", "barriers", "ru", False)  # a replay: counted once
        assert await store.rated(token)
        assert await store.forget_ratings([token]) == 1
        assert not await store.rated(token)
        counts = await store.useful_counts()
        assert [(c.yes, c.no) for c in counts] == [(1, 0)]
    finally:
        await storage.close()


# ------------------------------------------------------------------------------------------ through the bot

POLL = {"ru": "Что важнее?\nДороги\nРабота", "en": "What matters more?\nRoads\nJobs"}


async def _poll_to(env: BotEnv, readers: list[EmulatedUser]) -> int:
    admin = env.emu.user(ADMIN_ID, language_code="en")
    poll_id = await send_poll(env, admin, POLL)
    await wait_state(env, poll_id, "done", within=30)
    for reader in readers:
        await reader.wait_for(_has_poll(reader), what="the poll")
    return poll_id


def _has_poll(reader: EmulatedUser) -> Callable[[], bool]:
    return lambda: reader.last is not None and bool(vote_buttons(reader.last.buttons))


async def _admin_in_english(env: BotEnv) -> EmulatedUser:
    admin = env.emu.user(ADMIN_ID, language_code="en")
    await say(admin, "/language")
    await click(admin, button(admin, "English"))
    await say(admin, "/announce")
    await click(admin, "☐ 📊 A poll instead of a message")
    await click(admin, "Next ›")
    await click(admin, "All languages")
    return admin


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Что важнее?\nДороги\n" + "Р" * (OPTION_MAX + 1), f"Answer 2 is too long: at most {OPTION_MAX} characters."),
        ("Что важнее?\nДороги\n—\nРабота", "Answer 2 is empty."),
        ("Что важнее?\nДороги\nдороги", "Answer 2 is the same as an earlier answer."),
        ("Что важнее?", "A poll needs at least 2 answers, one per line under the question."),
    ],
)
async def test_the_wizard_refuses_a_bad_poll_and_asks_again(env: BotEnv, text: str, expected: str) -> None:
    admin = await _admin_in_english(env)
    await say(admin, text)
    assert admin.last is not None and expected in (admin.last.text or "")
    assert "Send the poll again." in (admin.last.text or "")
    await admin.send(POLL["ru"])
    await admin.wait_reply(count=2)
    assert "the poll in English:" in (admin.last.text or "")  # the Russian version was taken, English is next


async def test_every_version_needs_as_many_answers_as_the_first(env: BotEnv) -> None:
    admin = await _admin_in_english(env)
    await admin.send(POLL["ru"])
    await admin.wait_reply(count=2)
    await say(admin, "What matters more?\nRoads\nJobs\nSafety")
    assert "send 2 answers" in (admin.last.text or "")  # type: ignore[union-attr]


async def test_a_poll_to_an_empty_audience_cannot_be_confirmed(env: BotEnv) -> None:
    admin = env.emu.user(ADMIN_ID, language_code="en")
    await say(admin, "/language")
    await click(admin, button(admin, "English"))
    await say(admin, "/announce")
    await click(admin, "☐ 📊 A poll instead of a message")
    theme = env.services.content.get("en").theme("climate")
    assert theme is not None
    await click(admin, f"☐ {theme.short_title}")  # nobody follows it
    await click(admin, "Next ›")
    await click(admin, "Only English")
    await admin.send(POLL["en"])
    await admin.wait_reply(count=2)
    await click(admin, "Send now")
    await admin.wait_for(lambda: "Nobody is in this audience" in (admin.last.text or ""))  # type: ignore[union-attr]
    assert admin.last is not None and admin.last.button_texts == ["Cancel"]
    assert await env.services.storage.announcements.recent(limit=1) == []


async def test_forged_buttons_count_nothing(env: BotEnv) -> None:
    reader = env.emu.user(700, language_code="en")
    await say(reader, "/start")
    poll_id = await _poll_to(env, [reader])
    delivered = reader.last
    assert delivered is not None
    data = read(vote_buttons(delivered.buttons)[0][1])
    assert isinstance(data, Vote)
    forged = [
        Vote(data.poll, data.language, 1, 2, 1, data.signature),  # claims an earlier answer it never gave
        Vote(data.poll, data.language, 9, 0, 0, data.signature),  # no such option
        Vote(data.poll, "ru", 1, 0, 0, data.signature),  # another language version's button
        Vote(poll_id + 1, data.language, 1, 0, 0, data.signature),  # no such poll
    ]
    for payload in forged:
        await reader.press_data(payload.pack(), message_id=delivered.message_id)
        answer = await reader.wait_answer()
        assert answer.text == "This button is not valid any more."
    await reader.press_data("p1:v:1:en:x", message_id=delivered.message_id)
    assert (await reader.wait_answer()).text == "This button is not valid any more."
    assert await PollStore(env.services.storage.database).counts(poll_id) == {}


async def test_a_flood_of_changes_stops_at_the_limit(env: BotEnv) -> None:
    reader = env.emu.user(701, language_code="en")
    await say(reader, "/start")
    poll_id = await _poll_to(env, [reader])
    current = "Roads"
    await click(reader, current)
    for _ in range(1, CHANGES_MAX):  # every answer a reader may give
        current = "Jobs" if current == "Roads" else "Roads"
        await click(reader, current)
    await reader.press("Jobs" if current == "Roads" else "Roads")
    answer = await reader.wait_answer()
    assert answer.text == "You have changed your answer too many times. Your last answer stays."
    counts = await PollStore(env.services.storage.database).counts(poll_id)
    assert sum(counts.values()) == 1


async def test_answering_a_cancelled_or_closed_poll_counts_nothing(env: BotEnv) -> None:
    readers = [env.emu.user(uid, language_code="en") for uid in (702, 703)]
    for reader in readers:
        await say(reader, "/start")
    poll_id = await _poll_to(env, readers)
    await click(readers[0], "Roads")
    env.app.bot_data[CLOCK_KEY] = lambda: dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    await readers[1].press("Jobs")
    assert (await readers[1].wait_answer()).text == "This poll is closed. Here are the final results."
    await readers[1].wait_for(lambda: "The poll is closed. Final results:" in (readers[1].last.text or ""))  # type: ignore[union-attr]
    assert "Roads: < 5" in (readers[1].last.text or "")  # type: ignore[union-attr]
    env.app.bot_data.pop(CLOCK_KEY)
    assert engine_of(env.app.bot_data) is not None
    async with env.services.storage.database.transaction() as db:
        await db.execute("UPDATE announcements SET state = 'cancelled' WHERE id = ?", (poll_id,))
    await readers[0].press("✓ Roads")
    assert (await readers[0].wait_answer()).text == "This poll was cancelled. Your answer is not counted."
    assert await PollStore(env.services.storage.database).counts(poll_id) == {("en", 1): 1}


async def test_was_this_useful_on_a_sections_last_page(env: BotEnv) -> None:
    reader = await subscribe(env, 710, "en", [])
    content = env.services.content.get("en")
    theme = content.themes[0]
    section = theme.sections[0]
    pages = env.services.library.pages("en", theme.id, section.id)
    last = len(pages) - 1

    async def open_last() -> None:
        await say(reader, "/start")  # a fresh menu, turned into the page
        await reader.press_data(SectionPage(theme.id, section.id, last).pack())
        await reader.wait_reply()

    await open_last()
    assert reader.last is not None and "👍 Useful" in reader.last.button_texts
    if last:
        await reader.press_data(SectionPage(theme.id, section.id, 0).pack())
        await reader.wait_reply()
        assert "👍 Useful" not in reader.last.button_texts  # only the last page asks
        await open_last()
    await reader.press("👎 Not useful")
    assert (await reader.wait_answer()).text == "Thank you! This helps the translators."
    await reader.wait_for(lambda: "👍 Useful" not in reader.last.button_texts)  # type: ignore[union-attr]
    await reader.press_data(Useful(theme.id, section.id, "y").pack())  # a replay of the other button
    assert (await reader.wait_answer()).text == "You already answered, thank you."
    await open_last()
    assert "👍 Useful" not in reader.last.button_texts  # gone once answered for this section
    counts = await PollStore(env.services.storage.database).useful_counts()
    assert [(c.theme, c.section, c.language, c.yes, c.no) for c in counts] == [(theme.id, section.id, "en", 0, 1)]
    await reader.press_data(Useful(theme.id, "no-such-section", "y").pack())
    assert (await reader.wait_answer()).text == "This button is not valid any more."
    # /forget erases the memory of having answered: the section asks again.
    await say(reader, "/forget")
    await click(reader, "Yes, erase my data")
    await open_last()
    assert "👍 Useful" in reader.last.button_texts


async def test_was_this_useful_on_a_last_page_reached_by_a_deep_link_or_an_item(env: BotEnv) -> None:
    reader = await subscribe(env, 711, "en", [])
    library = env.services.library
    content = env.services.content.get("en")
    one_page = next(
        (theme.id, section.id)
        for theme in content.themes
        for section in theme.sections
        if len(library.pages("en", theme.id, section.id)) == 1
    )
    await say(reader, "/start " + deeplinks.encode(DeepLink(one_page[0], one_page[1])))
    assert reader.last is not None and "👍 Useful" in reader.last.button_texts
    theme = content.themes[1]
    section = next(s for s in theme.sections if len(library.pages("en", theme.id, s.id)) > 1)
    last_item = section.items[-1].id
    where = library.locate("en", theme.id, last_item)
    assert where is not None and where.page == len(library.pages("en", theme.id, section.id)) - 1
    await say(reader, "/start " + deeplinks.encode(DeepLink(theme.id, item_id=last_item)))
    assert "👍 Useful" in reader.last.button_texts
    await reader.press_data(ItemPage(theme.id, section.items[0].id).pack())  # the first page: no question
    await reader.wait_reply()
    assert "👍 Useful" not in reader.last.button_texts


async def test_stats_and_export_show_polls_and_ratings_k_suppressed(env: BotEnv) -> None:
    readers = [env.emu.user(uid, language_code="en") for uid in (720, 721)]
    for reader in readers:
        await say(reader, "/start")
    poll_id = await _poll_to(env, readers)
    await click(readers[0], "Roads")
    assert "Roads: < 5" in (readers[0].last.text or "")  # type: ignore[union-attr]
    assert "Answers in English:" in (readers[0].last.text or "")  # type: ignore[union-attr]
    store = PollStore(env.services.storage.database)
    for n in range(6):
        await store.rate(bytes([n]) * 16, "climate", "barriers", "en", n == 0)
    admin = env.emu.user(ADMIN_ID, language_code="en")
    await admin.send("/stats")
    await admin.wait_for(lambda: admin.find("Least useful sections") is not None)
    stats = admin.find("Least useful sections")
    assert stats is not None and "👍 &lt; 5 · 👎 5" not in (stats.text or "") and "👍 < 5 · 👎 5" in (stats.text or "")
    await admin.send(f"/stats {poll_id}")
    await admin.wait_for(lambda: admin.find(f"Poll #{poll_id}") is not None)
    chart = admin.find(f"Poll #{poll_id}")
    assert chart is not None and "1. ░ < 5" in (chart.text or "")
    await admin.send("/export")
    await admin.wait_for(lambda: any("polls per language" in (m.caption or "") for m in admin.messages))


async def test_a_reader_in_discreet_mode_opens_the_poll_and_answers(env: BotEnv) -> None:
    reader = env.emu.user(730, language_code="en")
    await say(reader, "/start")
    await env.services.storage.safety.set_discreet(730, True)
    admin = env.emu.user(ADMIN_ID, language_code="en")
    poll_id = await send_poll(env, admin, POLL)
    await wait_state(env, poll_id, "done", within=30)
    await reader.wait_for(lambda: reader.last is not None and "📖 Open" in reader.last.button_texts)
    assert "What matters" not in (reader.last.text or "")  # type: ignore[union-attr]  # nothing on the lock screen
    await click(reader, "📖 Open")
    assert "What matters more?" in (reader.last.text or "")  # type: ignore[union-attr]
    await click(reader, "Jobs")
    assert "Your answer: Jobs" in (reader.last.text or "")  # type: ignore[union-attr]
    assert await PollStore(env.services.storage.database).counts(poll_id) == {("en", 2): 1}
