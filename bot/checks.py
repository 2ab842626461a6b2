"""The checks CI runs on content and interface catalogues; each prints what it found and returns an exit code."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.config import SUPPORTED_LANGUAGES
from bot.content import REFERENCE_LOCALE, check_content
from bot.i18n import CATALOG_DOMAIN
from bot.paths import content_dir, locales_dir

__all__ = [
    "check_content_command",
    "check_locales_command",
    "extract_template",
    "locale_problems",
    "sync_locales",
]

PACKAGE_DIR = Path(__file__).resolve().parent
KEYWORDS = {"gettext": None, "ngettext": (1, 2)}


def check_content_command(root: Path | None = None) -> int:
    """Validate the content; print one line per problem or a summary per locale."""
    root = root or content_dir()
    content, problems = check_content(root)
    if problems or content is None:
        print(f"content check FAILED in {root}:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(f"content check passed ({root})")
    print(f"{'locale':<8}{'themes':>8}{'sections':>10}{'items':>8}{'characters':>12}{'coverage':>10}")
    for s in content.summaries():
        print(f"{s.code:<8}{s.themes:>8}{s.sections:>10}{s.items:>8}{s.characters:>12}{s.coverage:>9.0%}")
    return 0


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
        return read_po(fh, locale=locale)


def locale_problems(root: Path | None = None) -> list[str]:
    """Everything wrong with the catalogues: stale template, missing, untranslated or fuzzy messages."""
    root = root or locales_dir()
    problems: list[str] = []
    template_path = root / f"{CATALOG_DOMAIN}.pot"
    if not template_path.is_file():
        return [f"{template_path} is missing: run `make locales`"]
    template = {_key(m.id) for m in _read(template_path) if m.id}
    used = extract_template()
    problems.extend(_hidden_messages())
    for missing in sorted(used - template):
        problems.append(f"{template_path.name}: stale, lacks {missing[0]!r} (run `make locales`)")
    for unused in sorted(template - used):
        problems.append(f"{template_path.name}: stale, still has unused {unused[0]!r} (run `make locales`)")
    for code in SUPPORTED_LANGUAGES:
        po_path = root / code / "LC_MESSAGES" / f"{CATALOG_DOMAIN}.po"
        if not po_path.is_file():
            problems.append(f"{po_path} is missing")
            continue
        catalog = _read(po_path, code)
        have = {_key(entry.id): entry for entry in catalog if entry.id}
        name = f"{code}/{po_path.name}"
        for key in sorted(used):
            message = have.get(key)
            if message is None:
                problems.append(f"{name}: missing {key[0]!r} (run `make locales`, then translate)")
                continue
            strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
            if message.fuzzy:
                problems.append(f"{name}: fuzzy {key[0]!r}")
            if not all(strings) or len(strings) < (catalog.num_plurals if message.pluralizable else 1):
                problems.append(f"{name}: untranslated {key[0]!r}")
        for key in sorted(set(have) - used):
            problems.append(f"{name}: obsolete {key[0]!r} (run `make locales`)")
    return problems


def check_locales_command() -> int:
    """Print catalogue problems; non-zero when there are any."""
    problems = locale_problems()
    if problems:
        print("locale check FAILED:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(f"locale check passed: {', '.join(SUPPORTED_LANGUAGES)} complete, template up to date")
    return 0


def sync_locales(root: Path | None = None) -> None:
    """Re-extract the template and merge it into every locale; English msgstrs are the msgids themselves."""
    root = root or locales_dir()
    template = Catalog(project="brief-bot", msgid_bugs_address="", fuzzy=False)
    for _, _, found, _, _ in extract_from_dir(str(PACKAGE_DIR), method_map=[("**.py", "python")], keywords=KEYWORDS):
        template.add(found)
    root.mkdir(parents=True, exist_ok=True)
    with (root / f"{CATALOG_DOMAIN}.pot").open("wb") as fh:
        write_po(fh, template, omit_header=False, sort_output=True, no_location=True)
    for code in SUPPORTED_LANGUAGES:
        po_path = root / code / "LC_MESSAGES" / f"{CATALOG_DOMAIN}.po"
        catalog = _read(po_path, code) if po_path.is_file() else Catalog(locale=code, fuzzy=False)
        # No fuzzy matching: a changed string must be translated anew, and the check says so until it is.
        catalog.update(template, no_fuzzy_matching=True)
        if code == REFERENCE_LOCALE:
            for entry in catalog:
                translated = entry.string
                done = all(translated) if isinstance(translated, tuple | list) else bool(translated)
                if entry.id and not done:
                    entry.string = tuple(entry.id) if entry.pluralizable else entry.id
        po_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("wb") as fh:
            write_po(fh, catalog, ignore_obsolete=True, sort_output=True, no_location=True)
