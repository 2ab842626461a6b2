"""Full-text search over the brief in one language: case-folded, ``ё`` = ``е``, word forms via Snowball stems.

Every query word must match (by stem, or as the start of a longer word); hits are ranked by how many query
words they contain in their exact form and how often, then by their order in the brief.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

import snowballstemmer

from bot.content import Content, LocaleContent
from bot.limits import SEARCH_QUERY_MAX
from bot.markup import plain

__all__ = ["Hit", "QueryProblem", "SearchIndex", "check_query", "normalize", "without_lone_surrogates"]

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STEMMERS = {"ru": "russian", "en": "english"}
MIN_PREFIX = 3  # a query word of this many letters also matches longer words that start with it


class QueryProblem(Enum):
    """Why a query cannot be searched."""

    EMPTY = "empty"
    TOO_LONG = "too_long"
    NO_WORDS = "no_words"  # e.g. only emoji or punctuation


@dataclass(frozen=True, slots=True)
class Hit:
    """One matching item."""

    theme_id: str
    section_id: str
    item_id: str
    text: str  # plain text of the item and its footnotes
    position: int  # where the first match starts, for the snippet
    score: float


@dataclass(frozen=True, slots=True)
class _Doc:
    theme_id: str
    section_id: str
    item_id: str
    text: str
    words: tuple[str, ...]  # normalised words, in order
    word_stems: tuple[str, ...]  # the stem of each word
    starts: tuple[int, ...]  # character offset of each word


# A lone UTF-16 surrogate (a broken client, or forged input) cannot be encoded as UTF-8: it would make any
# reply that echoes it fail. Valid pairs arrive from JSON already combined into one code point.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def without_lone_surrogates(text: str) -> str:
    """``text`` without unpaired UTF-16 surrogates."""
    return _LONE_SURROGATE.sub("", text)


def normalize(text: str) -> str:
    """Case-fold and treat ``ё`` as ``е``."""
    return text.casefold().replace("ё", "е")


def check_query(query: str) -> QueryProblem | None:
    """Say what is wrong with a query, or None if it can be searched."""
    if not query.strip():
        return QueryProblem.EMPTY
    if len(query) > SEARCH_QUERY_MAX:
        return QueryProblem.TOO_LONG
    if not _WORD.search(query):
        return QueryProblem.NO_WORDS
    return None


class _LocaleIndex:
    def __init__(self, content: LocaleContent) -> None:
        algorithm = _STEMMERS.get(content.code, "russian")
        self._stemmer = snowballstemmer.stemmer(algorithm)
        self.docs: list[_Doc] = []
        for theme in content.themes:
            for section in theme.sections:
                for item in section.items:
                    text = plain(" ".join([item.text, *(n.text for n in item.notes if n.text)]))
                    matches = list(_WORD.finditer(normalize(text)))
                    words = tuple(m.group() for m in matches)
                    self.docs.append(
                        _Doc(
                            theme_id=theme.id,
                            section_id=section.id,
                            item_id=item.id,
                            # the footnotes too: a hit inside one is snipped around its word
                            text=text,
                            words=words,
                            word_stems=tuple(self.stem(words)),
                            starts=tuple(m.start() for m in matches),
                        )
                    )

    def stem(self, words: Iterable[str]) -> list[str]:
        return list(self._stemmer.stemWords(list(words)))

    def search(self, query: str, limit: int) -> list[Hit]:
        words = [m.group() for m in _WORD.finditer(normalize(query))]
        if not words:
            return []
        stems = self.stem(words)
        hits: list[tuple[float, int, Hit]] = []
        for order, doc in enumerate(self.docs):
            score = 0.0
            first: int | None = None
            for word, stem in zip(words, stems, strict=True):
                prefix = len(word) >= MIN_PREFIX
                positions = [
                    i
                    for i, (w, s) in enumerate(zip(doc.words, doc.word_stems, strict=True))
                    if s == stem or w == word or (prefix and w.startswith(word))
                ]
                if not positions:
                    break
                exact = sum(1 for i in positions if doc.words[i] == word)
                score += 1 + 2 * bool(exact) + 0.1 * min(len(positions), 5)
                first = min(first, positions[0]) if first is not None else positions[0]
            else:
                assert first is not None  # every word matched at least once
                hits.append(
                    (
                        -score,
                        order,
                        Hit(doc.theme_id, doc.section_id, doc.item_id, doc.text, doc.starts[first], score),
                    )
                )
        hits.sort(key=lambda h: (h[0], h[1]))
        return [h[2] for h in hits[:limit]]


class SearchIndex:
    """A search index per locale, built once at start-up."""

    def __init__(self, content: Content) -> None:
        self._content = content
        self._indexes = {code: _LocaleIndex(loc) for code, loc in content.locales.items()}

    def search(self, code: str, query: str, limit: int) -> list[Hit]:
        """The best ``limit`` hits for ``query`` in locale ``code``."""
        index = self._indexes.get(code) or self._indexes[self._content.default]
        return index.search(query, limit)
