"""Load the brief from ``content/<locale>/*.yaml`` into frozen dataclasses, and validate it.

``content/themes.yaml`` lists the themes and the sections, in reading order. The English files are the
reference: every other locale must mirror their structure. ``en`` and the default fallback locale (``ru``) must
be complete; any other locale may be partial and falls back, string by string, to the fallback locale. Nothing
here talks to Telegram.

The parts: ``model`` (the dataclasses), ``index`` (the themes and sections), ``validation`` (schema, parity
with English, language checks), ``fallback`` (partial locales overlaid on the fallback) and ``loading`` (files
to the model).
"""

from bot.content.fallback import native_name
from bot.content.index import INDEX_FILE, ContentIndex, content_index, read_index
from bot.content.loading import check_content, load_content
from bot.content.model import (
    ABOUT_FILE,
    FALLBACK_LOCALE,
    REFERENCE_LOCALE,
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
    "INDEX_FILE",
    "REFERENCE_LOCALE",
    "TRANSLATOR_KEYS",
    "About",
    "Content",
    "ContentError",
    "ContentIndex",
    "ContentProblem",
    "Group",
    "Item",
    "LocaleContent",
    "LocaleSummary",
    "Note",
    "Section",
    "Theme",
    "check_content",
    "content_index",
    "load_content",
    "native_name",
    "read_index",
]
