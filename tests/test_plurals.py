"""Plural forms follow CLDR in every shipped language, and the locale check fails on a header that does not."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from bot.languages.discovery import babel_locale, discover_languages
from bot.languages.i18n import I18n, catalogue_path
from bot.languages.plurals import cldr_categories, cldr_form, plural_problem
from bot.ops.checks import locale_problems, sync_locales
from bot.ops.paths import content_dir, locales_dir

SHIPPED = discover_languages(content_dir())
NUMBERS = (0, 1, 2, 5, 21)
# The form index CLDR picks for NUMBERS, written out: one = 0..1 in Tajik; one/few/many in Russian.
EXPECTED = {"tg": (0, 0, 1, 1, 1), "ru": (2, 0, 1, 2, 0)}
ONE_IS_ONE = (1, 0, 1, 1, 1)


def _header(code: str) -> str:
    with catalogue_path(locales_dir(), code).open("rb") as fh:
        return read_po(fh, locale=babel_locale(code)).plural_forms


@pytest.mark.parametrize("code", SHIPPED)
def test_ngettext_gives_the_form_cldr_picks(tmp_path: Path, code: str) -> None:
    """Each shipped catalogue's own header, with a message whose forms say their index."""
    categories = cldr_categories(code)
    catalog = Catalog(locale=babel_locale(code), fuzzy=False)
    with catalogue_path(locales_dir(), code).open("rb") as fh:
        header = read_po(fh, locale=babel_locale(code)).mime_headers
    catalog.mime_headers = header
    catalog.add(("{n} day", "{n} days"), tuple(f"form {i}" for i in range(len(categories))))
    for member in {code, "ru", "en"}:
        path = catalogue_path(tmp_path, member)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(fh, catalog if member == code else Catalog(locale=babel_locale(member)))
    t = I18n.load(tmp_path, [code], code).get(code)
    picked = tuple(t.ngettext("{n} day", "{n} days", n) for n in NUMBERS)
    expected = EXPECTED.get(code, ONE_IS_ONE)
    assert picked == tuple(f"form {i}" for i in expected), _header(code)
    assert expected == tuple(cldr_form(code, n) for n in NUMBERS)


def test_every_shipped_header_agrees_with_cldr() -> None:
    assert {code: plural_problem(code, _header(code)) for code in SHIPPED} == dict.fromkeys(SHIPPED)


def test_a_deliberately_wrong_header_fails_the_check(tmp_path: Path) -> None:
    root = tmp_path / "locales"
    shutil.copytree(locales_dir(), root)
    path = catalogue_path(root, "tg")
    text = path.read_text(encoding="utf-8")
    assert "nplurals=2; plural=(n > 1);" in text
    path.write_text(text.replace("nplurals=2; plural=(n > 1);", "nplurals=2; plural=(n != 1);"), encoding="utf-8")
    problems = [p for p in locale_problems(root) if p.startswith("tg/messages.po")]
    assert problems == [
        "tg/messages.po: the header picks form 1 for n = 0, CLDR picks form 0 (one); CLDR's rule for 'tg' has "
        "2 forms (one, other): nplurals=2; plural=(n > 1);"
    ]


def test_plural_problem_reads_the_expression_not_its_spelling() -> None:
    assert (
        plural_problem(
            "ru",
            "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);",
        )
        is None
    )
    assert plural_problem("kk", "nplurals=2; plural=n!=1") is None
    assert "2 plural forms" in (plural_problem("ru", "nplurals=2; plural=(n != 1);") or "")
    assert "cannot read" in (plural_problem("kk", "plural=(n != 1)") or "")


def test_a_new_catalogue_gets_cldrs_header_not_babels_older_table(tmp_path: Path) -> None:
    root = tmp_path / "locales"
    shutil.copytree(locales_dir(), root)
    shutil.rmtree(root / "tg")
    sync_locales(root)
    assert '"Plural-Forms: nplurals=2; plural=(n > 1);\\n"' in catalogue_path(root, "tg").read_text(encoding="utf-8")
