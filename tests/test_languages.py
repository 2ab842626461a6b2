"""Languages are data: discovered on disk, each with its fallback chain, its coverage and checks on its text."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po, write_po

from bot.__main__ import main
from bot.content import load_content
from bot.languages.discovery import discover_languages, fallback_chain
from bot.languages.i18n import I18n, catalogue_path, pick_language
from bot.languages.textcheck import leftover_language, mixed_script_words
from bot.ops.checks import check_content_command, locale_problems, locale_reports, sync_locales
from bot.ops.paths import content_dir, locales_dir
from bot.reading.library import Library
from bot.reading.screens import Screens
from bot.reading.search import SearchIndex

SHIPPED = discover_languages(content_dir())


def test_every_shipped_language_is_complete_and_named_in_itself() -> None:
    content = load_content(content_dir())
    names = {code: content.get(code).name for code in content.codes}
    assert names == {
        "kk": "Қазақша",
        "ky": "Кыргызча",
        "tg": "Тоҷикӣ",
        "tk": "Türkmençe",
        "uz": "Oʻzbekcha",
        "uz-Cyrl": "Ўзбекча",
        "ru": "Русский",
        "en": "English",
    }
    assert all(content.get(code).coverage == 1.0 for code in content.codes)
    _, reports = locale_reports()
    assert {r.code: r.coverage for r in reports} == dict.fromkeys(SHIPPED, 1.0)


def test_every_translation_says_it_is_unofficial_and_english_has_no_such_notice() -> None:
    content = load_content(content_dir())
    assert content.get("en").about.translation_notice is None
    for code in SHIPPED[:-1]:
        assert content.get(code).about.translation_notice, code
        climate = content.get(code).theme("climate")
        assert climate is not None
        notes = {i.id for s in climate.sections for i in s.items if i.translator_note}
        assert notes == {"safety-4", "further-2"}, code  # the English original's two slips


def test_fallback_chains_end_in_russian_then_english() -> None:
    assert fallback_chain("kk") == ("kk", "ru", "en")
    assert fallback_chain("ru") == ("ru", "en")
    assert fallback_chain("en") == ("en",)


# ------------------------------------------------------------------------------------------ a new language


def make_partial_language(tmp_path: Path) -> tuple[Path, Path]:
    """Belarusian added as an editor would: copy the Russian directory, translate a little."""
    content, locales = tmp_path / "content", tmp_path / "locales"
    shutil.copytree(content_dir(), content)
    shutil.copytree(locales_dir(), locales)
    (content / "be").mkdir()
    theme = yaml.safe_load((content / "ru" / "climate.yaml").read_text(encoding="utf-8"))
    theme["sections"][0]["items"][0]["text"] = "Вельмі нізкі ўзровень дасведчанасці насельніцтва пра клімат."
    (content / "be" / "climate.yaml").write_text(yaml.safe_dump(theme, allow_unicode=True), encoding="utf-8")
    po = catalogue_path(locales, "be")
    po.parent.mkdir(parents=True)
    with catalogue_path(locales, "ru").open("rb") as fh:
        catalog = read_po(fh, locale="be")
    for message in catalog:
        if message.id:
            message.string = ("", "", "", "") if message.pluralizable else ""
    catalog["Language changed."].string = "Мова зменена."
    with po.open("wb") as fh:
        write_po(fh, catalog)
    return content, locales


def test_a_language_added_by_copying_a_directory_is_offered_negotiated_and_falls_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content_root, locales_root = make_partial_language(tmp_path)
    content = load_content(content_root)
    assert "be" in content.codes
    assert 0 < content.get("be").coverage < 0.05  # one item translated: partial, and reported as such
    climate = content.get("be").theme("climate")
    assert climate is not None
    assert climate.sections[0].items[0].text.startswith("Вельмі")
    assert climate.sections[0].items[1].text == content.get("ru").theme("climate").sections[0].items[1].text  # type: ignore[union-attr]

    i18n = I18n.load(locales_root, content.codes, "ru")
    assert pick_language("be", i18n.languages, "ru") == "be"  # negotiated: Belarusian, not Russian
    t = i18n.get("be")
    assert t.gettext("Language changed.") == "Мова зменена."
    assert t.gettext("Authors") == "Авторы"  # untranslated: Russian, not the English msgid
    assert t.ngettext("{count} point", "{count} points", 5) == "{count} пунктов"

    screens = Screens(Library(content), i18n, SearchIndex(content), None)
    assert "Беларуская" in [b.text for row in screens.language("ru").keyboard.inline_keyboard for b in row]  # type: ignore[union-attr]

    assert check_content_command(content_root) == 0
    assert "\nbe " in capsys.readouterr().out
    problems, reports = locale_reports(locales_root)
    assert problems == []
    be = next(r for r in reports if r.code == "be")
    assert be.translated == 1 and be.problems == ()


# ------------------------------------------------------------------------------------------ checks


def test_text_checks_catch_mixed_scripts_and_leftover_languages() -> None:
    assert mixed_script_words("Казахстaн") == ["Казахстaн"]  # a Latin "a" in a Cyrillic word
    assert mixed_script_words("3D-моделирование, CEDAW, ЛГБТИК+") == []
    assert leftover_language("kk", "Әйелдер құқықтары and the rights of women") is not None
    russian = "Крайне низкий уровень осведомлённости населения и органов власти о климате и по рискам"
    assert leftover_language("kk", russian) is not None
    assert leftover_language("ky", "укук коргоочулардын жана активисттердин укуктарын коргоого") is None
    assert leftover_language("uz", "Ayollar huquqlari and the rights of women") is not None
    assert leftover_language("uz", "Xotin-qizlar huquqlari toʻgʻrisida") is None
    assert leftover_language("tk", "Aýallaryň hukuklary барлык") is None  # one word is no run
    assert leftover_language("tk", "Aýallaryň hukuklary права женщин везде") is not None


@pytest.fixture
def locales(tmp_path: Path) -> Path:
    root = tmp_path / "locales"
    shutil.copytree(locales_dir(), root)
    return root


def change_po(root: Path, code: str, msgid: str | tuple[str, str], value: str | tuple[str, ...]) -> None:
    path = catalogue_path(root, code)
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=code)
    catalog[msgid].string = value
    with path.open("wb") as fh:
        write_po(fh, catalog)


@pytest.mark.parametrize(
    ("code", "msgid", "value", "problem"),
    [
        ("kk", "Language: {language}", "Тіл: {til}", "placeholders"),
        ("tg", "{titles}, page {page}", "{titles}", "placeholders"),
        ("kk", "Typo", "Қатe", "mixed in a word"),
        ("uz", "Hard to understand", "Hard to understand", "identical to the English"),
        ("tk", "Comment:", "Комментарий к странице:", "Russian left"),
        ("kk", "Send without a comment", "Отправить без комментария", "identical to the Russian"),
    ],
)
def test_catalogue_errors_fail_in_any_language(
    locales: Path, code: str, msgid: str | tuple[str, str], value: str | tuple[str, ...], problem: str
) -> None:
    change_po(locales, code, msgid, value)
    problems = locale_problems(locales)
    assert any(problem in p and f"{code}/messages.po" in p for p in problems), problems


def test_plural_forms_other_than_cldrs_fail(locales: Path) -> None:
    path = catalogue_path(locales, "ky")
    text = path.read_text(encoding="utf-8")
    russian_rule = (
        "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"
    )
    path.write_text(text.replace("nplurals=2; plural=(n != 1);", russian_rule), encoding="utf-8")
    assert any("ky/messages.po: the header has 3 plural forms" in p for p in locale_problems(locales))


def test_a_partial_national_catalogue_passes_and_reports_its_coverage(locales: Path) -> None:
    def translated() -> int:
        return next(r for r in locale_reports(locales)[1] if r.code == "tg").translated

    before = translated()
    change_po(locales, "tg", "Typo", "")
    problems, reports = locale_reports(locales)
    assert problems == [] and all(r.problems == () for r in reports)
    assert translated() == before - 1


def test_sync_locales_does_not_churn_files_when_no_string_changed(locales: Path) -> None:
    sync_locales(locales)  # the first run may reformat a hand-edited file; the next ones change nothing
    before = {p: p.read_bytes() for p in locales.rglob("*.po*")}
    sync_locales(locales)
    assert {p: p.read_bytes() for p in locales.rglob("*.po*")} == before


def test_demo_accepts_every_shipped_language() -> None:
    with pytest.raises(SystemExit):
        main(["demo", "--lang", "xx"])
