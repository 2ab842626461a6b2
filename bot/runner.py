"""Run the bot on Telegram: long polling, or a webhook when ``WEBHOOK_URL`` is set."""

from __future__ import annotations

import logging
import os
from typing import Final
from urllib.parse import urlsplit

from bot.app import ALLOWED_UPDATES, build_application
from bot.config import Settings
from bot.content import ContentError
from bot.logs import setup_logging
from bot.storage import DatabaseLockedError, SchemaTooNewError

__all__ = ["EXIT_ANOTHER_BOT_RUNNING", "run_bot"]

logger = logging.getLogger(__name__)

# Another bot process holds DATABASE_PATH (e.g. an overlapping deploy): sysexits' "temporary failure, try
# again later", since starting again once the other one stopped is exactly right.
EXIT_ANOTHER_BOT_RUNNING: Final = os.EX_TEMPFAIL  # 75


def run_bot(settings: Settings) -> int:
    """Block until stopped (Ctrl+C / SIGTERM); return the process exit code."""
    setup_logging(settings.log_level, [settings.token or "", settings.webhook_secret or ""])
    try:
        app = build_application(settings)
    except ContentError as exc:
        logger.error("the content does not validate; run `python -m bot check-content`:\n%s", exc)
        return 3
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
        return 4
    except DatabaseLockedError as exc:
        logger.error("%s", exc)
        return EXIT_ANOTHER_BOT_RUNNING
    return 0
