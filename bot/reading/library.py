"""The brief prepared for reading: every section paginated once per locale, and where each item lives."""

from __future__ import annotations

from dataclasses import dataclass

from bot.content import Content, LocaleContent, Section, Theme
from bot.languages.i18n import Translator
from bot.reading.pages import Page, PageEntry, paginate
from bot.reading.render import about_blocks, item_html

__all__ = ["Library", "Location"]


@dataclass(frozen=True, slots=True)
class Location:
    """Where an item is shown."""

    theme_id: str
    section_id: str
    page: int


def _section_pages(section: Section) -> tuple[Page, ...]:
    entries: list[PageEntry] = []
    number = 0
    for group in section.groups:
        for index, item in enumerate(group.items):
            number += 1
            entries.append(
                PageEntry(
                    item_id=item.id,
                    number=number,
                    html=item_html(item, number),
                    group_title=group.title if index == 0 else None,
                )
            )
    lengths = [len(e.html) + (len(e.group_title) + 16 if e.group_title else 0) for e in entries]
    return tuple(Page(number=n, entries=tuple(entries[i] for i in pages)) for n, pages in enumerate(paginate(lengths)))


class Library:
    """Read-only, precomputed views of the content for fast navigation."""

    def __init__(self, content: Content) -> None:
        self.content = content
        self._pages: dict[tuple[str, str, str], tuple[Page, ...]] = {}
        self._locations: dict[tuple[str, str, str], Location] = {}
        self._entries: dict[tuple[str, str, str], PageEntry] = {}
        self._about: dict[str, list[str]] = {}
        for code, loc in content.locales.items():
            for theme in loc.themes:
                for section in theme.sections:
                    pages = _section_pages(section)
                    self._pages[code, theme.id, section.id] = pages
                    for page in pages:
                        for entry in page.entries:
                            self._locations[code, theme.id, entry.item_id] = Location(theme.id, section.id, page.number)
                            self._entries[code, theme.id, entry.item_id] = entry

    def locale(self, code: str) -> LocaleContent:
        """The content in ``code`` (or the default locale)."""
        return self.content.get(code)

    def theme(self, code: str, theme_id: str) -> Theme | None:
        """A theme by id."""
        return self.content.get(code).theme(theme_id)

    def place(self, code: str, theme_id: str, section_id: str) -> tuple[Theme, Section] | None:
        """The theme and section with these ids (e.g. of a search hit), if both exist."""
        theme = self.theme(code, theme_id)
        section = theme.section(section_id) if theme else None
        return (theme, section) if theme is not None and section is not None else None

    def pages(self, code: str, theme_id: str, section_id: str) -> tuple[Page, ...]:
        """The pages of a section (empty if there is no such section)."""
        return self._pages.get((self.content.get(code).code, theme_id, section_id), ())

    def locate(self, code: str, theme_id: str, item_id: str) -> Location | None:
        """Where the item ``item_id`` of ``theme_id`` is shown."""
        return self._locations.get((self.content.get(code).code, theme_id, item_id))

    def entry(self, code: str, theme_id: str, item_id: str) -> PageEntry | None:
        """An item as rendered on its page in ``code`` (numbered, with its group's heading where one starts)."""
        return self._entries.get((self.content.get(code).code, theme_id, item_id))

    def about_pages(self, code: str, t: Translator) -> list[str]:
        """The About view, paginated (labels come from the interface language)."""
        loc = self.content.get(code)
        cached = self._about.get(loc.code)
        if cached is None:
            blocks = about_blocks(loc.about, t)
            cached = ["\n\n".join(blocks[i] for i in r) for r in paginate([len(b) for b in blocks])]
            self._about[loc.code] = cached
        return cached
