"""The help directory's data, validation and views, and the reader settings it stores (no Telegram)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app import Static
from bot.help.callbacks import AnnouncementHide, CountryList, read
from bot.help.directory import COUNTRY_CODES, INTERNATIONAL, check_directory, phone_problem
from bot.help.staying_safe import load_staying_safe
from bot.help.views import HelpButtons, HelpViews
from bot.ops.checks import check_content_command
from bot.ops.paths import content_dir
from bot.storage import AnnouncementDraft, AnnouncementText, Storage

TODAY = dt.date(2026, 12, 6)


def codes(static: Static) -> tuple[str, ...]:
    return static[0].codes


def copy_content(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(content_dir(), root)
    return root


def edit_help(root: Path, change: object) -> None:
    path = root / "help.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_the_shipped_directory_covers_every_country_and_every_entry_has_a_source_and_date(static: Static) -> None:
    directory, problems, warnings = check_directory(content_dir(), codes(static), TODAY)
    assert problems == [] and warnings == []
    assert directory is not None
    assert {c.code for c in directory.countries} == {*COUNTRY_CODES, INTERNATIONAL}
    for country in directory.countries:
        assert country.entries or country.note  # nothing citable: the data says so
        for entry in country.entries:
            assert entry.sources and all(s.startswith("http") for s in entry.sources)
            assert entry.checked == TODAY
            assert entry.phone or entry.url or entry.email
    assert directory.country(INTERNATIONAL).entries  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("phone", "country", "ok"),
    [
        ("112", "KZ", True),
        ("1146", "UZ", True),
        ("+77001234567", "KZ", True),
        ("+99612345678", "KZ", False),  # Kyrgyzstan's plan, listed under Kazakhstan
        ("+996 312 123456", "KG", False),  # spaces: not E.164
        ("12345", "TJ", False),
        ("112", INTERNATIONAL, False),  # a short number is national
        ("+353123456789", INTERNATIONAL, True),
    ],
)
def test_phone_format_follows_each_countrys_plan(phone: str, country: str, ok: bool) -> None:
    assert (phone_problem(phone, country) is None) is ok


def test_check_content_fails_on_a_bad_entry_naming_where(
    tmp_path: Path, static: Static, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_content(tmp_path)

    def spoil(data: dict[str, Any]) -> None:
        entry = data["countries"]["KZ"]["entries"][0]
        entry["phone"] = "8 800 000"
        entry["kind"] = "hospital"
        del entry["sources"]
        del data["countries"]["TM"]

    edit_help(root, spoil)
    assert check_content_command(root) == 1
    err = capsys.readouterr().err
    assert "countries.KZ.entries[0].phone" in err
    assert "countries.KZ.entries[0].kind" in err
    assert "countries.KZ.entries[0].sources: a public source is required" in err
    assert "TM is missing" in err


def test_check_content_warns_but_passes_on_a_stale_check_date(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_content(tmp_path)
    old = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=400)
    edit_help(root, lambda data: data["countries"]["UZ"]["entries"][2].__setitem__("checked", old))
    assert check_content_command(root) == 0
    captured = capsys.readouterr()
    assert f"WARNING: help.yaml: countries.UZ.entries[2].checked: checked on {old.isoformat()}" in captured.err
    assert "content check passed" in captured.out


def test_a_country_with_no_entries_needs_a_note(static: Static, tmp_path: Path) -> None:
    root = copy_content(tmp_path)
    edit_help(root, lambda data: data["countries"]["TM"].pop("note"))
    directory, problems, _ = check_directory(root, codes(static), TODAY)
    assert directory is None
    assert any("a note must say why" in str(p) for p in problems)


def test_payloads_round_trip_and_refuse_forgery() -> None:
    assert read(CountryList("KZ").pack()) == CountryList("KZ")
    assert read(AnnouncementHide(7, 0).pack()) == AnnouncementHide(7, 0)
    assert read("h1:X:7:x") is None  # not a number
    assert read("h1:k") is None  # missing its country
    assert read("1:m") is None  # the reading menus' payload, not ours


def test_views_show_tappable_numbers_and_protect_the_lists(static: Static) -> None:
    content, i18n = static[0], static[1]
    directory, _, _ = check_directory(content_dir(), content.codes, TODAY)
    assert directory is not None
    views = HelpViews(directory, i18n, load_staying_safe(content_dir(), content.codes))
    for code in content.codes:
        assert views.countries(code).protect
        for country in directory.countries:
            screen = views.country(code, country, remembered=False)
            assert screen.protect and len(screen.text) < 4096
            for entry in country.entries:
                if entry.phone:
                    assert f"📞 {entry.phone}\n" in screen.text  # plain text: Telegram links it
        assert "/forget" in views.staying_safe(code, discreet=False).text
    buttons = HelpButtons(directory, i18n)
    assert buttons.page_row("en", "gbv", "barriers") and buttons.page_row("en", "climate", "safety")
    assert buttons.page_row("en", "climate", "barriers") == []


async def test_country_and_discreet_mode_are_stored_only_when_set_and_forget_removes_them(tmp_path: Path) -> None:
    async with await Storage.open(tmp_path / "bot.sqlite3") as storage:
        await storage.readers.touch(5, "ru")
        safety = storage.safety
        assert await safety.help_country(5) is None and not await safety.discreet(5)
        await safety.set_help_country(5, "KG")
        await safety.set_discreet(5, True)
        assert await safety.help_country(5) == "KG" and await safety.discreet(5)
        announcement = await storage.announcements.create(
            AnnouncementDraft(created_by=1, topics=frozenset(), language=None, versions={"ru": (1, 2)})
        )
        await safety.save_texts(announcement, {"ru": AnnouncementText("<b>Hi</b>", False)})
        assert await storage.deliveries.queue(announcement) == 1
        claimed = await storage.deliveries.claim(announcement, 10, now=1e12)
        assert [(d.user_id, d.discreet) for d in claimed] == [(5, True)]
        assert await safety.text(announcement, "kk", "ru") == AnnouncementText("<b>Hi</b>", False)
        await storage.readers.forget(5)
        assert await safety.help_country(5) is None and not await safety.discreet(5)
        await storage.readers.touch(5, "ru")  # back as a newcomer: nothing of the old settings
        assert await safety.help_country(5) is None and not await safety.discreet(5)


def test_texts_in_a_language_not_shipped_are_skipped_and_a_key_that_is_no_language_fails(
    static: Static, tmp_path: Path
) -> None:
    root = copy_content(tmp_path)
    shipped = tuple(c for c in codes(static) if c != "kk")  # a deployment that removed content/kk
    directory, problems, _ = check_directory(root, shipped, TODAY)
    assert directory is not None and problems == []
    assert "kk" not in directory.countries[0].names
    edit_help(root, lambda data: data["countries"]["KZ"]["name"].__setitem__("Kazakh", "Қазақстан"))
    _, problems, _ = check_directory(root, codes(static), TODAY)
    assert [str(p) for p in problems] == ["help.yaml: countries.KZ.name.Kazakh: not a language tag (e.g. kk, uz-Cyrl)"]


def test_the_running_bot_shows_cyrillic_uzbek_readers_the_directory_in_cyrillic_uzbek(static: Static) -> None:
    from telegram.ext import ApplicationBuilder

    from bot.content.derived import read_derivation
    from bot.help import install, views_of

    app = ApplicationBuilder().token("123:offline").build()
    install(app, content_dir(), codes(static), static[1])
    directory = views_of(app).directory
    rule = read_derivation(content_dir(), "uz-Cyrl")
    assert rule is not None
    uzbekistan = directory.country("UZ")
    assert uzbekistan is not None
    assert uzbekistan.name("uz-Cyrl") == rule.convert(uzbekistan.name("uz")) == "Ўзбекистон"
    page = load_staying_safe(content_dir(), codes(static))["uz-Cyrl"]
    assert page != load_staying_safe(content_dir(), codes(static))["ru"] and "Хавфсиз" in page
