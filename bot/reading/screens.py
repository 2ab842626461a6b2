"""Every reading view as a ``Screen`` (HTML text + keyboard), built from content and translations only: each is
built once per language and ids (and a flag such as "subscribed") and reused, so navigation is a dictionary look-up.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from telegram import InlineKeyboardMarkup

from bot.languages.discovery import REFERENCE_LANGUAGE, reference_choices
from bot.languages.i18n import N_, I18n, Translator
from bot.offline import BRIEF
from bot.reading import deeplinks
from bot.reading.deeplinks import DeepLink
from bot.reading.keyboards import (
    ABOUT_SECTION,
    Keyboard,
    PageButtons,
    about_keyboard,
    button_to_language,
    confirm_forget_keyboard,
    language_keyboard,
    language_rows,
    main_menu_keyboard,
    menu_keyboard,
    original_keyboard,
    report_comment_keyboard,
    report_kinds_keyboard,
    search_results_keyboard,
    section_keyboard,
    subscriptions_keyboard,
    theme_keyboard,
    with_row,
)
from bot.reading.library import Library
from bot.reading.pages import Page
from bot.reading.render import main_menu_html, section_page_html, snippet, theme_html
from bot.reading.search import QueryProblem, SearchIndex, check_query, normalize, without_lone_surrogates
from bot.reports import ABOUT_PAGE
from bot.telegram.limits import BUTTON_TEXT_MAX, SEARCH_RESULTS_MAX

__all__ = ["Screen", "Screens"]

HELP_PRIVACY = N_(
    "The bot keeps only your Telegram id, language and subscriptions: no names and no messages. "
    "The ✕ Hide button removes a message from this chat."
)

SEARCH_CACHE_SIZE = 1024  # recent queries per process; each entry is one rendered result screen
# Only ids that exist are cached (checked first); the bound is a second line of defence against unchecked keys.
SCREEN_CACHE_SIZE = 4096
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Screen:
    """A rendered view: HTML text, its keyboard, and whether Telegram must forbid forwarding it."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None
    protect: bool = False


def _memo(function: F, size: int = SCREEN_CACHE_SIZE) -> F:
    return lru_cache(maxsize=size)(function)  # type: ignore[return-value]


class Screens:
    """Builds and remembers every screen; one instance per running bot."""

    def __init__(
        self,
        library: Library,
        i18n: I18n,
        search: SearchIndex,
        bot_username: str | None,
        downloads: frozenset[str] = frozenset(),
        extras: PageButtons | None = None,
        commands: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.library = library
        self.commands = tuple(commands)  # (``/name``, untranslated /help line): bot/commands.py help_lines()
        self.downloads = downloads  # what readers may download (bot/offline/): theme ids and "brief"
        self.extras = extras
        self.i18n = i18n
        self._search = search
        self.username = bot_username
        # Each language by its own name, in the picker's order (the region's languages, Russian, English).
        self.names = {code: library.locale(code).name for code in library.content.codes if code in i18n.languages}
        self.main_menu = _memo(self._main_menu)
        # Ids from deep links and callback data are checked before these caches see them (theme, section,
        # about): a forged id gets None from a dictionary look-up and leaves nothing behind.
        self._theme_cache = _memo(self._theme)
        self._section_cache = _memo(self._section)
        self._about_cache = _memo(self._about)
        self.language = _memo(self._language)
        self.search_help = _memo(self._search_help)
        self.help = _memo(self._help)
        self.forget = _memo(self._forget)
        self.search = _memo(self._search_results, SEARCH_CACHE_SIZE)
        # Keyed by ids checked first (original(), report_kinds()): only real pages are ever cached.
        self._original = _memo(self._original_screen)
        self._report_kinds = _memo(self._report_kinds_screen)

    def t(self, code: str) -> Translator:
        """The translator for ``code``."""
        return self.i18n.get(code)

    def _share(self, link: DeepLink, title: str) -> str | None:
        if not self.username:
            return None
        return deeplinks.share_url(deeplinks.start_url(self.username, link), title)

    # ----------------------------------------------------------------------------------------- reading

    def _main_menu(self, code: str, offer_languages: bool) -> Screen:
        """The main menu; on first contact it also offers the language picker."""
        t = self.t(code)
        content = self.library.locale(code)
        text = main_menu_html(content, t)
        keyboard: Keyboard = main_menu_keyboard(content, t)
        if self.extras is not None:
            keyboard = with_row(keyboard, self.extras.menu_row(code), at=len(content.themes))
        if offer_languages:
            # Readers of a language another is derived from (uz, whose readers may read Cyrillic better) see
            # that one offered on a line of its own, in its own words, above the picker.
            offers = [
                [button_to_language(loc.offer, loc.code)]
                for loc in self.library.content.locales.values()
                if loc.derived_from == code and loc.offer and loc.code in self.names
            ]
            keyboard = Keyboard([*offers, *language_rows(self.names, code), *keyboard.inline_keyboard])
            text += "\n\n" + html.escape(t.gettext("Choose your language:"))
        return Screen(text, keyboard)

    def with_note(self, screen: Screen, note: str) -> Screen:
        """``screen`` with an italic note above it."""
        return Screen(f"<i>{html.escape(note)}</i>\n\n{screen.text}", screen.keyboard, screen.protect)

    def theme(self, code: str, theme_id: str, subscribed: bool) -> Screen | None:
        """A theme's page, or None for an unknown theme."""
        if self.library.theme(code, theme_id) is None:
            return None
        return self._theme_cache(code, theme_id, subscribed)

    def _theme(self, code: str, theme_id: str, subscribed: bool) -> Screen | None:
        """A theme's page with one button per section."""
        theme = self.library.theme(code, theme_id)
        if theme is None:
            return None
        t = self.t(code)
        share = self._share(DeepLink(theme.id), theme.title)
        keyboard = theme_keyboard(theme, t, subscribed=subscribed, share=share, download=theme.id in self.downloads)
        if self.extras is not None:
            keyboard = with_row(keyboard, self.extras.theme_row(code, theme.id))
        return Screen(theme_html(theme, t, subscribed), keyboard, protect=theme.protect_content)

    def section(self, code: str, theme_id: str, section_id: str, page: int) -> Screen | None:
        """One page of a section, or None when there is no such section or page."""
        if not 0 <= page < len(self.library.pages(code, theme_id, section_id)):
            return None
        return self._section_cache(code, theme_id, section_id, page)

    def _section(self, code: str, theme_id: str, section_id: str, page: int) -> Screen | None:
        """One page of a section."""
        theme = self.library.theme(code, theme_id)
        section = theme.section(section_id) if theme else None
        pages = self.library.pages(code, theme_id, section_id)
        if theme is None or section is None or not 0 <= page < len(pages):
            return None
        t = self.t(code)
        share = self._share(DeepLink(theme.id, section_id=section.id), f"{theme.short_title}: {section.title}")
        keyboard = section_keyboard(
            theme, section, page, len(pages), t, share=share, original=bool(reference_choices(code))
        )
        if self.extras is not None:
            keyboard = with_row(keyboard, self.extras.page_row(code, theme.id, section.id))
        return Screen(section_page_html(theme, section, pages[page], t), keyboard, protect=theme.protect_content)

    def original(self, code: str, reference: str, theme_id: str, section_id: str, page: int) -> Screen | None:
        """Page ``page`` of a translated section (or of About) with the same items in ``reference``."""
        if reference not in reference_choices(code) or self.library.locale(code).code != code:
            return None
        if not self._page_exists(code, theme_id, section_id, page):
            return None
        return self._original(code, reference, theme_id, section_id, page)

    def _original_screen(self, code: str, reference: str, theme_id: str, section_id: str, page: int) -> Screen:
        t = self.t(code)
        choices = reference_choices(code)
        other = next(((c, self.names[c]) for c in choices if c != reference and c in self.names), None)
        where = (theme_id, section_id)
        if theme_id == ABOUT_PAGE:
            pages = self.library.about_pages(reference, self.t(reference))
            total = len(self.library.about_pages(code, t))
            note = self._original_note(t, reference)
            text = f"<i>{html.escape(note)}</i>\n\n{pages[min(page, len(pages) - 1)]}"
            keyboard = original_keyboard(where, page, total, t, own=self.names[code], other=other)
            return Screen(text, keyboard)
        theme, section = self.library.place(reference, theme_id, section_id) or (None, None)
        own_pages = self.library.pages(code, theme_id, section_id)
        assert theme is not None and section is not None  # every locale has the English structure
        entries = tuple(
            entry
            for own in own_pages[page].entries
            if (entry := self.library.entry(reference, theme_id, own.item_id)) is not None
        )
        text = section_page_html(
            theme, section, Page(number=page, entries=entries), t, note=self._original_note(t, reference)
        )
        keyboard = original_keyboard(where, page, len(own_pages), t, own=self.names[code], other=other)
        return Screen(text, keyboard, protect=theme.protect_content)

    @staticmethod
    def _original_note(t: Translator, reference: str) -> str:
        if reference == REFERENCE_LANGUAGE:
            return t.gettext("📖 The brief's original text, in English:")
        return t.gettext("📖 The same page in Russian:")

    # ----------------------------------------------------------------------------------------- reports

    def report_kinds(self, code: str, theme_id: str, section_id: str, page: int) -> Screen | None:
        """Ask what is wrong with a page (None if there is no such page)."""
        if not self._page_exists(code, theme_id, section_id, page):
            return None
        return self._report_kinds(code, theme_id, section_id, page)

    def _report_kinds_screen(self, code: str, theme_id: str, section_id: str, page: int) -> Screen:
        t = self.t(code)
        text = t.gettext("What is wrong with this page? Your report goes to the bot's team; the bot keeps nothing.")
        return Screen(html.escape(text), report_kinds_keyboard((theme_id, section_id), page, t))

    def report_comment(self, code: str, theme_id: str, section_id: str, page: int) -> Screen:
        """Invite a short comment (the page exists: the reader just chose what is wrong with it)."""
        t = self.t(code)
        text = t.gettext(
            "Thank you. If you like, send a short comment now as a message: what is wrong, and how it should "
            "read. Or send the report without a comment."
        )
        return Screen(html.escape(text), report_comment_keyboard((theme_id, section_id), page, t))

    def page_items(self, code: str, theme_id: str, section_id: str, page: int) -> tuple[str, ...] | None:
        """Ids of the items on a page (empty for an About page); None if there is no such page."""
        if not self._page_exists(code, theme_id, section_id, page):
            return None
        if theme_id == ABOUT_PAGE:
            return ()
        return tuple(e.item_id for e in self.library.pages(code, theme_id, section_id)[page].entries)

    def page_screen(self, code: str, theme_id: str, section_id: str, page: int) -> Screen | None:
        """The page itself (a section page, or an About page)."""
        if theme_id == ABOUT_PAGE:
            return self.about(code, page) if section_id == ABOUT_SECTION else None
        return self.section(code, theme_id, section_id, page)

    def _page_exists(self, code: str, theme_id: str, section_id: str, page: int) -> bool:
        if theme_id == ABOUT_PAGE:
            return section_id == ABOUT_SECTION and 0 <= page < len(self.library.about_pages(code, self.t(code)))
        return 0 <= page < len(self.library.pages(code, theme_id, section_id))

    def item(self, code: str, theme_id: str, item_id: str) -> Screen | None:
        """The page holding one item."""
        where = self.library.locate(code, theme_id, item_id)
        if where is None:
            return None
        return self.section(code, where.theme_id, where.section_id, where.page)

    def about(self, code: str, page: int) -> Screen | None:
        """A page of About, or None past the last one."""
        if not 0 <= page < len(self.library.about_pages(code, self.t(code))):
            return None
        return self._about_cache(code, page)

    def _about(self, code: str, page: int) -> Screen | None:
        """The attribution, background and licence, paginated."""
        t = self.t(code)
        pages = self.library.about_pages(code, t)
        if not 0 <= page < len(pages):
            return None
        # The whole brief's file holds every downloadable theme: protected when any of them is.
        download = BRIEF in self.downloads
        protect = any(th.protect_content for th in self.library.locale(code).themes if th.id in self.downloads)
        keyboard = about_keyboard(
            page, len(pages), t, original=bool(reference_choices(code)), download=download, protect=protect
        )
        return Screen(pages[page], keyboard)

    def _language(self, code: str) -> Screen:
        """The language picker."""
        t = self.t(code)
        return Screen(html.escape(t.gettext("Choose your language:")), language_keyboard(self.names, code, t))

    # ----------------------------------------------------------------------------------------- search

    def _search_help(self, code: str) -> Screen:
        """How to search."""
        t = self.t(code)
        text = t.gettext(
            "Send me a few words and I will find them in the brief, for example: {example}. "
            "You can also type /search followed by the words."
        ).format(example=t.gettext("violence"))
        return Screen(html.escape(text), menu_keyboard(t))

    def search_for(self, code: str, query: str) -> Screen:
        """Search results for ``query``, or a clear word on why there are none."""
        query = without_lone_surrogates(query)
        problem = check_query(query)
        t = self.t(code)
        if problem is None:
            # Queries differing only in case, "ё" or spacing share one cached answer. A query typed in the
            # other script of the reader's language is transliterated first, before "ё" is folded into "е".
            typed = self._search.in_script_of(code, query)
            found = self.search(code, " ".join(normalize(typed).split()))
            if found is not None:
                return found
            # Not cached: it echoes the query as the reader typed it.
            text = t.gettext("Nothing found for “{query}”. Try other words, or open a theme:").format(
                query=" ".join(query.split())
            )
            return Screen(html.escape(text), main_menu_keyboard(self.library.locale(code), t))
        if problem is QueryProblem.EMPTY:
            return self.search_help(code)
        if problem is QueryProblem.TOO_LONG:
            return Screen(html.escape(t.gettext("That is too long to search. Send a few words.")), menu_keyboard(t))
        return Screen(
            html.escape(t.gettext("I can only search for words. Send a few words from the brief.")), menu_keyboard(t)
        )

    def _search_results(self, code: str, query: str) -> Screen | None:
        """The results for a normalised ``query``; None when nothing matches."""
        t = self.t(code)
        hits = self._search.search(code, query, SEARCH_RESULTS_MAX)
        if not hits:
            return None
        lines = [html.escape(t.gettext("Found in the brief:"))]
        targets: list[tuple[str, str, str]] = []
        for number, hit in enumerate(hits, start=1):
            place = self.library.place(code, hit.theme_id, hit.section_id)
            if place is None:
                continue
            theme, section = place
            where = f"{theme.short_title} › {section.short_title}"
            lines.append(
                f"\n<b>{number}.</b> <i>{html.escape(where)}</i>\n{html.escape(snippet(hit.text, hit.position))}"
            )
            label = f"{number}. {where}"
            if len(label) > BUTTON_TEXT_MAX:
                label = label[: BUTTON_TEXT_MAX - 1] + "…"
            targets.append((label, hit.theme_id, hit.item_id))
        return Screen("\n".join(lines), search_results_keyboard(targets, t))

    # ----------------------------------------------------------------------------------------- the reader

    def subscriptions(self, code: str, subscribed: frozenset[str]) -> Screen:
        """The subscription checklist."""
        t = self.t(code)
        count = len(subscribed)
        status = (
            t.ngettext("You follow {count} topic.", "You follow {count} topics.", count).format(count=count)
            if count
            else t.gettext("You do not follow any topic yet.")
        )
        intro = t.gettext("Choose what you want to receive. Tap a line to switch it on or off.")
        return Screen(
            html.escape(f"{intro}\n\n{status}"), subscriptions_keyboard(self.library.locale(code), subscribed, t)
        )

    def _forget(self, code: str) -> Screen:
        """Ask before erasing."""
        t = self.t(code)
        text = t.gettext(
            "This erases everything the bot keeps about you: your language and your subscriptions. "
            "You will stop receiving updates. Erase?"
        )
        return Screen(html.escape(text), confirm_forget_keyboard(t))

    def forgotten(self, code: str, subscriptions: int) -> Screen:
        """What was erased."""
        t = self.t(code)
        lines = [
            t.gettext("Done. Your data is erased:"),
            t.gettext("• your language setting"),
            t.ngettext("• {count} subscription", "• {count} subscriptions", subscriptions).format(count=subscriptions),
            t.gettext(
                "The bot no longer knows you. If you use it again, even a button of an old message, it starts "
                "afresh and stores your Telegram id and language again."
            ),
        ]
        return Screen(html.escape("\n".join(lines)))

    def _help(self, code: str) -> Screen:
        """Commands and privacy in a few lines."""
        t = self.t(code)
        lines = [t.gettext(line).format(command=command) for command, line in self.commands]
        return Screen(html.escape("\n".join(lines) + "\n\n" + t.gettext(HELP_PRIVACY)), menu_keyboard(t))
