"""The brief's shape: frozen dataclasses for what is loaded, and the problem type every validation message is
made of (file, YAML path, what is wrong). No I/O here; the theme and section ids are data (``index``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.languages.discovery import FALLBACK_LANGUAGE, REFERENCE_LANGUAGE, order_languages

REFERENCE_LOCALE = REFERENCE_LANGUAGE
FALLBACK_LOCALE = FALLBACK_LANGUAGE
ABOUT_FILE = "about"

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
    """One of the brief's themes (content/themes.yaml lists them)."""

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
    native_checked: float | None = None  # share checked by native speakers (None: English, Russian)

    @property
    def notice_stays(self) -> bool:
        """Whether the translation notice shows: until native speakers have checked every string."""
        return bool(self.translation_notice) and (self.native_checked is None or self.native_checked < 1.0)


@dataclass(frozen=True, slots=True)
class LocaleContent:
    """The whole brief in one language."""

    code: str
    themes: tuple[Theme, ...]
    about: About
    coverage: float = 1.0  # share of strings really translated (partial locales fall back)
    derived_from: str | None = None  # the language this one is transliterated from (uz-Cyrl: uz)
    offer: str | None = None  # in this language: a one-line button offering it to that language's readers

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
    checked: float | None = None  # share checked by a native speaker (None: English, Russian)


@dataclass(frozen=True, slots=True)
class Content:
    """Every locale of the brief, loaded once at start-up."""

    locales: Mapping[str, LocaleContent]
    default: str = FALLBACK_LOCALE

    def get(self, code: str) -> LocaleContent:
        """Return the locale ``code``, or the default one."""
        return self.locales.get(code) or self.locales[self.default]

    @property
    def theme_ids(self) -> tuple[str, ...]:
        """The themes' ids in reading order (``content/themes.yaml``; every locale has them all)."""
        return tuple(t.id for t in self.locales[self.default].themes)

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
                    checked=loc.about.native_checked,
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
