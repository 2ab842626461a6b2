"""Load the brief from ``content/<locale>/*.yaml`` into frozen dataclasses, and validate it.

The English files are the reference: every other locale must mirror their structure. ``en`` and the
default fallback locale (``ru``) must be complete; any other locale may be partial and falls back, string by
string, to the fallback locale. Nothing here talks to Telegram.

The parts: ``model`` (the dataclasses and ids), ``validation`` (schema, parity with English, language
checks), ``fallback`` (partial locales overlaid on the fallback) and ``loading`` (files to the model).
"""

from bot.content.fallback import native_name
from bot.content.loading import check_content, load_content
from bot.content.model import (
    ABOUT_FILE,
    FALLBACK_LOCALE,
    FILE_NAMES,
    REFERENCE_LOCALE,
    SECTION_IDS,
    THEME_IDS,
    About,
    Content,
    ContentError,
    ContentProblem,
    Group,
    Item,
    LocaleContent,
    LocaleSummary,
    Note,
    Section,
    Theme,
)
from bot.content.validation import TRANSLATOR_KEYS

__all__ = [
    "ABOUT_FILE",
    "FALLBACK_LOCALE",
    "FILE_NAMES",
    "REFERENCE_LOCALE",
    "SECTION_IDS",
    "THEME_IDS",
    "TRANSLATOR_KEYS",
    "About",
    "Content",
    "ContentError",
    "ContentProblem",
    "Group",
    "Item",
    "LocaleContent",
    "LocaleSummary",
    "Note",
    "Section",
    "Theme",
    "check_content",
    "load_content",
    "native_name",
]
