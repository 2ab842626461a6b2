"""The process exit codes of ``brief-bot``, one per way start-up can fail (listed in ``brief-bot --help``)."""

from __future__ import annotations

from enum import IntEnum

__all__ = ["PERMANENT", "ExitCode", "exit_codes_help"]


class ExitCode(IntEnum):
    """Why the bot stopped; a supervisor or a deploy script can tell the cases apart."""

    OK = 0
    NO_TOKEN = 1
    CONFIG = 2
    CONTENT = 3
    SCHEMA_TOO_NEW = 4
    DATABASE = 5
    PORT_IN_USE = 6
    NO_DEMO = 7
    TOKEN_REJECTED = 8
    # sysexits' EX_SOFTWARE: a bug or a case nobody foresaw. Not 1 (Python's own code for a crash), which says
    # "no token" and is permanent: a crash is worth a restart, and the log line says what happened.
    UNEXPECTED = 70
    # sysexits' EX_TEMPFAIL, "try again later": right once the other process (an overlapping deploy) stops.
    ANOTHER_BOT_RUNNING = 75


# Restarting cannot fix these: a supervisor should stop and let a person read the log (systemd's
# RestartPreventExitStatus= in deploy/brief-bot.service lists exactly these). The others are worth a retry.
PERMANENT = frozenset(
    {
        ExitCode.NO_TOKEN,
        ExitCode.CONFIG,
        ExitCode.CONTENT,
        ExitCode.SCHEMA_TOO_NEW,
        ExitCode.DATABASE,
        ExitCode.TOKEN_REJECTED,
    }
)

_MEANING = {
    ExitCode.OK: "stopped normally",
    ExitCode.NO_TOKEN: "BOT_TOKEN is not set",
    ExitCode.CONFIG: "a setting is invalid",
    ExitCode.CONTENT: "the content does not validate",
    ExitCode.SCHEMA_TOO_NEW: "the database was written by a newer version of the bot",
    ExitCode.DATABASE: "the database cannot be opened (corrupted, not a database, or not accessible)",
    ExitCode.PORT_IN_USE: "the webhook port is already in use",
    ExitCode.NO_DEMO: "brief-bot demo: the emulator is not installed (it comes with a checkout: make demo)",
    ExitCode.TOKEN_REJECTED: "Telegram rejected BOT_TOKEN (revoked, or mistyped): get the current one from @BotFather",
    ExitCode.UNEXPECTED: "an unexpected error (the log says which); restarting may help",
    ExitCode.ANOTHER_BOT_RUNNING: "another bot is running on this database",
}


def exit_codes_help() -> str:
    """The exit codes, one per line, for ``--help``."""
    return "exit codes (* permanent: restarting does not help):\n" + "".join(
        f"  {code.value:>2}{'*' if code in PERMANENT else ' '} {_MEANING[code]}\n" for code in ExitCode
    )
