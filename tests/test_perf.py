"""What makes a reader's step cheap: one thread hop per hot read, no result objects nobody reads, an engine
Bot that stays untouched until a broadcast, a search that does not scan, a start-up cache."""

from __future__ import annotations

import logging
import random
import re
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from telegram import Message, Update

import bench.reading as bench
import bot.content.cache
from bot.announcing.services import engine_of
from bot.app import Static, build_application, load_static, start_application, stop_application
from bot.config import Settings
from bot.content.cache import cached, tree_key
from bot.reading.callbacks import Action, pack
from bot.reading.search import MIN_PREFIX, LocaleIndex, normalize
from bot.storage import Storage


async def test_hot_reads_take_one_hop_to_the_database_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with await Storage.open(tmp_path / "db.sqlite3") as storage:
        await storage.readers.touch(7, "ru")
        await storage.subscriptions.set(7, "gbv", True)
        hops = 0
        execute = aiosqlite.Connection._execute

        async def counting(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
            nonlocal hops
            hops += 1
            return await execute(self, fn, *args, **kwargs)

        monkeypatch.setattr(aiosqlite.Connection, "_execute", counting)
        assert (await storage.readers.get(7)) is not None
        assert hops == 1
        assert await storage.readers.get(8) is None
        assert hops == 2
        assert await storage.subscriptions.topics(7) == frozenset({"gbv"})
        assert hops == 3


async def test_a_menu_step_builds_no_message_object_and_the_engine_bot_is_not_touched(
    tmp_path: Path, static: Static, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(token=bench.TOKEN, database_path=tmp_path / "bot.sqlite3")
    engine_transport = bench.InstantRequest()
    app: Any = build_application(
        settings,
        static=static,
        request=bench.InstantRequest(),
        broadcast_request=engine_transport,
        sync_bot_profile=False,
    )
    await start_application(app)
    try:
        assert engine_of(app.bot_data) is not None
        built = 0
        de_json = Message.de_json.__func__  # type: ignore[attr-defined]

        def counting(cls: type[Message], data: Any, bot: Any = None) -> Any:
            nonlocal built
            built += 1
            return de_json(cls, data, bot)

        before = app.bot.request.calls
        for data in (pack(Action.MENU), pack(Action.THEME, "economy"), pack(Action.SECTION, "climate", "solutions", 0)):
            update = Update.de_json(bench.callback_update(1, 5, data), app.bot)
            monkeypatch.setattr(Message, "de_json", classmethod(counting))
            await app.process_update(update)
            monkeypatch.undo()
        assert built == 0
        assert app.bot.request.calls - before == 6  # answered and edited, three times
        # No getMe, no connection: the engine's Bot is initialised when a broadcast starts.
        assert engine_transport.calls == 0
    finally:
        await stop_application(app)


def _scan(index: LocaleIndex, words: list[str], docs: list[list[tuple[str, str]]]) -> list[tuple[str, str]]:
    """The items (``docs``: each item's words and their stems) that contain every query word, by a full scan."""
    stems = index.stem(words)
    found = []
    for doc, doc_words in zip(index.docs, docs, strict=True):
        if all(
            any(s == stem or w == word or (len(word) >= MIN_PREFIX and w.startswith(word)) for w, s in doc_words)
            for word, stem in zip(words, stems, strict=True)
        ):
            found.append((doc.section_id, doc.item_id))
    return found


class _CountingList(list[Any]):
    reads = 0

    def __iter__(self) -> Any:
        type(self).reads += len(self)
        return super().__iter__()

    def __getitem__(self, index: Any) -> Any:
        type(self).reads += 1
        return super().__getitem__(index)


@pytest.mark.parametrize("code", ["ru", "en", "kk"])
def test_search_finds_what_a_scan_finds_without_scanning(static: Static, code: str) -> None:
    index = LocaleIndex.of(static[0].locales[code])
    rng = random.Random(3)
    words_of = [re.findall(r"[^\W_]+", normalize(d.text)) for d in index.docs]
    docs = [list(zip(w, index.stem(w), strict=True)) for w in words_of]
    vocabulary = sorted({w for doc_words in words_of for w in doc_words})
    for _ in range(60):
        words = [w[: rng.choice((len(w), 3, max(1, len(w) - 2)))] for w in rng.sample(vocabulary, rng.choice((1, 2)))]
        hits = index.search(" ".join(words), len(index.docs))
        assert sorted((h.section_id, h.item_id) for h in hits) == sorted(_scan(index, words, docs))
    index.docs = _CountingList(index.docs)
    _CountingList.reads = 0
    hits = index.search(vocabulary[len(vocabulary) // 2], 5)
    assert len(hits) >= 1 and _CountingList.reads <= len(hits) * 2  # only the hits' own items are read
    _CountingList.reads = 0
    assert index.search("zzqxv", 5) == [] and _CountingList.reads == 0


def _ranked_by_scan(
    index: LocaleIndex, docs: list[tuple[list[str], list[str]]], query: str, limit: int
) -> list[tuple[str, str, str, int, float]]:
    """The ranking rule applied to every item (``docs``: its words and their stems) in turn: the reference."""
    words = re.findall(r"[^\W_]+", normalize(query))
    stems = index.stem(words)
    scored = []
    for order, (doc, (doc_words, doc_stems)) in enumerate(zip(index.docs, docs, strict=True)):
        score, first = 0.0, len(doc_words)
        for word, stem in zip(words, stems, strict=True):
            positions = [
                i
                for i, (w, s) in enumerate(zip(doc_words, doc_stems, strict=True))
                if s == stem or w == word or (len(word) >= MIN_PREFIX and w.startswith(word))
            ]
            if not positions:
                break
            score += 1 + 2 * (word in doc_words) + 0.1 * min(len(positions), 5)
            first = min(first, positions[0])
        else:
            if words:
                scored.append((-score, order, (doc.theme_id, doc.section_id, doc.item_id, doc.starts[first], score)))
    scored.sort(key=lambda s: (s[0], s[1]))
    return [s[2] for s in scored[:limit]]


@pytest.mark.parametrize("code", ["ru", "en", "ky"])
def test_ranked_results_equal_a_scan_of_every_item(static: Static, code: str) -> None:
    index = LocaleIndex.of(static[0].locales[code])
    rng = random.Random(5)
    vocabulary = sorted({w for d in index.docs for w in re.findall(r"[^\W_]+", normalize(d.text))})
    words_of = [re.findall(r"[^\W_]+", normalize(d.text)) for d in index.docs]
    common = sorted(vocabulary, key=lambda w: -sum(w in words for words in words_of))[:12]  # in the most items
    docs = [(words, index.stem(words)) for words in words_of]

    def form(word: str) -> str:  # the word, a prefix of it, another ending, or a short piece
        return rng.choice((word, word[: max(1, len(word) - 2)], word[:3], word + "ами", word[:2], word.upper()))

    queries = ["", "zzqxv", "и", "в в", " ".join(common), " ".join(common[:4] * 2)]
    for _ in range(150):
        pool = common if rng.random() < 0.4 else vocabulary
        queries.append(" ".join(form(w) for w in rng.choices(pool, k=rng.choice((1, 1, 2, 2, 3, 5)))))
    for query in queries:
        for limit in (5, len(index.docs)):
            hits = [(h.theme_id, h.section_id, h.item_id, h.position, h.score) for h in index.search(query, limit)]
            assert hits == _ranked_by_scan(index, docs, query, limit), query


def test_the_start_up_cache_is_used_rebuilt_when_corrupt_and_keyed_by_the_files(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    builds = 0

    def build() -> dict[str, int]:
        nonlocal builds
        builds += 1
        return {"answer": 42}

    cache = tmp_path / "cache"
    assert cached(cache, "k1", build) == {"answer": 42} and builds == 1
    assert cached(cache, "k1", build) == {"answer": 42} and builds == 1  # from the pickle
    (pickle_file,) = cache.glob("static-*.pickle")
    pickle_file.write_bytes(b"not a pickle")
    with caplog.at_level(logging.WARNING, "bot.content.cache"):
        assert cached(cache, "k1", build) == {"answer": 42} and builds == 2
    assert "unreadable" in caplog.text
    assert cached(cache, "k2", build) == {"answer": 42} and builds == 3
    assert [p.name for p in cache.glob("static-*.pickle")] == ["static-k2.pickle"]  # the stale one is gone

    content = tmp_path / "content"
    content.mkdir()
    (content / "a.yaml").write_text("a: 1")
    before = tree_key([content])
    (content / "a.yaml").write_text("a: 2")
    assert tree_key([content]) != before


def test_the_start_up_cache_key_follows_subpackage_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Pickles name each class's module: moving a class (a module turned into a package) must change the key,
    # or a start would unpickle objects of a layout the code no longer has.
    code = tmp_path / "bot"
    (code / "content").mkdir(parents=True)
    (code / "cache.py").write_text("")
    (code / "content" / "model.py").write_text("class Item: ...")
    monkeypatch.setattr(bot.content.cache, "__file__", str(code / "cache.py"))
    before = tree_key([])
    (code / "content" / "model.py").write_text("class Item:\n    id: str")
    edited = tree_key([])
    assert edited != before
    (code / "content" / "model.py").rename(code / "content" / "items.py")
    assert tree_key([]) not in {before, edited}


def test_load_static_from_the_cache_gives_the_same_brief_and_search(tmp_path: Path, static: Static) -> None:
    first = load_static(Settings(), cache_dir=tmp_path)
    second = load_static(Settings(), cache_dir=tmp_path)
    assert list(tmp_path.glob("static-*.pickle"))
    for loaded in (first, second):
        assert loaded[0] == static[0]
        assert loaded[3].search("ru", "насилие", 5) == static[3].search("ru", "насилие", 5)
