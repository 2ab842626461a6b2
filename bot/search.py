"""Full-text search over the brief in one language: case-folded, ``ё`` = ``е``, word forms via Snowball stems.

Every query word must match (by stem, or as the start of a longer word); hits are ranked by how many query
words they contain in their exact form and how often, then by their order in the brief.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

import snowballstemmer

from bot.content import Content, LocaleContent
from bot.limits import SEARCH_QUERY_MAX
from bot.markup import plain

__all__ = ["Hit", "LocaleIndex", "QueryProblem", "SearchIndex", "check_query", "normalize", "without_lone_surrogates"]

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STEMMERS = {"ru": "russian", "en": "english"}
MIN_PREFIX = 3  # a query word of this many letters also matches longer words that start with it
_AFTER_ALL = "\U0010ffff"  # sorts after any letter: word + this bounds the words that start with word


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
    starts: tuple[int, ...]  # character offset of each word


Entry = tuple[str, str, str, str]  # theme id, section id, item id, plain text
Postings = dict[int, tuple[int, ...]]  # document -> positions (word indexes) of a word or stem in it


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


class LocaleIndex:
    """An inverted index of one language: stem -> documents and positions, word -> the same, sorted words.

    A query looks up its words' postings instead of scanning the brief: its cost follows how many items
    contain the words, not the size of the content.
    """

    def __init__(self, code: str, entries: Iterable[Entry]) -> None:
        self._stemmer = snowballstemmer.stemmer(_STEMMERS.get(code, "russian"))
        self.docs: list[_Doc] = []
        by_stem: dict[str, dict[int, list[int]]] = {}
        by_word: dict[str, dict[int, list[int]]] = {}
        stems: dict[str, str] = {}  # Snowball is pure Python: each distinct word is stemmed once
        for theme_id, section_id, item_id, text in entries:
            order = len(self.docs)
            matches = list(_WORD.finditer(normalize(text)))
            for position, match in enumerate(matches):
                word = match.group()
                stem = stems.get(word)
                if stem is None:
                    stem = stems[word] = self._stemmer.stemWord(word)
                by_word.setdefault(word, {}).setdefault(order, []).append(position)
                by_stem.setdefault(stem, {}).setdefault(order, []).append(position)
            # the footnotes too: a hit inside one is snipped around its word
            self.docs.append(_Doc(theme_id, section_id, item_id, text, tuple(m.start() for m in matches)))
        self._by_stem: dict[str, Postings] = {k: {d: tuple(p) for d, p in v.items()} for k, v in by_stem.items()}
        self._by_word: dict[str, Postings] = {k: {d: tuple(p) for d, p in v.items()} for k, v in by_word.items()}
        self._vocabulary = sorted(self._by_word)  # for prefix matches, by bisection

    @classmethod
    def of(cls, content: LocaleContent) -> LocaleIndex:
        """Index every item of ``content`` (its text and footnotes), in the brief's order."""
        return cls(
            content.code,
            (
                (theme.id, section.id, item.id, plain(" ".join([item.text, *(n.text for n in item.notes if n.text)])))
                for theme in content.themes
                for section in theme.sections
                for item in section.items
            ),
        )

    def stem(self, words: Iterable[str]) -> list[str]:
        return list(self._stemmer.stemWords(list(words)))

    def _matches(self, word: str, stem: str) -> dict[int, tuple[int, ...]]:
        """Each document where ``word`` matches (its stem, itself, or a longer word it starts) -> positions."""
        # A word equal to the query word has its stem too: the stem's postings already hold its positions.
        sources = [self._by_stem.get(stem, {})]
        if len(word) >= MIN_PREFIX:
            vocabulary = self._vocabulary
            lo = bisect.bisect_left(vocabulary, word)
            hi = bisect.bisect_left(vocabulary, word + _AFTER_ALL)
            sources.extend(self._by_word[w] for w in vocabulary[lo:hi])
        else:
            sources.append(self._by_word.get(word, {}))
        if len(sources) == 1 or all(not s for s in sources[1:]):
            return sources[0]
        merged: dict[int, set[int]] = {}
        for postings in sources:
            for order, positions in postings.items():
                merged.setdefault(order, set()).update(positions)
        return {order: tuple(sorted(positions)) for order, positions in merged.items()}

    def search(self, query: str, limit: int) -> list[Hit]:
        words = [m.group() for m in _WORD.finditer(normalize(query))]
        if not words:
            return []
        found = [self._matches(word, stem) for word, stem in zip(words, self.stem(words), strict=True)]
        # Every query word must match: walk the documents of the rarest word only.
        rarest = min(found, key=len)
        hits: list[tuple[float, int, Hit]] = []
        for order in sorted(rarest):
            score = 0.0
            first: int | None = None
            for word, matches in zip(words, found, strict=True):
                positions = matches.get(order)
                if positions is None:
                    break
                exact = order in self._by_word.get(word, {})
                score += 1 + 2 * exact + 0.1 * min(len(positions), 5)
                first = min(first, positions[0]) if first is not None else positions[0]
            else:
                assert first is not None  # every word matched at least once
                doc = self.docs[order]
                hits.append(
                    (-score, order, Hit(doc.theme_id, doc.section_id, doc.item_id, doc.text, doc.starts[first], score))
                )
        hits.sort(key=lambda h: (h[0], h[1]))
        return [h[2] for h in hits[:limit]]


class SearchIndex:
    """A search index per locale, built once at start-up."""

    def __init__(self, content: Content) -> None:
        self._content = content
        self._indexes = {code: LocaleIndex.of(loc) for code, loc in content.locales.items()}

    def search(self, code: str, query: str, limit: int) -> list[Hit]:
        """The best ``limit`` hits for ``query`` in locale ``code``."""
        index = self._indexes.get(code) or self._indexes[self._content.default]
        return index.search(query, limit)
