"""Pure functions that turn content and a translator into Telegram HTML texts."""

from __future__ import annotations

import html
from collections.abc import Sequence

from bot.content import About, Item, LocaleContent, Section, Theme
from bot.content.markup import plain, to_html
from bot.content.review import percent
from bot.languages.i18n import Translator
from bot.reading.pages import Page

__all__ = [
    "about_blocks",
    "item_html",
    "main_menu_html",
    "section_page_html",
    "snippet",
    "theme_html",
]

_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _e(text: str) -> str:
    return html.escape(text, quote=False)


def item_html(item: Item, number: int) -> str:
    """One bullet of the brief, numbered within its section, with its footnotes."""
    lines = [f"<b>{number}.</b> {to_html(item.text)}"]
    for index, note in enumerate(item.notes, start=1):
        mark = str(index).translate(_SUPERSCRIPTS)
        parts = [to_html(note.text)] if note.text else []
        if note.url:
            parts.append(f'<a href="{html.escape(note.url)}">{_e(note.url)}</a>')
        lines.append(f"<i>{mark} {' '.join(parts)}</i>")
    if item.translator_note:
        lines.append(f"<i>✎ {to_html(item.translator_note)}</i>")
    return "\n".join(lines)


def section_page_html(theme: Theme, section: Section, page: Page, t: Translator, *, note: str | None = None) -> str:
    """A page of a section: where it is, then its items (with sub-headings where a group starts).

    ``note`` (an italic line above the heading) says when the page is shown in another language.
    """
    parts = [f"<i>{_e(note)}</i>"] if note else []
    parts.append(f"<b>{_e(theme.short_title)}</b> › <b>{_e(section.title)}</b>")
    if page.number == 0 and section.intro:
        parts.append(f"<i>{_e(section.intro)}</i>")
    for entry in page.entries:
        if entry.group_title:
            parts.append(f"<b><u>{_e(entry.group_title)}</u></b>")
        parts.append(entry.html)
    return "\n\n".join(parts)


def theme_html(theme: Theme, t: Translator, subscribed: bool) -> str:
    """A theme's page: full title, moderator, contributing countries and size."""
    count = theme.item_count
    lines = [
        f"<b>{_e(theme.title)}</b>",
        "",
        t.gettext("Moderator: {name}, {country}").format(
            name=_e(theme.moderator_name), country=_e(theme.moderator_country)
        ),
        t.gettext("Contributions from: {countries}").format(countries=_e(", ".join(theme.countries))),
        t.ngettext("{count} point", "{count} points", count).format(count=count),
        "",
        t.gettext("You are subscribed to updates on this theme.")
        if subscribed
        else t.gettext("Subscribe to get updates on this theme."),
        "",
        t.gettext("Choose a section:"),
    ]
    return "\n".join(lines)


def main_menu_html(content: LocaleContent, t: Translator) -> str:
    """The main menu's text: what this is, and the licence in one line."""
    return "\n".join(
        [
            f"<b>{_e(content.about.title)}</b>",
            "",
            t.gettext(
                "Recommendations of 94 feminist and civil society activists from Central Asia. "
                "Choose a theme to read, search, or subscribe to updates."
            ),
            "",
            f"<i>{_e(content.about.licence_notice)}</i>",
            *(
                [_e(t.gettext("An unofficial translation: under every page, 📖 Original shows the reference text."))]
                if content.about.translation_notice
                else []
            ),
        ]
    )


def about_blocks(about: About, t: Translator) -> list[str]:
    """The brief's front matter as HTML blocks, to be paginated."""

    def bullets(lines: Sequence[str]) -> str:
        return "\n".join(f"• {to_html(line)}" for line in lines)

    def labelled(label: str, lines: Sequence[str]) -> str:
        return f"<b>{_e(label)}</b>\n{bullets(lines)}"

    # Labels are translated outside f-strings: the catalogue extractor does not look inside them.
    disclaimer, licence, cite = t.gettext("Disclaimer"), t.gettext("Licence"), t.gettext("How to cite")

    notice = [f"<i>{to_html(about.translation_notice)}</i>"] if about.notice_stays and about.translation_notice else []
    if about.native_checked is not None:
        # Rounded down: 99.6% checked is not "100%", and the notice above stays until it is.
        notice.append(_e(t.gettext("Checked by native speakers: {share}").format(share=percent(about.native_checked))))
    return [
        f"<b>{_e(about.title)}</b>",
        *(["\n".join(notice)] if notice else []),
        f"<b>{_e(about.background_title)}</b>\n{to_html(about.background_text)}\n{bullets(about.topics)}",
        f"{to_html(about.participants)}\n{bullets(about.by_country)}",
        to_html(about.purpose),
        to_html(about.initiative),
        labelled(t.gettext("Authors"), about.authors),
        labelled(t.gettext("Editors"), about.editors),
        labelled(t.gettext("Illustrations"), [about.illustrations]),
        f"<b>{_e(disclaimer)}</b>\n{to_html(about.disclaimer)}",
        f"<b>{_e(licence)}</b>\n{to_html(about.licence_notice)}\n{to_html(about.licence_terms)}\n"
        f'<a href="{html.escape(about.licence_url)}">{_e(about.licence_name)}</a>',
        f"<b>{_e(cite)}</b>\n{to_html(about.attribution)}",
    ]


def snippet(text: str, start: int, width: int = 160) -> str:
    """About ``width`` characters of plain ``text`` around position ``start``, with ellipses."""
    text = plain(text)
    begin = max(0, start - width // 3)
    if begin:
        space = text.rfind(" ", 0, begin + 1)
        begin = space + 1 if space >= 0 else begin
    end = min(len(text), begin + width)
    if end < len(text):
        space = text.rfind(" ", begin, end)
        end = space if space > begin else end
    return ("…" if begin else "") + text[begin:end] + ("…" if end < len(text) else "")
