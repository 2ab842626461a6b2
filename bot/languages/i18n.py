"""Interface translations (gettext catalogues in ``locales/``) and the choice of a user's language."""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from babel import Locale, UnknownLocaleError, negotiate_locale
from babel.messages.catalog import Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.languages.discovery import babel_locale, canonical_tag, fallback_chain

__all__ = [
    "CATALOG_DOMAIN",
    "N_",
    "RUSSIAN_READERS",
    "I18n",
    "Translator",
    "catalogue_path",
    "is_translated",
    "pick_language",
]


def N_(message: str) -> str:  # gettext's conventional name for "mark for extraction, translate later"
    """Mark ``message`` for extraction (``brief-bot sync-locales``); it is translated where it is shown."""
    return message


CATALOG_DOMAIN = "messages"

# Readers whose Telegram is set to one of these languages get Russian when the bot does not ship their own
# language: post-Soviet languages, whose speakers mostly read Russian (the region's own languages are shipped).
RUSSIAN_READERS: frozenset[str] = frozenset(
    {
        "ru",
        "kk",
        "ky",
        "tg",
        "uz",
        "tk",
        "be",
        "uk",
        "hy",
        "az",
        "ka",
        "ro",
        "tt",
        "ba",
        "cv",
        "sah",
        "os",
        "ab",
    }
)


@dataclass(frozen=True, slots=True)
class Translator:
    """The interface strings of one language."""

    code: str
    translations: gettext.NullTranslations

    def gettext(self, message: str) -> str:
        """Translate ``message``."""
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """Translate with the plural form for ``n`` (Russian has three)."""
        return self.translations.ngettext(singular, plural, n)


def is_translated(message: Message) -> bool:
    """Whether every form of ``message`` has a translation."""
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return bool(strings) and all(strings)


def catalogue_path(locales_dir: Path, code: str) -> Path:
    """Where the interface catalogue of ``code`` lives."""
    return locales_dir / code / "LC_MESSAGES" / f"{CATALOG_DOMAIN}.po"


def _compile_po(path: Path) -> bytes:
    """Compile a ``.po`` file to ``.mo`` bytes in memory: no separate compile step, and no stale ``.mo`` files."""
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=babel_locale(path.parent.parent.name))
    for message in list(catalog)[1:]:
        # Babel compiles a plural entry with some forms empty; gettext would then print "" for them.
        if not is_translated(message):
            catalog.delete(message.id, message.context)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


class I18n:
    """Every shipped interface language, loaded once."""

    def __init__(self, translators: dict[str, Translator], default: str) -> None:
        if default not in translators:
            raise ValueError(f"no interface catalogue for the default language {default!r}")
        self.translators = translators
        self.default = default

    @classmethod
    def load(cls, locales_dir: Path, languages: Iterable[str], default: str) -> I18n:
        """Load each language's catalogue, falling back message by message along its chain (kk → ru → en).

        A language without a catalogue of its own speaks its fallback's; an untranslated message (empty or
        fuzzy in the ``.po``) is left out of the compiled catalogue, so gettext asks the next one in the chain.
        """
        translators = {}
        compiled: dict[Path, bytes] = {}  # each .po parsed once, though ru and en end every chain
        for code in languages:
            chain: gettext.NullTranslations | None = None
            for member in reversed(fallback_chain(code)):
                po = catalogue_path(locales_dir, member)
                if not po.is_file():
                    continue
                if po not in compiled:
                    compiled[po] = _compile_po(po)
                link = gettext.GNUTranslations(io.BytesIO(compiled[po]))
                if chain is not None:
                    link.add_fallback(chain)
                chain = link
            translators[code] = Translator(code, chain or gettext.NullTranslations())
        return cls(translators, default)

    @property
    def languages(self) -> tuple[str, ...]:
        """Codes of the shipped languages."""
        return tuple(self.translators)

    def get(self, code: str | None) -> Translator:
        """Return the translator for ``code``, or the default one."""
        return self.translators.get(code or "", self.translators[self.default])

    def pick(self, language_code: str | None) -> str:
        """Choose a language for someone whose Telegram is set to ``language_code``."""
        return pick_language(language_code, self.languages, self.default)


def pick_language(language_code: str | None, available: Iterable[str], default: str) -> str:
    """Map Telegram's ``language_code`` (an IETF tag such as ``en-GB`` or ``kk``) to a shipped language.

    A tag with a script is taken as it is when that script is shipped (``uz-Cyrl``); a bare ``uz`` picks
    Uzbek in Latin, its official script, and the main menu offers the Cyrillic one (bot/reading/screens.py).
    """
    available = list(available)
    if not language_code:
        return default
    if (tag := canonical_tag(language_code)) in available:
        return str(tag)
    try:
        language = Locale.parse(language_code, sep="-").language
    except (ValueError, UnknownLocaleError):
        return default
    preferred = [language]
    if language in RUSSIAN_READERS:
        preferred.append("ru")
    return negotiate_locale(preferred, available) or default
