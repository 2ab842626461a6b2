"""Readability in `check-content`: long sentences and unlisted abbreviations fail the national languages only."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.content import load_content
from bot.languages.readability import abbreviations, sentences
from bot.ops.checks import check_content_command, readability_report
from bot.ops.paths import content_dir

GLOSSARY = """# English → {name} terms

## Abbreviations allowed bare

| abbreviation | why |
|---|---|
| {allowed} | in wide public use |
"""


def sentence(words: int, first: str = "Әйелдер") -> str:
    return " ".join([first, *["құқықтары"] * (words - 1)]) + "."


def make_content(tmp_path: Path, kk_items: dict[str, str], uz_items: dict[str, str] | None = None) -> Path:
    """The real en and ru, and a partial kk (and uz, with uz-Cyrl derived from it) holding the given items."""
    root = tmp_path / "content"
    root.mkdir()
    for code in ("en", "ru"):
        shutil.copytree(content_dir() / code, root / code)
    for data in content_dir().glob("*.yaml"):  # the help directory and the staying-safe page
        shutil.copy(data, root / data.name)
    (root / "source").mkdir()
    for code, items in (("kk", kk_items), ("uz", uz_items)):
        if items is None:
            continue
        (root / code).mkdir()
        theme = yaml.safe_load((content_dir() / code / "climate.yaml").read_text(encoding="utf-8"))
        barriers = theme["sections"][0]
        barriers["items"] = [{"id": i, "text": text} for i, text in items.items()]
        del barriers["intro"]
        partial = {"id": "climate", "sections": [{"id": barriers["id"], "items": barriers["items"]}]}
        (root / code / "climate.yaml").write_text(yaml.safe_dump(partial, allow_unicode=True), encoding="utf-8")
    (root / "source" / "glossary.kk.md").write_text(GLOSSARY.format(name="Kazakh", allowed="БҰҰ"), encoding="utf-8")
    if uz_items is not None:
        (root / "source" / "glossary.uz.md").write_text(GLOSSARY.format(name="Uzbek", allowed="BMT"), "utf-8")
        shutil.copytree(content_dir() / "uz-Cyrl", root / "uz-Cyrl")
    return root


def test_a_sentence_over_45_words_fails_a_national_language_naming_file_and_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_content(tmp_path, {"barriers-1": sentence(46), "barriers-2": sentence(45)})
    assert check_content_command(root) == 1
    out, err = capsys.readouterr()
    assert "kk/climate.yaml: sections[barriers].items[barriers-1].text: a sentence of 46 words (at most 45)" in err
    assert "barriers-2" not in err  # 45 words is allowed
    assert "readability: sentences over 30 words" in out
    row = next(line for line in out.split("readability:")[1].splitlines() if line.startswith("kk "))
    # two sentences of this language's own (the rest falls back to Russian and is measured there): both long
    assert row.split()[1:6] == ["2", "2", "100.0%", "46", "0"], row
    assert "kk/climate.yaml: sections[barriers].items[barriers-1].text" in row


def test_an_unlisted_abbreviation_fails_and_an_allowed_one_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_content(tmp_path, {"barriers-1": "БҰҰ әйелдердің құқықтарын қорғайды. ЖРДҚ туралы айтылады."})
    assert check_content_command(root) == 1
    err = capsys.readouterr().err.splitlines()
    found = [line.strip() for line in err if "abbreviation" in line]
    assert found == [
        "kk/climate.yaml: sections[barriers].items[barriers-1].text: abbreviation ЖРДҚ is not allowed bare in "
        "glossary.kk.md"
    ]


def test_russian_and_english_only_report_and_fallback_strings_are_not_measured_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_content(tmp_path, {"barriers-1": "БҰҰ әйелдердің құқықтарын қорғайды."})
    figures, errors = readability_report(load_content(root), root)
    assert errors == []
    # The real English has sentences over 45 words, and both have abbreviations this glossary-less copy does not
    # list: shown only.
    assert figures["en"].longest > 45 and figures["en"].unlisted
    assert figures["ru"].unlisted
    assert figures["kk"].sentences == 1  # the rest of kk is Russian shown in its place
    assert check_content_command(root) == 0
    assert "readability check FAILED" not in capsys.readouterr().err


def test_a_derived_language_is_measured_with_its_sources_allowed_list_transliterated(tmp_path: Path) -> None:
    root = make_content(
        tmp_path,
        {"barriers-1": "БҰҰ әйелдердің құқықтарын қорғайды."},
        uz_items={"barriers-1": "BMT ayollar huquqlarini himoya qiladi. JRSH haqida gapiriladi."},
    )
    figures, errors = readability_report(load_content(root), root)
    assert figures["uz-Cyrl"].sentences == 2
    assert errors == [
        "uz/climate.yaml: sections[barriers].items[barriers-1].text: abbreviation JRSH is not allowed bare in "
        "glossary.uz.md",
        "uz-Cyrl/climate.yaml: sections[barriers].items[barriers-1].text: abbreviation ЖРШ is not allowed bare in "
        "glossary.uz.md (transliterated)",
    ]  # БМТ is allowed: glossary.uz.md's BMT, transliterated


def test_sentences_go_on_after_an_abbreviations_dot_before_a_lower_case_word() -> None:
    assert sentences("Әйелдер, балалар т.б. және басқалар. Келесі сөйлем.") == [
        "Әйелдер, балалар т.б. және басқалар.",
        "Келесі сөйлем.",
    ]
    assert sentences("Первое и др. в том же ряду. Второе!\nтретье") == [
        "Первое и др. в том же ряду.",
        "Второе!",
        "третье",
    ]


def test_uzbek_latin_abbreviations_with_digraphs_count_whole() -> None:
    assert abbreviations("YaIMning oʻsishi, ShHT va YeOII, BMTning JRSh") == ["YaIM", "ShHT", "YeOII", "BMT", "JRSh"]
    assert abbreviations("Yangi Shahar Oʻzbekiston Chorvoq") == []
    assert abbreviations("OʻZBEKISTON COVID-19") == ["OʻZBEKISTON", "COVID"]


def test_the_command_line_measures_a_derived_language_in_its_sources_files(tmp_path: Path) -> None:
    root = make_content(tmp_path, {}, uz_items={"barriers-1": "BMT ayollar huquqlarini himoya qiladi. JRSH haqida."})
    result = subprocess.run(
        [sys.executable, "-m", "bot.languages.readability", "uz-Cyrl", str(root)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "unlisted abbreviation ЖРШ: 1×" in result.stdout
    assert "БМТ" not in result.stdout  # allowed: glossary.uz.md's BMT, transliterated
