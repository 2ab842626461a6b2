"""Load the brief from ``content/<locale>/*.yaml`` into frozen dataclasses, and validate it.

The English files are the reference: every other locale must mirror their structure. ``en`` and the
default fallback locale (``ru``) must be complete; any other locale may be partial and falls back, string by
string, to the fallback locale. Nothing here talks to Telegram.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from babel import Locale, UnknownLocaleError

from bot.languages import FALLBACK_LANGUAGE, REFERENCE_LANGUAGE, order_languages
from bot.limits import BUTTON_TEXT_MAX, ITEM_TEXT_MAX, TEXT_MAX
from bot.markup import MarkupError, to_html
from bot.textcheck import leftover_language, mixed_script_words

__all__ = [
    "FALLBACK_LOCALE",
    "REFERENCE_LOCALE",
    "THEME_IDS",
    "About",
    "Content",
    "ContentError",
    "ContentProblem",
    "Group",
    "Item",
    "LocaleContent",
    "LocaleSummary",
    "Note",
    "Section",
    "Theme",
    "check_content",
    "load_content",
    "native_name",
]

REFERENCE_LOCALE = REFERENCE_LANGUAGE
FALLBACK_LOCALE = FALLBACK_LANGUAGE
THEME_IDS: tuple[str, ...] = ("climate", "economy", "srhr", "gbv", "movements")
ABOUT_FILE = "about"
SECTION_IDS: tuple[str, ...] = (
    "barriers",
    "solutions",
    "advocacy",
    "solidarity",
    "safety",
    "technology",
    "further",
)
_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_URL = re.compile(r"^https?://\S+$")
_LOCALE_CODE = re.compile(r"^[a-z]{2,3}$")
_LOWER_LATIN = re.compile(r"[a-z]")


# --------------------------------------------------------------------------------------------- model


@dataclass(frozen=True, slots=True)
class Note:
    """A footnote of the brief, cited by one item."""

    text: str | None
    url: str | None


@dataclass(frozen=True, slots=True)
class Item:
    """One bullet of the brief."""

    id: str
    text: str
    notes: tuple[Note, ...] = ()
    translator_note: str | None = None  # a translation's word on a slip in the English original


@dataclass(frozen=True, slots=True)
class Group:
    """Items of a section under an optional sub-heading."""

    id: str
    title: str | None
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class Section:
    """One heading of a theme (barriers, recommendations, ...)."""

    id: str
    title: str
    short_title: str
    intro: str | None
    groups: tuple[Group, ...]

    @property
    def items(self) -> tuple[Item, ...]:
        """All items of the section, in order, across groups."""
        return tuple(item for group in self.groups for item in group.items)


@dataclass(frozen=True, slots=True)
class Theme:
    """One of the brief's five themes."""

    id: str
    title: str
    short_title: str
    moderator_name: str
    moderator_country: str
    countries: tuple[str, ...]
    protect_content: bool
    sections: tuple[Section, ...]

    def section(self, section_id: str) -> Section | None:
        """Return the section with this id, if any."""
        return next((s for s in self.sections if s.id == section_id), None)

    @property
    def item_count(self) -> int:
        """How many items the theme has."""
        return sum(len(s.items) for s in self.sections)


@dataclass(frozen=True, slots=True)
class About:
    """The brief's front matter: background, credits, disclaimer and licence."""

    title: str
    short_title: str
    initiative: str
    background_title: str
    background_text: str
    topics: tuple[str, ...]
    participants: str
    by_country: tuple[str, ...]
    purpose: str
    authors: tuple[str, ...]
    editors: tuple[str, ...]
    illustrations: str
    disclaimer: str
    licence_notice: str
    licence_terms: str
    licence_name: str
    licence_url: str
    attribution: str
    language_name: str  # the language's name in itself, for the language picker
    translation_notice: str | None = None  # every translation: unofficial, the English is the reference


@dataclass(frozen=True, slots=True)
class LocaleContent:
    """The whole brief in one language."""

    code: str
    themes: tuple[Theme, ...]
    about: About
    coverage: float = 1.0  # share of strings really translated (partial locales fall back)

    def theme(self, theme_id: str) -> Theme | None:
        """Return the theme with this id, if any."""
        return next((t for t in self.themes if t.id == theme_id), None)

    @property
    def name(self) -> str:
        """The language's name in itself."""
        return self.about.language_name


@dataclass(frozen=True, slots=True)
class LocaleSummary:
    """Figures the content check prints for one locale."""

    code: str
    themes: int
    sections: int
    items: int
    characters: int
    coverage: float


@dataclass(frozen=True, slots=True)
class Content:
    """Every locale of the brief, loaded once at start-up."""

    locales: Mapping[str, LocaleContent]
    default: str = FALLBACK_LOCALE

    def get(self, code: str) -> LocaleContent:
        """Return the locale ``code``, or the default one."""
        return self.locales.get(code) or self.locales[self.default]

    @property
    def codes(self) -> tuple[str, ...]:
        """Locale codes in the language picker's order: the region's languages, Russian, English."""
        return order_languages(self.locales)

    def summaries(self) -> list[LocaleSummary]:
        """Per-locale figures for the content check."""
        result = []
        for code in self.codes:
            loc = self.locales[code]
            items = [i for t in loc.themes for s in t.sections for i in s.items]
            chars = sum(len(i.text) + sum(len(n.text or "") for n in i.notes) for i in items)
            result.append(
                LocaleSummary(
                    code=code,
                    themes=len(loc.themes),
                    sections=sum(len(t.sections) for t in loc.themes),
                    items=len(items),
                    characters=chars,
                    coverage=loc.coverage,
                )
            )
        return result


# --------------------------------------------------------------------------------------------- errors


@dataclass(frozen=True, slots=True)
class ContentProblem:
    """One thing wrong with the content, with where it is."""

    file: str
    path: str
    problem: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        return f"{where}: {self.problem}"


class ContentError(Exception):
    """The content did not validate; ``problems`` says every place and why."""

    def __init__(self, problems: Sequence[ContentProblem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} content problem(s):\n{lines}")


# --------------------------------------------------------------------------------------------- schema
#
# A schema is a dict of key -> (kind, required). Kinds: "text" (non-empty string), "item" (text that must
# fit in one message), "button" (text short enough for a button), "id", "url", "bool", a nested dict
# schema, or a one-element list [kind] for a non-empty list of that kind.

Kind = Any
_NOTE: dict[str, tuple[Kind, bool]] = {"text": ("item", False), "url": ("url", False)}
_ITEM: dict[str, tuple[Kind, bool]] = {
    "id": ("id", True),
    "text": ("item", True),
    "notes": ([_NOTE], False),
    "translator_note": ("text", False),
}
_GROUP: dict[str, tuple[Kind, bool]] = {"id": ("id", True), "title": ("text", True), "items": ([_ITEM], True)}
_SECTION: dict[str, tuple[Kind, bool]] = {
    "id": ("id", True),
    "title": ("text", True),
    "short_title": ("button", True),
    "intro": ("text", False),
    "items": ([_ITEM], False),
    "groups": ([_GROUP], False),
}
_THEME: dict[str, tuple[Kind, bool]] = {
    "id": ("id", True),
    "title": ("text", True),
    "short_title": ("button", True),
    "moderator": ({"name": ("text", True), "country": ("text", True)}, True),
    "countries": (["text"], True),
    "protect_content": ("bool", True),
    "sections": ([_SECTION], True),
}
_ABOUT: dict[str, tuple[Kind, bool]] = {
    "id": ("id", True),
    "language_name": ("button", True),
    "title": ("text", True),
    "short_title": ("button", True),
    "initiative": ("item", True),
    "background": (
        {
            "title": ("text", True),
            "text": ("item", True),
            "topics": (["text"], True),
            "participants": ("item", True),
            "by_country": (["text"], True),
        },
        True,
    ),
    "purpose": ("item", True),
    "authors": (["text"], True),
    "editors": (["text"], True),
    "illustrations": ("text", True),
    "disclaimer": ("item", True),
    "licence": (
        {
            "notice": ("text", True),
            "terms": ("item", True),
            "name": ("text", True),
            "url": ("url", True),
            "attribution": ("item", True),
        },
        True,
    ),
    "translation_notice": ("item", False),
}
# Keys only translations carry: English is the original, and a translation may say more than it.
TRANSLATOR_KEYS = frozenset({"translator_note", "translation_notice"})


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class _Validator:
    """Collects problems while walking one file against a schema."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[ContentProblem] = []

    def add(self, path: str, problem: str) -> None:
        self.problems.append(ContentProblem(self.file, path, problem))

    def mapping(self, node: Any, schema: dict[str, tuple[Kind, bool]], path: str) -> None:
        if not isinstance(node, dict):
            self.add(path, f"expected a mapping, got {_type_name(node)}")
            return
        for key in node:
            if key not in schema:
                self.add(_join(path, str(key)), f"unknown key (allowed: {', '.join(schema)})")
        for key, (kind, required) in schema.items():
            if key in node:
                self.value(node[key], kind, _join(path, key))
            elif required:
                self.add(_join(path, key), "missing key")

    def value(self, node: Any, kind: Kind, path: str) -> None:
        if isinstance(kind, dict):
            self.mapping(node, kind, path)
        elif isinstance(kind, list):
            if not isinstance(node, list):
                self.add(path, f"expected a list, got {_type_name(node)}")
            elif not node:
                self.add(path, "empty list")
            else:
                for index, element in enumerate(node):
                    self.value(element, kind[0], _join(path, index))
                self.unique_ids(node, path)
        elif kind == "bool":
            if not isinstance(node, bool):
                self.add(path, f"expected true or false, got {_type_name(node)}")
        elif not isinstance(node, str):
            self.add(path, f"expected a string, got {_type_name(node)}")
        elif not node.strip():
            self.add(path, "empty string")
        else:
            self.string(node, kind, path)

    def string(self, text: str, kind: str, path: str) -> None:
        if kind == "id" and not _ID.match(text):
            self.add(path, f"bad id {text!r}: use lower-case letters, digits and single hyphens")
        elif kind == "url" and not _URL.match(text):
            self.add(path, f"not an http(s) URL: {text!r}")
        elif kind == "button" and len(text) > BUTTON_TEXT_MAX:
            self.add(path, f"button label is {len(text)} characters, more than {BUTTON_TEXT_MAX}")
        try:
            rendered = to_html(text)
        except MarkupError as exc:
            self.add(path, str(exc))
            return
        limit = ITEM_TEXT_MAX if kind == "item" else TEXT_MAX // 8
        if len(rendered) > limit:
            self.add(
                path,
                f"{len(rendered)} characters as Telegram HTML, more than {limit} "
                f"(one message holds {TEXT_MAX} with the page heading)",
            )

    def unique_ids(self, nodes: list[Any], path: str) -> None:
        seen: set[str] = set()
        for index, element in enumerate(nodes):
            if isinstance(element, dict) and isinstance(element.get("id"), str):
                if element["id"] in seen:
                    self.add(_join(_join(path, index), "id"), f"duplicate id {element['id']!r}")
                seen.add(element["id"])


def _type_name(node: Any) -> str:
    return "nothing" if node is None else type(node).__name__


def _validate_theme(raw: Any, file: str, expected_id: str) -> list[ContentProblem]:
    v = _Validator(file)
    v.mapping(raw, _THEME, "")
    if not isinstance(raw, dict):
        return v.problems
    if raw.get("id") != expected_id:
        v.add("id", f"theme id {raw.get('id')!r} does not match the file name ({expected_id!r})")
    sections = raw.get("sections")
    if isinstance(sections, list):
        ids = [s.get("id") for s in sections if isinstance(s, dict)]
        if ids != list(SECTION_IDS):
            v.add("sections", f"section ids are {ids}, expected {list(SECTION_IDS)} in this order")
        item_ids: set[str] = set()
        for index, section in enumerate(sections):
            if not isinstance(section, dict):
                continue
            path = _join("sections", index)
            has_items, has_groups = "items" in section, "groups" in section
            if has_items == has_groups:
                v.add(path, "a section needs exactly one of 'items' or 'groups'")
            for item_path, item in _section_items(section, path):
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    if item["id"] in item_ids:
                        v.add(_join(item_path, "id"), f"duplicate item id {item['id']!r} in the theme")
                    item_ids.add(item["id"])
                    if isinstance(item.get("notes"), list):
                        for n_index, note in enumerate(item["notes"]):
                            if isinstance(note, dict) and not (note.get("text") or note.get("url")):
                                v.add(_join(_join(item_path, "notes"), n_index), "a note needs text or url")
    return v.problems


def _section_items(section: dict[str, Any], path: str) -> Iterator[tuple[str, Any]]:
    items = section.get("items")
    if isinstance(items, list):
        for index, item in enumerate(items):
            yield _join(_join(path, "items"), index), item
    groups = section.get("groups")
    if isinstance(groups, list):
        for g_index, group in enumerate(groups):
            if isinstance(group, dict) and isinstance(group.get("items"), list):
                for index, item in enumerate(group["items"]):
                    yield _join(_join(_join(_join(path, "groups"), g_index), "items"), index), item


def _validate_about(raw: Any, file: str) -> list[ContentProblem]:
    v = _Validator(file)
    v.mapping(raw, _ABOUT, "")
    return v.problems


# --------------------------------------------------------------------------------------------- parity


def _compare(
    ref: Any,
    other: Any,
    path: str,
    file: str,
    problems: list[ContentProblem],
    *,
    key: str = "",
) -> None:
    """Check that ``other`` (a translation) has the structure of ``ref`` (English) and is translated."""

    def add(problem: str) -> None:
        problems.append(ContentProblem(file, path, problem))

    if isinstance(ref, dict):
        if not isinstance(other, dict):
            add("expected a mapping like the English file")
            return
        if list(ref) != list(other):
            missing = [k for k in ref if k not in other]
            extra = [k for k in other if k not in ref and k not in TRANSLATOR_KEYS]
            if missing or extra:
                add(f"keys differ from the English file (missing: {missing or '-'}, extra: {extra or '-'})")
                return
        for k in ref:
            _compare(ref[k], other[k], _join(path, k), file, problems, key=k)
    elif isinstance(ref, list):
        if not isinstance(other, list) or len(ref) != len(other):
            count = len(other) if isinstance(other, list) else "no"
            add(f"English has {len(ref)} entries here, this locale has {count}")
            return
        for index, (r, o) in enumerate(zip(ref, other, strict=True)):
            _compare(r, o, _join(path, index), file, problems, key=key)
    elif key in ("id", "url") or isinstance(ref, bool):
        if ref != other:
            add(f"must be the same as in English ({ref!r}), found {other!r}")
    elif isinstance(ref, str) and isinstance(other, str) and other == ref and _LOWER_LATIN.search(ref):
        add("not translated (identical to the English text)")


def _language_problems(
    code: str, node: Any, path: str, file: str, problems: list[ContentProblem], key: str = ""
) -> None:
    """Check every string ``code`` claims as its own: one script per word, no English or Russian left."""
    if isinstance(node, dict):
        for k, v in node.items():
            if code == REFERENCE_LOCALE and k in TRANSLATOR_KEYS:
                problems.append(ContentProblem(file, _join(path, str(k)), "only translations carry this key"))
            _language_problems(code, v, _join(path, str(k)), file, problems, str(k))
    elif isinstance(node, list):
        for index, element in enumerate(node):
            _language_problems(code, element, _join(path, index), file, problems, key)
    elif isinstance(node, str) and key not in ("id", "url"):
        if mixed := mixed_script_words(node):
            problems.append(ContentProblem(file, path, f"Latin and Cyrillic letters mixed in a word: {mixed[0]!r}"))
        if leftover := leftover_language(code, node):
            problems.append(ContentProblem(file, path, leftover))


def _claimed(partial: Any, fallback: Any) -> Any:
    """The strings of ``partial`` that differ from the fallback: what this locale claims to have translated."""
    if isinstance(partial, dict) and isinstance(fallback, dict):
        return {k: _claimed(v, fallback.get(k)) for k, v in partial.items()}
    if isinstance(partial, list) and isinstance(fallback, list):
        by_id = {e.get("id"): e for e in fallback if isinstance(e, dict)}
        if by_id and all(isinstance(e, dict) for e in partial):
            return [_claimed(e, by_id.get(e.get("id"))) for e in partial]
        if len(partial) == len(fallback):
            return [_claimed(p, f) for p, f in zip(partial, fallback, strict=True)]
        return partial
    return None if partial == fallback else partial


# --------------------------------------------------------------------------------------------- fallback


def _overlay(
    base: Any, partial: Any, path: str, file: str, problems: list[ContentProblem], key: str = ""
) -> tuple[Any, int, int]:
    """Lay a partial translation over the fallback; return (merged, translated strings, strings to translate).

    Only prose counts towards coverage: ids, URLs and names (no lower-case word) stay as they are.
    """
    if isinstance(base, dict):
        if not isinstance(partial, dict):
            problems.append(ContentProblem(file, path, "expected a mapping"))
            return base, 0, _count_strings(base, key)
        for k in partial:
            if k not in base and k not in TRANSLATOR_KEYS:
                problems.append(ContentProblem(file, _join(path, str(k)), "unknown key"))
        merged: dict[str, Any] = {}
        done = total = 0
        for k, v in base.items():
            if k in partial:
                merged[k], d, t = _overlay(v, partial[k], _join(path, k), file, problems, k)
            else:
                merged[k], d, t = v, 0, _count_strings(v, k)
            done, total = done + d, total + t
        for k in TRANSLATOR_KEYS & partial.keys() - base.keys():
            merged[k] = partial[k]  # a note of this translation's own, where the fallback has none
        return merged, done, total
    if isinstance(base, list):
        if not isinstance(partial, list):
            problems.append(ContentProblem(file, path, "expected a list"))
            return base, 0, _count_strings(base, key)
        by_id = all(isinstance(e, dict) and "id" in e for e in base)
        if by_id:
            given = {e.get("id"): e for e in partial if isinstance(e, dict)}
            for unknown in set(given) - {e["id"] for e in base}:
                problems.append(ContentProblem(file, path, f"unknown id {unknown!r}"))
            pairs = [(e, given.get(e["id"])) for e in base]
        elif len(partial) == len(base):
            pairs = list(zip(base, partial, strict=True))
        else:
            problems.append(ContentProblem(file, path, f"expected {len(base)} entries, found {len(partial)}"))
            return base, 0, _count_strings(base, key)
        out: list[Any] = []
        done = total = 0
        for index, (b, p) in enumerate(pairs):
            if p is None:
                out.append(b)
                total += _count_strings(b, key)
                continue
            m, d, t = _overlay(b, p, _join(path, index), file, problems, key)
            out.append(m)
            done, total = done + d, total + t
        return out, done, total
    if isinstance(base, str):
        counted = int(_is_prose(base, key))
        if isinstance(partial, str) and partial.strip():
            # A string still identical to the fallback is not translated yet.
            return partial, counted * int(partial != base), counted
        return base, 0, counted
    return partial if type(partial) is type(base) else base, 0, 0


_PROSE_WORD = re.compile(r"\b[^\W\d_A-ZА-ЯЁ][^\W\d_]{3,}\b")  # a lower-case word of four letters or more
_WEB_ADDRESS = re.compile(r"\S+\.[a-z]{2,}\S*")


def _is_prose(text: str, key: str) -> bool:
    """Whether ``text`` is something to translate (not an id, a URL, or a name such as "CC BY-NC 4.0")."""
    return key not in ("id", "url") and bool(_PROSE_WORD.search(_WEB_ADDRESS.sub(" ", text)))


def _count_strings(node: Any, key: str = "") -> int:
    if isinstance(node, dict):
        return sum(_count_strings(v, k) for k, v in node.items())
    if isinstance(node, list):
        return sum(_count_strings(v, key) for v in node)
    return int(_is_prose(node, key)) if isinstance(node, str) else 0


# --------------------------------------------------------------------------------------------- building


def _build_theme(raw: dict[str, Any]) -> Theme:
    sections = []
    for s in raw["sections"]:
        raw_groups = s.get("groups") or [{"id": "all", "title": None, "items": s["items"]}]
        groups = tuple(
            Group(
                id=g["id"],
                title=g["title"],
                items=tuple(
                    Item(
                        id=i["id"],
                        text=i["text"],
                        notes=tuple(Note(text=n.get("text"), url=n.get("url")) for n in i.get("notes", [])),
                        translator_note=i.get("translator_note"),
                    )
                    for i in g["items"]
                ),
            )
            for g in raw_groups
        )
        sections.append(
            Section(
                id=s["id"],
                title=s["title"],
                short_title=s["short_title"],
                intro=s.get("intro"),
                groups=groups,
            )
        )
    return Theme(
        id=raw["id"],
        title=raw["title"],
        short_title=raw["short_title"],
        moderator_name=raw["moderator"]["name"],
        moderator_country=raw["moderator"]["country"],
        countries=tuple(raw["countries"]),
        protect_content=raw["protect_content"],
        sections=tuple(sections),
    )


def _build_about(raw: dict[str, Any]) -> About:
    bg, lic = raw["background"], raw["licence"]
    return About(
        title=raw["title"],
        short_title=raw["short_title"],
        initiative=raw["initiative"],
        background_title=bg["title"],
        background_text=bg["text"],
        topics=tuple(bg["topics"]),
        participants=bg["participants"],
        by_country=tuple(bg["by_country"]),
        purpose=raw["purpose"],
        authors=tuple(raw["authors"]),
        editors=tuple(raw["editors"]),
        illustrations=raw["illustrations"],
        disclaimer=raw["disclaimer"],
        licence_notice=lic["notice"],
        licence_terms=lic["terms"],
        licence_name=lic["name"],
        licence_url=lic["url"],
        attribution=lic["attribution"],
        language_name=raw["language_name"],
        translation_notice=raw.get("translation_notice"),
    )


# --------------------------------------------------------------------------------------------- loading


def _read_yaml(path: Path, problems: list[ContentProblem], root: Path) -> Any:
    name = str(path.relative_to(root))
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problems.append(ContentProblem(name, where, f"not valid YAML: {getattr(exc, 'problem', exc)}"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(ContentProblem(name, "", f"cannot read: {exc}"))
    return None


FILE_NAMES: tuple[str, ...] = (*THEME_IDS, ABOUT_FILE)


def _validate_file(raw: Any, name: str, file: str) -> list[ContentProblem]:
    if name == ABOUT_FILE:
        return _validate_about(raw, file)
    return _validate_theme(raw, file, name)


def native_name(code: str) -> str:
    """CLDR's name of language ``code`` in itself, capitalised."""
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (ValueError, UnknownLocaleError):
        name = code
    return name[:1].upper() + name[1:]


def _fallback_name(raw: dict[str, dict[str, Any]]) -> Any:
    return raw[FALLBACK_LOCALE][ABOUT_FILE]["language_name"]


def load_content(root: Path) -> Content:
    """Load and validate every locale under ``root``; raise ``ContentError`` listing every problem."""
    problems: list[ContentProblem] = []
    if not root.is_dir():
        raise ContentError([ContentProblem(str(root), "", "content directory not found")])
    locale_dirs = sorted(p for p in root.iterdir() if p.is_dir() and _LOCALE_CODE.match(p.name))
    raw: dict[str, dict[str, Any]] = {}
    for directory in locale_dirs:
        files: dict[str, Any] = {}
        for yaml_path in sorted(directory.glob("*.yaml")):
            rel = f"{directory.name}/{yaml_path.name}"
            if yaml_path.stem not in FILE_NAMES:
                problems.append(ContentProblem(rel, "", f"unknown file (expected: {', '.join(FILE_NAMES)}.yaml)"))
                continue
            files[yaml_path.stem] = _read_yaml(yaml_path, problems, root)
        raw[directory.name] = files
    missing_locales = [code for code in (REFERENCE_LOCALE, FALLBACK_LOCALE) if code not in raw]
    for code in missing_locales:
        problems.append(ContentProblem(f"{code}/", "", "required locale is missing"))
    if missing_locales:
        raise ContentError(problems)

    # Structure of each complete locale on its own, then parity with English.
    for code in (REFERENCE_LOCALE, FALLBACK_LOCALE):
        for name in FILE_NAMES:
            file = f"{code}/{name}.yaml"
            if name not in raw[code]:
                problems.append(ContentProblem(file, "", "file is missing"))
                continue
            problems.extend(_validate_file(raw[code][name], name, file))
    if problems:
        raise ContentError(problems)
    for name in FILE_NAMES:
        _compare(
            raw[REFERENCE_LOCALE][name],
            raw[FALLBACK_LOCALE][name],
            "",
            f"{FALLBACK_LOCALE}/{name}.yaml",
            problems,
        )
        for code in (REFERENCE_LOCALE, FALLBACK_LOCALE):
            _language_problems(code, raw[code][name], "", f"{code}/{name}.yaml", problems)
    if "translation_notice" not in raw[FALLBACK_LOCALE][ABOUT_FILE]:
        problems.append(
            ContentProblem(f"{FALLBACK_LOCALE}/{ABOUT_FILE}.yaml", "translation_notice", "a translation needs it")
        )

    # Partial locales: overlay on the fallback, then validate the result like a complete file.
    merged: dict[str, dict[str, Any]] = {
        REFERENCE_LOCALE: raw[REFERENCE_LOCALE],
        FALLBACK_LOCALE: raw[FALLBACK_LOCALE],
    }
    coverage: dict[str, float] = {REFERENCE_LOCALE: 1.0, FALLBACK_LOCALE: 1.0}
    for code, files in raw.items():
        if code in merged:
            continue
        done = total = 0
        merged[code] = {}
        for name in FILE_NAMES:
            base = copy.deepcopy(raw[FALLBACK_LOCALE][name])
            file = f"{code}/{name}.yaml"
            if name in files:
                _language_problems(code, _claimed(files[name], raw[FALLBACK_LOCALE][name]), "", file, problems)
                merged_file, d, t = _overlay(base, files[name], "", file, problems)
            else:
                merged_file, d, t = base, 0, _count_strings(base)
            problems.extend(_validate_file(merged_file, name, file))
            merged[code][name] = merged_file
            done, total = done + d, total + t
        coverage[code] = done / total if total else 0.0
    if problems:
        raise ContentError(problems)
    for code, files in merged.items():
        about = files[ABOUT_FILE]
        if code not in (REFERENCE_LOCALE, FALLBACK_LOCALE) and about["language_name"] == _fallback_name(raw):
            about["language_name"] = native_name(code)  # not translated yet: CLDR's name beats "Русский"

    locales = {
        code: LocaleContent(
            code=code,
            themes=tuple(_build_theme(files[t]) for t in THEME_IDS),
            about=_build_about(files[ABOUT_FILE]),
            coverage=coverage[code],
        )
        for code, files in merged.items()
    }
    return Content(locales=locales)


def check_content(root: Path) -> tuple[Content | None, list[ContentProblem]]:
    """Validate ``root``; return the content (or None) and the problems found."""
    try:
        return load_content(root), []
    except ContentError as exc:
        return None, list(exc.problems)
