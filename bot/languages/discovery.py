"""Which languages the bot speaks, found on disk, and how each falls back when a text is missing.

A language is a BCP 47 tag: a language subtag, and a script subtag where the language is written in more than
one (``uz`` is Uzbek in its official Latin script, ``uz-Cyrl`` Uzbek in Cyrillic). Babel spells the same tag
``uz_Cyrl`` (``babel_locale``). A language is shipped when ``content/<code>/`` exists; its interface catalogue
``locales/<code>/LC_MESSAGES/messages.po`` is expected beside it and may be partial. Adding a language is
copying a directory and translating: nothing here lists languages by name except the two that anchor every
chain (English, the brief's own text, and Russian, the region's shared second language).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "FALLBACK_LANGUAGE",
    "LANGUAGE_TAG",
    "REFERENCE_LANGUAGE",
    "babel_locale",
    "canonical_tag",
    "discover_languages",
    "fallback_chain",
    "order_languages",
    "reference_choices",
]

REFERENCE_LANGUAGE = "en"  # the brief's own text: the reference every translation is checked against
FALLBACK_LANGUAGE = "ru"  # complete, and read by most people in the region as a second language
# A language subtag, optionally a script subtag (ISO 15924, title case): "kk", "uz-Cyrl". Regions and variants
# are not needed by any language of the region and would only make two spellings of one language possible.
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(?:-[A-Z][a-z]{3})?$")
_LOOSE_TAG = re.compile(r"^([A-Za-z]{2,3})(?:[-_]([A-Za-z]{4}))?$")


def canonical_tag(text: str) -> str | None:
    """``text`` as this bot spells a language tag (``UZ_cyrl`` → ``uz-Cyrl``), or None if it is not one."""
    match = _LOOSE_TAG.match(text.strip())
    if match is None:
        return None
    language, script = match.groups()
    return language.lower() + (f"-{script.title()}" if script else "")


def babel_locale(code: str) -> str:
    """Babel's identifier of the language tag ``code`` (``uz-Cyrl`` → ``uz_Cyrl``)."""
    return code.replace("-", "_")


def order_languages(codes: Iterable[str]) -> tuple[str, ...]:
    """The region's own languages first (by code), then Russian, then English: the picker's order."""
    anchors = (FALLBACK_LANGUAGE, REFERENCE_LANGUAGE)
    unique = set(codes)
    return (*sorted(unique - set(anchors)), *(code for code in anchors if code in unique))


def discover_languages(content_root: Path) -> tuple[str, ...]:
    """Codes of the locales under ``content_root`` (``<code>/`` holding at least one YAML file)."""
    if not content_root.is_dir():
        return ()
    return order_languages(
        p.name for p in content_root.iterdir() if p.is_dir() and LANGUAGE_TAG.match(p.name) and any(p.glob("*.yaml"))
    )


def fallback_chain(code: str) -> tuple[str, ...]:
    """Where a missing text of ``code`` is looked for, in order: itself, Russian, English."""
    if code == REFERENCE_LANGUAGE:
        return (code,)  # the original falls back on nothing: it is complete by definition
    return tuple(dict.fromkeys((code, FALLBACK_LANGUAGE, REFERENCE_LANGUAGE)))


def reference_choices(code: str) -> tuple[str, ...]:
    """The originals a reader of ``code`` may compare a page with (empty for English, the original itself)."""
    if code == REFERENCE_LANGUAGE:
        return ()
    if code == FALLBACK_LANGUAGE:
        return (REFERENCE_LANGUAGE,)
    return (REFERENCE_LANGUAGE, FALLBACK_LANGUAGE)
