"""Polls and "was this useful?" end to end: the /announce wizard, delivery through the engine, answers from
readers on the emulator, the admins' totals, and a search of the database and the logs for who answered what."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3

import pytest

from bench.population import add_users_bulk
from bot.polls import CLOCK_KEY, PollStore
from bot.polls.callbacks import Vote, read
from bot.reading.keyboards import language_name
from emulator import EmulatedUser
from tests.conftest import ADMIN_ID, BotEnv
from tests.test_admin_e2e import button, click, say, wait_button, wait_state

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")

QUESTIONS = {
    "ru": "Что важнее всего в вашем селе?\nДороги\nРабота\nБезопасность",
    "en": "What matters most in your village?\nRoads\nJobs\nSafety",
    "kk": "Ауылыңызда ең маңыздысы не?\nЖолдар\nЖұмыс\nҚауіпсіздік",
}
OPTIONS = {code: text.splitlines()[1:] for code, text in QUESTIONS.items()}
LANGUAGES = ("ru", "en", "kk")
READERS = 300
FIRST_ID = 10_000


async def send_poll(env: BotEnv, admin: EmulatedUser, versions: dict[str, str]) -> int:
    """Drive /announce as an admin: everyone, a poll, the given versions (others skipped), send now."""
    await say(admin, "/language")
    await click(admin, button(admin, "English"))
    await say(admin, "/announce")
    await click(admin, "☐ 📊 A poll instead of a message")
    await click(admin, "Next ›")
    await click(admin, "All languages")
    for _ in env.services.i18n.languages:
        step = admin.last.text or ""  # type: ignore[union-attr]
        asking = next(c for c in env.services.i18n.languages if f"the poll in {language_name(c)}:" in step)
        if asking in versions:
            await admin.send(versions[asking])
            await admin.wait_reply(count=2)  # the poll as readers will see it, then the next step
        else:
            await click(admin, "Skip")
        if "Step 4 of 4" in (admin.last.text or ""):  # type: ignore[union-attr]
            break
    await click(admin, "Send now")
    await wait_button(admin, "✓ Confirm")
    await click(admin, "✓ Confirm")
    announcement = (await env.services.storage.announcements.recent(limit=1))[0]
    return announcement.id


def vote_buttons(message_buttons: list[list[tuple[str, str | None]]]) -> list[tuple[str, str]]:
    return [(text, data) for row in message_buttons for text, data in row if data and isinstance(read(data), Vote)]


async def test_a_poll_in_three_languages_to_300_readers(env: BotEnv, caplog: pytest.LogCaptureFixture) -> None:
    # The levels bot/ops/logs.py gives these loggers whatever LOG_LEVEL says (their DEBUG lines carry every update);
    # every other logger at DEBUG. (caplog.set_level also sets its handler's level: DEBUG comes last.)
    for name, level in (("telegram", logging.INFO), ("aiosqlite", logging.INFO), ("httpx", logging.WARNING)):
        caplog.set_level(level, logger=name)
    caplog.set_level(logging.DEBUG)
    storage = env.services.storage
    ids = {
        code: list(range(FIRST_ID + n * 1000, FIRST_ID + n * 1000 + READERS // 3)) for n, code in enumerate(LANGUAGES)
    }
    readers: dict[int, tuple[str, EmulatedUser]] = {}
    for code in LANGUAGES:
        await add_users_bulk(storage, ids[code], code)
        for uid in ids[code]:
            readers[uid] = (code, env.emu.user(uid, language_code=code))
    admin = env.emu.user(ADMIN_ID, language_code="en")
    poll_id = await send_poll(env, admin, QUESTIONS)
    await wait_state(env, poll_id, "done", within=60)
    assert (await storage.deliveries.figures(poll_id)).sent == READERS + 1  # and the admin, a reader too

    # 200 readers answer: every 5th changes their answer, every 7th taps their answer again, every 9th taps
    # the buttons of the delivered copy again (an old button: a replay).
    answering = [uid for code in LANGUAGES for uid in ids[code][: 200 // 3 + (2 if code == "ru" else 0)]]
    assert len(answering) == 200
    expected: dict[tuple[str, int], int] = {}

    async def answer(uid: int) -> None:
        code, user = readers[uid]
        delivered = user.last
        assert delivered is not None
        original = vote_buttons(delivered.buttons)
        assert [text for text, _ in original] == OPTIONS[code]
        choice = uid % 3 + 1
        await user.press(OPTIONS[code][choice - 1])
        await user.wait_reply()
        t = env.services.i18n.get(code)
        assert t.gettext("Answers in {language}:").format(language=language_name(code)) in (user.last.text or "")  # type: ignore[union-attr]
        if uid % 5 == 0:
            choice = choice % 3 + 1
            await user.press("" + OPTIONS[code][choice - 1])
            await user.wait_reply()
        if uid % 7 == 0:
            await user.press("✓ " + OPTIONS[code][choice - 1])
            await user.wait_answer()
        if uid % 9 == 0:
            await user.press_data(original[uid % 3][1], message_id=delivered.message_id)
            answer = await user.wait_answer()
            t = env.services.i18n.get(code)
            stale = t.gettext(
                "You have already answered this poll. Change your answer on the message where you answered."
            )
            assert answer.text == stale
        expected[(code, choice)] = expected.get((code, choice), 0) + 1

    for start in range(0, len(answering), 40):
        await asyncio.gather(*(answer(uid) for uid in answering[start : start + 40]))

    counts = await PollStore(storage.database).counts(poll_id)
    assert {k: v for k, v in counts.items() if v} == expected
    assert sum(counts.values()) == 200

    # The poll closes: later answers are not counted, and the tokens of who answered are erased.
    env.app.bot_data[CLOCK_KEY] = lambda: dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    late = [ids[code][-1] for code in LANGUAGES]
    for uid in late:
        code, user = readers[uid]
        await user.press(OPTIONS[code][0])
        await user.wait_reply()
        assert user.last_callback_answer is not None
        t = env.services.i18n.get(code)
        assert t.gettext("The poll is closed. Final results:") in (user.last.text or "")  # type: ignore[union-attr]
    assert await PollStore(storage.database).counts(poll_id) == counts
    async with storage.database.transaction() as db:
        left = await db.execute_fetchall("SELECT count(*) FROM poll_tokens")
    assert next(iter(left))[0] == 0

    # The admins' totals: exact per language and option, small ones as "< 5".
    await admin.send(f"/stats {poll_id}")
    await admin.wait_for(lambda: admin.find(f"Poll #{poll_id}") is not None, what="the poll's chart")
    chart = admin.find(f"Poll #{poll_id}")
    assert chart is not None and "closed" in (chart.text or "")
    blocks = (chart.text or "").split("\n\n")
    for code in LANGUAGES:
        block = next(b for b in blocks if b.startswith(language_name(code) + "\n")).splitlines()
        for number in (1, 2, 3):
            n = expected.get((code, number), 0)
            assert block[number].startswith(f"{number}. ") and block[number].endswith(f" {n if n >= 5 else '< 5'}")
    together = next(b for b in blocks if b.startswith("All languages together\n")).splitlines()
    assert together[-1] == "200 answers"

    # Nothing ties a reader to an option: not a row of the database, not a log line.
    await storage.counters.flush()
    every_id = {str(uid) for uid in readers}
    path = env.settings.database_path
    with sqlite3.connect(path) as copy:
        tables = [r[0] for r in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in copy.execute(f"SELECT * FROM {table}"):  # table names from the schema
                cells = {str(c) for c in row}
                if cells & every_id:
                    assert table in ("users", "subscriptions", "deliveries"), (table, row)
                    assert not any(option in str(row) for code in LANGUAGES for option in OPTIONS[code]), row
    raw = path.read_bytes() + (
        path.with_name(path.name + "-wal").read_bytes() if path.with_name(path.name + "-wal").exists() else b""
    )
    for uid in answering[:20]:
        for option in OPTIONS[readers[uid][0]]:
            for at in _find_all(raw, str(uid).encode()):
                assert option.encode() not in raw[max(0, at - 200) : at + 200]
    for record in caplog.records:
        if record.name.startswith("emulator"):
            continue  # the emulator plays Telegram: it knows who pressed what
        line = record.getMessage()
        if any(uid in line for uid in every_id):
            assert "p1:v" not in line and not any(o in line for c in LANGUAGES for o in OPTIONS[c]), line


def _find_all(raw: bytes, needle: bytes) -> list[int]:
    found, at = [], raw.find(needle)
    while at >= 0:
        found.append(at)
        at = raw.find(needle, at + 1)
    return found
