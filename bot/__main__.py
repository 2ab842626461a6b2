"""Command line: run the bot, the offline demo, and the content and locale checks."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]

NO_TOKEN_MESSAGE = """\
BOT_TOKEN is not set.
To run the bot on Telegram, create a bot with @BotFather (https://t.me/BotFather, command /newbot),
then put its token in the environment or in .env:  BOT_TOKEN=123456789:AA...
To try the bot without Telegram or internet, run:  make demo"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="brief-bot",
        description=__doc__,
        epilog="exit codes: 0 stopped, 1 no BOT_TOKEN, 2 bad setting, 3 content does not validate, 4 database "
        "from a newer version, 75 another bot is running on this database",
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot on Telegram (the default)")
    demo = sub.add_parser("demo", help="try the bot offline in this terminal, against a local Bot API emulator")
    demo.add_argument("--lang", choices=("ru", "en"), default=None, help="the demo user's Telegram language")
    demo.add_argument("--admin", action="store_true", help="make the demo user an admin")
    check = sub.add_parser("check-content", help="validate content/ and print a summary per locale")
    check.add_argument("--content-dir", type=Path, default=None)
    sub.add_parser("sync-locales", help="re-extract locales/messages.pot and merge it into every locale")
    sub.add_parser("check-locales", help="fail if the .pot is stale or a locale has untranslated/fuzzy strings")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``brief-bot`` and ``python -m bot``."""
    args = _parser().parse_args(argv)
    command = args.command or "run"
    if command == "check-content":
        from bot.checks import check_content_command

        return check_content_command(args.content_dir)
    if command == "check-locales":
        from bot.checks import check_locales_command

        return check_locales_command()
    if command == "sync-locales":
        from bot.checks import sync_locales

        sync_locales()
        return 0
    from bot.config import ConfigError, load_settings

    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    if command == "demo":
        from bot.demo import run_demo

        return asyncio.run(run_demo(settings, language=args.lang, admin=args.admin))
    if settings.token is None:
        print(NO_TOKEN_MESSAGE, file=sys.stderr)
        return 1
    from bot.runner import run_bot

    return run_bot(settings)


if __name__ == "__main__":
    sys.exit(main())
