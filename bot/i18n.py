"""Interface translations (gettext catalogues in ``locales/``) and the choice of a user's language."""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from babel import Locale, UnknownLocaleError, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

__all__ = ["CATALOG_DOMAIN", "RUSSIAN_READERS", "I18n", "Translator", "pick_language"]

CATALOG_DOMAIN = "messages"

# Readers whose Telegram is set to one of these languages get Russian: the region's own languages (the
# brief is not translated into them yet) and other post-Soviet languages, whose speakers mostly read Russian.
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


def _load_po(path: Path) -> gettext.GNUTranslations:
    """Compile a ``.po`` file in memory: no separate compile step, and no stale ``.mo`` files."""
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=path.parent.parent.name)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class I18n:
    """Every shipped interface language, loaded once."""

    def __init__(self, translators: dict[str, Translator], default: str) -> None:
        if default not in translators:
            raise ValueError(f"no interface catalogue for the default language {default!r}")
        self.translators = translators
        self.default = default

    @classmethod
    def load(cls, locales_dir: Path, languages: Iterable[str], default: str) -> I18n:
        """Load ``locales/<lang>/LC_MESSAGES/messages.po`` for each language."""
        translators = {}
        for code in languages:
            po = locales_dir / code / "LC_MESSAGES" / f"{CATALOG_DOMAIN}.po"
            translators[code] = Translator(code, _load_po(po))
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
    """Map Telegram's ``language_code`` (an IETF tag such as ``en-GB`` or ``kk``) to a shipped language."""
    available = list(available)
    if not language_code:
        return default
    try:
        language = Locale.parse(language_code, sep="-").language
    except (ValueError, UnknownLocaleError):
        return default
    preferred = [language]
    if language in RUSSIAN_READERS:
        preferred.append("ru")
    return negotiate_locale(preferred, available) or default
