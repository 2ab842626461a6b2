"""Run the bot on Telegram: long polling, or a webhook when ``WEBHOOK_URL`` is set; stop within Docker's grace."""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
import sqlite3
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from telegram.error import TelegramError

from bot.app import ALLOWED_UPDATES, build_application, start_application, stop_application
from bot.backup import BackupError
from bot.config import Settings
from bot.content import ContentError
from bot.exitcodes import ExitCode
from bot.health import WEBHOOK_PROBE_SECONDS, Heartbeat
from bot.logs import setup_logging
from bot.storage import DatabaseLockedError, SchemaTooNewError
from bot.updates import PerUserUpdateProcessor, UpdateQueue

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["UPDATE_DRAIN_SECONDS", "run_bot", "serve"]

logger = logging.getLogger(__name__)

# Docker sends SIGKILL 10 s after SIGTERM. The updates already fetched get this long to finish; the rest of
# the backlog (at most UPDATE_BACKLOG_MAX) is dropped, leaving time to close the database cleanly.
UPDATE_DRAIN_SECONDS = 4.0
POLLING_TIMEOUT_SECONDS = 10  # getUpdates long-polling timeout, as in PTB's run_polling


def run_bot(settings: Settings) -> int:
    """Block until stopped (Ctrl+C / SIGTERM); return the process exit code."""
    setup_logging(settings.log_level, [settings.token or "", settings.webhook_secret or ""], settings.log_format)
    heartbeat = Heartbeat(settings.database_path)
    try:
        app = build_application(settings, heartbeat=heartbeat)
    except ContentError as exc:
        logger.error("the content does not validate; run `python -m bot check-content`:\n%s", exc)
        return ExitCode.CONTENT
    try:
        asyncio.run(serve(app, settings, heartbeat=heartbeat))
    except SchemaTooNewError as exc:
        logger.error("%s", exc)
        return ExitCode.SCHEMA_TOO_NEW
    except DatabaseLockedError as exc:
        logger.error("%s", exc)
        return ExitCode.ANOTHER_BOT_RUNNING
    except BackupError as exc:
        logger.error("not migrating without a snapshot: %s", exc)
        return ExitCode.DATABASE
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


async def serve(
    app: Any, settings: Settings, stop: asyncio.Event | None = None, heartbeat: Heartbeat | None = None
) -> None:
    """Start ``app``, receive updates until SIGTERM/SIGINT (or ``stop``), then shut down in bounded time.

    ``heartbeat`` (for ``brief-bot healthcheck``) hears of webhook calls and, when idle, of a webhook probe;
    in polling mode ``build_application`` gave it to the getUpdates client.
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    site: web.AppRunner | None = None
    probe: asyncio.Task[None] | None = None
    await start_application(app)
    try:
        if settings.webhook_url:
            site = await _start_webhook(app, settings, heartbeat)
            if heartbeat is not None:
                probe = asyncio.create_task(_probe_webhook(app, heartbeat))
        else:
            logger.info("starting long polling")
            await app.updater.start_polling(timeout=POLLING_TIMEOUT_SECONDS, allowed_updates=ALLOWED_UPDATES)
        await stop.wait()
        if probe is not None:
            probe.cancel()
        if heartbeat is not None:
            heartbeat.clear()  # a bot that is stopping is not healthy
        began = time.monotonic()
        logger.info("stopping: no new updates; finishing the ones already received")
        # Stop receiving first: the webhook server stops accepting, and the queue takes no more updates (a
        # batch polling fetches meanwhile is never reported queued, so Telegram keeps it).
        if site is not None:
            await site.cleanup()
        if isinstance(app.update_queue, UpdateQueue):
            app.update_queue.close()
        await _drain(app, UPDATE_DRAIN_SECONDS)
        if app.updater.running:
            _confirm_only_handled(app)
            await app.updater.stop()
        await stop_application(app)
        dropped = app.update_processor.dropped if isinstance(app.update_processor, PerUserUpdateProcessor) else 0
        logger.info("stopped in %.1f s (%d updates dropped since start)", time.monotonic() - began, dropped)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        if app.running:
            await stop_application(app)


async def _drain(app: Any, seconds: float) -> None:
    """Let the backlog be handled for up to ``seconds``; then drop what is left."""
    try:
        await asyncio.wait_for(app.update_queue.join(), timeout=seconds)
    except TimeoutError:
        processor = app.update_processor
        if isinstance(processor, PerUserUpdateProcessor):
            logger.warning("stopping: updates still waiting after %.0f s are dropped", seconds)
            processor.abandon()


def _confirm_only_handled(app: Any) -> None:
    """Make the updater's last getUpdates at stop confirm the updates handled, and none that was not.

    PTB's updater confirms by whole batches: each poll confirms the batches queued before it, and when it stops
    it calls getUpdates once more (timeout 0) with the offset after the last batch it queued *entirely*. So a
    batch queued in part when the stop came was handled in part and yet fetched again whole at the next start,
    and a batch queued whole but dropped at shutdown was forgotten. The offset is set here to one past the
    highest update such that every update up to it was handled (or dropped for flooding). The queue is closed,
    so polling cannot move the offset again before the updater stops. Earlier batches were confirmed by the
    polls that followed them; the drain handles them (or, beyond its bound, drops them: UPDATE_BACKLOG_MAX).
    """
    processor = app.update_processor
    if not isinstance(processor, PerUserUpdateProcessor):
        return
    handled = processor.handled_through
    if not hasattr(app.updater, "_last_update_id"):  # PTB changed: say so rather than confirm too much
        logger.warning("cannot set the offset confirmed at stop: updates of the last batch may come again")
        return
    # 0 confirms nothing: nothing was handled since start.
    app.updater._last_update_id = 0 if handled is None else handled + 1
    logger.info("confirming updates up to %s", "none" if handled is None else handled)


async def _probe_webhook(app: Any, heartbeat: Heartbeat) -> None:
    """Ask Telegram for the webhook's state every WEBHOOK_PROBE_SECONDS; beat when it answers."""
    while True:
        try:
            await app.bot.get_webhook_info()
        except TelegramError as exc:
            logger.warning("webhook probe failed: %s", exc)
        else:
            heartbeat.beat()
        await asyncio.sleep(WEBHOOK_PROBE_SECONDS)


async def _start_webhook(app: Any, settings: Settings, heartbeat: Heartbeat | None = None) -> web.AppRunner:
    """Serve the webhook on ``WEBHOOK_LISTEN:PORT`` and register it with Telegram."""
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    # Imported here: aiohttp costs a long-polling bot a tenth of a second of start-up for nothing.
    from aiohttp import web

    from bot.webhook import webhook_app

    path = urlsplit(settings.webhook_url).path
    on_call = heartbeat.beat if heartbeat is not None else None
    runner = web.AppRunner(webhook_app(app.bot, app.update_queue, path, settings.webhook_secret, on_call=on_call))
    await runner.setup()
    await web.TCPSite(runner, settings.webhook_listen, settings.port).start()
    logger.info("webhook listening on %s:%d", settings.webhook_listen, settings.port)
    await app.bot.set_webhook(
        settings.webhook_url, secret_token=settings.webhook_secret, allowed_updates=ALLOWED_UPDATES
    )
    return runner
