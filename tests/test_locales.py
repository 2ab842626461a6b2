"""The interface catalogues: complete in every shipped locale, and the check fails when they are not."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from bot.__main__ import main
from bot.ops.checks import locale_problems
from bot.ops.paths import locales_dir


def test_shipped_catalogues_pass(capsys: pytest.CaptureFixture[str]) -> None:
    assert locale_problems() == []
    assert main(["check-locales"]) == 0
    assert "locale check passed" in capsys.readouterr().out


@pytest.fixture
def locales(tmp_path: Path) -> Path:
    root = tmp_path / "locales"
    shutil.copytree(locales_dir(), root)
    return root


def rewrite(path: Path, change: object) -> None:
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=path.parent.parent.name if path.suffix == ".po" else None)
    change(catalog)  # type: ignore[operator]
    with path.open("wb") as fh:
        write_po(fh, catalog)


def test_untranslated_message_fails(locales: Path) -> None:
    def blank(catalog: object) -> None:
        catalog["Authors"].string = ""  # type: ignore[index]

    rewrite(locales / "ru" / "LC_MESSAGES" / "messages.po", blank)
    assert "ru/messages.po: untranslated 'Authors'" in locale_problems(locales)


def test_missing_plural_form_fails(locales: Path) -> None:
    def drop(catalog: object) -> None:
        message = catalog[("{count} point", "{count} points")]  # type: ignore[index]
        message.string = (message.string[0], message.string[1], "")

    rewrite(locales / "ru" / "LC_MESSAGES" / "messages.po", drop)
    assert "ru/messages.po: untranslated '{count} point'" in locale_problems(locales)


def test_fuzzy_message_fails(locales: Path) -> None:
    def fuzz(catalog: object) -> None:
        catalog["Editors"].flags.add("fuzzy")  # type: ignore[index]

    rewrite(locales / "en" / "LC_MESSAGES" / "messages.po", fuzz)
    assert "en/messages.po: fuzzy 'Editors'" in locale_problems(locales)


def test_stale_template_fails(locales: Path) -> None:
    def forget(catalog: object) -> None:
        del catalog["Editors"]  # type: ignore[attr-defined]

    rewrite(locales / "messages.pot", forget)
    problems = locale_problems(locales)
    assert any("stale, lacks 'Editors'" in p for p in problems)


def test_missing_catalogue_fails(locales: Path) -> None:
    (locales / "ru" / "LC_MESSAGES" / "messages.po").unlink()
    assert any(p.endswith("ru/LC_MESSAGES/messages.po is missing") for p in locale_problems(locales))
