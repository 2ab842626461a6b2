"""Pure builders of inline keyboards: content ids go into callback data, titles into labels."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.content import LocaleContent, Section, Theme, native_name
from bot.languages.i18n import Translator
from bot.offline import BRIEF, DownloadChoice
from bot.reading.callbacks import (
    AboutPage,
    ChooseLanguage,
    ForgetConfirm,
    Hide,
    ItemPage,
    Languages,
    Menu,
    Noop,
    OriginalPage,
    Payload,
    Reference,
    SearchHelp,
    SectionPage,
    SetSubscription,
    Subscriptions,
    ThemePage,
    ToggleFrom,
    Unsubscribe,
    Want,
)
from bot.reports import ABOUT_PAGE, ReportKind, ReportPage, ReportSend, ReportWhat

__all__ = [
    "ABOUT_SECTION",
    "GENERAL_TOPIC",
    "Keyboard",
    "PageButtons",
    "about_keyboard",
    "announcement_keyboard",
    "button_to_language",
    "checkbox",
    "confirm_forget_keyboard",
    "download_button",
    "is_topic",
    "language_keyboard",
    "language_name",
    "language_rows",
    "main_menu_keyboard",
    "menu_keyboard",
    "my_subscriptions_keyboard",
    "original_keyboard",
    "report_comment_keyboard",
    "report_kind_labels",
    "report_kinds_keyboard",
    "search_results_keyboard",
    "section_keyboard",
    "subscriptions_keyboard",
    "theme_keyboard",
    "with_row",
]

GENERAL_TOPIC = "general"  # "general announcements": a topic that is not a theme

Row = list[InlineKeyboardButton]


class Keyboard(InlineKeyboardMarkup):
    """An inline keyboard that serialises itself once.

    PTB's objects are immutable after construction, so the JSON-ready dict never changes; screens are
    reused for every reader, and re-serialising a dozen buttons per update was most of a menu's cost.
    """

    __slots__ = ("_as_dict",)

    def to_dict(self, recursive: bool = True) -> dict[str, Any]:
        """The Bot API form of the keyboard, computed on first use."""
        if not recursive:
            return super().to_dict(recursive=False)
        try:
            cached: dict[str, Any] = object.__getattribute__(self, "_as_dict")
        except AttributeError:
            cached = super().to_dict(recursive=True)
            object.__setattr__(self, "_as_dict", cached)
        return cached


class Packable(Protocol):
    """A button payload of any feature: it packs itself into callback data."""

    def pack(self) -> str: ...


def _button(text: str, payload: Packable) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=payload.pack())


def _footer(t: Translator, *, back: InlineKeyboardButton | None = None, menu: bool = True) -> Row:
    row: Row = []
    if back is not None:
        row.append(back)
    if menu:
        row.append(_button(t.gettext("☰ Menu"), Menu()))
    row.append(_button(t.gettext("✕ Hide"), Hide()))
    return row


def checkbox(on: bool) -> str:
    """The mark of a toggle button."""
    return "☑" if on else "☐"


def is_topic(content: LocaleContent, topic: str) -> bool:
    """Whether ``topic`` can be subscribed to: a theme, or general announcements."""
    return topic == GENERAL_TOPIC or content.theme(topic) is not None


def my_subscriptions_keyboard(t: Translator) -> Keyboard:
    """One button that opens the subscription checklist."""
    return Keyboard([[_button(t.gettext("🔔 My subscriptions"), Subscriptions())]])


def announcement_keyboard(announcement_id: int, topics: frozenset[str], t: Translator) -> Keyboard:
    """The button under every delivered announcement: leave its topics, or manage subscriptions."""
    if not topics:
        return my_subscriptions_keyboard(t)
    label = (
        t.gettext("🔕 Unsubscribe from this theme")
        if len(topics) == 1
        else t.gettext("🔕 Unsubscribe from these themes")
    )
    return Keyboard([[_button(label, Unsubscribe(announcement_id))]])


def language_name(code: str) -> str:
    """The language's own name for itself, capitalised (``Русский``, ``English``), from CLDR."""
    return native_name(code)


def main_menu_keyboard(content: LocaleContent, t: Translator) -> Keyboard:
    """The themes (content/themes.yaml), then About, Search, My subscriptions, Language, Hide."""
    rows: list[Row] = [[_button(theme.short_title, ThemePage(theme.id))] for theme in content.themes]
    rows.append([_button(t.gettext("ℹ About the brief"), AboutPage(0))])
    rows.append(
        [
            _button(t.gettext("🔍 Search"), SearchHelp()),
            _button(t.gettext("🔔 My subscriptions"), Subscriptions()),
        ]
    )
    rows.append([_button(t.gettext("🌐 Language"), Languages()), _button(t.gettext("✕ Hide"), Hide())])
    return Keyboard(rows)


def menu_keyboard(t: Translator) -> Keyboard:
    """Just Menu and Hide (under short answers)."""
    return Keyboard([_footer(t)])


LANGUAGES_PER_ROW = 3  # seven names side by side would be cut short on a phone


def language_rows(names: Mapping[str, str], current: str) -> list[Row]:
    """One button per shipped language (its name in itself), the current one ticked."""
    buttons = [_button(("✓ " if code == current else "") + name, ChooseLanguage(code)) for code, name in names.items()]
    return [buttons[i : i + LANGUAGES_PER_ROW] for i in range(0, len(buttons), LANGUAGES_PER_ROW)]


def button_to_language(label: str, code: str) -> InlineKeyboardButton:
    """One button choosing language ``code``."""
    return _button(label, ChooseLanguage(code))


def language_keyboard(names: Mapping[str, str], current: str, t: Translator) -> Keyboard:
    """The language picker: every shipped language, then Menu and Hide."""
    return Keyboard([*language_rows(names, current), _footer(t)])


def download_button(subject: str, t: Translator, *, protect: bool) -> InlineKeyboardButton:
    """📄 Download (bot/offline/); a protected subject's button says its file can only be read in Telegram."""
    label = t.gettext("📄 Download (read in Telegram)") if protect else t.gettext("📄 Download")
    return InlineKeyboardButton(label, callback_data=DownloadChoice(subject).pack())


def theme_keyboard(
    theme: Theme, t: Translator, *, subscribed: bool, share: str | None, download: bool = False
) -> Keyboard:
    """One button per section, Download, the subscription toggle, Share, Menu, Hide."""
    rows: list[Row] = [
        [_button(f"{section.short_title} ({len(section.items)})", SectionPage(theme.id, section.id, 0))]
        for section in theme.sections
    ]
    if download:
        rows.append([download_button(theme.id, t, protect=theme.protect_content)])
    toggle = t.gettext("🔕 Unsubscribe") if subscribed else t.gettext("🔔 Subscribe")
    want = Want.UNSUBSCRIBED if subscribed else Want.SUBSCRIBED
    second: Row = [_button(toggle, SetSubscription(theme.id, want, ToggleFrom.THEME))]
    if share:
        second.append(InlineKeyboardButton(t.gettext("↗ Share"), url=share))
    rows.append(second)
    rows.append(_footer(t))
    return Keyboard(rows)


def _pager(to_page: Callable[[int], Payload], page: int, total: int, t: Translator) -> Row:
    row: Row = []
    if page > 0:
        row.append(_button("‹", to_page(page - 1)))
    row.append(_button(t.gettext("page {page}/{total}").format(page=page + 1, total=total), Noop()))
    if page + 1 < total:
        row.append(_button("›", to_page(page + 1)))
    return row


ABOUT_SECTION = "-"  # the section argument of an About page's Original and Report buttons


def _page_tools(where: tuple[str, str], page: int, t: Translator, *, original: bool) -> Row:
    """📖 Original (on a translated page) and ⚠ Report a problem: the reader can always check and say."""
    row: Row = []
    if original:
        row.append(_button(t.gettext("📖 Original"), OriginalPage(*where, page)))
    row.append(_button(t.gettext("⚠ Report a problem"), ReportPage(*where, page)))
    return row


def section_keyboard(
    theme: Theme, section: Section, page: int, total: int, t: Translator, *, share: str | None, original: bool
) -> Keyboard:
    """‹ page › , then Share, then Original and Report, then Back (to the theme), Menu, Hide."""
    rows: list[Row] = []
    if total > 1:
        rows.append(_pager(functools.partial(SectionPage, theme.id, section.id), page, total, t))
    if share:
        rows.append([InlineKeyboardButton(t.gettext("↗ Share"), url=share)])
    rows.append(_page_tools((theme.id, section.id), page, t, original=original))
    rows.append(_footer(t, back=_button(t.gettext("‹ Back"), ThemePage(theme.id))))
    return Keyboard(rows)


def about_keyboard(
    page: int, total: int, t: Translator, *, original: bool, download: bool = False, protect: bool = False
) -> Keyboard:
    """‹ page › for the About view, Original and Report, Download (the whole brief), Menu, Hide."""
    rows: list[Row] = []
    if total > 1:
        rows.append(_pager(AboutPage, page, total, t))
    rows.append(_page_tools((ABOUT_PAGE, ABOUT_SECTION), page, t, original=original))
    if download:
        rows.append([download_button(BRIEF, t, protect=protect)])
    rows.append(_footer(t))
    return Keyboard(rows)


def original_keyboard(
    where: tuple[str, str], page: int, total: int, t: Translator, *, own: str, other: tuple[str, str] | None
) -> Keyboard:
    """Under a page shown in the original: ‹ page ›, back to the reader's language, the other original."""
    theme_id, section_id = where
    rows: list[Row] = []
    if total > 1:
        rows.append(_pager(functools.partial(OriginalPage, *where), page, total, t))
    switch: Row = [_back_to_page(where, page, t, label=f"◂ {own}")]
    if other is not None:
        code, name = other
        switch.append(_button(f"📖 {name}", Reference(code, theme_id, section_id, page)))
    rows.append(switch)
    to_theme = None if theme_id == ABOUT_PAGE else _button(t.gettext("‹ Back"), ThemePage(theme_id))
    rows.append(_footer(t, back=to_theme))
    return Keyboard(rows)


def report_kind_labels(t: Translator) -> dict[ReportKind, str]:
    """What a reader can say is wrong with a page, in ``t``'s language (buttons, and the admins' message)."""
    return {
        ReportKind.TRANSLATION: t.gettext("Translation is wrong"),
        ReportKind.UNCLEAR: t.gettext("Hard to understand"),
        ReportKind.TYPO: t.gettext("Typo"),
        ReportKind.OTHER: t.gettext("Something else"),
    }


def report_kinds_keyboard(where: tuple[str, str], page: int, t: Translator) -> Keyboard:
    """What is wrong with the page: four answers, and back to the page."""
    labels = report_kind_labels(t)
    buttons = [_button(label, ReportWhat(kind.value, *where, page)) for kind, label in labels.items()]
    return Keyboard([buttons[:2], buttons[2:], [_back_to_page(where, page, t)]])


def report_comment_keyboard(where: tuple[str, str], page: int, t: Translator) -> Keyboard:
    """Send the report now without a comment, or give up and go back to the page."""
    return Keyboard(
        [
            [_button(t.gettext("Send without a comment"), ReportSend())],
            [_back_to_page(where, page, t, label=t.gettext("Cancel"))],
        ]
    )


def _back_to_page(
    where: tuple[str, str], page: int, t: Translator, *, label: str | None = None
) -> InlineKeyboardButton:
    theme_id, section_id = where
    text = label or t.gettext("‹ Back")
    if theme_id == ABOUT_PAGE:
        return _button(text, AboutPage(page))
    return _button(text, SectionPage(theme_id, section_id, page))


def search_results_keyboard(targets: Sequence[tuple[str, str, str]], t: Translator) -> Keyboard:
    """One button per hit: (label, theme id, item id) opens the page holding it."""
    rows: list[Row] = [[_button(label, ItemPage(theme_id, item_id))] for label, theme_id, item_id in targets]
    rows.append(_footer(t))
    return Keyboard(rows)


def subscriptions_keyboard(content: LocaleContent, subscribed: frozenset[str], t: Translator) -> Keyboard:
    """A checklist of the themes and general announcements, toggled in place."""

    def tick(topic: str, label: str) -> Row:
        on = topic in subscribed
        want = Want.UNSUBSCRIBED if on else Want.SUBSCRIBED  # the state a tap asks for, not a flip
        return [_button(f"{checkbox(on)} {label}", SetSubscription(topic, want, ToggleFrom.CHECKLIST))]

    rows: list[Row] = [tick(theme.id, theme.short_title) for theme in content.themes]
    rows.append(tick(GENERAL_TOPIC, t.gettext("General announcements")))
    rows.append(_footer(t))
    return Keyboard(rows)


def confirm_forget_keyboard(t: Translator) -> Keyboard:
    """Erase or keep."""
    return Keyboard(
        [
            [_button(t.gettext("Yes, erase my data"), ForgetConfirm())],
            [_button(t.gettext("No, keep it"), Menu())],
        ]
    )


class PageButtons(Protocol):
    """A row a feature adds to the reading screens (the help directory's "where to get help"); an empty row
    adds nothing. Handed in by the composition root, so these screens import no feature."""

    def menu_row(self, code: str) -> list[InlineKeyboardButton]:
        """Under the themes of the main menu."""

    def theme_row(self, code: str, theme_id: str) -> list[InlineKeyboardButton]:
        """Above the footer of a theme's first screen."""

    def page_row(self, code: str, theme_id: str, section_id: str) -> list[InlineKeyboardButton]:
        """Above the footer of a section's page."""


def with_row(keyboard: InlineKeyboardMarkup, row: list[InlineKeyboardButton], at: int = -1) -> Keyboard:
    """``keyboard`` with ``row`` inserted before row ``at`` (the footer by default); unchanged for no row."""
    rows = [list(r) for r in keyboard.inline_keyboard]
    if row:
        rows.insert(at if at >= 0 else len(rows) + at + 1, row)
    return Keyboard(rows)
