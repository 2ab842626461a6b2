"""The translations round trip: export a language, change it as a translator's tool would, import it back."""

from __future__ import annotations

import datetime as dt
import difflib
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

from bot.__main__ import main
from bot.app import Static
from bot.content import load_content
from bot.content.markup import to_html
from bot.content.review import Check, ReviewStatus, read_review, write_review
from bot.reading.render import about_blocks
from bot.translations.entries import language_entries, scalars
from bot.translations.yamledit import WRAP_WIDTH, replace_scalar

ROOT = Path(__file__).resolve().parent.parent
BARRIERS_2 = "gbv › barriers › legislative › barriers-2 › text"
BARRIERS_1 = "gbv › barriers › legislative › barriers-1 › text"
TOPIC_2 = "about › background › topics › 2"


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of content/ and locales/ the commands work on."""
    shutil.copytree(ROOT / "content", tmp_path / "content")
    shutil.copytree(ROOT / "locales", tmp_path / "locales")
    monkeypatch.setenv("CONTENT_DIR", str(tmp_path / "content"))
    monkeypatch.setenv("LOCALES_DIR", str(tmp_path / "locales"))
    return tmp_path


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _export(tree: Path, name: str = "kk.po", *extra: str) -> Catalog:
    assert main(["translations", "export", "--lang", "kk", "--out", str(tree / name), *extra]) == 0
    with (tree / name).open("rb") as fh:
        return read_po(fh, abort_invalid=True)


def _save(catalog: Catalog, path: Path) -> None:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=0)
    path.write_bytes(buffer.getvalue())


def _text(message: Message) -> str:
    assert isinstance(message.string, str)
    return message.string


def _changed_lines(before: bytes, after: bytes) -> list[str]:
    diff = difflib.unified_diff(before.decode().splitlines(), after.decode().splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def test_round_trip_changes_only_the_edited_lines(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    catalog = _export(tree)
    entries = {m.context: m for m in catalog if m.id}
    assert entries[BARRIERS_2].fuzzy, "nothing is checked by a native speaker yet"
    assert any(c.startswith("Russian: ") for c in entries[BARRIERS_2].auto_comments)
    assert (
        "glossary: gender-based violence (GBV) → гендерлік зорлық-зомбылық"
        in entries["gbv › barriers › legislative › barriers-1 › text"].auto_comments
    )
    noted = [m for m in catalog if m.id and any(c.startswith("note: ") for c in m.auto_comments)]
    assert noted and all(str(m.context).endswith(" › text") for m in noted)
    entries[BARRIERS_2].string = _text(entries[BARRIERS_2]).replace("тиімсіз", "нәтижесіз")
    entries[TOPIC_2].string = _text(entries[TOPIC_2]).replace("және", "мен")
    entries[BARRIERS_1].flags.discard("fuzzy")  # a native speaker checked it, as Poedit records it
    _save(catalog, tree / "kk.po")
    before = _snapshot(tree / "content")

    assert main(["translations", "import", str(tree / "kk.po")]) == 0

    after = _snapshot(tree / "content")
    changed = {name for name in after if before.get(name) != after[name]}
    assert changed == {"kk/gbv.yaml", "kk/about.yaml", "kk/review.yaml"}
    assert _changed_lines(before["kk/gbv.yaml"], after["kk/gbv.yaml"]) == [
        "-              мінез-құлқын түзетуге арналған бағдарламалар) тиімсіз. Сонымен қатар мұндай",
        "+              мінез-құлқын түзетуге арналған бағдарламалар) нәтижесіз. Сонымен қатар мұндай",
    ]
    assert _changed_lines(before["kk/about.yaml"], after["kk/about.yaml"]) == [
        "-    - Экономикалық әділеттілік және құқықтар",
        "+    - Экономикалық әділеттілік мен құқықтар",
    ]
    review = read_review(tree / "content" / "kk")
    assert set(review.content) == {BARRIERS_1}
    out = capsys.readouterr().out
    assert "2 changed, 1 newly reviewed" in out and BARRIERS_2 in out
    # Imported again, the same file changes nothing.
    assert main(["translations", "import", str(tree / "kk.po")]) == 0
    assert _snapshot(tree / "content") == after


def test_a_broken_entry_is_named_and_nothing_is_written(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    catalog = _export(tree)
    entries = {(m.context, m.id if isinstance(m.id, str) else m.id[0]): m for m in catalog if m.id}
    language = entries[("interface", "Language: {language}")]
    language.string = "Тіл: {til}"  # a broken placeholder
    item = entries[(BARRIERS_2, next(k[1] for k in entries if k[0] == BARRIERS_2))]
    item.string = _text(item).replace("тиімсіз", "тиiмсiз")  # Latin i inside a Cyrillic word
    fine = entries[(TOPIC_2, next(k[1] for k in entries if k[0] == TOPIC_2))]
    fine.string = _text(fine).replace("және", "мен")
    fine.flags.discard("fuzzy")
    _save(catalog, tree / "kk.po")
    before = _snapshot(tree)

    assert main(["translations", "import", str(tree / "kk.po")]) == 1

    assert _snapshot(tree) == before
    out = capsys.readouterr().out
    assert f"REJECTED {BARRIERS_2}: Latin and Cyrillic letters mixed in a word: 'тиiмсiз'" in out
    assert "REJECTED interface: Language: {language}: placeholders ['{til}'] instead of ['{language}']" in out
    assert "nothing was written" in out


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
@pytest.mark.parametrize("code", ["kk", "ky", "tg", "tk", "uz", "ru"])
def test_exported_file_opens_in_standard_tools(tree: Path, code: str) -> None:
    out = tree / f"{code}.po"
    assert main(["translations", "export", "--lang", code, "--out", str(out)]) == 0
    with out.open("rb") as fh:
        catalog = read_po(fh, abort_invalid=True)  # Babel's own reader, aborting on anything invalid
    assert sum(1 for m in catalog if m.id) > 500
    checked = subprocess.run(
        ["msgfmt", "--check-format", "-c", "-o", "/dev/null", str(out)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr == "", checked.stderr  # not even a warning about the header


def test_spreadsheet_round_trip(tree: Path) -> None:
    assert main(["translations", "export", "--lang", "kk", "--out", str(tree / "kk.csv")]) == 0
    sheet = (tree / "kk.csv").read_text(encoding="utf-8")
    assert sheet.splitlines()[0] == "context,english,russian,translation,checked,comments"
    edited = sheet.replace("тиімсіз. Сонымен", "нәтижесіз. Сонымен", 1)
    (tree / "kk.csv").write_text(edited, encoding="utf-8")
    assert main(["translations", "import", "--lang", "kk", str(tree / "kk.csv")]) == 0
    assert "нәтижесіз. Сонымен" in (tree / "content" / "kk" / "gbv.yaml").read_text(encoding="utf-8")


def test_a_derived_language_is_neither_exported_nor_imported(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["translations", "export", "--lang", "uz-Cyrl", "--out", str(tree / "x.po")]) == 2
    assert "export uz instead" in capsys.readouterr().err
    assert not (tree / "x.po").exists()


def test_review_status_shows_on_the_about_page(tree: Path, static: Static, capsys: pytest.CaptureFixture[str]) -> None:
    content_root = tree / "content"
    i18n = static[1]
    about = load_content(content_root).get("kk").about
    blocks = about_blocks(about, i18n.get("kk"))
    assert i18n.get("kk").gettext("Checked by native speakers: {share}").format(share="0%") in blocks[1]
    assert about.translation_notice is not None and to_html(about.translation_notice) in blocks[1]
    assert load_content(content_root).get("en").about.native_checked is None

    # Every string but one checked: 99% (rounded down), the notice stays; all of them: 100%, it goes.
    places = [e.place for e in language_entries(content_root, "kk")]
    status = ReviewStatus({p: Check(dt.date(2026, 12, 6)) for p in places[1:]}, {})
    write_review(content_root / "kk", status)
    about = load_content(content_root).get("kk").about
    assert about.native_checked is not None and 0.99 < about.native_checked < 1
    assert about.notice_stays and "99%" in about_blocks(about, i18n.get("kk"))[1]
    status.content[places[0]] = Check(dt.date(2026, 12, 6), by="Айгүл")
    write_review(content_root / "kk", status)
    content = load_content(content_root)
    about = content.get("kk").about
    assert not about.notice_stays
    blocks = about_blocks(about, i18n.get("kk"))
    assert "100%" in blocks[1] and to_html(about.translation_notice or "") not in "\n".join(blocks)
    # uz-Cyrl is the Uzbek text: it has the Uzbek status.
    assert content.get("uz-Cyrl").about.native_checked == content.get("uz").about.native_checked == 0

    assert main(["check-content"]) == 0
    table = capsys.readouterr().out
    assert re.search(r"^kk .* 100% +100%$", table, re.MULTILINE), table
    assert re.search(r"^ky .* 100% +0%$", table, re.MULTILINE), table
    # The interface: every message of the catalogue checked but one.
    with (tree / "locales" / "kk" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        ids = [m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id]
    status.interface.update({i: Check(dt.date(2026, 12, 6)) for i in ids[1:]})
    write_review(content_root / "kk", status)
    assert main(["check-locales"]) == 0
    table = capsys.readouterr().out
    assert re.search(r"^kk +(\d+)/\1 +100% +99%$", table, re.MULTILINE), table  # rounded down
    assert re.search(r"^ky +(\d+)/\1 +100% +0%$", table, re.MULTILINE), table
    assert re.search(r"^ru +(\d+)/\1 +100% +-$", table, re.MULTILINE), table
    shares = read_review(content_root / "kk")
    assert shares.share([ids[0], ids[1]], interface=True) == 0.5


def test_yaml_edits_keep_the_layout() -> None:
    text = "a:\n  - plain words\n  - 'quoted'\n  - key: value # comment\nb: >-\n  one two three\n  four five\nc: 1\n"
    nodes = dict(scalars(yaml.compose(text, Loader=yaml.SafeLoader)))
    edited = replace_scalar(text, nodes[("a", "1")], "words: with a colon")
    assert edited.splitlines()[1] == '  - "words: with a colon"'
    assert yaml.safe_load(edited)["a"][0] == "words: with a colon"
    edited = replace_scalar(text, nodes[("a", "2")], "it's")
    assert edited.splitlines()[2] == "  - 'it''s'"
    # A folded block keeps its line breaks; a line that grows past the width passes its last words on.
    edited = replace_scalar(text, nodes[("b",)], "one 2 three four five")
    assert edited.splitlines()[4:7] == ["b: >-", "  one 2 three", "  four five"]
    long = " ".join(["word"] * 30)
    edited = replace_scalar(text, nodes[("b",)], f"one two three {long} four five")
    lines = edited.splitlines()
    assert all(len(line) <= WRAP_WIDTH for line in lines)
    assert yaml.safe_load(edited)["b"] == f"one two three {long} four five"
    assert lines[-1] == "c: 1" and yaml.safe_load(edited)["a"][2] == {"key": "value"}
    # A plain string too long for its line becomes a folded block under its key.
    edited = replace_scalar(text, nodes[("a", "3", "key")], long * 2)
    assert yaml.safe_load(edited)["a"][2] == {"key": long * 2}
    assert edited.splitlines()[3] == "  - key: >- # comment" and all(
        len(line) <= WRAP_WIDTH for line in edited.splitlines()
    )


def test_an_uzbek_interface_fix_reaches_cyrillic_uzbek(tree: Path) -> None:
    out = tree / "uz.po"
    assert main(["translations", "export", "--lang", "uz", "--out", str(out)]) == 0
    with out.open("rb") as fh:
        catalog = read_po(fh)
    (message,) = [m for m in catalog if m.context == "interface" and m.id == "Language: {language}"]
    message.string = "Tanlangan til: {language}"
    _save(catalog, out)
    assert main(["translations", "import", str(out)]) == 0
    cyrillic = (tree / "locales" / "uz-Cyrl" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    assert 'msgstr "Танланган тил: {language}"' in cyrillic
    assert main(["check-locales"]) == 0  # the derived catalogue is what `make locales` would write


def test_a_sheet_without_a_language_is_refused_clearly(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["translations", "export", "--lang", "kk", "--out", str(tree / "kk.csv")]) == 0
    assert main(["translations", "import", str(tree / "kk.csv")]) == 2
    assert "the file names no language: pass --lang" in capsys.readouterr().err
