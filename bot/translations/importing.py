"""Import a translator's PO file: validate every changed entry first, then write only what changed.

Nothing is written unless every entry passes: a rejected entry is named with its reason and the files stay as
they were. Content strings are replaced in place in their YAML file (bot/translations/yamledit.py), so a
one-word fix is a one-line diff; interface strings go into the language's catalogue; the review status (the
entries' fuzzy flags) goes into ``content/<code>/review.yaml``. The changed content is then loaded and checked
whole in a scratch copy, exactly as the bot and ``check-content`` would, before any file is replaced.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from bot.content import REFERENCE_LOCALE, check_content, content_index
from bot.content.derived import read_derivation
from bot.content.markup import MarkupError, to_html
from bot.content.review import Check, ReviewStatus, read_review, write_review
from bot.languages.discovery import babel_locale, discover_languages
from bot.languages.i18n import catalogue_path
from bot.languages.readability import allowed_for, measure
from bot.languages.textcheck import leftover_language, mixed_script_words
from bot.ops.checks import _message_problems, _write_if_changed, derive_catalogue, readability_report
from bot.translations.entries import PLACE_SEPARATOR, read_nodes, scalars
from bot.translations.exporting import INTERFACE_CONTEXT
from bot.translations.yamledit import replace_scalar

__all__ = ["ImportResult", "TranslationFileError", "import_catalog", "read_catalog"]


Edit = tuple[tuple[str, ...], yaml.ScalarNode, str]  # (key, the node in the file, the new text)


class TranslationFileError(ValueError):
    """The file cannot be imported at all (not a PO file, no language, a derived language)."""


@dataclass
class ImportResult:
    """What an import did or would do."""

    code: str
    changed: list[str] = field(default_factory=list)
    reviewed: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        """The lines the command prints."""
        lines = [
            f"{self.code}: {len(self.changed)} changed, {len(self.reviewed)} newly reviewed, "
            f"{len(self.withdrawn)} review withdrawn, {len(self.rejected)} rejected"
        ]
        lines += [f"  changed: {place}" for place in self.changed]
        lines += [f"  newly reviewed: {place}" for place in self.reviewed]
        lines += [f"  review withdrawn: {place}" for place in self.withdrawn]
        lines += [f"  REJECTED {place}: {reason}" for place, reason in self.rejected]
        if self.rejected:
            lines.append("nothing was written: fix the rejected entries and import the file again")
        else:
            lines += [f"  wrote {path}" for path in self.written]
        return "\n".join(lines)


def read_catalog(data: bytes) -> Catalog:
    """Parse a PO file (Babel's reader, the one the export is checked with)."""
    try:
        return read_po(io.BytesIO(data), abort_invalid=True)
    except Exception as exc:  # Babel raises PoFileError or a ValueError from a broken header
        raise TranslationFileError(f"not a readable PO file: {exc}") from exc


def _language(catalog: Catalog, content_root: Path, code: str | None) -> str:
    if code is None:
        if catalog.locale is None:
            raise TranslationFileError("the file names no language: pass --lang")
        code = str(catalog.locale).replace("_", "-")
    known = discover_languages(content_root)
    if code not in known:
        raise TranslationFileError(f"no content for language {code!r} (known: {', '.join(known)})")
    if code == REFERENCE_LOCALE:
        raise TranslationFileError("English is the source: edit content/en/ in the repository")
    if (rule := read_derivation(content_root, code)) is not None:
        raise TranslationFileError(f"{code} is made from {rule.source}: import the {rule.source} file instead")
    return code


def _text_problems(code: str, english: str, new: str, old: str | None, allowed: frozenset[str]) -> list[str]:
    """What is wrong with ``new`` as ``code``'s text for ``english`` (readability: only what ``old`` did not have)."""
    problems = []
    try:
        to_html(new)
    except MarkupError as exc:
        problems.append(str(exc))
    if new.count("**") != english.count("**"):
        problems.append("bold markers (**) differ from the English")
    if mixed := mixed_script_words(new):
        problems.append(f"Latin and Cyrillic letters mixed in a word: {mixed[0]!r}")
    if leftover := leftover_language(code, new):
        problems.append(leftover)
    before = measure([("", old or "")], allowed)
    after = measure([("", new)], allowed)
    known = {(words, sentence) for _, words, sentence in before.too_long}
    problems += [f"a sentence of {w} words is too long: {s[:60]}…" for _, w, s in after.too_long if (w, s) not in known]
    old_abbreviations = {a for _, a in before.unlisted}
    problems += [f"abbreviation {a} is not allowed bare" for _, a in after.unlisted if a not in old_abbreviations]
    return problems


def import_catalog(
    catalog: Catalog,
    content_root: Path,
    locales_root: Path,
    *,
    code: str | None = None,
    today: dt.date,
    reviewer: str | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Validate ``catalog`` against ``code``'s content and catalogue; write what changed unless anything fails."""
    code = _language(catalog, content_root, code)
    result = ImportResult(code)
    review = read_review(content_root / code)
    allowed, _ = allowed_for(content_root, code)
    files = {name: (content_root / code / f"{name}.yaml") for name in content_index(content_root).file_names}
    texts = {name: path.read_text(encoding="utf-8") for name, path in files.items() if path.is_file()}
    nodes = {name: dict(scalars(read_nodes(files[name]))) for name in texts}
    english = {name: dict(scalars(read_nodes(content_root / REFERENCE_LOCALE / f"{name}.yaml"))) for name in texts}
    edits: dict[str, list[Edit]] = {}
    own = _read_own(locales_root, code)
    interface_changed = False
    for message in catalog:
        if not message.id:
            continue
        place = message.context or ""
        checked = not message.fuzzy
        if place == INTERFACE_CONTEXT:
            interface_changed |= _interface_entry(message, own, code, result, review, checked, today, reviewer)
            continue
        file, _, rest = place.partition(PLACE_SEPARATOR)
        key = tuple(rest.split(PLACE_SEPARATOR)) if rest else ()
        source = english.get(file, {}).get(key)
        node = nodes.get(file, {}).get(key)
        if source is None or node is None:
            result.rejected.append((place, "no such place in the content (export the file again)"))
            continue
        if source.value != message.id:
            result.rejected.append((place, "the English changed since this file was exported: export it again"))
            continue
        new = message.string if isinstance(message.string, str) else ""
        if new and new != node.value:
            problems = _text_problems(code, source.value, new, node.value, allowed)
            if problems:
                result.rejected.append((place, "; ".join(problems)))
                continue
            edits.setdefault(file, []).append((key, node, new))
            result.changed.append(place)
        elif not new:
            continue  # not translated in the file: nothing to take from it
        _review(review.content, place, checked, new != node.value, result, today, reviewer)
    if result.rejected or dry_run:
        return result
    new_texts = {name: _apply(texts[name], changes) for name, changes in edits.items()}
    slips = [
        f"{code}/{name}.yaml › {place}: does not read back as intended"
        for name, changes in edits.items()
        for place in _read_back(texts[name], new_texts[name], changes)
    ]
    if problems := slips or _whole_check(content_root, code, new_texts):
        result.rejected += [("content check", p) for p in problems]
        return result
    for name, text in new_texts.items():
        files[name].write_text(text, encoding="utf-8")
        result.written.append(files[name])
    if interface_changed and own is not None:
        path = catalogue_path(locales_root, code)
        _write_if_changed(path, own, ignore_obsolete=True)
        result.written.append(path)
        _rederive(content_root, locales_root, code, result)
    if result.reviewed or result.withdrawn:
        write_review(content_root / code, review)
        result.written.append(content_root / code / "review.yaml")
    return result


def _review(
    checks: dict[str, Check],
    key: str,
    checked: bool,
    changed: bool,
    result: ImportResult,
    today: dt.date,
    reviewer: str | None,
) -> None:
    """Follow the entry's fuzzy flag: not fuzzy is checked by a native speaker (today, if new or changed)."""
    if checked and (key not in checks or changed):
        checks[key] = Check(today, reviewer)
        result.reviewed.append(key)
    elif not checked and key in checks:
        del checks[key]
        result.withdrawn.append(key)


def _read_own(locales_root: Path, code: str) -> Catalog | None:
    path = catalogue_path(locales_root, code)
    if not path.is_file():
        return None
    with path.open("rb") as fh:
        return read_po(fh, locale=babel_locale(code))


def _interface_entry(
    message: Message,
    own: Catalog | None,
    code: str,
    result: ImportResult,
    review: ReviewStatus,
    checked: bool,
    today: dt.date,
    reviewer: str | None,
) -> bool:
    """Take one interface message; return whether the catalogue changed."""
    key = message.id if isinstance(message.id, str) else message.id[0]
    current = own.get(message.id) if own is not None else None
    if current is None:
        result.rejected.append((f"interface: {key}", "the bot no longer has this message (export the file again)"))
        return False
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    if not all(strings):
        return False
    changed = message.string != current.string
    if changed:
        candidate = Message(message.id, message.string)
        if problems := _message_problems(code, candidate, None):
            result.rejected.append((f"interface: {key}", "; ".join(problems)))
            return False
        if isinstance(current.string, tuple | list) and len(strings) != len(current.string):
            result.rejected.append((f"interface: {key}", f"{len(current.string)} plural forms needed"))
            return False
        current.string = message.string
        result.changed.append(f"interface: {key}")
    _review(review.interface, key, checked, changed, result, today, reviewer)
    return changed


def _apply(text: str, changes: list[Edit]) -> str:
    """Replace each changed scalar, from the end of the file up, so earlier positions stay valid."""
    for _, node, value in sorted(changes, key=lambda c: c[1].start_mark.index, reverse=True):
        text = replace_scalar(text, node, value)
    return text


def _whole_check(content_root: Path, code: str, new_texts: dict[str, str]) -> list[str]:
    """Load the content with the new files in a scratch copy; every problem it has (none: write)."""
    if not new_texts:
        return []
    with tempfile.TemporaryDirectory(prefix="brief-import-") as scratch:
        root = Path(scratch) / "content"
        shutil.copytree(content_root, root)
        for name, text in new_texts.items():
            (root / code / f"{name}.yaml").write_text(text, encoding="utf-8")
        content, found = check_content(root)
        problems = [str(p) for p in found]
        if content is not None:
            problems += readability_report(content, root)[1]
    return problems


def _read_back(old: str, new: str, changes: list[Edit]) -> list[str]:
    """Places whose value in ``new`` is not the intended one (the edit itself, or a neighbour it disturbed)."""
    intended = {key: node.value for key, node in scalars(yaml.compose(old, Loader=yaml.SafeLoader))}
    intended.update({key: value for key, _, value in changes})
    try:
        after = {key: node.value for key, node in scalars(yaml.compose(new, Loader=yaml.SafeLoader))}
    except yaml.YAMLError as exc:
        return [f"the edited file is not valid YAML: {exc}"]
    return [PLACE_SEPARATOR.join(k) for k in intended.keys() | after.keys() if intended.get(k) != after.get(k)]


def _rederive(content_root: Path, locales_root: Path, code: str, result: ImportResult) -> None:
    """Regenerate the catalogue of every language made from ``code`` (uz-Cyrl from uz)."""
    for other in discover_languages(content_root):
        rule = read_derivation(content_root, other)
        if rule is not None and rule.source == code:
            path = catalogue_path(locales_root, other)
            _write_if_changed(path, derive_catalogue(locales_root, other, rule), ignore_obsolete=True)
            result.written.append(path)
