"""Plural forms as CLDR (Babel's own data) defines them, and whether a catalogue's ``Plural-Forms`` agrees.

gettext picks a form by the C expression in a catalogue's header; CLDR says which category (one, few, many,
other...) a number falls in. A catalogue agrees with CLDR when, for every whole number, the form its header
picks is the category CLDR picks, the categories numbered in CLDR's order (zero, one, two, few, many, other)
among those a whole number can reach. Babel's ``babel.messages.plurals`` table is not used: it is a separate,
older list (it gives Tajik ``n != 1`` where CLDR has one = 0..1).
"""

from __future__ import annotations

import functools
import gettext
import re
from collections.abc import Callable

from babel import Locale, UnknownLocaleError

from bot.languages.discovery import babel_locale

__all__ = ["CHECKED_NUMBERS", "cldr_categories", "cldr_form", "gettext_header", "plural_problem"]

CHECKED_NUMBERS = range(0, 1001)  # every rule in CLDR repeats within 0..1000 for whole numbers
_ORDER = ("zero", "one", "two", "few", "many", "other")
_HEADER = re.compile(r"nplurals\s*=\s*(\d+)\s*;\s*plural\s*=\s*(.+?);?\s*$")


def _rule(code: str) -> Callable[[int], str]:
    return Locale.parse(babel_locale(code)).plural_form


@functools.cache
def cldr_categories(code: str) -> tuple[str, ...]:
    """The CLDR plural categories a whole number can fall in for ``code``, in gettext's form order."""
    rule = _rule(code)
    reached = {rule(n) for n in CHECKED_NUMBERS}
    return tuple(c for c in _ORDER if c in reached)


def cldr_form(code: str, n: int) -> int:
    """The index of the plural form CLDR's rule for ``code`` picks for ``n``."""
    return cldr_categories(code).index(_rule(code)(n))


def gettext_header(code: str) -> str:
    """A ``Plural-Forms`` value that follows CLDR for ``code``, for catalogues this bot generates."""
    categories = cldr_categories(code)
    if len(categories) == 1:
        return "nplurals=1; plural=0;"
    if len(categories) == 2:
        rule = _rule(code)
        first = [n for n in CHECKED_NUMBERS if rule(n) == categories[0]]
        if first == [1]:
            return "nplurals=2; plural=(n != 1);"
        if first == [0, 1]:
            return "nplurals=2; plural=(n > 1);"
    raise ValueError(f"no ready header for {code!r}: write its Plural-Forms by hand and let the check confirm it")


def plural_problem(code: str, plural_forms: str) -> str | None:
    """What is wrong with a catalogue's ``Plural-Forms`` for ``code`` by CLDR's rule, or None."""
    try:
        categories = cldr_categories(code)
    except (ValueError, UnknownLocaleError):
        return f"CLDR has no plural rule for {code!r}"
    match = _HEADER.match(plural_forms.strip())
    if match is None:
        return f"cannot read the Plural-Forms header {plural_forms!r}"
    count, expression = int(match.group(1)), match.group(2)
    want = f"CLDR's rule for {code!r} has {len(categories)} forms ({', '.join(categories)})"
    if count != len(categories):
        return f"the header has {count} plural forms; {want}"
    try:
        pick = gettext.c2py(expression)
    except (ValueError, SyntaxError):
        return f"cannot evaluate the plural expression {expression!r}"
    rule = _rule(code)
    for n in CHECKED_NUMBERS:
        form, expected = pick(n), categories.index(rule(n))
        if form != expected:
            return (
                f"the header picks form {form} for n = {n}, CLDR picks form {expected} ({categories[expected]}); "
                f"{want}: {gettext_header(code) if len(categories) <= 2 else 'fix the expression'}"
            )
    return None
