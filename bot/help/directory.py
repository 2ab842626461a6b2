"""The help directory as frozen data: ``content/help.yaml`` read, validated and resolved per language.

Pure: no Telegram, no storage. ``check_directory`` returns problems (the file is unusable) and warnings (an
entry's check date is older than ``STALE_AFTER``: a number may have changed); the bot refuses to start on a
problem, and only ``check-content`` prints the warnings.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from bot.content.derived import Derivation, read_derivation
from bot.content.index import INDEX_FILE, read_index
from bot.languages.discovery import LANGUAGE_TAG, REFERENCE_LANGUAGE, fallback_chain

__all__ = [
    "COUNTRY_CODES",
    "HELP_FILE",
    "INTERNATIONAL",
    "STALE_AFTER",
    "Country",
    "Directory",
    "DirectoryError",
    "Entry",
    "Kind",
    "check_directory",
    "load_directory",
    "with_derived_languages",
]

HELP_FILE = "help.yaml"
INTERNATIONAL = "international"
# Each country's calling code: a phone number is either E.164 in that plan (+7 ...) or a short national number.
COUNTRY_CODES: Mapping[str, str] = {"KZ": "7", "KG": "996", "TJ": "992", "TM": "993", "UZ": "998"}
STALE_AFTER = dt.timedelta(days=365)  # an entry checked longer ago than this is flagged for re-checking
_E164 = re.compile(r"^\+([1-9]\d{6,14})$")
_SHORT = re.compile(r"^\d{2,4}$")  # 102, 112, 1146, 1313: dialled as they are, from any phone in the country
_ID = re.compile(r"^[a-z0-9-]{1,24}$")
_URL = re.compile(r"^https?://[^\s/]+\.[^\s]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
SOURCE_KINDS = frozenset({"official", "un", "service", "news"})
TEXT_MAX = 300  # a name, purpose or hours line: one short block per entry keeps a country under one message


class Kind(StrEnum):
    """What an entry is for."""

    EMERGENCY = "emergency"
    POLICE = "police"
    GBV_HOTLINE = "gbv_hotline"
    CRISIS_CENTRE = "crisis_centre"
    LEGAL_AID = "legal_aid"
    DEFENDERS = "defenders"
    DIGITAL_SECURITY = "digital_security"


class DirectoryError(ValueError):
    """``help.yaml`` cannot be used; the message lists every problem."""


Texts = Mapping[str, str]


def _pick(texts: Texts, code: str) -> str:
    """The text in ``code``, falling back like all content (the language, Russian, English)."""
    for candidate in fallback_chain(code):
        if candidate in texts:
            return texts[candidate]
    return texts.get(REFERENCE_LANGUAGE, "")


@dataclass(frozen=True, slots=True)
class Entry:
    """One service: how to reach it, what it is for, and where that was read and when."""

    id: str
    kind: Kind
    names: Texts
    purposes: Texts
    hours: Texts
    phone: str | None
    url: str | None
    email: str | None
    free: bool | None
    languages: tuple[str, ...]
    sources: tuple[str, ...]
    checked: dt.date

    def name(self, code: str) -> str:
        """The entry's name in ``code``."""
        return _pick(self.names, code)

    def purpose(self, code: str) -> str:
        """What it is for, in ``code``."""
        return _pick(self.purposes, code)

    def hours_in(self, code: str) -> str | None:
        """When it answers, in ``code`` (None: the source does not say)."""
        return _pick(self.hours, code) if self.hours else None


@dataclass(frozen=True, slots=True)
class Country:
    """A country (or the international section) and its entries; ``note`` says what could not be cited."""

    code: str
    names: Texts
    entries: tuple[Entry, ...]
    note: str | None

    def name(self, code: str) -> str:
        """The country's name in ``code``."""
        return _pick(self.names, code)


@dataclass(frozen=True, slots=True)
class Directory:
    """Every country in file order, and where the "where to get help" button goes on pages."""

    countries: tuple[Country, ...]
    themes: frozenset[str]  # every page of these themes ends with the button
    sections: frozenset[str]  # ... and every page of these sections, in any theme

    def country(self, code: str) -> Country | None:
        """The country with ``code`` (a forged or stale code gets None)."""
        return next((c for c in self.countries if c.code == code), None)

    def on_page(self, theme_id: str, section_id: str) -> bool:
        """Whether a page of this theme and section offers the directory."""
        return theme_id in self.themes or section_id in self.sections


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem or a warning, with the YAML path it is about."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{HELP_FILE}: {self.path}: {self.message}"


def load_directory(content_root: Path, languages: Iterable[str]) -> Directory:
    """Read and validate ``content_root/help.yaml``; raise ``DirectoryError`` listing every problem."""
    codes = tuple(languages)
    directory, problems, _ = check_directory(content_root, codes, dt.date.today())
    if directory is None:
        raise DirectoryError("\n".join(str(p) for p in problems))
    return with_derived_languages(directory, content_root, codes)


def with_derived_languages(directory: Directory, content_root: Path, languages: Iterable[str]) -> Directory:
    """``directory`` with the texts of each derived language (uz-Cyrl) made from its source's."""
    for code in languages:
        if (rule := read_derivation(content_root, code)) is not None:
            directory = _derive(directory, code, rule)
    return directory


def _derive(directory: Directory, code: str, rule: Derivation) -> Directory:
    """``directory`` with the texts language ``code`` lacks made from its source's (Uzbek Latin → Cyrillic)."""

    def texts(own: Texts) -> Texts:
        if code in own or rule.source not in own:
            return own
        return {**own, code: rule.convert(own[rule.source])}

    countries = tuple(
        replace(
            country,
            names=texts(country.names),
            entries=tuple(
                replace(e, names=texts(e.names), purposes=texts(e.purposes), hours=texts(e.hours))
                for e in country.entries
            ),
        )
        for country in directory.countries
    )
    return replace(directory, countries=countries)


def check_directory(
    content_root: Path, languages: Iterable[str], today: dt.date
) -> tuple[Directory | None, list[Finding], list[Finding]]:
    """Validate the directory: (the directory or None, problems, warnings about stale check dates)."""
    path = content_root / HELP_FILE
    problems: list[Finding] = []
    warnings: list[Finding] = []
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        return None, [Finding("", f"cannot be read: {exc.strerror}")], []
    except yaml.YAMLError as exc:
        return None, [Finding("", f"is not valid YAML: {exc}")], []
    if not isinstance(raw, dict):
        return None, [Finding("", "expected a mapping with 'countries'")], []
    codes = frozenset(languages)
    show_on = raw.get("show_on") or {}
    show_on = show_on if isinstance(show_on, dict) else {}
    listed = read_index(content_root, [])  # a missing or broken index is the content check's to report
    themes = _ids(show_on.get("themes"), "show_on.themes", listed.themes if listed else None, problems)
    sections = _ids(show_on.get("sections"), "show_on.sections", listed.sections if listed else None, problems)
    countries: list[Country] = []
    raw_countries = raw.get("countries")
    if not isinstance(raw_countries, dict) or not raw_countries:
        problems.append(Finding("countries", "expected a mapping of country codes"))
        raw_countries = {}
    seen: set[str] = set()
    for code, body in raw_countries.items():
        where = f"countries.{code}"
        if code not in COUNTRY_CODES and code != INTERNATIONAL:
            problems.append(
                Finding(where, f"unknown country (expected one of {', '.join(COUNTRY_CODES)}, international)")
            )
            continue
        if not isinstance(body, dict):
            problems.append(Finding(where, "expected a mapping"))
            continue
        names = _texts(body.get("name"), f"{where}.name", codes, problems)
        note = body.get("note")
        entries_raw = body.get("entries")
        if not isinstance(entries_raw, list):
            problems.append(
                Finding(f"{where}.entries", "expected a list (empty, with a note, when nothing is citable)")
            )
            entries_raw = []
        if not entries_raw and not (isinstance(note, str) and note.strip()):
            problems.append(Finding(where, "no entries: a note must say why (what was searched, what was not found)"))
        entries = []
        for index, item in enumerate(entries_raw):
            entry = _entry(item, f"{where}.entries[{index}]", code, codes, today, problems, warnings)
            if entry is None:
                continue
            if entry.id in seen:
                problems.append(Finding(f"{where}.entries[{index}].id", f"duplicate id {entry.id!r}"))
            seen.add(entry.id)
            entries.append(entry)
        countries.append(Country(str(code), names, tuple(entries), note if isinstance(note, str) else None))
    for code in (*COUNTRY_CODES, INTERNATIONAL):
        if code not in raw_countries:
            problems.append(Finding("countries", f"{code} is missing (list it with a note if nothing is citable)"))
    if problems:
        return None, problems, warnings
    return Directory(tuple(countries), frozenset(themes), frozenset(sections)), problems, warnings


def _ids(value: Any, where: str, known: tuple[str, ...] | None, problems: list[Finding]) -> tuple[str, ...]:
    """A list of theme or section ids, each one that ``content/themes.yaml`` lists (``known``)."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(Finding(where, "expected a list of ids"))
        return ()
    for unknown in [v for v in value if known is not None and v not in known]:
        problems.append(Finding(where, f"{unknown!r} is not in {INDEX_FILE} (known: {', '.join(known or ())})"))
    return tuple(value)


def _texts(value: Any, where: str, codes: frozenset[str], problems: list[Finding]) -> dict[str, str]:
    """A text per language tag: English required, each short; a language this deployment does not ship is
    skipped (its directory removed from content/), a key that is no language tag is a problem."""
    if not isinstance(value, dict) or not value:
        problems.append(Finding(where, "expected a text per language code (en required)"))
        return {}
    texts: dict[str, str] = {}
    for key, text in value.items():
        if not isinstance(key, str) or not LANGUAGE_TAG.match(key):
            problems.append(Finding(f"{where}.{key}", "not a language tag (e.g. kk, uz-Cyrl)"))
        elif key not in codes:
            continue
        elif not isinstance(text, str) or not text.strip():
            problems.append(Finding(f"{where}.{key}", "expected a non-empty text"))
        elif len(text) > TEXT_MAX:
            problems.append(Finding(f"{where}.{key}", f"longer than {TEXT_MAX} characters"))
        else:
            texts[str(key)] = text.strip()
    if REFERENCE_LANGUAGE not in value:
        problems.append(Finding(where, f"the {REFERENCE_LANGUAGE} text is required (every language falls back to it)"))
    return texts


def phone_problem(phone: str, country: str) -> str | None:
    """Why ``phone`` is not valid for ``country``, or None: E.164 in the country's plan, or a short number."""
    match = _E164.match(phone)
    if match is not None:
        calling = COUNTRY_CODES.get(country)
        if calling is not None and not match.group(1).startswith(calling):
            return f"an E.164 number in {country} starts with +{calling}"
        return None
    if _SHORT.match(phone):
        if country == INTERNATIONAL:
            return "a short number is national: an international entry needs E.164 (+...)"
        return None
    return "expected E.164 (+ and 7 to 15 digits, no spaces) or a short national number (2 to 4 digits)"


def _entry(
    raw: Any,
    where: str,
    country: str,
    codes: frozenset[str],
    today: dt.date,
    problems: list[Finding],
    warnings: list[Finding],
) -> Entry | None:
    if not isinstance(raw, dict):
        problems.append(Finding(where, "expected a mapping"))
        return None
    before = len(problems)
    entry_id = raw.get("id")
    if not isinstance(entry_id, str) or not _ID.match(entry_id):
        problems.append(Finding(f"{where}.id", "expected a short id (a-z, 0-9, -)"))
    kind = raw.get("kind")
    if kind not in Kind._value2member_map_:
        problems.append(Finding(f"{where}.kind", f"expected one of {', '.join(k.value for k in Kind)}"))
    names = _texts(raw.get("name"), f"{where}.name", codes, problems)
    purposes = _texts(raw.get("purpose"), f"{where}.purpose", codes, problems)
    hours = _texts(raw["hours"], f"{where}.hours", codes, problems) if "hours" in raw else {}
    phone, url, email = raw.get("phone"), raw.get("url"), raw.get("email")
    if phone is None and url is None and email is None:
        problems.append(Finding(where, "no contact: give a phone, a url or an email"))
    if phone is not None:
        reason = phone_problem(phone, country) if isinstance(phone, str) else "expected a quoted text"
        if reason:
            problems.append(Finding(f"{where}.phone", reason))
    if url is not None and (not isinstance(url, str) or not _URL.match(url)):
        problems.append(Finding(f"{where}.url", "expected an http(s) URL"))
    if email is not None and (not isinstance(email, str) or not _EMAIL.match(email)):
        problems.append(Finding(f"{where}.email", "expected an email address"))
    free = raw.get("free")
    if free is not None and not isinstance(free, bool):
        problems.append(Finding(f"{where}.free", "expected true, false, or nothing (the source does not say)"))
    spoken = raw.get("languages") or []
    if not isinstance(spoken, list) or not all(isinstance(s, str) and s.isalpha() for s in spoken):
        problems.append(Finding(f"{where}.languages", "expected a list of language codes"))
        spoken = []
    sources = raw.get("sources")
    if not isinstance(sources, list) or not sources:
        problems.append(Finding(f"{where}.sources", "a public source is required: the URL of the page it was read on"))
        sources = []
    for index, source in enumerate(sources):
        if not isinstance(source, str) or not _URL.match(source):
            problems.append(Finding(f"{where}.sources[{index}]", "expected an http(s) URL"))
    if raw.get("source_kind") not in SOURCE_KINDS:
        problems.append(Finding(f"{where}.source_kind", f"expected one of {', '.join(sorted(SOURCE_KINDS))}"))
    elif raw.get("source_kind") == "news" and not raw.get("source_note"):
        problems.append(Finding(f"{where}.source_note", "a news source must name whom it quotes"))
    checked = raw.get("checked")
    if not isinstance(checked, dt.date) or isinstance(checked, dt.datetime):
        problems.append(Finding(f"{where}.checked", "the day the source was checked is required (YYYY-MM-DD)"))
    elif checked > today:
        problems.append(Finding(f"{where}.checked", "is in the future"))
    elif today - checked > STALE_AFTER:
        warnings.append(
            Finding(f"{where}.checked", f"checked on {checked.isoformat()}, over 12 months ago: check it again")
        )
    if len(problems) > before:
        return None
    assert isinstance(entry_id, str) and isinstance(checked, dt.date) and isinstance(kind, str)
    return Entry(
        id=entry_id,
        kind=Kind(kind),
        names=names,
        purposes=purposes,
        hours=hours,
        phone=phone,
        url=url,
        email=email,
        free=free,
        languages=tuple(spoken),
        sources=tuple(sources),
        checked=checked,
    )
