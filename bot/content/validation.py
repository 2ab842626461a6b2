"""Validation of the raw YAML: each file against its schema, translations against the English structure, and
every string against its language. Each problem names the file, the YAML path and what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from bot.content.markup import MarkupError, to_html
from bot.content.model import ABOUT_FILE, REFERENCE_LOCALE, ContentProblem
from bot.languages.textcheck import leftover_language, mixed_script_words
from bot.telegram.limits import BUTTON_TEXT_MAX, ITEM_TEXT_MAX, TEXT_MAX

_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_URL = re.compile(r"^https?://\S+$")
_LOWER_LATIN = re.compile(r"[a-z]")


def is_id(text: str) -> bool:
    """Whether ``text`` is a content id: lowercase latin letters and digits joined by single '-'."""
    return bool(_ID.match(text))


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


def join_path(path: str, key: str | int) -> str:
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
                self.add(join_path(path, str(key)), f"unknown key (allowed: {', '.join(schema)})")
        for key, (kind, required) in schema.items():
            if key in node:
                self.value(node[key], kind, join_path(path, key))
            elif required:
                self.add(join_path(path, key), "missing key")

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
                    self.value(element, kind[0], join_path(path, index))
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
                    self.add(join_path(join_path(path, index), "id"), f"duplicate id {element['id']!r}")
                seen.add(element["id"])


def _type_name(node: Any) -> str:
    return "nothing" if node is None else type(node).__name__


def _validate_theme(raw: Any, file: str, expected_id: str, section_ids: tuple[str, ...]) -> list[ContentProblem]:
    v = _Validator(file)
    v.mapping(raw, _THEME, "")
    if not isinstance(raw, dict):
        return v.problems
    if raw.get("id") != expected_id:
        v.add("id", f"theme id {raw.get('id')!r} does not match the file name ({expected_id!r})")
    sections = raw.get("sections")
    if isinstance(sections, list):
        ids = [s.get("id") for s in sections if isinstance(s, dict)]
        if ids != list(section_ids):
            v.add("sections", f"section ids are {ids}, expected {list(section_ids)} in this order (themes.yaml)")
        item_ids: set[str] = set()
        for index, section in enumerate(sections):
            if not isinstance(section, dict):
                continue
            path = join_path("sections", index)
            has_items, has_groups = "items" in section, "groups" in section
            if has_items == has_groups:
                v.add(path, "a section needs exactly one of 'items' or 'groups'")
            for item_path, item in _section_items(section, path):
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    if item["id"] in item_ids:
                        v.add(join_path(item_path, "id"), f"duplicate item id {item['id']!r} in the theme")
                    item_ids.add(item["id"])
                    if isinstance(item.get("notes"), list):
                        for n_index, note in enumerate(item["notes"]):
                            if isinstance(note, dict) and not (note.get("text") or note.get("url")):
                                v.add(join_path(join_path(item_path, "notes"), n_index), "a note needs text or url")
    return v.problems


def _section_items(section: dict[str, Any], path: str) -> Iterator[tuple[str, Any]]:
    items = section.get("items")
    if isinstance(items, list):
        for index, item in enumerate(items):
            yield join_path(join_path(path, "items"), index), item
    groups = section.get("groups")
    if isinstance(groups, list):
        for g_index, group in enumerate(groups):
            if isinstance(group, dict) and isinstance(group.get("items"), list):
                for index, item in enumerate(group["items"]):
                    yield join_path(join_path(join_path(join_path(path, "groups"), g_index), "items"), index), item


def _validate_about(raw: Any, file: str) -> list[ContentProblem]:
    v = _Validator(file)
    v.mapping(raw, _ABOUT, "")
    return v.problems


# --------------------------------------------------------------------------------------------- parity


def compare(
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
            compare(ref[k], other[k], join_path(path, k), file, problems, key=k)
    elif isinstance(ref, list):
        if not isinstance(other, list) or len(ref) != len(other):
            count = len(other) if isinstance(other, list) else "no"
            add(f"English has {len(ref)} entries here, this locale has {count}")
            return
        for index, (r, o) in enumerate(zip(ref, other, strict=True)):
            compare(r, o, join_path(path, index), file, problems, key=key)
    elif key in ("id", "url") or isinstance(ref, bool):
        if ref != other:
            add(f"must be the same as in English ({ref!r}), found {other!r}")
    elif isinstance(ref, str) and isinstance(other, str) and other == ref and _LOWER_LATIN.search(ref):
        add("not translated (identical to the English text)")


def language_problems(
    code: str, node: Any, path: str, file: str, problems: list[ContentProblem], key: str = ""
) -> None:
    """Check every string ``code`` claims as its own: one script per word, no English or Russian left."""
    if isinstance(node, dict):
        for k, v in node.items():
            if code == REFERENCE_LOCALE and k in TRANSLATOR_KEYS:
                problems.append(ContentProblem(file, join_path(path, str(k)), "only translations carry this key"))
            language_problems(code, v, join_path(path, str(k)), file, problems, str(k))
    elif isinstance(node, list):
        for index, element in enumerate(node):
            language_problems(code, element, join_path(path, index), file, problems, key)
    elif isinstance(node, str) and key not in ("id", "url"):
        if mixed := mixed_script_words(node):
            problems.append(ContentProblem(file, path, f"Latin and Cyrillic letters mixed in a word: {mixed[0]!r}"))
        if leftover := leftover_language(code, node):
            problems.append(ContentProblem(file, path, leftover))


def claimed(partial: Any, fallback: Any) -> Any:
    """The strings of ``partial`` that differ from the fallback: what this locale claims to have translated."""
    if isinstance(partial, dict) and isinstance(fallback, dict):
        return {k: claimed(v, fallback.get(k)) for k, v in partial.items()}
    if isinstance(partial, list) and isinstance(fallback, list):
        by_id = {e.get("id"): e for e in fallback if isinstance(e, dict)}
        if by_id and all(isinstance(e, dict) for e in partial):
            return [claimed(e, by_id.get(e.get("id"))) for e in partial]
        if len(partial) == len(fallback):
            return [claimed(p, f) for p, f in zip(partial, fallback, strict=True)]
        return partial
    return None if partial == fallback else partial


def validate_file(raw: Any, name: str, file: str, section_ids: tuple[str, ...]) -> list[ContentProblem]:
    if name == ABOUT_FILE:
        return _validate_about(raw, file)
    return _validate_theme(raw, file, name, section_ids)
