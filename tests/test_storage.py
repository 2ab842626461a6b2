"""The SQLite storage: migrations from every earlier schema, what is kept about a person, and erasure."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import pkgutil
import re
import sqlite3
from pathlib import Path

import pytest

import bot.storage
from bench.population import add_users_bulk
from bot.storage import (
    MIGRATIONS,
    SCHEMA_VERSION,
    AnnouncementDraft,
    AnnouncementState,
    DatabaseLockedError,
    DeliveryState,
    Outcome,
    SchemaTooNewError,
    Storage,
)


def make_db_at_version(path: Path, version: int) -> None:
    """A database as an older bot left it: migrations up to ``version`` applied, with some data."""
    db = sqlite3.connect(path)
    for number in range(version):
        db.executescript(MIGRATIONS[number])
        db.execute(f"PRAGMA user_version = {number + 1}")
    if version >= 1:
        db.execute(
            "INSERT INTO users (user_id, language, first_seen, last_seen) VALUES (7, 'en', '2026-01-01', '2026-01-02')"
        )
        db.execute("INSERT INTO subscriptions (user_id, topic) VALUES (7, 'gbv')")
    if version >= 3:
        db.execute(
            "INSERT INTO announcements (id, created_by, created_at, topics, state, finished_at) "
            "VALUES (1, 9, '2026-01-02T10:00:00+00:00', '[\"gbv\"]', 'done', '2026-01-02T10:05:00+00:00')"
        )
        db.execute("INSERT INTO deliveries (announcement_id, user_id, language, state) VALUES (1, 7, 'en', 'sent')")
    if version >= 5:
        db.execute(
            "INSERT INTO page_views (day, language, theme, section, views) VALUES ('2026-01-02', 'en', 'gbv', '', 6)"
        )
    db.commit()
    db.close()


@pytest.mark.parametrize("version", range(SCHEMA_VERSION + 1))
async def test_migrates_from_every_earlier_schema(tmp_path: Path, version: int) -> None:
    path = tmp_path / "bot.sqlite3"
    make_db_at_version(path, version)
    async with await Storage.open(path) as storage:
        assert await storage.database.schema_version() == SCHEMA_VERSION
        if version >= 1:  # data written by the older bot survives
            user = await storage.readers.get(7)
            assert user is not None and user.language == "en"
            if version < 3:  # a language stored before v3 was always chosen by the person
                assert user.language_chosen
            assert await storage.subscriptions.topics(7) == {"gbv"}
        if version >= 3:  # an announcement keeps its delivery rows (and no totals) until they expire
            announcement = await storage.announcements.get(1)
            assert announcement is not None and announcement.totals is None
            assert (await storage.deliveries.figures(1)).sent == 1
        if version >= 5:  # the counters too
            assert await storage.counters.page_view_rows() == [("2026-01-02", "en", "gbv", "", 6)]
        await storage.database.set_meta("k", "v")
        assert await storage.database.get_meta("k") == "v"


async def test_empty_database_gets_the_latest_schema(tmp_path: Path) -> None:
    async with await Storage.open(tmp_path / "new" / "bot.sqlite3") as storage:
        assert await storage.database.schema_version() == SCHEMA_VERSION
        async with storage.database.connection.execute("PRAGMA journal_mode") as cur:
            assert (await cur.fetchone())[0] == "wal"  # type: ignore[index]
        async with storage.database.connection.execute("PRAGMA foreign_keys") as cur:
            assert (await cur.fetchone())[0] == 1  # type: ignore[index]
        async with storage.database.connection.execute("PRAGMA busy_timeout") as cur:
            assert (await cur.fetchone())[0] > 0  # type: ignore[index]


async def test_newer_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    make_db_at_version(path, SCHEMA_VERSION)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(SchemaTooNewError, match="newer version of the bot"):
        await Storage.open(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


async def test_a_failed_migration_leaves_the_previous_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "bot.sqlite3"
    make_db_at_version(path, 1)
    broken = (*MIGRATIONS[:1], "CREATE TABLE bot_meta (key TEXT); CREATE TABLE oops (x INVALID SYNTAX (;")
    monkeypatch.setattr("bot.storage.database.MIGRATIONS", broken)
    with pytest.raises(sqlite3.OperationalError):
        await Storage.open(path)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "bot_meta" not in tables  # the half-done step was rolled back
    db.close()


async def test_users_keep_only_id_language_days_and_block_flag(tmp_path: Path) -> None:
    async with await Storage.open(tmp_path / "bot.sqlite3") as storage:
        user = await storage.readers.touch(42, "ru")
        assert (user.user_id, user.language, user.blocked, user.language_chosen) == (42, "ru", False, False)
        assert user.first_seen == user.last_seen and len(user.first_seen) == 10  # a day, not a time
        await storage.readers.set_language(42, "en")
        await storage.readers.set_blocked(42)
        assert (await storage.readers.get(42)).blocked  # type: ignore[union-attr]
        user = await storage.readers.touch(42, "ru")  # they came back: no longer blocked; the choice stands
        assert (user.language, user.blocked, user.language_chosen) == ("en", False, True)
        async with storage.database.connection.execute("SELECT * FROM users") as cur:
            columns = [d[0] for d in cur.description]
        assert columns == [
            "user_id",
            "language",
            "first_seen",
            "last_seen",
            "blocked",
            "language_chosen",
            "reference",
            "help_country",  # only when the reader asked the bot to remember it (bot/help/)
            "discreet",
        ]


async def test_subscriptions_are_unique_and_toggle(tmp_path: Path) -> None:
    async with await Storage.open(tmp_path / "bot.sqlite3") as storage:
        await storage.subscriptions.set(1, "gbv", True)
        await storage.subscriptions.set(1, "gbv", True)
        await storage.subscriptions.set(1, "climate", True)
        await storage.subscriptions.set(2, "gbv", True)
        assert await storage.subscriptions.topics(1) == {"gbv", "climate"}
        assert await storage.subscriptions.per_topic() == {"gbv": 2, "climate": 1}
        await storage.subscriptions.set(1, "gbv", False)
        assert await storage.subscriptions.topics(1) == {"climate"}
        await storage.readers.set_blocked(2)
        assert await storage.subscriptions.per_topic() == {"climate": 1}


async def test_forget_erases_the_user_and_their_subscriptions(tmp_path: Path) -> None:
    async with await Storage.open(tmp_path / "bot.sqlite3") as storage:
        await storage.readers.set_language(5, "ru")
        await storage.subscriptions.set(5, "gbv", True)
        await storage.subscriptions.set(5, "srhr", True)
        await storage.subscriptions.set(6, "gbv", True)
        erased = await storage.readers.forget(5)
        assert (erased.user, erased.subscriptions) == (True, 2)
        assert await storage.readers.get(5) is None
        async with storage.database.connection.execute("SELECT count(*) FROM subscriptions WHERE user_id = 5") as cur:
            assert (await cur.fetchone())[0] == 0  # type: ignore[index]
        assert await storage.subscriptions.topics(6) == {"gbv"}
        again = await storage.readers.forget(5)
        assert (again.user, again.subscriptions) == (False, 0)


async def test_concurrent_writers_do_not_interleave(tmp_path: Path) -> None:
    import asyncio

    async with await Storage.open(tmp_path / "bot.sqlite3") as storage:
        await asyncio.gather(
            *(storage.subscriptions.set(uid, "gbv", True) for uid in range(200)),
            *(storage.readers.touch(uid) for uid in range(200, 400)),
            *(storage.readers.forget(uid) for uid in range(0, 200, 2)),
        )
        assert await storage.readers.count() in range(300, 401)
        by_lang = await storage.readers.by_language()
        assert sum(by_lang.values()) == await storage.readers.count()


async def test_bulk_insert_of_many_users(tmp_path: Path) -> None:
    async with await Storage.open(tmp_path / "bot.sqlite3") as storage:
        await add_users_bulk(storage, range(1, 10_001), "ru")
        assert await storage.readers.count() == 10_000
        assert await storage.readers.by_language() == {("ru", False): 10_000}


async def test_queueing_is_chunked_idempotent_and_respects_the_audience(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.storage import AnnouncementDraft

    monkeypatch.setattr("bot.storage.deliveries.QUEUE_CHUNK", 7)  # many chunks for a small audience
    async with await Storage.open(tmp_path / "bot.sqlite3") as storage:
        await add_users_bulk(storage, range(1, 51), "ru")
        await add_users_bulk(storage, range(51, 61), "en")
        for uid in range(1, 61, 2):
            await storage.subscriptions.set(uid, "gbv", True)
        await storage.readers.set_blocked(3)
        draft = AnnouncementDraft(created_by=1, topics=frozenset({"gbv"}), language=None, versions={"ru": (1, 1)})
        announcement_id = await storage.announcements.create(draft)
        assert await storage.announcements.count_audience({"gbv"}, None) == {"ru": 24, "en": 5}
        assert await storage.deliveries.queue(announcement_id) == 29
        assert await storage.deliveries.languages(announcement_id) == {"ru": 24, "en": 5}
        item = await storage.announcements.get(announcement_id)
        assert item is not None and item.state == "running"
        assert await storage.deliveries.queue(announcement_id) == 0  # running: not queued twice
        only_en = await storage.announcements.create(
            AnnouncementDraft(created_by=1, topics=frozenset(), language="en", versions={"en": (1, 2)})
        )
        assert await storage.deliveries.queue(only_en) == 10
        cancelled = await storage.announcements.create(draft)
        assert await storage.announcements.set_state(cancelled, "cancelled", expect=("queued",))
        assert await storage.deliveries.queue(cancelled) == 0


async def test_one_open_storage_per_database(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    async with await Storage.open(path):
        with pytest.raises(DatabaseLockedError, match=f"another bot is running on this database \\({path}\\)"):
            await Storage.open(path)
    async with await Storage.open(path):  # released on close
        pass


async def test_an_announcement_is_done_only_when_nothing_is_pending_or_sending(tmp_path: Path) -> None:
    async with await Storage.open(tmp_path / "bot.sqlite3") as storage:
        await add_users_bulk(storage, [1, 2], "ru")
        announcement_id = await storage.announcements.create(
            AnnouncementDraft(created_by=9, topics=frozenset(), language=None, versions={"ru": (9, 1)})
        )
        await storage.deliveries.queue(announcement_id)
        claimed = await storage.deliveries.claim(announcement_id, 1, 0.0)
        assert not await storage.deliveries.finish(announcement_id)  # one pending, one sending
        await storage.deliveries.record_outcomes(announcement_id, [Outcome(claimed[0].user_id, DeliveryState.SENT)])
        assert not await storage.deliveries.finish(announcement_id)  # one pending
        (other,) = await storage.deliveries.claim(announcement_id, 1, 0.0)
        assert not await storage.deliveries.finish(announcement_id)  # one sending
        await storage.deliveries.record_outcomes(announcement_id, [Outcome(other.user_id, DeliveryState.FAILED, "x")])
        assert await storage.deliveries.finish(announcement_id)
        assert await storage.deliveries.retry_failed(announcement_id) == 1
        announcement = await storage.announcements.get(announcement_id)
        assert announcement is not None and announcement.state == "running"


def test_the_state_enums_name_what_the_schema_allows() -> None:
    """A state added to an enum but not to the schema's CHECK (or the reverse) would fail only at run time."""
    db = sqlite3.connect(":memory:")
    for migration in MIGRATIONS:
        db.executescript(migration)

    def allowed(table: str) -> set[str]:
        sql = db.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
        listed = re.search(r"state\s+IN\s*\(([^)]*)\)", sql)
        assert listed is not None
        return set(re.findall(r"'(\w+)'", listed.group(1)))

    assert allowed("announcements") == set(AnnouncementState)
    assert allowed("deliveries") == set(DeliveryState)


def test_storage_is_composed_not_inherited() -> None:
    """One Database handed to each repository: no class of bot/storage builds on another of ours, and the facade
    only composes them (its own methods open and close)."""
    classes = [
        value
        for info in pkgutil.iter_modules(bot.storage.__path__, "bot.storage.")
        for value in vars(importlib.import_module(info.name)).values()
        if inspect.isclass(value) and value.__module__ == info.name
    ]
    assert {c.__name__ for c in classes} >= {"Database", "Readers", "Deliveries", "Counters", "Announcements"}
    ours = {c.__name__: [b.__qualname__ for b in c.__bases__ if b.__module__.startswith("bot")] for c in classes}
    assert {name: bases for name, bases in ours.items() if bases} == {}
    own = {name for name, value in vars(Storage).items() if callable(value) or isinstance(value, classmethod)}
    assert own - {"__init__", "__aenter__", "__aexit__"} == {"open", "close"}


async def test_a_recipient_found_blocked_is_no_longer_a_cached_active_reader(tmp_path: Path) -> None:
    """The deliveries mark a blocked recipient among the readers they were given: the reader's next visit reads
    the database and clears the flag, so later announcements reach them again."""
    async with await Storage.open(tmp_path / "bot.sqlite3") as storage:
        await storage.readers.touch(7, "en")  # seen today: cached
        announcement_id = await storage.announcements.create(
            AnnouncementDraft(created_by=9, topics=frozenset(), language=None, versions={"en": (9, 1)})
        )
        await storage.deliveries.queue(announcement_id)
        (claimed,) = await storage.deliveries.claim(announcement_id, 1, 0.0)
        await storage.deliveries.record_outcomes(announcement_id, [Outcome(claimed.user_id, DeliveryState.BLOCKED)])
        assert (await storage.readers.get(7)).blocked  # type: ignore[union-attr]
        assert (await storage.readers.touch(7, "en")).blocked is False  # they wrote again: back
        assert await storage.announcements.count_audience(frozenset(), None) == {"en": 1}
