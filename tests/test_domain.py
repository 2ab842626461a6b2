"""Pure domain code: callback codec, deep links, pagination, search, language choice, plurals."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content import Content, load_content
from bot.languages.discovery import discover_languages
from bot.languages.i18n import I18n, pick_language
from bot.ops.paths import locales_dir
from bot.reading import deeplinks
from bot.reading.callbacks import ARITY, Action, Callback, CallbackDataError, SectionPage, pack, read, unpack
from bot.reading.deeplinks import DeepLink
from bot.reading.library import Library
from bot.reading.pages import paginate
from bot.reading.render import section_page_html
from bot.reading.search import QueryProblem, SearchIndex, check_query
from bot.telegram.limits import CALLBACK_DATA_MAX_BYTES, PAGE_TARGET_CHARS, TEXT_MAX

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = discover_languages(ROOT / "content")


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(ROOT / "content")


@pytest.fixture(scope="module")
def i18n() -> I18n:
    return I18n.load(locales_dir(), SHIPPED, "ru")


# ------------------------------------------------------------------------------------------ callbacks


def test_callbacks_round_trip_for_every_action() -> None:
    for action, arity in ARITY.items():
        args = tuple(f"a{i}" for i in range(arity))
        data = pack(action, *args)
        assert len(data.encode()) <= CALLBACK_DATA_MAX_BYTES
        assert unpack(data) == Callback(action, args)


def test_pack_refuses_wrong_arity_bad_args_and_oversize() -> None:
    with pytest.raises(CallbackDataError):
        pack(Action.THEME)
    with pytest.raises(CallbackDataError):
        pack(Action.THEME, "has:colon")
    with pytest.raises(CallbackDataError):
        pack(Action.SECTION, "x" * 40, "y" * 40, 1)


@pytest.mark.parametrize(
    "data",
    ["", "0:m", "1", "1:zz", "1:t", "1:t:a:b", "1:t:" + "x" * 70, "1:t:émoji", None],
)
def test_unpack_rejects_forged_or_stale_data(data: str | None) -> None:
    assert unpack(data) is None


def test_section_page_argument_must_be_a_small_number() -> None:
    assert unpack("1:s:climate:barriers:abc") is not None  # well-formed on the wire...
    assert read("1:s:climate:barriers:abc") is None  # ...but no page number: stale or forged
    assert read("1:s:climate:barriers:-1") is None
    assert read("1:s:climate:barriers:007") is None  # never packed so: forged
    assert read("1:s:climate:barriers:9223372036854775808") is None  # beyond what SQLite stores
    assert read("1:s:climate:barriers:12") == SectionPage("climate", "barriers", 12)


# ------------------------------------------------------------------------------------------ deep links


def test_deep_links_round_trip_and_stay_within_64_chars(content: Content) -> None:
    for theme in content.get("en").themes:
        links = [DeepLink(theme.id)] + [DeepLink(theme.id, section_id=s.id) for s in theme.sections]
        links += [DeepLink(theme.id, item_id=i.id) for s in theme.sections for i in s.items]
        for link in links:
            payload = deeplinks.encode(link)
            assert len(payload) <= 64
            assert deeplinks.decode(payload) == link


@pytest.mark.parametrize("payload", ["", "x", "t", "i_gbv", "s_a_b_c", "t_gbv!", "q" * 65])
def test_unknown_payloads_decode_to_none(payload: str) -> None:
    assert deeplinks.decode(payload) is None


# ------------------------------------------------------------------------------------------ pagination


def test_paginate_groups_by_target_and_never_splits_an_item() -> None:
    assert paginate([]) == []
    assert paginate([100, 100, 100], target=250) == [range(0, 2), range(2, 3)]
    assert paginate([5000, 10], target=1500) == [range(0, 1), range(1, 2)]  # a long item is alone


def test_every_section_page_fits_telegram_and_every_item_has_a_page(content: Content, i18n: I18n) -> None:
    library = Library(content)
    for code, loc in content.locales.items():
        for theme in loc.themes:
            for section in theme.sections:
                pages = library.pages(code, theme.id, section.id)
                shown = [e.item_id for p in pages for e in p.entries]
                assert shown == [i.id for i in section.items]
                for page in pages:
                    html = section_page_html(theme, section, page, i18n.get(code))
                    assert len(html) <= TEXT_MAX
                    if len(page.entries) > 1:
                        assert sum(len(e.html) for e in page.entries) <= PAGE_TARGET_CHARS
                for item in section.items:
                    where = library.locate(code, theme.id, item.id)
                    assert where is not None and where.section_id == section.id


def test_about_is_paginated_within_limits(content: Content, i18n: I18n) -> None:
    library = Library(content)
    for code in SHIPPED:
        pages = library.about_pages(code, i18n.get(code))
        assert len(pages) >= 2
        joined = "\n".join(pages)
        assert "CC BY-NC 4.0" in joined
        assert "creativecommons.org/licenses/by-nc/4.0" in joined
        assert all(len(p) <= TEXT_MAX for p in pages)


# ------------------------------------------------------------------------------------------ search


@pytest.fixture(scope="module")
def search(content: Content) -> SearchIndex:
    return SearchIndex(content)


def test_russian_word_forms_match(search: SearchIndex) -> None:
    for query in ("насилия", "насилие", "НАСИЛИЕМ"):
        hits = search.search("ru", query, 5)
        assert hits and hits[0].theme_id == "gbv", query


def test_yo_equals_ye(search: SearchIndex) -> None:
    with_yo = search.search("ru", "осведомлённости", 5)
    without = search.search("ru", "осведомленности", 5)
    assert with_yo and [h.item_id for h in with_yo] == [h.item_id for h in without]


def test_all_words_must_match(search: SearchIndex) -> None:
    both = search.search("en", "water women", 50)
    assert both
    for hit in both:
        assert "water" in hit.text.casefold() and "women" in hit.text.casefold()
    assert search.search("en", "water zzzqqq", 5) == []


def test_english_search_ranks_the_theme_first(search: SearchIndex) -> None:
    hits = search.search("en", "violence", 5)
    assert len(hits) == 5
    assert hits[0].theme_id == "gbv"
    assert search.search("en", "sterilization", 5)[0].theme_id == "srhr"


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("", QueryProblem.EMPTY),
        ("   ", QueryProblem.EMPTY),
        ("😀🔥!!", QueryProblem.NO_WORDS),
        ("a" * 5000, QueryProblem.TOO_LONG),
    ],
)
def test_bad_queries_are_named(query: str, problem: QueryProblem) -> None:
    assert check_query(query) is problem


# ------------------------------------------------------------------------------------------ languages


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("en", "en"),
        ("en-GB", "en"),
        ("ru", "ru"),
        ("kk", "kk"),
        ("ky", "ky"),
        ("tg", "tg"),
        ("uz", "uz"),
        ("tk", "tk"),
        ("uz-Latn", "uz"),
        ("uk", "ru"),
        ("be", "ru"),
        ("de", "ru"),
        (None, "ru"),
        ("garbage-!!", "ru"),
    ],
)
def test_language_from_telegram_language_code(code: str | None, expected: str) -> None:
    assert pick_language(code, SHIPPED, "ru") == expected


def test_every_region_language_is_shipped() -> None:
    assert set(SHIPPED) >= {"kk", "ky", "tg", "tk", "uz", "ru", "en"}
    assert SHIPPED[-2:] == ("ru", "en")  # the picker's order: the region's own languages first


def test_a_language_not_shipped_falls_back_to_russian_or_the_default() -> None:
    assert pick_language("kk", ("ru", "en"), "en") == "ru"
    assert pick_language("de", SHIPPED, "en") == "en"


def test_russian_plurals_have_three_forms(i18n: I18n) -> None:
    t = i18n.get("ru")
    forms = [t.ngettext("{count} point", "{count} points", n).format(count=n) for n in (1, 2, 5, 21, 11)]
    assert len({f.split(" ", 1)[1] for f in forms[:3]}) == 3
    assert forms[3].split(" ", 1)[1] == forms[0].split(" ", 1)[1]  # 21 like 1
    assert forms[4].split(" ", 1)[1] == forms[2].split(" ", 1)[1]  # 11 like 5
