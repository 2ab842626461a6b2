"""The bot's commands, once: the table feeds the handlers (bot/app.py), the command menus (bot/ops/profile.py) and
/help (bot/reading/screens.py, which is handed the lines and does not import this table).

Each row holds its handler: the function of the feature that answers it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from telegram import Update

from bot.announcing import handlers as announcing
from bot.impact import handlers as impact
from bot.languages.i18n import N_
from bot.reading import handlers as reading
from bot.reading.context import BotContext

__all__ = ["ADMIN_COMMANDS", "COMMANDS", "Audience", "Command", "help_lines"]


class Audience(StrEnum):
    """Who may use a command: anyone in a private chat, or only the people in ADMIN_IDS."""

    READER = "reader"
    ADMIN = "admin"


Handler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


@dataclass(frozen=True, slots=True)
class Command:
    """One command: its name, who may use it, its handler, and what the menu and /help say of it."""

    name: str
    audience: Audience
    handler: Handler
    menu: str | None = None  # the command menu's description (readers' commands only: admins have no menu)
    help: str | None = None  # its line in /help; ``{command}`` is the command with its slash


# In menu order; /help lists the commands that have a help line, in the same order.
COMMANDS: tuple[Command, ...] = (
    Command("start", Audience.READER, reading.start_command, N_("Start and main menu")),
    Command(
        "menu", Audience.READER, reading.menu_command, N_("Themes of the brief"), N_("{command} — themes of the brief")
    ),
    Command("themes", Audience.READER, reading.menu_command, N_("Themes of the brief")),
    Command(
        "about",
        Audience.READER,
        reading.about_command,
        N_("About the brief, authors and licence"),
        N_("{command} — about the brief, authors and licence"),
    ),
    Command(
        "search",
        Audience.READER,
        reading.search_command,
        N_("Search the brief"),
        N_("{command} words — search the brief"),
    ),
    Command(
        "subscriptions",
        Audience.READER,
        reading.subscriptions_command,
        N_("Choose which updates you receive"),
        N_("{command} — choose which updates you receive"),
    ),
    Command(
        "language",
        Audience.READER,
        reading.language_command,
        N_("Change the language"),
        N_("{command} — change the language"),
    ),
    Command(
        "forget", Audience.READER, reading.forget_command, N_("Erase your data"), N_("{command} — erase your data")
    ),
    Command("help", Audience.READER, reading.help_command, N_("Help and privacy")),
    Command("announce", Audience.ADMIN, announcing.announce_command),
    Command("announcements", Audience.ADMIN, announcing.announcements_command),
    Command("stats", Audience.ADMIN, impact.stats_command),
    Command("export", Audience.ADMIN, impact.export_command),
    Command("cancel", Audience.ADMIN, announcing.cancel_command),
)

ADMIN_COMMANDS = frozenset(c.name for c in COMMANDS if c.audience is Audience.ADMIN)


def help_lines() -> tuple[tuple[str, str], ...]:
    """(``/name``, its untranslated /help line) for each command that has one, in menu order."""
    return tuple((f"/{c.name}", c.help) for c in COMMANDS if c.help is not None)
