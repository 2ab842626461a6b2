"""The translatable strings of one language's content files, each with its place, its English and its Russian.

A place is made of content ids, never of list positions where an id exists (``gbv › barriers › legislative ›
barriers-1 › text``): it names the same string in every language and survives a reordering. The YAML is
composed, not loaded, so every string keeps where it sits in its file (for the layout-keeping writer).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.content.index import content_index
from bot.content.model import FALLBACK_LOCALE, REFERENCE_LOCALE
from bot.content.review import NOT_TEXT, PLACE_SEPARATOR

__all__ = ["PLACE_SEPARATOR", "Entry", "language_entries", "place_of", "read_nodes", "scalars"]

_STR_TAG = "tag:yaml.org,2002:str"


@dataclass(frozen=True, slots=True)
class Entry:
    """One translatable string: where it is, the English source, the Russian, and this language's text."""

    file: str  # the file's stem: a theme id or "about"
    key: tuple[str, ...]
    english: str
    russian: str | None
    text: str | None  # None: this language does not have the string (it falls back)
    notes: tuple[str, ...] = ()  # an item's text: the English of its footnotes, for context

    @property
    def place(self) -> str:
        """``file › key …``: the entry's context in an exported file and its key in review.yaml."""
        return place_of(self.file, self.key)


def place_of(file: str, key: tuple[str, ...]) -> str:
    """The place string of ``key`` in ``file``."""
    return PLACE_SEPARATOR.join((file, *key))


def read_nodes(path: Path) -> yaml.Node | None:
    """The composed YAML of ``path`` (None when the file does not exist)."""
    if not path.is_file():
        return None
    with path.open(encoding="utf-8") as fh:
        return yaml.compose(fh, Loader=yaml.SafeLoader)


def scalars(node: yaml.Node | None, key: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], yaml.ScalarNode]]:
    """Every text scalar under ``node`` with its id-based key."""
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value not in NOT_TEXT:
                # A list of things with ids (sections, groups, items) adds nothing the ids do not say.
                yield from scalars(v, key if _has_ids(v) else (*key, k.value))
    elif isinstance(node, yaml.SequenceNode):
        for index, element in enumerate(node.value, start=1):
            yield from scalars(element, (*key, _element_id(element) or str(index)))
    elif isinstance(node, yaml.ScalarNode) and node.tag == _STR_TAG and key:
        yield key, node


def _has_ids(node: yaml.Node) -> bool:
    return isinstance(node, yaml.SequenceNode) and bool(node.value) and all(_element_id(e) for e in node.value)


def _element_id(node: yaml.Node) -> str | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == "id" and isinstance(v, yaml.ScalarNode):
                return str(v.value)
    return None


def language_entries(root: Path, code: str) -> list[Entry]:
    """Every string of the English content, in file order, with ``code``'s text and the Russian."""
    entries = []
    for name in content_index(root).file_names:
        english = dict(scalars(read_nodes(root / REFERENCE_LOCALE / f"{name}.yaml")))
        russian = dict(scalars(read_nodes(root / FALLBACK_LOCALE / f"{name}.yaml")))
        own = dict(scalars(read_nodes(root / code / f"{name}.yaml")))
        for key, node in english.items():
            ru, mine = russian.get(key), own.get(key)
            notes = tuple(
                n.value for k, n in english.items() if key[-1] == "text" and k[: len(key)] == (*key[:-1], "notes")
            )
            entries.append(
                Entry(
                    file=name,
                    key=key,
                    english=node.value,
                    russian=ru.value if ru is not None else None,
                    text=mine.value if mine is not None else None,
                    notes=notes,
                )
            )
    return entries
