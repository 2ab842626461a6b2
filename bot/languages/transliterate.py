"""Uzbek between its Latin and Cyrillic scripts, for a language derived from another (``uz-Cyrl`` from ``uz``).

The letter rules are alifbo's (MIT, https://pypi.org/project/alifbo/): oʻ → ў, gʻ → ғ, sh → ш, ch → ч,
yo/yu/ya/ye → ё/ю/я/е, e at the start of a word → э, h → ҳ, the tutuq belgisi ʼ → ъ, capitals and all-caps words.
Around them this module keeps what is not Uzbek prose as it is (placeholders, HTML tags and entities, links,
e-mail addresses, English runs such as a cited report's title) and applies an override list for the words the
rules get wrong (loanwords with ц or я that Latin spells ts/s and a, ``rayon`` → ``район``, names): each
override is a stem, so ``rayon`` also gives ``районларда``. Cyrillic to Latin is used for search queries only.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable, Mapping
from pathlib import Path

__all__ = [
    "KEEP",
    "SCHEMES",
    "TRANSLITERATION_RULES",
    "OverrideError",
    "cyrillic_to_latin",
    "in_script",
    "latin_to_cyrillic",
    "read_overrides",
    "script_of_text",
]

_PUA = 0xE000  # private-use code points stand in for kept spans: alifbo passes them through untouched
_KEPT = re.compile(
    r"<[^>]*>|&#?\w+;|\{[^{}]*\}|(?:https?://|www\.)\S+|t\.me/\S+|[\w.%+-]+@[\w-]+\.[\w.]+|\*\*"
    r"|(?<![^\s(«“\"])/[a-z][a-z_]*"  # a /command (not the "/" of "va/yoki")
)
# Three or more Latin words in a row of which at least two are frequent English ones: a title left in English.
# Only function words: Uzbek text borrows "gender", "feministik", but never "the" or "of".
_ENGLISH = frozenset(["the", "and", "of", "to", "for", "in", "on", "with", "from", "by", "a", "an", "is", "are"])
# alifbo reads "shch" as Russian щ; in Uzbek it is ш + ч ("ishchi" → "ишчи"): a word joiner keeps them apart.
_SH_CH = re.compile(r"(?<=[sS][hH])(?=[cC][hH])")
_JOINER = "\u2060"
_RUN_WORD = r"[A-Za-z][A-Za-zʻʼ’'-]*"
_LATIN_RUN = re.compile(rf"{_RUN_WORD}(?:[ ,:]+{_RUN_WORD}){{2,}}")
_APOSTROPHES = "ʻʼ'‘’`"
_WORD = re.compile(rf"[^\W\d_][\w{_APOSTROPHES}]*")
_LATIN_LETTER = re.compile(r"[A-Za-z]")
_CYRILLIC_LETTER = re.compile(r"[\u0400-\u04ff]")

Overrides = Mapping[str, str]


class OverrideError(ValueError):
    """A line of an override file that cannot be read."""


KEEP = "keep:"  # an override line "keep: Women Engage for a Common Future" keeps a name as it is written


def read_overrides(path: Path) -> dict[str, str]:
    """Read ``latin = кирилл`` lines and ``keep: Name`` lines (``#`` starts a comment).

    Keys of stems are lower-case Latin; a kept name is its own key, with ``keep:`` in front, and itself as value.
    """
    overrides: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith(KEEP):
            name = line.removeprefix(KEEP).strip()
            overrides[KEEP + name] = name
            continue
        latin, sep, cyrillic = (part.strip() for part in line.partition("="))
        if not sep or not latin or not cyrillic or _CYRILLIC_LETTER.search(latin) or _LATIN_LETTER.search(cyrillic):
            raise OverrideError(f"{path.name}:{number}: expected 'latin = кирилл', found {line!r}")
        overrides[_fold(latin)] = cyrillic
    return overrides


def _fold(word: str) -> str:
    """A Latin word lower-cased with one spelling of each apostrophe (ʻ after o and g, ʼ elsewhere)."""
    word = word.lower()
    return re.sub(rf"(?<=[og])[{_APOSTROPHES}]", "ʻ", re.sub(rf"[{_APOSTROPHES}]", "ʼ", word))


def _cased(source: str, cyrillic: str) -> str:
    """``cyrillic`` in the case pattern of ``source``: all capitals, a capital first, or as written.

    An override written with capitals (an abbreviation: ``yaim = ЯИМ``) is always used as written.
    """
    if cyrillic != cyrillic.lower():
        return cyrillic
    letters = [c for c in source if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return cyrillic.upper()
    if letters and letters[0].isupper():
        return cyrillic[:1].upper() + cyrillic[1:]
    return cyrillic


def _english_runs(text: str) -> list[tuple[int, int]]:
    spans = []
    for run in _LATIN_RUN.finditer(text):
        found = [w.lower() for w in re.findall(r"[A-Za-z]+", run[0])]
        if sum(w in _ENGLISH for w in found) >= 2:
            spans.append(run.span())
    return spans


def latin_to_cyrillic(text: str, overrides: Overrides | None = None) -> str:
    """Uzbek Latin ``text`` in Cyrillic, with kept spans untouched and ``overrides`` applied to word stems."""
    kept: list[str] = []

    def keep(piece: str) -> str:
        kept.append(piece)
        return chr(_PUA + len(kept) - 1)

    def protect(match: re.Match[str]) -> str:
        return keep(match[0])

    masked = _KEPT.sub(protect, text)
    for name in (k.removeprefix(KEEP) for k in overrides or () if k.startswith(KEEP)):
        masked = masked.replace(name, keep(name)) if name in masked else masked
    pieces: list[str] = []
    cursor = 0
    for start, end in _english_runs(masked):
        pieces.extend((masked[cursor:start], keep(masked[start:end])))
        cursor = end
    masked = "".join(pieces) + masked[cursor:]
    if overrides:
        stems = sorted((k for k in overrides if not k.startswith(KEEP)), key=len, reverse=True)

        def override(match: re.Match[str]) -> str:
            word = match[0]
            folded = _fold(word)
            for stem in stems:
                if folded.startswith(stem):
                    return keep(_cased(word, overrides[stem])) + word[len(stem) :]
            return word

        masked = _WORD.sub(override, masked)
    from alifbo import to_cyrillic  # only when content is built or a query needs it: not on every start

    converted = to_cyrillic(_SH_CH.sub(_JOINER, masked), protect_spans=False).text.replace(_JOINER, "")
    marker = re.compile(f"[{chr(_PUA)}-{chr(_PUA + len(kept))}]")
    for _ in range(2):  # an English run kept whole may hold a placeholder kept before it
        converted = marker.sub(lambda m: kept[ord(m[0]) - _PUA], converted)
    return converted


def cyrillic_to_latin(text: str) -> str:
    """Uzbek Cyrillic ``text`` in the Latin script (for a query typed in the other script)."""
    from alifbo import from_cyrillic, to_old_latin

    return to_old_latin(from_cyrillic(text, protect_spans=True).text).text


def script_of_text(text: str) -> str | None:
    """``Cyrl`` or ``Latn``: the script most of the letters of ``text`` are in, or None with no letters."""
    latin, cyrillic = len(_LATIN_LETTER.findall(text)), len(_CYRILLIC_LETTER.findall(text))
    if not latin and not cyrillic:
        return None
    return "Cyrl" if cyrillic > latin else "Latn"


def in_script(language: str, text: str, script: str) -> str:
    """``text`` of ``language`` (a language subtag) in ``script``, if this module can convert it, else as is."""
    typed = script_of_text(text)
    if language != "uz" or typed is None or typed == script:
        return text
    return latin_to_cyrillic(text) if script == "Cyrl" else cyrillic_to_latin(text)


def _package_dirs(name: str) -> tuple[Path, ...]:
    spec = importlib.util.find_spec(name)  # found, not imported: start-up does not pay for the import
    return tuple(Path(p) for p in (spec.submodule_search_locations or ())) if spec else ()


# Where the letter rules live, for the start-up cache's key (bot/content/cache.py): new rules, new derived content.
TRANSLITERATION_RULES = _package_dirs("alifbo")

# Transliterators a language's about.yaml may name (``transliterate: uz-Latn-Cyrl``), by a BCP 47 transform
# name: source language and script, then the target script.
SCHEMES: dict[str, Callable[[str, Overrides | None], str]] = {"uz-Latn-Cyrl": latin_to_cyrillic}
