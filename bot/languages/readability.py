"""How easy a text is for a second-language reader: sentence lengths and abbreviations nobody explained.

The content check measures every translated string with these rules, and translators measure their drafts with
the same ones (``python -m bot.languages.readability kk``), so that "a sentence" and "an abbreviation" mean one thing.

- A sentence ends at ``.``, ``!``, ``?`` or ``…`` followed by a space or the end (a dot inside "т.б." or a
  number does not end one), or at a line break; not before a word in lower case ("т.б. және", "и др. в"), which
  goes on the same sentence.
- A word is a run of letters or digits (with the hyphens and apostrophes inside it: "зорлық-зомбылық", "oʻz").
- An abbreviation is the run of two or more capital letters at the start of a word ("БҰҰ" in "БҰҰ-ның",
  "BMT" in "BMTning"), after links and markup are removed; the second letter of a Latin digraph (sh, ch, ya,
  yo, yu, ye, oʻ, gʻ) belongs to the run ("YaIM" in "YaIMning", "ShHT": Uzbek spells ЯИМ, ШҲТ so). The ones
  a reader knows are listed per language in ``content/source/glossary.<code>.md`` under the heading
  ``## Abbreviations allowed bare``: a table whose first column is the abbreviation.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.content.derived import read_derivation, transliterated

__all__ = [
    "ALLOWED_HEADING",
    "LONG_SENTENCE_WORDS",
    "MAX_SENTENCE_WORDS",
    "Readability",
    "abbreviations",
    "allowed_abbreviations",
    "allowed_for",
    "measure",
    "sentences",
    "words",
]

LONG_SENTENCE_WORDS = 30  # over this a sentence counts as long (target: at most 5% of them)
MAX_SENTENCE_WORDS = 45  # over this a sentence in a national language is an error
ALLOWED_HEADING = "## Abbreviations allowed bare"

_MARKUP = re.compile(r"<[^>]*>|\{[^}]*\}|https?://\S+|\S+@\S+|\*\*|t\.me/\S+")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[»\"”)']*\s+|\n+")
_APOSTROPHES = "'’ʻʼ`"
_WORD = re.compile(rf"[^\W_](?:[\w{_APOSTROPHES}-]*[^\W_])?")
# Latin digraphs whose second letter is lower case in an abbreviation: "ShHT" (ШҲТ), "YaIM" (ЯИМ), "OʻZ".
_DIGRAPHS = frozenset({"Sh", "Ch", "Ya", "Yo", "Yu", "Ye", *(f"{c}{a}" for c in "OG" for a in "ʻ'‘`")})


def _clean(text: str) -> str:
    return _MARKUP.sub(" ", text)


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` (markup and links removed), each stripped, none empty."""
    found: list[str] = []
    clean, start, after_line_break = _clean(text), 0, True
    for end in [*_SENTENCE_END.finditer(clean), None]:
        piece = clean[start : end.start() if end else len(clean)].strip()
        first = next((c for c in piece if c.isalpha()), "")
        if found and first.islower() and not after_line_break:
            found[-1] = f"{found[-1]} {piece}"  # "т.б. және ...": an abbreviation's dot, not an end
        elif words(piece):
            found.append(piece)
        if end is not None:
            start, after_line_break = end.end(), "\n" in end[0]
    return found


def words(text: str) -> list[str]:
    """The words of ``text``."""
    return _WORD.findall(text)


def abbreviations(text: str) -> list[str]:
    """The abbreviations in ``text``, in order (an abbreviation used twice is listed twice)."""
    found = []
    for word in words(_clean(text)):
        # ʻ, digits and hyphens are not capitals: "Oʻzbekiston" has one, "COVID-19" five.
        capitals = _capital_run(word)
        if sum(c.isupper() for c in capitals) >= 2:
            found.append(capitals)
    return found


def _capital_run(word: str) -> str:
    """The capitals at the start of ``word``, with the second letters of digraphs between them."""
    at = 0
    while at < len(word) and word[at].isalpha() and word[at].isupper():
        pair, after = word[at : at + 2], word[at + 2 : at + 3]
        # A digraph belongs to the run when a capital follows it, or it ends a word that began with capitals.
        if pair in _DIGRAPHS and ((after.isalpha() and after.isupper()) or (at and not after.isalpha())):
            at += 2
        else:
            at += 1
    return word[:at]


def allowed_abbreviations(glossary: Path) -> frozenset[str]:
    """The abbreviations a glossary allows bare (the first column of the table under ``ALLOWED_HEADING``)."""
    if not glossary.is_file():
        return frozenset()
    allowed: set[str] = set()
    inside = False
    for line in glossary.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            inside = line.strip() == ALLOWED_HEADING
            continue
        if inside and line.startswith("|"):
            cell = line.strip("|").split("|")[0].strip().strip("`")
            if cell and not set(cell) <= set("-: ") and cell.lower() != "abbreviation":
                allowed.add(cell)
    return frozenset(allowed)


def allowed_for(root: Path, code: str) -> tuple[frozenset[str], str]:
    """The abbreviations ``code`` allows bare, and the glossary that lists them.

    A derived language's are its source's, converted (``glossary.uz.md``'s BMT allows БМТ in uz-Cyrl), and any
    its own glossary adds.
    """
    allowed = set(allowed_abbreviations(root / "source" / f"glossary.{code}.md"))
    where = f"glossary.{code}.md"
    if (rule := read_derivation(root, code)) is not None:
        # Both forms: names and the licence (GIZ, CC BY-NC) stay in Latin letters in the converted text.
        for abbreviation in allowed_abbreviations(root / "source" / f"glossary.{rule.source}.md"):
            allowed |= {abbreviation, rule.convert(abbreviation)}
        where = f"glossary.{rule.source}.md (transliterated)"
    return frozenset(allowed), where


@dataclass
class Readability:
    """Figures for many texts together, and the places of what breaks the rules."""

    sentences: int = 0
    long: int = 0
    longest: int = 0
    longest_where: str = ""
    too_long: list[tuple[str, int, str]] = field(default_factory=list)  # (where, words, sentence)
    unlisted: list[tuple[str, str]] = field(default_factory=list)  # (where, abbreviation)

    @property
    def long_share(self) -> float:
        return self.long / self.sentences if self.sentences else 0.0

    def add(self, where: str, text: str, allowed: frozenset[str]) -> None:
        for sentence in sentences(text):
            count = len(words(sentence))
            self.sentences += 1
            self.long += count > LONG_SENTENCE_WORDS
            if count > self.longest:
                self.longest, self.longest_where = count, where
            if count > MAX_SENTENCE_WORDS:
                self.too_long.append((where, count, sentence))
        self.unlisted.extend((where, a) for a in abbreviations(text) if a not in allowed)


def measure(texts: Iterable[tuple[str, str]], allowed: frozenset[str]) -> Readability:
    """Measure ``(where, text)`` pairs against one language's allowed abbreviations."""
    figures = Readability()
    for where, text in texts:
        figures.add(where, text, allowed)
    return figures


def _strings(node: object, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            if key not in {"id", "url", "urls", "protect_content"}:
                yield from _strings(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            label = value.get("id", index) if isinstance(value, dict) else index
            yield from _strings(value, f"{path}[{label}]")


def _main(argv: list[str]) -> int:
    """Print a language's figures from its YAML files: ``python -m bot.languages.readability kk [content-dir]``.

    A derived language (``uz-Cyrl``) is measured in its source's files, converted, against its source's
    allowed list, converted.
    """
    import yaml

    code = argv[0]
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[2] / "content"
    rule = read_derivation(root, code)
    source = rule.source if rule else code
    allowed, _ = allowed_for(root, code)
    texts: list[tuple[str, str]] = []
    for path in sorted((root / source).glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if rule:
            data = transliterated(data, rule.convert)
        texts.extend((f"{path.stem}:{where}", text) for where, text in _strings(data, ""))
    figures = measure(texts, allowed)
    print(
        f"{code}: {figures.sentences} sentences, {figures.long} over {LONG_SENTENCE_WORDS} words "
        f"({figures.long_share:.1%}), longest {figures.longest} words ({figures.longest_where})"
    )
    for where, count, sentence in figures.too_long:
        print(f"  over {MAX_SENTENCE_WORDS}: {where} ({count} words): {sentence[:120]}…")
    unlisted: dict[str, list[str]] = {}
    for where, abbreviation in figures.unlisted:
        unlisted.setdefault(abbreviation, []).append(where)
    for abbreviation, places in sorted(unlisted.items()):
        print(f"  unlisted abbreviation {abbreviation}: {len(places)}× ({', '.join(places[:4])})")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
