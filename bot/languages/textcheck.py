"""Checks on translated text that hold for every language: one script per word, no English or Russian left.

Both the content check and the catalogue check use them. The script of a language comes from CLDR's likely
subtags (via Babel), so a new language needs no entry here.
"""

from __future__ import annotations

import re
from functools import cache

from babel.core import get_global

__all__ = ["leftover_language", "mixed_script_words", "script_of"]

_CYRILLIC = "\u0400-\u04ff\u0500-\u052f"
# Hyphens separate words here: "3D-моделирование" joins two words, it does not mix scripts in one.
_WORD = re.compile(rf"[A-Za-z\u00c0-\u024f{_CYRILLIC}\u02bb\u02bc'’]+")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
_CYRILLIC_LETTER = re.compile(rf"[{_CYRILLIC}]")
# A run of three lower-case Latin words in Cyrillic text is English prose, not a name or a code.
_LATIN_RUN = re.compile(r"\b[a-z]+\b(?:[ ,]+\b[a-z]+\b){2,}")
_CYRILLIC_RUN = re.compile(rf"[{_CYRILLIC}]+(?:[ ,]+[{_CYRILLIC}]+){{2,}}")
_CYRILLIC_WORD = re.compile(rf"[{_CYRILLIC}]+")
# Russian function words that the region's other Cyrillic languages do not use: three of them, making a
# tenth of a text's words, mean a Russian sentence was left (a quoted Russian title alone stays under that).
_RUSSIAN_WORDS = frozenset(
    ["и", "в", "на", "для", "что", "по", "от", "из", "как", "также", "или", "которые", "это", "при", "с"]
)
RUSSIAN_WORDS_MIN = 3
RUSSIAN_SHARE_MIN = 0.1
# Words frequent in English prose and rare in Latin-script Turkic languages: two in a run of three mark English.
_ENGLISH_WORDS = frozenset(
    {"the", "and", "of", "to", "for", "with", "that", "which", "from", "this", "their", "are", "is", "by"}
    | {"be", "have", "has", "was", "were", "will", "should", "women", "rights", "not"}
)
_MARKUP = re.compile(r"<[^>]*>|\{[^}]*\}|https?://\S+|\S+@\S+")


@cache
def script_of(code: str) -> str:
    """The script of language ``code`` (``Cyrl``, ``Latn``, …): its script subtag, else CLDR's usual one."""
    if "-" in code:
        return code.split("-", 1)[1]
    parts = str(get_global("likely_subtags").get(code, "")).split("_")
    return parts[1] if len(parts) > 2 else "Latn"


def _clean(text: str) -> str:
    return _MARKUP.sub(" ", text.replace("**", ""))


def mixed_script_words(text: str) -> list[str]:
    """Words that mix Latin and Cyrillic letters (a typing slip a reader's search will never find)."""
    return [w for w in _WORD.findall(_clean(text)) if _LATIN_LETTER.search(w) and _CYRILLIC_LETTER.search(w)]


def leftover_language(code: str, text: str) -> str | None:
    """Say what English or Russian is left in ``text``, claimed to be in ``code``; None when none is."""
    clean = _clean(text)
    if code == "en":
        return None
    if script_of(code) == "Cyrl":
        if english := _LATIN_RUN.search(clean):
            return f"English left in the translation: {english[0][:60]!r}"
        if code != "ru":
            words = _CYRILLIC_WORD.findall(clean.lower())
            russian = [w for w in words if w in _RUSSIAN_WORDS]
            if len(russian) >= RUSSIAN_WORDS_MIN and len(russian) >= RUSSIAN_SHARE_MIN * len(words):
                return f"reads as Russian, not {code}: {' '.join(words[:6])!r}…"
        return None
    if cyrillic := _CYRILLIC_RUN.search(clean):
        return f"Russian left in the translation: {cyrillic[0][:60]!r}"
    for run in _LATIN_RUN.finditer(clean):
        if sum(word in _ENGLISH_WORDS for word in re.findall(r"[a-z]+", run[0])) >= 2:
            return f"English left in the translation: {run[0][:60]!r}"
    return None
