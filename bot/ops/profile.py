"""The bot's command menu, description and short description, per language, set only when they change."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass

from telegram import Bot, BotCommand
from telegram.constants import BotCommandLimit, BotDescriptionLimit

from bot.commands import COMMANDS
from bot.languages.i18n import I18n, Translator
from bot.storage import Storage
from bot.telegram.limits import TELEGRAM_LANGUAGE_CODE

__all__ = ["Profile", "build_profile", "sync_profile"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Profile:
    """What Telegram shows about the bot in one language."""

    commands: tuple[tuple[str, str], ...]
    description: str
    short_description: str


def build_profile(t: Translator) -> Profile:
    """The localized command list and descriptions."""
    commands = tuple((c.name, t.gettext(c.menu)) for c in COMMANDS if c.menu is not None)
    profile = Profile(
        commands=commands,
        description=t.gettext(
            "Recommendations of 94 feminist and civil society activists from Kazakhstan, Kyrgyzstan, "
            "Tajikistan, Turkmenistan and Uzbekistan for the Generation Equality Forum (2020): climate justice, "
            "economic justice, bodily integrity and SRHR, gender-based violence, feminist movements. "
            "Read, search and subscribe to updates. The bot keeps no names and no messages."
        ),
        short_description=t.gettext(
            "Central Asian feminist recommendations for the Generation Equality Forum: read, search, subscribe."
        ),
    )
    if len(profile.description) > BotDescriptionLimit.MAX_DESCRIPTION_LENGTH:
        raise ValueError(f"description for {t.code!r} is over {BotDescriptionLimit.MAX_DESCRIPTION_LENGTH} chars")
    if len(profile.short_description) > BotDescriptionLimit.MAX_SHORT_DESCRIPTION_LENGTH:
        raise ValueError(f"short description for {t.code!r} is too long")
    for _, text in commands:
        if len(text) > BotCommandLimit.MAX_DESCRIPTION:
            raise ValueError(f"command description {text!r} is too long")
    return profile


async def sync_profile(bot: Bot, i18n: I18n, storage: Storage) -> bool:
    """Set commands and descriptions for every language (and the default); return whether anything was sent."""
    profiles = {code: build_profile(i18n.get(code)) for code in i18n.languages}
    fingerprint = hashlib.sha256(
        json.dumps({c: [p.commands, p.description, p.short_description] for c, p in profiles.items()}).encode()
    ).hexdigest()
    key = f"profile:{bot.id}:{i18n.default}"
    if await storage.database.get_meta(key) == fingerprint:
        logger.info("command menus and descriptions unchanged")
        return False
    targets: list[tuple[str | None, Profile]] = [(None, profiles[i18n.default])]
    # Telegram takes a two-letter ISO 639-1 language_code only: a language with a script subtag (uz-Cyrl)
    # gets no menu of its own, and its readers, whose Telegram says "uz", see the uz one.
    targets += [(code, profile) for code, profile in profiles.items() if TELEGRAM_LANGUAGE_CODE.match(code)]
    for code, profile in targets:
        await bot.set_my_commands([BotCommand(c, d) for c, d in profile.commands], language_code=code)
        await bot.set_my_description(profile.description, language_code=code)
        await bot.set_my_short_description(profile.short_description, language_code=code)
    await storage.database.set_meta(key, fingerprint)
    logger.info(
        "command menus and descriptions set for %s and the default",
        ", ".join(code for code, _ in targets if code is not None),
    )
    return True
