"""Full-text search over the brief in one language: case-folded, ``ё`` = ``е``, word forms via Snowball stems.

Every query word must match (by stem, or as the start of a longer word); hits are ranked by how many query
words they contain in their exact form and how often, then by their order in the brief.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import operator
import re
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

import snowballstemmer

from bot.content import Content, LocaleContent
from bot.content.markup import plain
from bot.languages.textcheck import script_of
from bot.languages.transliterate import in_script
from bot.telegram.limits import SEARCH_QUERY_MAX

__all__ = ["Hit", "LocaleIndex", "QueryProblem", "SearchIndex", "check_query", "normalize", "without_lone_surrogates"]

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STEMMERS = {"ru": "russian", "en": "english"}
MIN_PREFIX = 3  # a query word of this many letters also matches longer words that start with it
_COMBINATIONS_MAX = 256  # tier combinations a query of several words ranks; beyond, items are scored one by one
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


Tiers = tuple[tuple[float, int, int], ...]  # (score addition, start, end) in the index's arrays, best first


class LocaleIndex:
    """One language's matches, ranked at build time for every word of the brief and every stem.

    For each such key the items it matches lie in flat arrays, in tiers by what the word adds to an item's
    score and each tier in the brief's order: a one-word query takes the first items of its best tiers, and
    several words intersect sets in C, tier combination by combination from the best total down, until enough
    are found. A query's cost follows how many results are shown and how many tiers its words have, not how
    many items match. A word that starts longer words but is none itself (a typed fragment) is ranked on its
    first use and kept; any other word matches by its stem alone. Flat arrays, not an object per key: the
    start-up cache unpickles them in a few milliseconds.
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
        self._ranked_docs = array("I")  # every key's items, tier after tier
        self._ranked_first = array("I")  # the index of each one's first matching word, for the snippet
        self._stem_tiers = {stem: self._rank(postings, {}) for stem, postings in self._by_stem.items()}
        self._word_tiers = {word: self._rank_word(word, stems[word]) for word in self._vocabulary}

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

    def _rank(self, postings: Postings, exact: Postings) -> Tiers:
        """Append the items of ``postings`` (item -> positions of the matches) in tiers; say where they are."""
        tiers: dict[float, list[tuple[int, int]]] = {}
        for order in sorted(postings):
            positions = postings[order]
            # The ranking's rule: more for the exact form, a little for each repetition, up to five.
            score = 1 + 2 * (order in exact) + 0.1 * min(len(positions), 5)
            tiers.setdefault(score, []).append((order, positions[0]))
        result = []
        for score, items in sorted(tiers.items(), reverse=True):
            start = len(self._ranked_docs)
            self._ranked_docs.extend(order for order, _ in items)
            self._ranked_first.extend(first for _, first in items)
            result.append((score, start, len(self._ranked_docs)))
        return tuple(result)

    def _rank_word(self, word: str, stem: str) -> Tiers:
        """Rank the items ``word`` matches: by its stem, by itself, or (long enough) as the start of longer words."""
        sources = [self._by_stem.get(stem, {})]
        if len(word) >= MIN_PREFIX:
            vocabulary = self._vocabulary
            lo = bisect.bisect_left(vocabulary, word)
            hi = bisect.bisect_left(vocabulary, word + _AFTER_ALL, lo)
            sources.extend(self._by_word[w] for w in vocabulary[lo:hi])
        else:
            sources.append(self._by_word.get(word, {}))
        merged: dict[int, set[int]] = {}
        for postings in sources:
            for order, positions in postings.items():
                merged.setdefault(order, set()).update(positions)
        return self._rank({order: tuple(sorted(p)) for order, p in merged.items()}, self._by_word.get(word, {}))

    def _tiers(self, word: str) -> Tiers | None:
        tiers = self._word_tiers.get(word)
        if tiers is not None:
            return tiers
        if len(word) >= MIN_PREFIX:
            at = bisect.bisect_left(self._vocabulary, word)
            if at < len(self._vocabulary) and self._vocabulary[at].startswith(word):
                # A fragment of words of the brief: a finite set, so keeping each one ranked is bounded.
                tiers = self._word_tiers[word] = self._rank_word(word, self._stemmer.stemWord(word))
                return tiers
        return self._stem_tiers.get(self._stemmer.stemWord(word))

    def _first(self, tiers: Tiers, order: int) -> int:
        """The index of the first word of item ``order`` that a query word (its ``tiers``) matches."""
        docs = self._ranked_docs
        for _, start, end in tiers:
            at = bisect.bisect_left(docs, order, start, end)
            if at < end and docs[at] == order:
                return self._ranked_first[at]
        raise KeyError(order)

    def search(self, query: str, limit: int) -> list[Hit]:
        found: list[Tiers] = []
        for word in (m.group() for m in _WORD.finditer(normalize(query))):
            tiers = self._tiers(word)
            if tiers is None:
                return []  # every query word must match
            found.append(tiers)
        if not found or limit <= 0:
            return []
        if len(found) == 1:
            docs = self._ranked_docs
            ranked = [(c, docs[at]) for c, start, end in found[0] for at in range(start, min(end, start + limit))]
            del ranked[limit:]
        else:
            ranked = _best_of_all([[(c, self._ranked_docs[a:b]) for c, a, b in tiers] for tiers in found], limit)
        hits = []
        for score, order in ranked:
            doc = self.docs[order]
            first = min(self._first(tiers, order) for tiers in found)
            hits.append(Hit(doc.theme_id, doc.section_id, doc.item_id, doc.text, doc.starts[first], score))
        return hits


def _best_of_all(found: list[list[tuple[float, array[int]]]], limit: int) -> list[tuple[float, int]]:
    """The best ``limit`` (score, item) of the items every word (its tiers) matches: best first, then in order."""
    sets = [[(c, frozenset(docs)) for c, docs in tiers] for tiers in found]
    common = functools.reduce(operator.and_, sorted((frozenset().union(*(d for _, d in t)) for t in sets), key=len))
    if not common:
        return []
    # Each word's tiers cut to the items all words share: a combination of one tier per word scores the
    # same for every item in it, so combinations are ranked instead of items.
    tiers = [[(c, docs & common) for c, docs in t if not docs.isdisjoint(common)] for t in sets]
    combinations: dict[float, list[frozenset[int]]] = {}
    if math.prod(len(t) for t in tiers) > _COMBINATIONS_MAX:
        # Many words, each in items of many tiers: scoring the shared items one by one is cheaper.
        for order in common:
            score = 0.0
            for word_tiers in tiers:
                score += next(c for c, docs in word_tiers if order in docs)
            combinations.setdefault(score, []).append(frozenset((order,)))
    else:
        for combination in itertools.product(*tiers):
            score = 0.0
            for c, _ in combination:  # summed in the query's word order, as a scan of each item would
                score += c
            combinations.setdefault(score, []).append(
                functools.reduce(operator.and_, sorted((docs for _, docs in combination), key=len))
            )
    ranked: list[tuple[float, int]] = []
    for score in sorted(combinations, reverse=True):
        orders = sorted(set().union(*combinations[score]))
        ranked.extend((score, order) for order in orders[: limit - len(ranked)])
        if len(ranked) >= limit:
            break
    return ranked


class SearchIndex:
    """A search index per locale, built once at start-up."""

    def __init__(self, content: Content) -> None:
        self._content = content
        self._indexes = {code: LocaleIndex.of(loc) for code, loc in content.locales.items()}

    def search(self, code: str, query: str, limit: int) -> list[Hit]:
        """The best ``limit`` hits for ``query`` in locale ``code``.

        A query typed in the other script of a language written in two (Cyrillic in Latin Uzbek, or the other
        way) is transliterated first: a reader's keyboard need not match the script they read.
        """
        if code not in self._indexes:
            code = self._content.default
        return self._indexes[code].search(self.in_script_of(code, query), limit)

    def in_script_of(self, code: str, query: str) -> str:
        """``query`` in the script of locale ``code``: transliterated if typed in the language's other script.

        Before normalising: Uzbek Cyrillic "ё" is its own letter (yo), not a way of writing "е".
        """
        return in_script(code.split("-")[0], query, script_of(code))
