"""The shipped content loads, mirrors the brief, and the validator refuses each kind of bad input."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.__main__ import main
from bot.content import (
    FALLBACK_LOCALE,
    INDEX_FILE,
    Content,
    ContentError,
    check_content,
    content_index,
    load_content,
)
from bot.content.markup import to_html
from bot.languages.discovery import discover_languages
from bot.telegram.limits import ITEM_TEXT_MAX

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
SOURCE = CONTENT / "source" / "policy-brief.en.txt"
_SUPERSCRIPT = "¹²³⁴⁵⁶⁷⁸⁹⁰"


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(CONTENT)


def norm(text: str) -> str:
    """Letters and digits only: tolerant of re-wrapped lines, restored hyphens and removed markers."""
    text = re.sub(r"</?u>|\*\*", "", text).casefold()
    return "".join(ch for ch in text if ch.isalnum() and ch not in _SUPERSCRIPT)


def source_bullets() -> list[str]:
    """Each bullet of the brief with its hard-wrapped continuation lines."""
    bullets: list[str] = []
    current: list[str] | None = None
    for line in SOURCE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith(("- ", "• ")):
            if current:
                bullets.append(" ".join(current))
            current = [stripped[2:]]
        elif stripped and current is not None and line.startswith(" "):
            current.append(stripped)  # a hard-wrapped line of the same bullet
        else:
            if current:
                bullets.append(" ".join(current))
            current = None
    if current:
        bullets.append(" ".join(current))
    return bullets


def en_corpus(content: Content) -> list[str]:
    loc = content.get("en")
    texts: list[str] = []
    for theme in loc.themes:
        for section in theme.sections:
            for item in section.items:
                texts.append(item.text)
                texts.extend(n.text or n.url or "" for n in item.notes)
    a = loc.about
    texts += [a.initiative, a.background_text, *a.topics, a.participants, *a.by_country, a.purpose]
    texts += [*a.authors, *a.editors, a.illustrations, a.disclaimer, a.licence_notice, a.licence_terms]
    return texts


def test_shipped_content_loads_with_five_themes_in_every_language(content: Content) -> None:
    assert set(content.locales) == set(discover_languages(CONTENT)) >= {"en", "ru", "kk", "ky", "tg", "tk", "uz"}
    for code in content.locales:
        loc = content.get(code)
        assert [t.id for t in loc.themes] == ["climate", "economy", "srhr", "gbv", "movements"]
        for theme in loc.themes:
            assert tuple(s.id for s in theme.sections) == content_index(CONTENT).sections
            assert all(section.items for section in theme.sections)
    gbv = content.get("en").theme("gbv")
    assert gbv is not None
    barriers = gbv.section("barriers")
    assert barriers is not None
    assert [g.title for g in barriers.groups] == ["Legislative barriers", "Other issues and barriers"]


def test_every_bullet_of_the_brief_is_in_the_english_content(content: Content) -> None:
    corpus = norm("".join(en_corpus(content)))
    bullets = source_bullets()
    assert len(bullets) > 150  # the parser really walked the brief
    missing = [b for b in bullets if norm(b) not in corpus]
    assert missing == []


def test_every_english_item_comes_from_the_brief(content: Content) -> None:
    source = norm(SOURCE.read_text(encoding="utf-8"))
    invented = [text for text in en_corpus(content) if norm(text) not in source]
    assert invented == []


def test_layout_repairs_are_made(content: Content) -> None:
    climate = content.get("en").theme("climate")
    assert climate is not None
    texts = " ".join(i.text for s in climate.sections for i in s.items)
    assert "practices of disaster risk reduction (DRR)" in texts  # joined across a page break
    assert "gender-responsive budgeting" in texts  # hyphen restored
    assert "genderresponsive" not in texts
    economy = content.get("en").theme("economy")
    assert economy is not None
    league = next(i for s in economy.sections for i in s.items if "Young programmers" in i.text)
    assert [n.url for n in league.notes if n.url] == ["https://vbyrai.kz/"]
    assert any(n.text and n.text.startswith("Single-industry town") for n in league.notes)


def test_russian_mirrors_english_item_for_item_and_is_in_russian(content: Content) -> None:
    en, ru = content.get("en"), content.get("ru")
    for theme_en, theme_ru in zip(en.themes, ru.themes, strict=True):
        for sec_en, sec_ru in zip(theme_en.sections, theme_ru.sections, strict=True):
            assert [i.id for i in sec_en.items] == [i.id for i in sec_ru.items]
            for item_en, item_ru in zip(sec_en.items, sec_ru.items, strict=True):
                assert item_ru.text != item_en.text
                assert len(item_en.notes) == len(item_ru.notes)
                cyrillic = len(re.findall(r"[а-яё]", item_ru.text, re.I))
                latin = len(re.findall(r"[a-z]", item_ru.text, re.I))
                assert cyrillic > 4 * latin, item_ru.id
    assert ru.coverage == 1.0


def test_glossary_terms_are_used_in_russian(content: Content) -> None:
    ru = content.get("ru")
    text = " ".join(i.text for t in ru.themes for s in t.sections for i in s.items)
    for term in (
        "гендерного насилия",
        "ЛГБТИК+",
        "сексуального и репродуктивного здоровья и прав",
        "правозащитниц",
        "Универсального периодического обзора ООН",
    ):
        assert term in text, term
    assert "гендерное насилие" in text.casefold() or "гендерного насилия" in text


def test_items_fit_in_one_telegram_message(content: Content) -> None:
    for loc in content.locales.values():
        for theme in loc.themes:
            for section in theme.sections:
                for item in section.items:
                    assert len(to_html(item.text)) <= ITEM_TEXT_MAX


def test_check_content_command_prints_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-content"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^en\s+5\s+35\s+\d+\s+\d+\s+100%\s+-$", out, re.M)
    assert re.search(r"^ru\s+5\s+35\s+\d+\s+\d+\s+100%\s+-$", out, re.M)


# ------------------------------------------------------------------------------------------ broken fixtures


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    for code in ("en", "ru"):
        shutil.copytree(CONTENT / code, root / code)
    shutil.copy(CONTENT / INDEX_FILE, root / INDEX_FILE)
    return root


def edit(root: Path, file: str, change: Callable[[Any], None]) -> None:
    path = root / file
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def problems(root: Path) -> list[str]:
    loaded, found = check_content(root)
    assert loaded is None
    return [str(p) for p in found]


def first_item(data: Any) -> dict[str, Any]:
    item: dict[str, Any] = data["sections"][0]["items"][0]
    return item


BROKEN: dict[str, tuple[str, Callable[[Any], None], str]] = {
    "missing key": (
        "en/climate.yaml",
        lambda d: d.pop("moderator"),
        "en/climate.yaml: moderator: missing key",
    ),
    "unknown key": (
        "en/climate.yaml",
        lambda d: d.update(colour="red"),
        "en/climate.yaml: colour: unknown key",
    ),
    "wrong type": (
        "en/climate.yaml",
        lambda d: d.update(protect_content="yes"),
        "en/climate.yaml: protect_content: expected true or false, got str",
    ),
    "wrong type list": (
        "en/economy.yaml",
        lambda d: d.update(countries="Kazakhstan"),
        "en/economy.yaml: countries: expected a list, got str",
    ),
    "duplicate id": (
        "en/srhr.yaml",
        lambda d: d["sections"][0]["items"][1].update(id=d["sections"][0]["items"][0]["id"]),
        "en/srhr.yaml: sections[0].items[1].id: duplicate id 'barriers-1'",
    ),
    "empty string": (
        "en/gbv.yaml",
        lambda d: d.update(short_title="  "),
        "en/gbv.yaml: short_title: empty string",
    ),
    "item too long": (
        "en/movements.yaml",
        lambda d: first_item(d).update(text="word " * 900),
        "en/movements.yaml: sections[0].items[0].text: 4500 characters as Telegram HTML",
    ),
    "html escaping counts": (
        "en/movements.yaml",
        lambda d: first_item(d).update(text="<&>" * 800),
        "en/movements.yaml: sections[0].items[0].text: 10400 characters as Telegram HTML",
    ),
    "button too long": (
        "en/climate.yaml",
        lambda d: d.update(short_title="A very long button title that wraps"),
        "en/climate.yaml: short_title: button label is 35 characters, more than 32",
    ),
    "unpaired bold": (
        "ru/climate.yaml",
        lambda d: first_item(d).update(text="**жирный текст без конца"),
        "ru/climate.yaml: sections[0].items[0].text: unpaired ** bold marker",
    ),
    "structure differs": (
        "ru/climate.yaml",
        lambda d: d["sections"][0]["items"].pop(),
        "ru/climate.yaml: sections[0].items: English has 8 entries here, this locale has 7",
    ),
    "id differs": (
        "ru/economy.yaml",
        lambda d: first_item(d).update(id="barriers-99"),
        "ru/economy.yaml: sections[0].items[0].id: must be the same as in English ('barriers-1')",
    ),
    "untranslated": (
        "ru/gbv.yaml",
        lambda d: (
            first_item(d).update(
                text=yaml.safe_load((CONTENT / "en" / "gbv.yaml").read_text())["sections"][0]["groups"][0]["items"][0][
                    "text"
                ]
            )
            if "items" in d["sections"][0]
            else d["sections"][0]["groups"][0]["items"][0].update(
                text=yaml.safe_load((CONTENT / "en" / "gbv.yaml").read_text())["sections"][0]["groups"][0]["items"][0][
                    "text"
                ]
            )
        ),
        "ru/gbv.yaml: sections[0].groups[0].items[0].text: not translated (identical to the English text)",
    ),
    "english left": (
        "ru/srhr.yaml",
        lambda d: first_item(d).update(text="Дискриминация and violation of the rights"),
        "ru/srhr.yaml: sections[0].items[0].text: English left in the translation: 'and violation of the rights'",
    ),
    "section order": (
        "en/climate.yaml",
        lambda d: d["sections"].reverse(),
        "en/climate.yaml: sections: section ids are",
    ),
    "theme id": (
        "en/climate.yaml",
        lambda d: d.update(id="weather"),
        "does not match the file name ('climate')",
    ),
    "items and groups": (
        "en/climate.yaml",
        lambda d: d["sections"][0].update(groups=[{"id": "x", "title": "X", "items": d["sections"][0]["items"]}]),
        "en/climate.yaml: sections[0]: a section needs exactly one of 'items' or 'groups'",
    ),
    "bad url": (
        "en/about.yaml",
        lambda d: d["licence"].update(url="creativecommons.org"),
        "en/about.yaml: licence.url: not an http(s) URL",
    ),
    "empty note": (
        "en/economy.yaml",
        lambda d: d["sections"][1]["items"][1]["notes"].append({}),
        "a note needs text or url",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_validator_refuses_broken_content(tree: Path, case: str) -> None:
    file, change, expected = BROKEN[case]
    edit(tree, file, change)
    found = problems(tree)
    assert any(expected in p for p in found), found


def test_invalid_yaml_names_file_and_line(tree: Path) -> None:
    (tree / "en" / "srhr.yaml").write_text("id: srhr\ntitle: [unclosed\n", encoding="utf-8")
    found = problems(tree)
    assert any(p.startswith("en/srhr.yaml: line ") and "not valid YAML" in p for p in found), found


def test_missing_file_and_unknown_file(tree: Path) -> None:
    (tree / "ru" / "gbv.yaml").unlink()
    (tree / "ru" / "notes.yaml").write_text("x: 1\n", encoding="utf-8")
    found = problems(tree)
    assert any("ru/gbv.yaml: file is missing" in p for p in found)
    assert any("ru/notes.yaml: unknown file" in p for p in found)


def test_load_content_raises_with_every_problem(tree: Path) -> None:
    edit(tree, "en/climate.yaml", lambda d: d.update(short_title="", colour="red"))
    with pytest.raises(ContentError) as info:
        load_content(tree)
    assert len(info.value.problems) == 2
    assert "en/climate.yaml: short_title: empty string" in str(info.value)


def test_check_content_command_fails_on_broken_content(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(tree, "en/climate.yaml", lambda d: d.pop("title"))
    assert main(["check-content", "--content-dir", str(tree)]) == 1
    assert "en/climate.yaml: title: missing key" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------ partial locales


def test_partial_locale_falls_back_item_by_item_and_reports_coverage(tree: Path) -> None:
    kk = tree / "kk"
    kk.mkdir()
    ru_climate = yaml.safe_load((tree / "ru" / "climate.yaml").read_text(encoding="utf-8"))
    first_item(ru_climate)["text"] = "Қазақша аударма."
    ru_climate["sections"][0]["items"] = ru_climate["sections"][0]["items"][:1]  # the rest fall back
    (kk / "climate.yaml").write_text(yaml.safe_dump(ru_climate, allow_unicode=True), encoding="utf-8")
    content = load_content(tree)
    kk_content = content.get("kk")
    climate = kk_content.theme("climate")
    ru_theme = content.get(FALLBACK_LOCALE).theme("climate")
    assert climate is not None and ru_theme is not None
    assert climate.sections[0].items[0].text == "Қазақша аударма."
    assert climate.sections[0].items[1].text == ru_theme.sections[0].items[1].text
    assert len(climate.sections[0].items) == len(ru_theme.sections[0].items)
    assert 0 < kk_content.coverage < 0.01
    summary = next(s for s in content.summaries() if s.code == "kk")
    assert summary.items == 180


def test_partial_locale_with_unknown_id_is_refused(tree: Path) -> None:
    (tree / "kk").mkdir()
    (tree / "kk" / "srhr.yaml").write_text(
        yaml.safe_dump({"sections": [{"id": "nonsense"}]}, allow_unicode=True), encoding="utf-8"
    )
    found = problems(tree)
    assert any("kk/srhr.yaml: sections: unknown id 'nonsense'" in p for p in found), found
