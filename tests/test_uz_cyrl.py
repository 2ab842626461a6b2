"""Uzbek in Cyrillic: a language tag with a script, derived from Uzbek in data, offered to Uzbek readers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po, write_po

import bot.languages.transliterate
from bot.app import load_static
from bot.config import ConfigError, load_settings
from bot.content import check_content, load_content, native_name
from bot.languages.discovery import LANGUAGE_TAG, babel_locale, canonical_tag, discover_languages, fallback_chain
from bot.languages.i18n import I18n, catalogue_path, pick_language
from bot.languages.textcheck import script_of
from bot.languages.transliterate import latin_to_cyrillic, read_overrides
from bot.ops.checks import locale_problems, sync_locales
from bot.ops.paths import content_dir, locales_dir
from bot.reading.callbacks import ChooseLanguage, read
from bot.reading.library import Library
from bot.reading.screens import Screens
from bot.reading.search import SearchIndex

OFFER = "Кирилл алифбосида ўқиш"


def test_a_language_tag_may_carry_a_script() -> None:
    assert "uz-Cyrl" in discover_languages(content_dir())
    assert discover_languages(content_dir()).index("uz-Cyrl") == discover_languages(content_dir()).index("uz") + 1
    assert [canonical_tag(t) for t in ("uz-Cyrl", "UZ_cyrl", "uz-CYRL", "kk", "KK", "uz-Cyrl-UZ", "x")] == [
        "uz-Cyrl",
        "uz-Cyrl",
        "uz-Cyrl",
        "kk",
        "kk",
        None,
        None,
    ]
    assert LANGUAGE_TAG.match("uz-Cyrl") and not LANGUAGE_TAG.match("uz-cyrl") and not LANGUAGE_TAG.match("uz_Cyrl")
    assert babel_locale("uz-Cyrl") == "uz_Cyrl"
    assert native_name("uz-Cyrl").startswith("Ўзбекча")
    assert script_of("uz-Cyrl") == "Cyrl" and script_of("uz") == "Latn"
    assert fallback_chain("uz-Cyrl") == ("uz-Cyrl", "ru", "en")


def test_telegrams_uz_picks_latin_and_a_cyrillic_tag_picks_cyrillic() -> None:
    shipped = discover_languages(content_dir())
    assert pick_language("uz", shipped, "ru") == "uz"
    assert pick_language("uz-Latn", shipped, "ru") == "uz"
    assert pick_language("uz-Cyrl", shipped, "ru") == "uz-Cyrl"
    assert pick_language("uz-cyrl", shipped, "ru") == "uz-Cyrl"


def test_default_language_may_be_uz_cyrl_in_any_case(tmp_path: Path) -> None:
    base = {"DATABASE_PATH": str(tmp_path / "bot.sqlite3")}
    assert load_settings({**base, "DEFAULT_LANGUAGE": "UZ-cyrl"}, env_file=None).default_language == "uz-Cyrl"
    with pytest.raises(ConfigError, match="DEFAULT_LANGUAGE"):
        load_settings({**base, "DEFAULT_LANGUAGE": "uz-Arab"}, env_file=None)


def test_the_language_button_fits_telegrams_callback_data() -> None:
    data = ChooseLanguage("uz-Cyrl").pack()
    assert len(data.encode()) <= 64
    assert read(data) == ChooseLanguage("uz-Cyrl")


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(content_dir(), root)
    return root


def test_fixing_a_sentence_in_uz_fixes_it_in_cyrillic(content_copy: Path) -> None:
    path = content_copy / "uz" / "climate.yaml"
    theme = yaml.safe_load(path.read_text(encoding="utf-8"))
    fixed = "Qishloq ayollari ishchi boʻlib, rayonlarda yashaydi; “Women Engage for a Common Future” yordam beradi."
    theme["sections"][0]["items"][0]["text"] = fixed
    path.write_text(yaml.safe_dump(theme, allow_unicode=True), encoding="utf-8")
    content = load_content(content_copy)
    cyrillic = content.get("uz-Cyrl")
    climate = cyrillic.theme("climate")
    assert climate is not None
    assert climate.sections[0].items[0].text == (
        "Қишлоқ аёллари ишчи бўлиб, районларда яшайди; “Women Engage for a Common Future” ёрдам беради."
    )
    assert cyrillic.name == "Ўзбекча" and content.get("uz").name == "Oʻzbekcha"  # its own name, not converted
    assert cyrillic.coverage == 1.0 and cyrillic.derived_from == "uz" and cyrillic.offer == OFFER
    overrides = read_overrides(content_copy / "uz-Cyrl" / "overrides.txt")
    uz_about, cyr_about = content.get("uz").about, cyrillic.about
    assert cyr_about.disclaimer == latin_to_cyrillic(uz_about.disclaimer, overrides)
    assert cyr_about.licence_url == uz_about.licence_url  # links are not text


def test_a_string_of_its_own_replaces_the_transliteration(content_copy: Path) -> None:
    own = {"id": "climate", "sections": [{"id": "barriers", "items": [{"id": "barriers-1", "text": "Ўз матни."}]}]}
    (content_copy / "uz-Cyrl" / "climate.yaml").write_text(yaml.safe_dump(own, allow_unicode=True), "utf-8")
    content = load_content(content_copy)
    climate, latin = content.get("uz-Cyrl").theme("climate"), content.get("uz").theme("climate")
    assert climate is not None and latin is not None
    assert [i.text for i in climate.sections[0].items[:1]] == ["Ўз матни."]
    overrides = read_overrides(content_copy / "uz-Cyrl" / "overrides.txt")
    # the others still transliterated
    assert climate.sections[0].items[1].text == latin_to_cyrillic(latin.sections[0].items[1].text, overrides)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"transliterate": "uz-Latn-Arab"}, "uz-Cyrl/about.yaml: transliterate: unknown scheme 'uz-Latn-Arab'"),
        ({"derived_from": "xx"}, "uz-Cyrl/about.yaml: derived_from: no language 'xx'"),
        ({"overrides": "missing.txt"}, "uz-Cyrl/about.yaml: overrides: cannot read missing.txt"),
        ({"offer": "Кирилл алифбосида ўқиш, марҳамат қилиб"}, "uz-Cyrl/about.yaml: offer: expected a button label"),
    ],
)
def test_a_wrong_derivation_is_named(content_copy: Path, change: dict[str, str], problem: str) -> None:
    path = content_copy / "uz-Cyrl" / "about.yaml"
    about = yaml.safe_load(path.read_text(encoding="utf-8"))
    path.write_text(yaml.safe_dump({**about, **change}, allow_unicode=True), encoding="utf-8")
    _, problems = check_content(content_copy)
    assert any(str(p).startswith(problem) for p in problems), problems


def test_the_cyrillic_catalogue_is_generated_from_uz_and_checked_to_be_current(tmp_path: Path) -> None:
    root = tmp_path / "locales"
    shutil.copytree(locales_dir(), root)
    assert not [p for p in locale_problems(root) if "uz-Cyrl" in p]
    uz = catalogue_path(root, "uz")
    with uz.open("rb") as fh:
        catalog = read_po(fh, locale="uz")
    catalog["Authors"].string = "Mualliflar roʻyxati"
    with uz.open("wb") as fh:
        write_po(fh, catalog)
    assert "uz-Cyrl/messages.po: not what locales/uz gives in this script (run `make locales`)" in locale_problems(root)
    sync_locales(root)
    assert not [p for p in locale_problems(root) if "uz-Cyrl" in p]
    translator = I18n.load(root, ["uz-Cyrl"], "uz-Cyrl").get("uz-Cyrl")
    assert translator.gettext("Authors") == "Муаллифлар рўйхати"
    assert translator.ngettext("{count} point", "{count} points", 5) != "{count} points"


def test_search_finds_each_script_and_transliterates_a_query_in_the_other() -> None:
    index = SearchIndex(load_content(content_dir()))

    def first(code: str, query: str) -> str:
        hits = index.search(code, query, 1)
        assert hits, (code, query)
        return hits[0].text

    assert "аёллар" in first("uz-Cyrl", "аёллар").lower()
    assert "ayollar" in first("uz", "ayollar").lower()
    assert "ayollar" in first("uz", "аёллар").lower()  # a Latin reader typing Cyrillic: Latin pages
    assert "аёллар" in first("uz-Cyrl", "ayollar").lower()  # and the other way
    assert first("uz", "зўравонлик") == first("uz", "zoʻravonlik")


def test_uzbek_readers_first_menu_offers_cyrillic_on_a_line_of_its_own() -> None:
    content = load_content(content_dir())
    library = Library(content)
    codes = content.codes
    screens = Screens(library, I18n.load(locales_dir(), codes, "ru"), SearchIndex(content), None)

    def rows(code: str, first_contact: bool) -> list[list[str]]:
        keyboard = screens.main_menu(code, first_contact).keyboard
        assert keyboard is not None
        return [[b.text for b in row] for row in keyboard.inline_keyboard]

    uzbek = rows("uz", True)
    assert uzbek[0] == [OFFER]
    assert any(any(b.endswith("Ўзбекча") for b in row) for row in uzbek[1:])  # in the picker too
    assert any("✓ Oʻzbekcha" in row for row in uzbek)
    assert all(OFFER not in row for row in rows("kk", True))  # only for the language it is derived from
    assert all(OFFER not in row for row in rows("uz", False))  # once chosen, the menu is the menu
    cyrillic = rows("uz-Cyrl", True)
    assert any("✓ Ўзбекча" in row for row in cyrillic)


def test_derived_content_is_built_once_into_the_start_up_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings({"DATABASE_PATH": str(tmp_path / "bot.sqlite3")}, env_file=None)
    first = load_static(settings, cache_dir=tmp_path / "cache")[0]

    def refuse(text: str, overrides: object = None) -> str:
        raise AssertionError("transliterated at start-up")

    monkeypatch.setitem(bot.languages.transliterate.SCHEMES, "uz-Latn-Cyrl", refuse)
    again = load_static(settings, cache_dir=tmp_path / "cache")[0]
    assert again.get("uz-Cyrl").about == first.get("uz-Cyrl").about


def test_new_letter_rules_rebuild_the_start_up_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.app

    rules = tmp_path / "rules"
    shutil.copytree(bot.languages.transliterate.TRANSLITERATION_RULES[0], rules)
    monkeypatch.setattr(bot.app, "TRANSLITERATION_RULES", (rules,))
    builds: list[Path] = []

    def counting_load(root: Path) -> object:
        builds.append(root)
        return load_content(root)

    monkeypatch.setattr(bot.app, "load_content", counting_load)
    settings = load_settings({"DATABASE_PATH": str(tmp_path / "bot.sqlite3")}, env_file=None)
    for _ in range(2):
        load_static(settings, cache_dir=tmp_path / "cache")
    assert len(builds) == 1
    (rules / "cyrillic.py").write_text((rules / "cyrillic.py").read_text() + "\n# a new release\n")
    load_static(settings, cache_dir=tmp_path / "cache")
    assert len(builds) == 2
