"""Pure builders of inline keyboards: content ids go into callback data, titles into labels."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from babel import Locale
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import Action, pack
from bot.content import LocaleContent, Section, Theme
from bot.i18n import Translator

__all__ = [
    "GENERAL_TOPIC",
    "Keyboard",
    "about_keyboard",
    "announcement_keyboard",
    "checkbox",
    "confirm_forget_keyboard",
    "is_topic",
    "language_keyboard",
    "language_name",
    "main_menu_keyboard",
    "menu_keyboard",
    "my_subscriptions_keyboard",
    "search_results_keyboard",
    "section_keyboard",
    "subscriptions_keyboard",
    "theme_keyboard",
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


def _button(text: str, action: Action, *args: str | int) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=pack(action, *args))


def _footer(t: Translator, *, back: InlineKeyboardButton | None = None, menu: bool = True) -> Row:
    row: Row = []
    if back is not None:
        row.append(back)
    if menu:
        row.append(_button(t.gettext("☰ Menu"), Action.MENU))
    row.append(_button(t.gettext("✕ Hide"), Action.HIDE))
    return row


def checkbox(on: bool) -> str:
    """The mark of a toggle button."""
    return "☑" if on else "☐"


def is_topic(content: LocaleContent, topic: str) -> bool:
    """Whether ``topic`` can be subscribed to: a theme, or general announcements."""
    return topic == GENERAL_TOPIC or content.theme(topic) is not None


def my_subscriptions_keyboard(t: Translator) -> Keyboard:
    """One button that opens the subscription checklist."""
    return Keyboard([[_button(t.gettext("🔔 My subscriptions"), Action.SUBSCRIPTIONS)]])


def announcement_keyboard(announcement_id: int, topics: frozenset[str], t: Translator) -> Keyboard:
    """The button under every delivered announcement: leave its topics, or manage subscriptions."""
    if not topics:
        return my_subscriptions_keyboard(t)
    label = (
        t.gettext("🔕 Unsubscribe from this theme")
        if len(topics) == 1
        else t.gettext("🔕 Unsubscribe from these themes")
    )
    return Keyboard([[_button(label, Action.UNSUBSCRIBE, announcement_id)]])


def language_name(code: str) -> str:
    """The language's own name for itself, capitalised (``Русский``, ``English``)."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def main_menu_keyboard(content: LocaleContent, t: Translator) -> Keyboard:
    """The five themes, then About, Search, My subscriptions, Language, Hide."""
    rows: list[Row] = [[_button(theme.short_title, Action.THEME, theme.id)] for theme in content.themes]
    rows.append([_button(t.gettext("ℹ About the brief"), Action.ABOUT, 0)])
    rows.append(
        [
            _button(t.gettext("🔍 Search"), Action.SEARCH),
            _button(t.gettext("🔔 My subscriptions"), Action.SUBSCRIPTIONS),
        ]
    )
    rows.append([_button(t.gettext("🌐 Language"), Action.LANGUAGES), _button(t.gettext("✕ Hide"), Action.HIDE)])
    return Keyboard(rows)


def menu_keyboard(t: Translator) -> Keyboard:
    """Just Menu and Hide (under short answers)."""
    return Keyboard([_footer(t)])


def language_keyboard(languages: Iterable[str], current: str, t: Translator) -> Keyboard:
    """One button per shipped language, the current one ticked."""
    row = [
        _button(("✓ " if code == current else "") + language_name(code), Action.LANGUAGE, code) for code in languages
    ]
    return Keyboard([row, _footer(t)])


def theme_keyboard(theme: Theme, t: Translator, *, subscribed: bool, share: str | None) -> Keyboard:
    """One button per section, the subscription toggle, Share, Menu, Hide."""
    rows: list[Row] = [
        [_button(f"{section.short_title} ({len(section.items)})", Action.SECTION, theme.id, section.id, 0)]
        for section in theme.sections
    ]
    toggle = t.gettext("🔕 Unsubscribe") if subscribed else t.gettext("🔔 Subscribe")
    second: Row = [_button(toggle, Action.TOGGLE, theme.id, "t")]
    if share:
        second.append(InlineKeyboardButton(t.gettext("↗ Share"), url=share))
    rows.append(second)
    rows.append(_footer(t))
    return Keyboard(rows)


def _pager(action: Action, args: Sequence[str], page: int, total: int, t: Translator) -> Row:
    row: Row = []
    if page > 0:
        row.append(_button("‹", action, *args, page - 1))
    row.append(_button(t.gettext("page {page}/{total}").format(page=page + 1, total=total), Action.NOOP))
    if page + 1 < total:
        row.append(_button("›", action, *args, page + 1))
    return row


def section_keyboard(
    theme: Theme, section: Section, page: int, total: int, t: Translator, *, share: str | None
) -> Keyboard:
    """‹ page › , then Share, then Back (to the theme), Menu, Hide."""
    rows: list[Row] = []
    if total > 1:
        rows.append(_pager(Action.SECTION, (theme.id, section.id), page, total, t))
    if share:
        rows.append([InlineKeyboardButton(t.gettext("↗ Share"), url=share)])
    rows.append(_footer(t, back=_button(t.gettext("‹ Back"), Action.THEME, theme.id)))
    return Keyboard(rows)


def about_keyboard(page: int, total: int, t: Translator) -> Keyboard:
    """‹ page › for the About view, Menu, Hide."""
    rows: list[Row] = []
    if total > 1:
        rows.append(_pager(Action.ABOUT, (), page, total, t))
    rows.append(_footer(t))
    return Keyboard(rows)


def search_results_keyboard(targets: Sequence[tuple[str, str, str]], t: Translator) -> Keyboard:
    """One button per hit: (label, theme id, item id) opens the page holding it."""
    rows: list[Row] = [[_button(label, Action.ITEM, theme_id, item_id)] for label, theme_id, item_id in targets]
    rows.append(_footer(t))
    return Keyboard(rows)


def subscriptions_keyboard(content: LocaleContent, subscribed: frozenset[str], t: Translator) -> Keyboard:
    """A checklist of the five themes and general announcements, toggled in place."""

    def mark(topic: str) -> str:
        return checkbox(topic in subscribed)

    rows: list[Row] = [
        [_button(f"{mark(theme.id)} {theme.short_title}", Action.TOGGLE, theme.id, "S")] for theme in content.themes
    ]
    general = t.gettext("General announcements")
    rows.append(
        [
            _button(
                f"{mark(GENERAL_TOPIC)} {general}",
                Action.TOGGLE,
                GENERAL_TOPIC,
                "S",
            )
        ]
    )
    rows.append(_footer(t))
    return Keyboard(rows)


def confirm_forget_keyboard(t: Translator) -> Keyboard:
    """Erase or keep."""
    return Keyboard(
        [
            [_button(t.gettext("Yes, erase my data"), Action.FORGET_CONFIRM)],
            [_button(t.gettext("No, keep it"), Action.MENU)],
        ]
    )
