"""The content's tiny markup (``**bold**``) turned into Telegram HTML, everything else escaped."""

from __future__ import annotations

import html
import re

__all__ = ["MarkupError", "plain", "to_html"]

_BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)


class MarkupError(ValueError):
    """The text's ``**`` markers do not pair up."""


def to_html(text: str) -> str:
    """Escape ``text`` for Telegram's HTML parse mode and turn ``**bold**`` into ``<b>bold</b>``."""
    escaped = html.escape(text, quote=False)
    converted = _BOLD.sub(r"<b>\1</b>", escaped)
    if "**" in converted:
        raise MarkupError("unpaired ** bold marker")
    return converted


def plain(text: str) -> str:
    """Return ``text`` without markup, as a reader sees it."""
    return text.replace("**", "")
