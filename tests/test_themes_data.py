"""A theme is data: one added as YAML only (a file per language and a line in content/themes.yaml) is read,
searched, linked and subscribed to like the shipped ones, and the content check says what a half-added one lacks.
A section is data too: listed in the index and written in English and Russian, every language shows it.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from bot.app import load_static, stop_application
from bot.config import Settings
from bot.content import INDEX_FILE, check_content, load_content
from bot.languages.discovery import discover_languages
from bot.offline.document import Form
from bot.offline.export import export_command
from bot.ops.checks import check_content_command
from bot.ops.paths import content_dir, locales_dir
from bot.translations.entries import language_entries
from emulator import BotAPIEmulator, EmulatedUser
from tests.conftest import BotEnv, start_bot

NEW = "care"  # the new theme: a copy of the climate theme under this id
TITLE = "Care work and who does it"
SHORT = "Care work"
WORD = "grandmothers"  # in the new theme's first item only: search finds it there and nowhere else
RU_SHORT = "Забота"


def add_theme(root: Path, codes: list[str]) -> None:
    """Copy ``climate`` to ``care`` in each of ``codes`` (an English and Russian title of its own)."""
    for code in codes:
        text = (root / code / "climate.yaml").read_text(encoding="utf-8")
        text = text.replace("id: climate\n", f"id: {NEW}\n", 1)
        if code == "en":
            text = re.sub(r"^title: .*$", f"title: {TITLE}", text, count=1, flags=re.M)
            text = re.sub(r"^short_title: .*$", f"short_title: {SHORT}", text, count=1, flags=re.M)
            first = re.search(r"^( +)text: (.*)$", text, flags=re.M)
            assert first is not None
            text = text.replace(first.group(0), f"{first.group(1)}text: Women's {WORD} share the care work.", 1)
        if code == "ru":
            text = re.sub(r"^title: .*$", "title: Забота о близких и кто её несёт", text, count=1, flags=re.M)
            text = re.sub(r"^short_title: .*$", f"short_title: {RU_SHORT}", text, count=1, flags=re.M)
        (root / code / f"{NEW}.yaml").write_text(text, encoding="utf-8")


def list_theme(root: Path) -> None:
    index = yaml.safe_load((root / INDEX_FILE).read_text(encoding="utf-8"))
    index["themes"].append(NEW)
    (root / INDEX_FILE).write_text(yaml.safe_dump(index), encoding="utf-8")


SECTION = {"en": ("Stories from the villages", "Stories"), "ru": ("Истории из сёл", "Истории")}
STORY = {
    "en": "A woman in a village started a savings group with her neighbours.",
    "ru": "Женщина в селе собрала с соседками группу взаимных сбережений.",
}


def add_section(root: Path) -> None:
    """A last section, ``stories``, in the index and in every theme of the two complete languages."""
    index = yaml.safe_load((root / INDEX_FILE).read_text(encoding="utf-8"))
    index["sections"].append("stories")
    (root / INDEX_FILE).write_text(yaml.safe_dump(index), encoding="utf-8")
    for code, (title, short) in SECTION.items():
        for theme in index["themes"]:
            path = root / code / f"{theme}.yaml"
            section = f"  - id: stories\n    title: {title}\n    short_title: {short}\n    items:\n"
            section += f"      - id: stories-1\n        text: {STORY[code]}\n"
            path.write_text(path.read_text(encoding="utf-8") + section, encoding="utf-8")


def own_languages(root: Path) -> list[str]:
    """The languages with files of their own (uz-Cyrl is derived from uz)."""
    return [code for code in discover_languages(root) if (root / code / "climate.yaml").is_file()]


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(content_dir(), root)
    return root


@pytest.fixture
async def grown(copy: Path, tmp_path: Path) -> AsyncIterator[BotEnv]:
    """The bot running on a copy of the content with a sixth theme in every language, and an eighth section."""
    add_theme(copy, own_languages(copy))
    list_theme(copy)
    add_section(copy)
    settings = Settings(content_dir=copy)
    static = load_static(settings)
    async with BotAPIEmulator() as emu:
        settings = Settings(
            token=emu.token, api_base_url=emu.base_url, database_path=tmp_path / "bot.sqlite3", content_dir=copy
        )
        app = await start_bot(emu, settings, static)
        try:
            yield BotEnv(emu, app, settings)
        finally:
            await stop_application(app)


async def ask(user: EmulatedUser, text: str) -> str:
    await user.send(text)
    await user.wait_reply()
    assert user.last is not None
    return user.last.text or ""


async def test_a_theme_added_as_yaml_only_is_in_the_menu_search_deep_links_and_subscriptions(grown: BotEnv) -> None:
    content = grown.services.content
    assert [t.id for t in content.get("en").themes][-1] == NEW
    assert all(content.get(code).theme(NEW) is not None for code in content.codes)  # uz-Cyrl too (derived)

    reader = grown.emu.user(7001, language_code="en")
    await ask(reader, "/menu")
    assert reader.last is not None
    buttons = reader.last.button_texts
    themes = [t.short_title for t in content.get("en").themes]
    assert buttons[buttons.index(themes[0]) :][: len(themes)] == themes  # in the index's order, the new one last
    assert themes[-1] == SHORT

    found = await ask(reader, f"/search {WORD}")
    assert f"1. {SHORT} › " in found and "\n2. " not in found  # the one item with the word, in the new theme

    page = await ask(reader, f"/start t_{NEW}")
    assert TITLE in page
    section = await ask(reader, f"/start s_{NEW}_barriers")
    assert section.startswith(f"{SHORT} › ") and WORD in section

    await ask(reader, "/subscriptions")
    assert reader.last is not None and f"☐ {SHORT}" in reader.last.button_texts
    await reader.press(f"☐ {SHORT}")
    await reader.wait_reply()
    assert reader.last is not None and f"☑ {SHORT}" in reader.last.button_texts
    assert "You follow 1 topic." in (reader.last.text or "")

    russian = grown.emu.user(7002, language_code="ru")
    await ask(russian, "/menu")
    assert russian.last is not None and RU_SHORT in russian.last.button_texts


async def test_a_section_added_in_english_and_russian_is_on_every_theme_page(grown: BotEnv) -> None:
    reader, kazakh = grown.emu.user(7003, language_code="en"), grown.emu.user(7004, language_code="kk")
    for theme in grown.services.content.theme_ids:
        await ask(reader, f"/start t_{theme}")
        assert reader.last is not None
        buttons = reader.last.button_texts
        further = next(i for i, b in enumerate(buttons) if b.startswith("Further recommendations ("))
        assert buttons[further + 1] == "Stories (1)", theme  # after the seven, in the index's order
        await ask(kazakh, f"/start t_{theme}")  # not translated yet: the Russian, as any missing string
        assert kazakh.last is not None and "Истории (1)" in kazakh.last.button_texts, theme
    assert STORY["ru"] in await ask(kazakh, "/start s_gbv_stories")


def test_a_theme_missing_in_a_complete_language_is_named(copy: Path) -> None:
    add_theme(copy, ["en"])
    list_theme(copy)
    _, problems = check_content(copy)
    assert [str(p) for p in problems] == [f"ru/{NEW}.yaml: file is missing: {INDEX_FILE} lists the theme {NEW!r}"]


def test_a_theme_file_not_listed_is_named_with_the_index(copy: Path) -> None:
    add_theme(copy, ["en", "ru", "kk"])
    _, problems = check_content(copy)
    found = sorted(str(p) for p in problems)
    assert len(found) == 3, found
    assert found[0].startswith(f"en/{NEW}.yaml: unknown file: not a theme in {INDEX_FILE} (files: climate.yaml, ")
    assert [p.split(":")[0] for p in found] == [f"en/{NEW}.yaml", f"kk/{NEW}.yaml", f"ru/{NEW}.yaml"]


def test_a_theme_missing_in_a_partial_language_falls_back_and_the_check_says_so(
    copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_theme(copy, ["en", "ru"])
    list_theme(copy)
    content = load_content(copy)
    assert content.get("kk").theme(NEW) == content.get("ru").theme(NEW)  # the kk reader reads it in Russian
    assert content.get("kk").coverage < 1
    assert check_content_command(copy) == 0
    out = capsys.readouterr().out
    assert f"kk/{NEW}.yaml: not translated yet (kk readers see the ru text)" in out


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        ("themes: [climate, Care_Work]\nsections: [barriers]\n", "themes[1]: 'Care_Work' is not an id"),
        ("themes: [climate, climate]\nsections: [barriers]\n", "themes[1]: 'climate' is listed twice"),
        ("themes: [climate]\n", "sections: expected a non-empty list of ids"),
        ("themes: [about]\nsections: [barriers]\n", "themes[0]: 'about' is the about page, not a theme"),
        ("themes: [climate]\nsections: [barriers]\ncolours: [red]\n", "colours: unknown key"),
        (None, "file is missing (it lists the themes and sections)"),
    ],
)
def test_the_index_is_checked(copy: Path, index: str | None, expected: str) -> None:
    if index is None:
        (copy / INDEX_FILE).unlink()
    else:
        (copy / INDEX_FILE).write_text(index, encoding="utf-8")
    _, problems = check_content(copy)
    assert any(str(p).startswith(f"{INDEX_FILE}: ") and expected in str(p) for p in problems), problems


def test_a_section_not_in_the_index_is_named(copy: Path) -> None:
    index = yaml.safe_load((copy / INDEX_FILE).read_text(encoding="utf-8"))
    index["sections"].remove("further")
    (copy / INDEX_FILE).write_text(yaml.safe_dump(index), encoding="utf-8")
    _, problems = check_content(copy)
    assert any(
        str(p).startswith("en/climate.yaml: sections: section ids are") and "(themes.yaml)" in str(p) for p in problems
    ), problems


def test_the_features_own_files_name_only_listed_themes(copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    help_file = copy / "help.yaml"
    help_file.write_text(
        help_file.read_text(encoding="utf-8").replace("themes: [gbv]", "themes: [gbv, violence]"), encoding="utf-8"
    )
    offline = copy / "offline.yaml"
    offline.write_text(offline.read_text(encoding="utf-8") + "  violence: false\n", encoding="utf-8")
    assert check_content_command(copy) == 1
    err = capsys.readouterr().err
    assert "help.yaml: show_on.themes: 'violence' is not in themes.yaml" in err
    assert "downloads.violence: unknown theme" in err


def test_translators_files_and_offline_copies_have_a_new_theme(copy: Path, tmp_path: Path) -> None:
    add_theme(copy, ["en", "ru"])
    list_theme(copy)
    entries = language_entries(copy, "kk")  # kk has no file of it yet: every string is to translate
    assert [e.place for e in entries if e.file == NEW][:2] == [f"{NEW} › title", f"{NEW} › short_title"]
    assert all(e.text is None for e in entries if e.file == NEW)
    out = tmp_path / "out"
    done = export_command(
        out,
        content_root=copy,
        locales_root=locales_dir(),
        default_language="ru",
        languages=["en"],
        subjects=[NEW],
        forms=[Form.HTML],
    )
    assert done == 0
    assert WORD in (out / f"brief-{NEW}-en.html").read_text(encoding="utf-8")
    assert export_command(out, content_root=copy, locales_root=locales_dir(), default_language="ru", subjects=["x"])
