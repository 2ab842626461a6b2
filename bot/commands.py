"""The bot's commands, once: the table feeds the handlers (bot/app.py), the menus (bot/ops/profile.py) and /help.

The table names each command's handler by its function name in the audience's handler module instead of
holding the function: /help is rendered by bot/reading/screens.py, which the handlers import, so this module must not
import them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["ADMIN_COMMANDS", "COMMANDS", "HELP_PRIVACY", "N_", "Audience", "Command", "help_text"]


def N_(message: str) -> str:  # gettext's conventional name for "mark for extraction, translate later"
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message


class Audience(StrEnum):
    """Who may use a command: anyone in a private chat, or only the people in ADMIN_IDS."""

    READER = "reader"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Command:
    """One command: its name, who may use it, its handler, and what the menu and /help say of it."""

    name: str
    audience: Audience
    handler: str  # the function's name in bot/reading/handlers.py (readers) or bot/announcing/handlers.py (admins)
    menu: str | None = None  # the command menu's description (readers' commands only: admins have no menu)
    help: str | None = None  # its line in /help; ``{command}`` is the command with its slash


# In menu order; /help lists the commands that have a help line, in the same order.
COMMANDS: tuple[Command, ...] = (
    Command("start", Audience.READER, "start_command", N_("Start and main menu")),
    Command("menu", Audience.READER, "menu_command", N_("Themes of the brief"), N_("{command} — themes of the brief")),
    Command("themes", Audience.READER, "menu_command", N_("Themes of the brief")),
    Command(
        "about",
        Audience.READER,
        "about_command",
        N_("About the brief, authors and licence"),
        N_("{command} — about the brief, authors and licence"),
    ),
    Command(
        "search", Audience.READER, "search_command", N_("Search the brief"), N_("{command} words — search the brief")
    ),
    Command(
        "subscriptions",
        Audience.READER,
        "subscriptions_command",
        N_("Choose which updates you receive"),
        N_("{command} — choose which updates you receive"),
    ),
    Command(
        "language",
        Audience.READER,
        "language_command",
        N_("Change the language"),
        N_("{command} — change the language"),
    ),
    Command("forget", Audience.READER, "forget_command", N_("Erase your data"), N_("{command} — erase your data")),
    Command("help", Audience.READER, "help_command", N_("Help and privacy")),
    Command("announce", Audience.ADMIN, "announce_command"),
    Command("announcements", Audience.ADMIN, "announcements_command"),
    Command("stats", Audience.ADMIN, "stats_command"),
    Command("export", Audience.ADMIN, "export_command"),
    Command("cancel", Audience.ADMIN, "cancel_command"),
)

ADMIN_COMMANDS = frozenset(c.name for c in COMMANDS if c.audience is Audience.ADMIN)

HELP_PRIVACY = N_(
    "The bot keeps only your Telegram id, language and subscriptions: no names and no messages. "
    "The ✕ Hide button removes a message from this chat."
)


def help_text(gettext: Callable[[str], str]) -> str:
    """The /help text: a line per command that has one, then what the bot keeps."""
    lines = [gettext(c.help).format(command=f"/{c.name}") for c in COMMANDS if c.help is not None]
    return "\n".join(lines) + "\n\n" + gettext(HELP_PRIVACY)
