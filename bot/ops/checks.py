"""The checks CI runs on content and interface catalogues; each prints what it found and returns an exit code."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.content import FALLBACK_LOCALE, REFERENCE_LOCALE, Content, check_content
from bot.content.derived import Derivation, read_derivation
from bot.content.prose import prose
from bot.content.review import percent, read_review
from bot.help import check_directory, staying_safe_problems
from bot.languages.discovery import babel_locale, discover_languages, order_languages
from bot.languages.i18n import CATALOG_DOMAIN, catalogue_path, is_translated
from bot.languages.plurals import cldr_categories, gettext_header, plural_problem
from bot.languages.readability import (
    LONG_SENTENCE_WORDS,
    MAX_SENTENCE_WORDS,
    Readability,
    allowed_for,
    measure,
)
from bot.languages.textcheck import leftover_language, mixed_script_words
from bot.offline.settings import SETTINGS_FILE, OfflineSettingsError, load_offline_settings
from bot.ops.paths import content_dir, locales_dir

__all__ = [
    "CatalogueReport",
    "catalogue_languages",
    "check_content_command",
    "check_locales_command",
    "extract_template",
    "locale_problems",
    "locale_reports",
    "readability_report",
    "sync_locales",
]

PACKAGE_DIR = Path(__file__).resolve().parent.parent
KEYWORDS = {"gettext": None, "ngettext": (1, 2), "N_": None}  # N_: bot/languages/i18n.py


def check_content_command(root: Path | None = None) -> int:
    """Validate the content; print one line per problem or a summary per locale."""
    root = root or content_dir()
    content, problems = check_content(root)
    if problems or content is None:
        print(f"content check FAILED in {root}:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    # The help directory: a malformed entry fails; an entry checked over 12 months ago only warns.
    _, help_problems, stale = check_directory(root, content.codes, dt.datetime.now(dt.UTC).date())
    help_problems_text = [str(p) for p in help_problems] + staying_safe_problems(root, content.codes)
    if (root / SETTINGS_FILE).is_file():  # the offline copies' settings name themes too
        try:
            load_offline_settings(root, content.theme_ids)
        except OfflineSettingsError as exc:
            help_problems_text.append(str(exc))
    for warning in stale:
        print(f"WARNING: {warning}", file=sys.stderr)
    if help_problems_text:
        print(f"content check FAILED in {root}:", file=sys.stderr)
        for line in help_problems_text:
            print(f"  {line}", file=sys.stderr)
        return 1
    print(f"content check passed ({root})")
    print(f"{'locale':<8}{'themes':>8}{'sections':>10}{'items':>8}{'characters':>12}{'coverage':>10}{'checked':>9}")
    for s in content.summaries():
        shares = f"{s.coverage:>9.0%}{percent(s.checked):>9}"  # checked: by a native speaker
        print(f"{s.code:<8}{s.themes:>8}{s.sections:>10}{s.items:>8}{s.characters:>12}{shares}")
    for code in (c for c in content.codes if content.get(c).derived_from is None):
        for theme in (t for t in content.theme_ids if not (root / code / f"{t}.yaml").is_file()):
            print(f"{code}/{theme}.yaml: not translated yet ({code} readers see the {FALLBACK_LOCALE} text)")
    figures, errors = readability_report(content, root)
    print(
        f"\nreadability: sentences over {LONG_SENTENCE_WORDS} words (target ≤ 5%), the longest (at most "
        f"{MAX_SENTENCE_WORDS} words), abbreviations not in content/source/glossary.<code>.md (target 0)"
    )
    print(f"{'locale':<9}{'sentences':>10}{'long':>6}{'share':>7}{'longest':>9}  {'unlisted':>8}  longest at")
    for code, f in figures.items():
        print(
            f"{code:<9}{f.sentences:>10}{f.long:>6}{f.long_share:>7.1%}{f.longest:>9}  {len(f.unlisted):>8}  "
            f"{f.longest_where}"
        )
    if errors:
        national = ", ".join(c for c in figures if c not in REPORT_ONLY)
        print(f"readability check FAILED ({national}; {', '.join(REPORT_ONLY)} report only):", file=sys.stderr)
        for error in errors:
            print(f"  {error}", file=sys.stderr)
        return 1
    return 0


# The English is the original and the Russian the shared fallback: their figures are shown, never an error.
REPORT_ONLY = (REFERENCE_LOCALE, FALLBACK_LOCALE)


def readability_report(content: Content, root: Path) -> tuple[dict[str, Readability], list[str]]:
    """Each language's readability figures, and the errors of the national languages (file and place)."""
    figures: dict[str, Readability] = {}
    errors: list[str] = []
    fallback = content.get(FALLBACK_LOCALE)
    for code in content.codes:
        own = prose(content.get(code), None if code in REPORT_ONLY else fallback)
        allowed, glossary = allowed_for(root, code)
        f = figures[code] = measure(((f"{file}: {place}", text) for file, place, text in own), allowed)
        if code in REPORT_ONLY:
            continue
        for where, words, sentence in f.too_long:
            cut = sentence if len(sentence) <= 80 else sentence[:80] + "…"
            errors.append(f"{where}: a sentence of {words} words (at most {MAX_SENTENCE_WORDS}): {cut}")
        for where, abbreviation in f.unlisted:
            errors.append(f"{where}: abbreviation {abbreviation} is not allowed bare in {glossary}")
    return figures, errors


def _key(message_id: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return (message_id,) if isinstance(message_id, str) else tuple(message_id)


def extract_template() -> set[tuple[str, ...]]:
    """Message ids used in the code right now."""
    ids: set[tuple[str, ...]] = set()
    for _, _, found, _, _ in extract_from_dir(str(PACKAGE_DIR), method_map=[("**.py", "python")], keywords=KEYWORDS):
        ids.add(_key(found))
    return ids


# gettext(...) inside an f-string is one string token to the extractor: the message would never be translated.
_GETTEXT_IN_FSTRING = re.compile(r"""\bf(["'])[^\n]*?\{[^}\n]*\b(?:n?gettext)\(""")


def _hidden_messages() -> list[str]:
    """Calls to gettext that the extractor cannot see."""
    found = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if _GETTEXT_IN_FSTRING.search(line):
                found.append(f"{path.relative_to(PACKAGE_DIR.parent)}:{number}: gettext inside an f-string")
    return found


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=babel_locale(locale) if locale else None)


def catalogue_languages(root: Path | None = None) -> tuple[str, ...]:
    """Languages with an interface catalogue or with content: every one is checked."""
    root = root or locales_dir()
    found = {p.parent.parent.name for p in root.glob(f"*/LC_MESSAGES/{CATALOG_DOMAIN}.po")}
    return order_languages(found | set(discover_languages(content_dir())) | {REFERENCE_LOCALE, FALLBACK_LOCALE})


_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
_TAG = re.compile(r"</?[a-z]+[^>]*>")


def _strings(message: Message) -> tuple[str, ...]:
    forms = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return tuple(form or "" for form in forms)


def _message_problems(code: str, message: Message, reference: Message | None) -> list[str]:
    """What is wrong with one translated message, whatever the language's coverage."""
    ids = _key(message.id)
    strings = _strings(message)
    problems = []
    want_holders = {h for i in ids for h in _PLACEHOLDER.findall(i)}
    want_tags = sorted(_TAG.findall(ids[0]))
    for text in strings:
        if set(_PLACEHOLDER.findall(text)) != want_holders:
            problems.append(f"placeholders {sorted(_PLACEHOLDER.findall(text))} instead of {sorted(want_holders)}")
        if sorted(_TAG.findall(text)) != want_tags:
            problems.append("HTML tags differ from the English")
        if mixed := mixed_script_words(text):
            problems.append(f"Latin and Cyrillic letters mixed in a word: {mixed[0]!r}")
        if leftover := leftover_language(code, _PLACEHOLDER.sub(" ", text)):
            problems.append(leftover)
    if code != REFERENCE_LOCALE and strings[0] == ids[0] and _ENGLISH_WORD.search(_PLACEHOLDER.sub(" ", ids[0])):
        problems.append("not translated (identical to the English)")
    national = code not in (REFERENCE_LOCALE, FALLBACK_LOCALE)
    same_as_russian = reference is not None and message.string == reference.string
    if national and same_as_russian and len(_CYRILLIC_WORD.findall(strings[0])) >= 3:
        problems.append("not translated (identical to the Russian)")
    return problems


_ENGLISH_WORD = re.compile(r"\b[a-z]{4,}\b")
_CYRILLIC_WORD = re.compile(r"[\u0400-\u04ff]{2,}")


@dataclass(frozen=True, slots=True)
class CatalogueReport:
    """What the catalogue check found for one language."""

    code: str
    translated: int
    total: int
    problems: tuple[str, ...]
    checked: float | None = None  # share a native speaker has checked (None: English, Russian)

    @property
    def coverage(self) -> float:
        """Share of the interface's messages translated in this language itself."""
        return self.translated / self.total if self.total else 0.0


def _catalogue_report(root: Path, code: str, used: set[tuple[str, ...]], russian: Catalog | None) -> CatalogueReport:
    po_path = catalogue_path(root, code)
    name = f"{code}/{po_path.name}"
    complete_required = code in (REFERENCE_LOCALE, FALLBACK_LOCALE)
    problems: list[str] = []
    if not po_path.is_file():
        if complete_required:
            problems.append(f"{po_path} is missing")
        return CatalogueReport(code, 0, len(used), tuple(problems))
    catalog = _read(po_path, code)
    rule = read_derivation(content_dir(), code)
    if rule is not None and _po_bytes(derive_catalogue(root, code, rule)) != _po_bytes(catalog):
        problems.append(f"{name}: not what locales/{rule.source} gives in this script (run `make locales`)")
    expected_forms = len(cldr_categories(code))
    if wrong := plural_problem(code, catalog.plural_forms):
        problems.append(f"{name}: {wrong}")
    have = {_key(entry.id): entry for entry in catalog if entry.id}
    translated = 0
    for key in sorted(used):
        message = have.get(key)
        if message is None:
            problems.append(f"{name}: missing {key[0]!r} (run `make locales`, then translate)")
            continue
        strings = _strings(message)
        done = is_translated(message) and not message.fuzzy
        if message.pluralizable and any(strings) and len(strings) != expected_forms:
            problems.append(f"{name}: {key[0]!r} has {len(strings)} plural forms, {code!r} has {expected_forms}")
        if done:
            translated += 1
            reference = russian.get(message.id) if russian is not None else None
            problems.extend(f"{name}: {key[0]!r}: {p}" for p in _message_problems(code, message, reference))
        elif complete_required:
            problems.append(f"{name}: {'fuzzy' if message.fuzzy else 'untranslated'} {key[0]!r}")
        elif any(strings) and not message.fuzzy:
            problems.append(f"{name}: {key[0]!r} has some plural forms empty")
    for key in sorted(set(have) - used):
        problems.append(f"{name}: obsolete {key[0]!r} (run `make locales`)")
    review = read_review(content_dir() / (rule.source if rule else code))
    checked = None if complete_required else review.share((key[0] for key in used), interface=True)
    return CatalogueReport(code, translated, len(used), tuple(problems), checked)


def locale_reports(root: Path | None = None) -> tuple[list[str], list[CatalogueReport]]:
    """Problems of the template, and a report per language (coverage and problems)."""
    root = root or locales_dir()
    problems: list[str] = []
    template_path = root / f"{CATALOG_DOMAIN}.pot"
    if not template_path.is_file():
        return [f"{template_path} is missing: run `make locales`"], []
    template = {_key(m.id) for m in _read(template_path) if m.id}
    used = extract_template()
    problems.extend(_hidden_messages())
    for missing in sorted(used - template):
        problems.append(f"{template_path.name}: stale, lacks {missing[0]!r} (run `make locales`)")
    for unused in sorted(template - used):
        problems.append(f"{template_path.name}: stale, still has unused {unused[0]!r} (run `make locales`)")
    russian_path = catalogue_path(root, FALLBACK_LOCALE)
    russian = _read(russian_path, FALLBACK_LOCALE) if russian_path.is_file() else None
    reports = [_catalogue_report(root, code, used, russian) for code in catalogue_languages(root)]
    return problems, reports


def locale_problems(root: Path | None = None) -> list[str]:
    """Everything wrong with the catalogues: stale template, broken, missing, untranslated or fuzzy messages."""
    problems, reports = locale_reports(root)
    return problems + [p for r in reports for p in r.problems]


def check_locales_command() -> int:
    """Print each language's coverage and the catalogue problems; non-zero when there are any."""
    problems, reports = locale_reports()
    print(
        f"{'language':<10}{'translated':>12}{'coverage':>10}{'checked':>9}  (by a native speaker; else own → ru → en)"
    )
    for r in reports:
        print(f"{r.code:<10}{f'{r.translated}/{r.total}':>12}{r.coverage:>9.0%}{percent(r.checked):>9}")
    problems += [p for r in reports for p in r.problems]
    if problems:
        print("locale check FAILED:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(f"locale check passed: {FALLBACK_LOCALE}, {REFERENCE_LOCALE} complete, template up to date")
    return 0


def sync_locales(root: Path | None = None) -> None:
    """Re-extract the template and merge it into every locale; English msgstrs are the msgids themselves."""
    root = root or locales_dir()
    template = Catalog(project="brief-bot", msgid_bugs_address="", fuzzy=False)
    for _, _, found, _, _ in extract_from_dir(str(PACKAGE_DIR), method_map=[("**.py", "python")], keywords=KEYWORDS):
        template.add(found)
    root.mkdir(parents=True, exist_ok=True)
    _write_if_changed(root / f"{CATALOG_DOMAIN}.pot", template, omit_header=False)
    derived: dict[str, Derivation] = {}
    for code in catalogue_languages(root):
        po_path = catalogue_path(root, code)
        if (rule := read_derivation(content_dir(), code)) is not None:
            derived[code] = rule
            continue
        if po_path.is_file():
            catalog = _read(po_path, code)
        else:
            catalog = Catalog(locale=babel_locale(code), fuzzy=False)
            with contextlib.suppress(ValueError):  # a rule with three forms or more: Babel's, then the check
                catalog.mime_headers = [("Plural-Forms", gettext_header(code))]  # CLDR's, not Babel's old table
        # No fuzzy matching: a changed string must be translated anew, and the check says so until it is.
        catalog.update(template, no_fuzzy_matching=True)
        if code == REFERENCE_LOCALE:
            for entry in catalog:
                translated = entry.string
                done = all(translated) if isinstance(translated, tuple | list) else bool(translated)
                if entry.id and not done:
                    entry.string = tuple(entry.id) if entry.pluralizable else entry.id
        po_path.parent.mkdir(parents=True, exist_ok=True)
        _write_if_changed(po_path, catalog, ignore_obsolete=True)
    for code, rule in derived.items():  # after their sources are up to date
        po_path = catalogue_path(root, code)
        po_path.parent.mkdir(parents=True, exist_ok=True)
        _write_if_changed(po_path, derive_catalogue(root, code, rule), ignore_obsolete=True)


_DERIVED_NOTE = (
    "# Generated by `make locales` from locales/{source}/ (bot/languages/transliterate.py).\n"
    "# Do not edit: fix the text in locales/{source}/, or a word the rules\n"
    "# get wrong in content/{code}/overrides.txt."
)


def derive_catalogue(root: Path, code: str, rule: Derivation) -> Catalog:
    """The interface catalogue of derived language ``code``: its source's, every translation converted.

    Generated once by ``make locales`` and committed, not converted at start-up: a start stays as fast as
    with any catalogue, translators see the result, and the locale check says when it is out of date.
    """
    source = _read(catalogue_path(root, rule.source), rule.source)
    catalog = Catalog(
        locale=babel_locale(code),
        header_comment=_DERIVED_NOTE.format(source=rule.source, code=code),
        project=source.project,
        version=source.version,
        fuzzy=False,
    )
    for message in source:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        converted = tuple(rule.convert(s) if s else "" for s in strings)
        catalog.add(
            message.id,
            converted if message.pluralizable else converted[0],
            context=message.context,
            flags=message.flags,
        )
    catalog.mime_headers = [("Plural-Forms", gettext_header(code))]
    return catalog


def _po_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, sort_output=True, no_location=True, ignore_obsolete=True)
    return _DATE_LINE.sub(b"", buffer.getvalue())


# Lines Babel rewrites on every run: a file whose messages did not change keeps its old ones (no churn in diffs).
_DATE_LINE = re.compile(rb'^"(?:POT-Creation-Date|PO-Revision-Date): .*\\n"$', re.MULTILINE)


def _write_if_changed(path: Path, catalog: Catalog, **options: bool) -> None:
    buffer = io.BytesIO()
    write_po(buffer, catalog, sort_output=True, no_location=True, **options)
    new = buffer.getvalue()
    if path.is_file() and _DATE_LINE.sub(b"", path.read_bytes()) == _DATE_LINE.sub(b"", new):
        return
    path.write_bytes(new)
