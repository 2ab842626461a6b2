"""The brief laid out for a file, from the same content, fallback and numbering as the bot's pages; pure.

A ``Document`` is what both renderers (``pdf``, ``webpage``) draw: a cover (title, attribution, licence, the
translation notice, the date of the text and the bot's link), for the whole brief its front matter, then one
chapter per theme with its sections and numbered items. Item texts are the bot's own page HTML (Telegram's
subset: ``b``, ``i``, ``u``, ``a``, line breaks), so a file says exactly what the chat says.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from enum import StrEnum

from babel import Locale, UnknownLocaleError
from babel.dates import format_date

from bot.content import LocaleContent, Theme
from bot.content.markup import to_html
from bot.languages.i18n import Translator
from bot.reading.library import Library
from bot.reading.render import about_blocks

__all__ = ["BRIEF", "Chapter", "Document", "Entry", "Form", "Labels", "Part", "build_document", "text_direction"]

BRIEF = "brief"  # the subject of the whole brief's files (a theme's files have the theme's id)


class Form(StrEnum):
    """The two offline forms."""

    PDF = "pdf"  # A4, to print
    HTML = "html"  # one self-contained page, to read on a phone without a connection


@dataclass(frozen=True, slots=True)
class Entry:
    """One item, numbered as on the bot's pages, with its group's heading where one starts."""

    number: int
    html: str
    group_title: str | None = None


@dataclass(frozen=True, slots=True)
class Part:
    """One section of a theme."""

    id: str
    title: str
    intro: str | None
    entries: tuple[Entry, ...]


@dataclass(frozen=True, slots=True)
class Chapter:
    """One theme: its title, who moderated and contributed, and its sections."""

    id: str
    title: str
    facts: tuple[str, ...]  # plain lines: moderator, countries, number of points
    parts: tuple[Part, ...]


@dataclass(frozen=True, slots=True)
class Labels:
    """The words a file needs around the content, in its language."""

    contents: str
    page: str  # with {page} and {total}
    date_line: str
    link_line: str | None
    unofficial: str | None  # every translated file says it is an unofficial translation


@dataclass(frozen=True, slots=True)
class Document:
    """One offline file's content, before it is drawn."""

    code: str
    subject: str  # a theme id or BRIEF
    title: str
    subtitle: str | None  # the brief's title above a theme's
    notice: str | None  # the translation notice (HTML)
    cover: tuple[str, ...]  # HTML blocks of the title page: attribution and licence
    front_title: str  # the front matter's heading ("About the brief")
    front: tuple[str, ...]  # the brief's front matter (the whole brief only), HTML blocks
    chapters: tuple[Chapter, ...]
    labels: Labels
    date: dt.date
    link: str | None  # https://t.me/<bot>

    @property
    def direction(self) -> str:
        """``ltr`` or ``rtl``, from CLDR."""
        return text_direction(self.code)


def text_direction(code: str) -> str:
    """The writing direction of language ``code`` (CLDR), ``ltr`` when unknown."""
    try:
        return "rtl" if Locale.parse(code.replace("-", "_")).text_direction == "rtl" else "ltr"
    except (ValueError, UnknownLocaleError):
        return "ltr"


def _long_date(day: dt.date, code: str) -> str:
    try:
        return format_date(day, format="long", locale=code.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return day.isoformat()


def _chapter(library: Library, code: str, theme: Theme, t: Translator) -> Chapter:
    parts = []
    for section in theme.sections:
        entries = []
        for item in section.items:
            entry = library.entry(code, theme.id, item.id)
            assert entry is not None  # the library holds every item of every locale
            entries.append(Entry(entry.number, entry.html, entry.group_title))
        parts.append(Part(section.id, section.title, section.intro, tuple(entries)))
    count = theme.item_count
    facts = (
        t.gettext("Moderator: {name}, {country}").format(name=theme.moderator_name, country=theme.moderator_country),
        t.gettext("Contributions from: {countries}").format(countries=", ".join(theme.countries)),
        t.ngettext("{count} point", "{count} points", count).format(count=count),
    )
    return Chapter(theme.id, theme.title, facts, tuple(parts))


def build_document(
    library: Library,
    code: str,
    subject: str,
    t: Translator,
    *,
    date: dt.date,
    username: str | None,
    themes: tuple[str, ...] | None = None,
) -> Document:
    """The file of ``subject`` (a theme id, or BRIEF for the themes ``themes``, all by default) in ``code``."""
    loc: LocaleContent = library.locale(code)
    about = loc.about
    if subject == BRIEF:
        chosen = [theme for theme in loc.themes if themes is None or theme.id in themes]
        title, subtitle = about.title, None
        # The front matter as the bot's About shows it, without its title and notice (the cover has them).
        front = tuple(about_blocks(about, t)[2 if about.translation_notice else 1 :])
    else:
        theme = loc.theme(subject)
        if theme is None:
            raise KeyError(subject)
        chosen = [theme]
        title, subtitle, front = theme.title, about.title, ()
    licence, cite = t.gettext("Licence"), t.gettext("How to cite")
    cover = (
        f"<b>{html.escape(cite)}</b>\n{to_html(about.attribution)}",
        f"<b>{html.escape(licence)}</b>\n{to_html(about.licence_notice)}\n{to_html(about.licence_terms)}\n"
        f'<a href="{html.escape(about.licence_url)}">{html.escape(about.licence_name)}</a>',
    )
    link = f"https://t.me/{username}" if username else None
    labels = Labels(
        contents=t.gettext("Contents"),
        page=t.gettext("page {page}/{total}"),
        date_line=t.gettext("Text as of {date}").format(date=_long_date(date, code)),
        link_line=t.gettext("Read it in Telegram, with updates: {link}").format(link=link) if link else None,
        unofficial=t.gettext("Unofficial translation") if about.translation_notice else None,
    )
    return Document(
        code=loc.code,
        subject=subject,
        title=title,
        subtitle=subtitle,
        notice=to_html(about.translation_notice) if about.translation_notice else None,
        cover=cover,
        front_title=about.short_title,
        front=front,
        chapters=tuple(_chapter(library, loc.code, theme, t) for theme in chosen),
        labels=labels,
        date=date,
        link=link,
    )
