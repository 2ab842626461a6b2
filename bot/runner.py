"""Run the bot on Telegram: long polling, or a webhook when ``WEBHOOK_URL`` is set."""

from __future__ import annotations

import errno
import logging
import sqlite3
from urllib.parse import urlsplit

from bot.app import ALLOWED_UPDATES, build_application
from bot.config import Settings
from bot.content import ContentError
from bot.exitcodes import ExitCode
from bot.logs import setup_logging
from bot.storage import SchemaTooNewError

__all__ = ["run_bot"]

logger = logging.getLogger(__name__)


def run_bot(settings: Settings) -> int:
    """Block until stopped (Ctrl+C / SIGTERM); return the process exit code."""
    setup_logging(settings.log_level, [settings.token or "", settings.webhook_secret or ""])
    try:
        app = build_application(settings)
    except ContentError as exc:
        logger.error("the content does not validate; run `python -m bot check-content`:\n%s", exc)
        return ExitCode.CONTENT
    try:
        if settings.webhook_url:
            path = urlsplit(settings.webhook_url).path.lstrip("/")
            logger.info("starting webhook on port %d", settings.port)
            app.run_webhook(
                listen="0.0.0.0",
                port=settings.port,
                url_path=path,
                webhook_url=settings.webhook_url,
                secret_token=settings.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
        else:
            logger.info("starting long polling")
            app.run_polling(allowed_updates=ALLOWED_UPDATES)
    except SchemaTooNewError as exc:
        logger.error("%s", exc)
        return ExitCode.SCHEMA_TOO_NEW
    except sqlite3.DatabaseError as exc:
        # One line, no traceback: the operator needs the file and the reason, not our call stack.
        logger.error("cannot use the database %s: %s", settings.database_path, exc)
        return ExitCode.DATABASE
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        logger.error("cannot listen for the webhook: port %d is already in use", settings.port)
        return ExitCode.PORT_IN_USE
    return ExitCode.OK
