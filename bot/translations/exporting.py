"""Export a language's content and interface as a PO catalogue (or a CSV sheet) for translators' tools.

Each entry: the English as the source (msgid), this language's text (msgstr), the place as context (msgctxt),
the Russian and the item's notes and glossary terms as comments for the translator, and the review status as
the fuzzy flag (fuzzy: no native speaker has checked it yet). Interface strings have the context
``interface``. PO is what Poedit, Weblate, OmegaT and Lokalize open; Babel (already a dependency) writes it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Collection, Iterable
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

from bot.content.model import FALLBACK_LOCALE
from bot.content.review import ReviewStatus, read_review
from bot.languages.discovery import babel_locale
from bot.languages.i18n import catalogue_path
from bot.translations.entries import Entry, language_entries

__all__ = ["CSV_COLUMNS", "INTERFACE_CONTEXT", "export_catalog", "glossary_terms", "to_csv", "to_po"]

INTERFACE_CONTEXT = "interface"
CSV_COLUMNS = ("context", "english", "russian", "translation", "checked", "comments")
_ROW = re.compile(r"^\|\s*([^|]+?)\s*\|\s*([^|]+?)\s*\|")
_ABBREVIATION = re.compile(r"\s*\([^)]*\)")


def glossary_terms(root: Path, code: str) -> list[tuple[str, str]]:
    """(English term, this language's term) from ``content/source/glossary.<code>.md``'s table."""
    path = root / "source" / f"glossary.{code}.md"
    if not path.is_file():
        return []
    terms = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if (match := _ROW.match(line)) and not set(match[1]) <= set("-: ") and match[1] != "English":
            terms.append((match[1], match[2]))
    return terms


def _terms_in(text: str, terms: Iterable[tuple[str, str]]) -> list[str]:
    lowered = text.lower()
    found = []
    for english, own in terms:
        bare = _ABBREVIATION.sub("", english).strip().lower()
        if bare and bare in lowered:
            found.append(f"glossary: {english} → {own}")
    return found


def _content_message(entry: Entry, review: ReviewStatus, terms: list[tuple[str, str]], code: str) -> Message:
    comments = []
    if entry.russian and code != FALLBACK_LOCALE:
        comments.append(f"Russian: {entry.russian}")
    comments += [f"note: {note}" for note in entry.notes]
    comments += _terms_in(entry.english, terms)
    flags = () if entry.place in review.content else ("fuzzy",)
    return Message(entry.english, entry.text or "", auto_comments=comments, flags=flags, context=entry.place)


def export_catalog(content_root: Path, locales_root: Path, code: str, places: Collection[str] | None = None) -> Catalog:
    """Every string of ``code`` (only the content ``places`` given, and then no interface) as a catalogue."""
    review = read_review(content_root / code)
    terms = glossary_terms(content_root, code)
    catalog = Catalog(
        locale=babel_locale(code),
        project="brief-bot",
        fuzzy=False,
        revision_date=dt.datetime.now(dt.UTC),
        last_translator="brief-bot translations export",
        language_team=f"{code} native reviewers",
    )
    own = _read(catalogue_path(locales_root, code), code)
    catalog.mime_headers = [("Plural-Forms", own.plural_forms)]  # the catalogue's own rule, checked by check-locales
    for entry in language_entries(content_root, code):
        if places is None or entry.place in places:
            _add(catalog, _content_message(entry, review, terms, code))
    if places is None:
        russian = _read(catalogue_path(locales_root, FALLBACK_LOCALE), FALLBACK_LOCALE)
        for message in own:
            if not message.id:
                continue
            key = message.id if isinstance(message.id, str) else message.id[0]
            ru = russian.get(message.id)
            comments = [f"Russian: {_first(ru.string)}"] if ru is not None and code != FALLBACK_LOCALE else []
            flags = {f for f in message.flags if f != "fuzzy"} | (set() if key in review.interface else {"fuzzy"})
            _add(
                catalog,
                Message(message.id, message.string, auto_comments=comments, flags=flags, context=INTERFACE_CONTEXT),
            )
    return catalog


def _add(catalog: Catalog, message: Message) -> None:
    # Babel guesses "python-format" from a % in the English ("33%"): msgfmt would then check it as a format.
    if message.context != INTERFACE_CONTEXT:
        message.flags.discard("python-format")
    catalog[message.id] = message  # keyed by (id, context): the same English in two places stays two entries


def _first(string: str | tuple[str, ...] | list[str] | None) -> str:
    return string if isinstance(string, str) else (string[0] if string else "")


def _read(path: Path, code: str) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=babel_locale(code))


def to_po(catalog: Catalog) -> bytes:
    """The catalogue as a PO file, in the content's order."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=0, no_location=True, include_previous=False)
    return buffer.getvalue()


def to_csv(catalog: Catalog) -> str:
    """A sheet for spreadsheet reviewers: one row per singular string (plural messages stay in the PO file)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for message in catalog:
        if not message.id or not isinstance(message.id, str):
            continue
        russian = next((c[len("Russian: ") :] for c in message.auto_comments if c.startswith("Russian: ")), "")
        other = [c for c in message.auto_comments if not c.startswith("Russian: ")]
        checked = "no" if message.fuzzy else "yes"
        writer.writerow((message.context, message.id, russian, message.string, checked, "\n".join(other)))
    return buffer.getvalue()
