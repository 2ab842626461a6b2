"""What the download feature shows: the choice of forms with their sizes, and each file's caption; pure."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton

from bot.languages.i18n import Translator
from bot.offline.callbacks import DownloadFile
from bot.offline.document import BRIEF, Form
from bot.offline.store import OfflineFile
from bot.reading.callbacks import AboutPage, Hide, Menu, ThemePage
from bot.reading.keyboards import Keyboard
from bot.reading.screens import Screen
from bot.telegram.limits import CAPTION_MAX

__all__ = ["NEUTRAL_SUFFIX", "caption", "choice_screen", "kilobytes", "neutral_name"]


def kilobytes(size: int) -> int:
    """A size in whole kilobytes, at least 1."""
    return max(1, round(size / 1024))


def choice_screen(t: Translator, subject: str, title: str, files: dict[Form, OfflineFile], *, protect: bool) -> Screen:
    """ "Download “title”": a PDF to print or a page to read offline, each with its size; then back."""
    lines = [
        t.gettext("Download “{title}” to read without internet or to print.").format(title=title),
        t.gettext("Both files are in your language. Choose one:"),
    ]
    if protect:
        lines.append(t.gettext("🔒 This file can be read in Telegram, but not forwarded or saved."))
    labels = {
        Form.PDF: t.gettext("📄 PDF to print, {size} KB"),
        Form.HTML: t.gettext("📱 Page to read offline, {size} KB"),
    }
    rows = [
        [
            InlineKeyboardButton(
                labels[form].format(size=kilobytes(file.size)), callback_data=DownloadFile(subject, form).pack()
            )
        ]
        for form, file in files.items()
    ]
    back = AboutPage(0) if subject == BRIEF else ThemePage(subject)
    rows.append(
        [
            InlineKeyboardButton(t.gettext("‹ Back"), callback_data=back.pack()),
            InlineKeyboardButton(t.gettext("☰ Menu"), callback_data=Menu().pack()),
            InlineKeyboardButton(t.gettext("✕ Hide"), callback_data=Hide().pack()),
        ]
    )
    return Screen(html.escape("\n\n".join(lines)), Keyboard(rows), protect=protect)


NEUTRAL_SUFFIX = ":neutral"  # the file_id key of a file uploaded under its neutral name


def neutral_name(file: OfflineFile) -> str:
    """The file's name for a reader in discreet mode: the same for every theme (``brief.pdf``)."""
    return f"brief.{file.form.value}"


def caption(t: Translator, title: str | None, form: Form, *, protect: bool) -> str:
    """What the file is, and whether it can be passed on (HTML, within Telegram's caption limit); without a
    title (a reader in discreet mode) it names no theme."""
    if title is None:
        what = t.gettext("📄 Your file.")
    else:
        what = (
            t.gettext("{title}: a PDF to print on A4 paper (two pages per sheet also work).")
            if form is Form.PDF
            else t.gettext("{title}: a page to read without internet. Open it in your phone's browser.")
        ).format(title=title)
    share = (
        t.gettext("It can be read here in Telegram, but not forwarded or saved.")
        if protect
        else t.gettext("You can share this file with others.")
    )
    text = f"{what}\n{share}"
    if len(text) > CAPTION_MAX:
        text = text[: CAPTION_MAX - 1] + "…"
    return html.escape(text)
