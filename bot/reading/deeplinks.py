"""``t.me/<bot>?start=<payload>`` links to a theme, a section or one item, built from content ids; and, for the
admins who read a reader's report, to one page of a section in the reader's language."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from telegram.helpers import create_deep_linked_url

from bot.telegram.limits import DEEP_LINK_PAYLOAD_MAX

__all__ = ["DeepLink", "DeepLinkError", "decode", "encode", "share_url", "start_url"]

_PAYLOAD = re.compile(rf"^[A-Za-z0-9_-]{{1,{DEEP_LINK_PAYLOAD_MAX}}}$")
_SEP = "_"  # content ids use '-' but never '_', so '_' separates the parts unambiguously


class DeepLinkError(ValueError):
    """A payload cannot be built within Telegram's rules."""


@dataclass(frozen=True, slots=True)
class DeepLink:
    """What a payload opens: a theme, a section of it, or one item of it; or one page in one language."""

    theme_id: str
    section_id: str | None = None
    item_id: str | None = None
    page: int | None = None  # with section_id and language: that page of the section, in that language
    language: str | None = None


def encode(link: DeepLink) -> str:
    """``t_<theme>``, ``s_<theme>_<section>``, ``i_<theme>_<item>`` or ``p_<theme>_<section>_<page>_<language>``."""
    if link.page is not None and link.section_id and link.language:
        payload = _SEP.join(("p", link.theme_id, link.section_id, str(link.page), link.language))
    elif link.item_id:
        payload = _SEP.join(("i", link.theme_id, link.item_id))
    elif link.section_id:
        payload = _SEP.join(("s", link.theme_id, link.section_id))
    else:
        payload = _SEP.join(("t", link.theme_id))
    if not _PAYLOAD.match(payload):
        raise DeepLinkError(f"payload {payload!r} is not 1-{DEEP_LINK_PAYLOAD_MAX} characters of A-Za-z0-9_-")
    return payload


def decode(payload: str) -> DeepLink | None:
    """Parse a payload; None when it is not one of ours (the caller opens the main menu with a note)."""
    if not _PAYLOAD.match(payload):
        return None
    parts = payload.split(_SEP)
    match parts:
        case ["t", theme]:
            return DeepLink(theme)
        case ["s", theme, section]:
            return DeepLink(theme, section_id=section)
        case ["i", theme, item]:
            return DeepLink(theme, item_id=item)
        case ["p", theme, section, page, language] if page.isdigit():
            return DeepLink(theme, section_id=section, page=int(page), language=language)
    return None


def start_url(bot_username: str, link: DeepLink) -> str:
    """The link that opens ``link`` in the bot."""
    return create_deep_linked_url(bot_username, encode(link))


def share_url(url: str, text: str) -> str:
    """Telegram's share dialog for ``url`` with ``text``."""
    return f"https://t.me/share/url?url={quote(url, safe='')}&text={quote(text, safe='')}"
