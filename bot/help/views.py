"""The help feature's screens and buttons, pure: from the directory, the "staying safe" texts and a translator.

Every directory screen is sent protected (no forwarding or saving), as the GBV theme is: a list of violence
helplines on someone's phone says what they looked for. Phone numbers are plain text (+E.164 or the short
national number), which Telegram turns into tappable links.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass

from telegram import InlineKeyboardButton

from bot.help.callbacks import (
    AnnouncementHide,
    AnnouncementOpen,
    Countries,
    CountryList,
    DiscreetToggle,
    HelpPayload,
    OpenHelp,
    RememberCountry,
    ReportList,
    StayingSafe,
)
from bot.help.directory import Country, Directory, Entry, Kind
from bot.languages.i18n import I18n, Translator
from bot.reading.callbacks import Hide, Menu
from bot.reading.keyboards import Keyboard, checkbox
from bot.reading.screens import Screen

__all__ = [
    "COUNTRIES_PER_ROW",
    "HelpButtons",
    "HelpViews",
    "kind_labels",
    "neutral_keyboard",
    "neutral_text",
]

COUNTRIES_PER_ROW = 2
Row = list[InlineKeyboardButton]


def _button(text: str, payload: HelpPayload) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=payload.pack())


def _footer(t: Translator) -> Row:
    return [
        InlineKeyboardButton(t.gettext("☰ Menu"), callback_data=Menu().pack()),
        InlineKeyboardButton(t.gettext("✕ Hide"), callback_data=Hide().pack()),
    ]


def kind_labels(t: Translator) -> dict[Kind, str]:
    """What each kind of entry is, in ``t``'s language."""
    return {
        Kind.EMERGENCY: t.gettext("Emergency services"),
        Kind.POLICE: t.gettext("Police"),
        Kind.GBV_HOTLINE: t.gettext("Violence helpline"),
        Kind.CRISIS_CENTRE: t.gettext("Crisis centre or shelter"),
        Kind.LEGAL_AID: t.gettext("Free legal aid"),
        Kind.DEFENDERS: t.gettext("Help for human rights defenders"),
        Kind.DIGITAL_SECURITY: t.gettext("Digital security help"),
    }


def neutral_text(t: Translator) -> str:
    """What a reader in discreet mode sees of an announcement until they tap: no theme, no word of it."""
    return html.escape(t.gettext("📬 New message — tap to open"))


def neutral_keyboard(announcement_id: int, t: Translator) -> Keyboard:
    """The one button under a neutral message."""
    return Keyboard([[_button(t.gettext("📖 Open"), AnnouncementOpen(announcement_id))]])


def collapse_keyboard(announcement_id: int, media: int, t: Translator, below: Keyboard | None) -> Keyboard:
    """Under an opened announcement: Hide (back to the neutral text), then the announcement's own buttons."""
    rows: list[Row] = [[_button(t.gettext("✕ Hide"), AnnouncementHide(announcement_id, media))]]
    if below is not None:
        rows.extend(list(row) for row in below.inline_keyboard)
    return Keyboard(rows)


@dataclass(frozen=True, slots=True)
class HelpButtons:
    """The buttons other screens carry into this feature (handed to ``Screens`` by the composition root)."""

    directory: Directory
    i18n: I18n

    def menu_row(self, code: str) -> list[InlineKeyboardButton]:
        """In the main menu."""
        return [_button(self.i18n.get(code).gettext("🆘 Where to get help"), OpenHelp())]

    def page_row(self, code: str, theme_id: str, section_id: str) -> list[InlineKeyboardButton]:
        """At the end of a GBV page or a "safety of activists" page; nothing elsewhere."""
        return self.menu_row(code) if self.directory.on_page(theme_id, section_id) else []

    def theme_row(self, code: str, theme_id: str) -> list[InlineKeyboardButton]:
        """On the first screen of the GBV theme: where to get help, and discreet mode (the safety page)."""
        if theme_id not in self.directory.themes:
            return []
        t = self.i18n.get(code)
        return [*self.menu_row(code), _button(t.gettext("🛡 Discreet mode"), StayingSafe())]


class HelpViews:
    """Builds the help screens for one running bot."""

    def __init__(self, directory: Directory, i18n: I18n, staying_safe: Mapping[str, str]) -> None:
        self.directory = directory
        self.i18n = i18n
        self._staying_safe = staying_safe  # language -> the page's HTML, already resolved with fallbacks

    def countries(self, code: str) -> Screen:
        """Choose a country (one tap from the menu)."""
        t = self.i18n.get(code)
        buttons = [_button(c.name(code), CountryList(c.code)) for c in self.directory.countries]
        rows: list[Row] = [buttons[i : i + COUNTRIES_PER_ROW] for i in range(0, len(buttons), COUNTRIES_PER_ROW)]
        rows.append([_button(t.gettext("🛡 Staying safe"), StayingSafe())])
        rows.append(_footer(t))
        title = t.gettext("🆘 Where to get help")
        text = f"<b>{html.escape(title)}</b>\n\n" + html.escape(
            t.gettext(
                "Choose a country. The list has phone numbers of services that help, checked from public sources."
            )
        )
        return Screen(text, Keyboard(rows), protect=True)

    def country(self, code: str, country: Country, remembered: bool) -> Screen:
        """One country's entries, each one short block (the second tap)."""
        t = self.i18n.get(code)
        labels = kind_labels(t)
        title = t.gettext("🆘 Where to get help")
        blocks = [f"<b>{html.escape(title)}: {html.escape(country.name(code))}</b>"]
        if not country.entries:
            blocks.append(
                html.escape(
                    t.gettext(
                        "We have not found a number for this country that we could check. "
                        "Look at the international list, or ask a local organisation you trust."
                    )
                )
            )
        blocks.extend(self._entry(entry, code, t, labels) for entry in country.entries)
        remember = t.gettext("📌 Forget my country") if remembered else t.gettext("📌 Remember this country")
        rows: list[Row] = [
            [_button(t.gettext("⚠ Report a problem"), ReportList(country.code))],
            [_button(remember, RememberCountry(country.code))],
            [_button(t.gettext("‹ Countries"), Countries()), _button(t.gettext("🛡 Staying safe"), StayingSafe())],
            _footer(t),
        ]
        return Screen("\n\n".join(blocks), Keyboard(rows), protect=True)

    @staticmethod
    def _entry(entry: Entry, code: str, t: Translator, labels: Mapping[Kind, str]) -> str:
        name, kind = entry.name(code), labels[entry.kind]
        heading = f"<b>{html.escape(name)}</b>"
        if kind.casefold() != name.casefold():  # "Police · Police" says nothing twice
            heading += f" · <i>{html.escape(kind)}</i>"
        lines = [heading, html.escape(entry.purpose(code))]
        if entry.phone:
            lines.append(f"📞 {html.escape(entry.phone)}")  # plain: Telegram makes it a tappable number
        if entry.email:
            lines.append(f"✉ {html.escape(entry.email)}")
        if entry.url:
            lines.append(f'🔗 <a href="{html.escape(entry.url)}">{html.escape(_host(entry.url))}</a>')
        hours = entry.hours_in(code)
        details = [f"🕐 {hours}"] if hours else []
        if entry.free:
            details.append(t.gettext("free"))
        if details:
            lines.append(html.escape(" · ".join(details)))
        if entry.languages:
            lines.append("🗣 " + html.escape(", ".join(entry.languages)))
        checked = t.gettext("checked on {date}").format(date=entry.checked.isoformat())
        source = t.gettext("source")
        lines.append(
            f'<i>{html.escape(checked)}</i> · <a href="{html.escape(entry.sources[0])}">{html.escape(source)}</a>'
        )
        return "\n".join(lines)

    def staying_safe(self, code: str, discreet: bool) -> Screen:
        """What Hide, /forget, protected themes and discreet mode do and do not do; the discreet switch."""
        t = self.i18n.get(code)
        explain = t.gettext(
            "Discreet mode: announcements arrive as “📬 New message — tap to open”, so their words do not show "
            "on the lock screen or in the chat list."
        )
        text = f"{self._staying_safe[code]}\n\n<i>{html.escape(explain)}</i>"
        discreet_label = t.gettext("🛡 Discreet mode")
        rows: list[Row] = [
            [_button(f"{checkbox(discreet)} {discreet_label}", DiscreetToggle())],
            [_button(t.gettext("🆘 Where to get help"), OpenHelp())],
            _footer(t),
        ]
        return Screen(text, Keyboard(rows), protect=True)

    def report_html(self, country: Country, language: str, t: Translator) -> str:
        """The admins' message: which list a reader says has a number that does not work."""
        title = t.gettext("A reader says a number in the help list does not work: {country}").format(
            country=f"{country.name(t.code)} ({country.code})"
        )
        where = t.gettext("Language: {language}").format(language=language)
        return f"<b>⚠ {html.escape(title)}</b>\n{html.escape(where)}\n<code>content/help.yaml</code>"


def _host(url: str) -> str:
    """``www.example.org`` of a URL: short enough for a phone, and says where the link goes."""
    return url.split("://", 1)[-1].split("/", 1)[0]
