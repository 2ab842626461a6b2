"""Command line: run the bot, the offline demo, and the content and locale checks."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from bot.languages.discovery import discover_languages
from bot.offline.document import BRIEF
from bot.ops.exitcodes import ExitCode, exit_codes_help
from bot.ops.paths import content_dir, locales_dir
from bot.translations.cli import add_parser as add_translations_parser

__all__ = ["main"]

NO_TOKEN_MESSAGE = """\
BOT_TOKEN is not set.
To run the bot on Telegram, create a bot with @BotFather (https://t.me/BotFather, command /newbot),
then put its token in the environment or in .env:  BOT_TOKEN=123456789:AA...
To try the bot without Telegram or internet, run:  make demo"""
# In the image (which sets `container`) there is no .env beside the bot and no make: the token comes from the
# env file compose or `docker run --env-file` reads.
NO_TOKEN_MESSAGE_CONTAINER = """\
BOT_TOKEN is not set.
Create a bot with @BotFather (https://t.me/BotFather, command /newbot) and put its token in the env file the
container reads: BOT_TOKEN=123456789:AA... in .env beside deploy/ (compose reads ../.env), or pass
--env-file FILE to docker run. Then start the container again."""
# The emulator is not part of the bot's wheel or image (it lives beside bot/ in the repository).
NO_DEMO_MESSAGE = "The demo needs a checkout of the repository: git clone it, then run  make demo"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="brief-bot",
        description=__doc__,
        epilog=exit_codes_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot on Telegram (the default)")
    demo = sub.add_parser("demo", help="try the bot offline in this terminal, against a local Bot API emulator")
    demo.add_argument(
        "--lang",
        choices=discover_languages(content_dir()),
        default=None,
        help="the demo user's Telegram language (every shipped language)",
    )
    demo.add_argument("--admin", action="store_true", help="make the demo user an admin")
    check = sub.add_parser("check-content", help="validate content/ and print a summary per locale")
    check.add_argument("--content-dir", type=Path, default=None)
    export = sub.add_parser(
        "export",
        help="write the brief as PDF (A4, to print) and HTML (to read offline) files, per theme and language",
    )
    export.add_argument("--out", type=Path, required=True, help="the directory to write into (created if needed)")
    export.add_argument("--lang", nargs="+", choices=discover_languages(content_dir()), help="default: all")
    export.add_argument(
        "--theme", nargs="+", help=f"theme ids (content/themes.yaml) or {BRIEF!r}; default: all, and the whole brief"
    )
    export.add_argument("--format", choices=("pdf", "html"), help="default: both")
    export.add_argument("--bot", default=None, help="the bot's username, printed as its t.me link in the files")
    sub.add_parser("sync-locales", help="re-extract locales/messages.pot and merge it into every locale")
    sub.add_parser(
        "check-locales",
        help="print each language's coverage; fail on a stale .pot, broken messages, or ru/en incomplete",
    )
    sub.add_parser(
        "healthcheck",
        help="exit 0 if the database opens and the running bot reached Telegram lately (Docker HEALTHCHECK)",
    )
    backup = sub.add_parser("backup", help="copy the database to PATH (safe while the bot runs), then check the copy")
    backup.add_argument("path", type=Path)
    restore = sub.add_parser(
        "restore", help="replace the database with the backup at PATH (stop the bot first; the old one is kept)"
    )
    restore.add_argument("path", type=Path)
    sub.add_parser("reload", help="make the running bot re-read content/ and locales/ (SIGHUP), no restart")
    add_translations_parser(sub)
    return parser


def _version() -> str:
    try:
        return metadata.version("brief-bot")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def _missing_database(command: str, database: Path) -> str | None:
    """Why ``command`` cannot work on ``database``: it must exist (its directory, for restore); None if it can."""
    where = database if database.is_absolute() else Path.cwd() / database
    if command == "restore":
        if where.parent.is_dir():
            return None
        return f"no directory {where.parent} for the database: set DATABASE_PATH to the bot's database file"
    if where.is_file():
        return None
    return (
        f"no database at {where}: set DATABASE_PATH to the running bot's database file "
        "(systemd: /var/lib/brief-bot/bot.sqlite3; in the container: /data/bot.sqlite3)"
    )


def _database_command(command: str, database: Path, path: Path | None) -> int:
    """healthcheck, backup and restore: each works on the database named by DATABASE_PATH and creates no directory."""
    from bot.ops.health import healthcheck_command
    from bot.storage import DatabaseLockedError
    from bot.storage.backup import BackupError, backup_database, restore_database

    missing = _missing_database(command, database)
    if missing is not None:
        if command == "healthcheck":  # Docker's convention: exit 1, one line on stdout
            print(f"unhealthy: {missing}")
            return 1
        print(f"{command}: {missing}", file=sys.stderr)
        return ExitCode.DATABASE
    if command == "healthcheck":
        return healthcheck_command(database)
    assert path is not None
    try:
        if command == "backup":
            backup_database(database, path)
            print(f"{database} copied to {path}; the copy passes the integrity check")
            return ExitCode.OK
        previous = restore_database(path, database)
    except DatabaseLockedError as exc:
        print(f"{exc}: stop it before restoring", file=sys.stderr)
        return ExitCode.ANOTHER_BOT_RUNNING
    except (BackupError, OSError) as exc:
        print(f"{command} failed: {exc}", file=sys.stderr)
        return ExitCode.DATABASE
    kept = f"; the previous database is kept as {previous}" if previous else ""
    print(f"{path} restored into {database}{kept}")
    return ExitCode.OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``brief-bot`` and ``python -m bot``."""
    args = _parser().parse_args(argv)
    command = args.command or "run"
    if command == "check-content":
        from bot.ops.checks import check_content_command

        return check_content_command(args.content_dir)
    if command == "check-locales":
        from bot.ops.checks import check_locales_command

        return check_locales_command()
    if command == "translations" and not getattr(args, "reported", False):
        from bot.translations.cli import run as run_translations

        return run_translations(args, content_dir(), locales_dir(), None)
    if command == "sync-locales":
        from bot.ops.checks import sync_locales

        sync_locales()
        return 0
    from bot.config import ConfigError, load_settings

    # The demo keeps its database in a temporary directory: it must not create ./data in the editor's folder.
    demo_database = str(Path(tempfile.gettempdir()) / "brief-bot-demo.sqlite3")  # only checked, never created
    environ = {**os.environ, "DATABASE_PATH": demo_database} if command == "demo" else None
    try:
        # Only `run` and `demo` create the database's directory: a command that reads must leave nothing behind.
        settings = load_settings(environ, writable=command in ("run", "demo"))
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return ExitCode.CONFIG
    if command == "export":
        from bot.offline.document import Form
        from bot.offline.export import export_command

        return export_command(
            args.out,
            content_root=settings.content_dir or content_dir(),
            locales_root=settings.locales_dir or locales_dir(),
            default_language=settings.default_language,
            languages=args.lang,
            subjects=args.theme,
            forms=[Form(args.format)] if args.format else None,
            username=args.bot,
        )
    if command == "translations":  # --reported: the reports are counted in the bot's database
        from bot.translations.cli import reported_places
        from bot.translations.cli import run as run_translations

        places = reported_places(settings.database_path, content_dir(), args.lang, args.since)
        return run_translations(args, content_dir(), locales_dir(), places) if places is not None else 1
    if command == "reload":
        from bot.ops.reloading import send_reload

        return send_reload(settings.database_path)
    if command in ("healthcheck", "backup", "restore"):
        return _database_command(command, settings.database_path, getattr(args, "path", None))
    if command == "demo":
        try:
            from bot.ops.demo import run_demo
        except ModuleNotFoundError as exc:
            if exc.name != "emulator":
                raise
            print(NO_DEMO_MESSAGE, file=sys.stderr)
            return ExitCode.NO_DEMO

        return asyncio.run(run_demo(settings, language=args.lang, admin=args.admin))
    if settings.token is None:
        in_image = bool(os.environ.get("container"))  # noqa: SIM112 (lower case: the name podman and the image set)
        print(NO_TOKEN_MESSAGE_CONTAINER if in_image else NO_TOKEN_MESSAGE, file=sys.stderr)
        return ExitCode.NO_TOKEN
    from bot.ops.runner import run_bot

    return run_bot(settings)


if __name__ == "__main__":
    sys.exit(main())
