"""Run the bot on Telegram: long polling, or a webhook when ``WEBHOOK_URL`` is set; stop within Docker's grace.

Start-up waits for the Bot API (a boot before the network is up, an outage) instead of exiting; only a token
Telegram rejects ends it for good. The stop is bounded as a whole, whatever the network does.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import getpass
import logging
import signal
import sqlite3
import time
from collections.abc import Awaitable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.app import ALLOWED_UPDATES, build_application, start_application, stop_application
from bot.config import Settings
from bot.content import ContentError
from bot.ops.exitcodes import ExitCode
from bot.ops.health import WEBHOOK_PROBE_SECONDS, Heartbeat
from bot.ops.logs import mask_token, setup_logging
from bot.ops.reloading import Reloader
from bot.reading.context import SERVICES_KEY, Services
from bot.storage import DatabaseLockedError, SchemaTooNewError
from bot.storage.backup import BackupError
from bot.telegram.limits import retry_after_seconds
from bot.telegram.updates import PerUserUpdateProcessor, UpdateQueue

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["STOP_SECONDS", "UPDATE_DRAIN_SECONDS", "backoff_delays", "run_bot", "serve"]

logger = logging.getLogger(__name__)

# Docker sends SIGKILL 10 s after SIGTERM. The updates already fetched get this long to finish; the rest of
# the backlog (at most UPDATE_BACKLOG_MAX) is dropped, leaving time to close the database cleanly.
UPDATE_DRAIN_SECONDS = 4.0
POLLING_TIMEOUT_SECONDS = 10  # getUpdates long-polling timeout, as in PTB's run_polling
# The whole stop, from the signal to the database closed: under Docker's 10 s (compose and the unit allow
# more), whatever the network does. Each step that may wait for Telegram gets a share of it.
STOP_SECONDS = 7.0
# Stop polling (or the webhook server) and confirm the fetched updates: one quick call. With Telegram
# unreachable it would wait for its own 5 s timeout; unconfirmed updates come again at the next start.
RECEIVING_STOP_SECONDS = 1.5
# Kept for what follows the drain: the delivery engine's stop (about 3 s at most) and closing the database.
SHUTDOWN_RESERVE_SECONDS = 3.5


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
    except InvalidToken:
        # PTB's message repeats the whole token: say it here, masked, and nothing else.
        logger.error(
            "Telegram rejected BOT_TOKEN %s (revoked or mistyped): put the current token from @BotFather in the "
            "settings and start again",
            mask_token(settings.token or ""),
        )
        return ExitCode.TOKEN_REJECTED
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
    except PermissionError as exc:
        # E.g. a lock file left by `brief-bot restore` run as another user.
        logger.error(
            "cannot use %s: permission denied for user %s; its files must belong to the user the bot runs as",
            exc.filename or settings.database_path,
            getpass.getuser(),
        )
        return ExitCode.DATABASE
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            return _unexpected()
        logger.error("cannot listen for the webhook: port %d is already in use", settings.port)
        return ExitCode.PORT_IN_USE
    except Exception:
        return _unexpected()
    return ExitCode.OK


def _unexpected() -> int:
    """Log the exception being handled through logging (which masks the token), not Python's own printer."""
    logger.critical("the bot stopped on an unexpected error", exc_info=True)
    return ExitCode.UNEXPECTED


def backoff_delays(first: float, cap: float) -> Iterator[float]:
    """``first``, then twice as long each time, up to ``cap`` seconds."""
    delay = first
    while True:
        yield delay
        delay = min(cap, delay * 2)


async def _reach_api(app: Any, backoff: tuple[float, float], stop: asyncio.Event) -> bool:
    """Initialise ``app`` (getMe), trying again while the Bot API does not answer; False if stopped meanwhile.

    One line per failed attempt, no traceback. InvalidToken (a token Telegram rejects) is not retried.
    """
    delays = backoff_delays(*backoff)
    attempt = 1
    stopping = asyncio.ensure_future(stop.wait())
    try:
        while True:
            delay = await _try_initialize(app, attempt, delays, stopping)
            if delay is None:
                return not stop.is_set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(stopping), delay)
            if stop.is_set():
                return False
            attempt += 1
    finally:
        stopping.cancel()


async def _try_initialize(
    app: Any, attempt: int, delays: Iterator[float], stopping: asyncio.Future[Any]
) -> float | None:
    """One attempt at ``app.initialize()``; None when it succeeded or a stop came first, else the wait before the next.

    A signal does not wait for a connection attempt that hangs (a black-holed route): the attempt is cancelled.
    """
    attempt_task = asyncio.ensure_future(app.initialize())
    await asyncio.wait({attempt_task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if not attempt_task.done():
        attempt_task.cancel()
        with contextlib.suppress(asyncio.CancelledError, TelegramError):
            await attempt_task
        logger.info("stopped before the Bot API answered")
        return None
    try:
        attempt_task.result()
    except RetryAfter as exc:
        wait = retry_after_seconds(exc)
        logger.warning("the Bot API asks to wait (attempt %d); next attempt in %.1f s", attempt, wait)
        return wait
    except NetworkError as exc:  # TimedOut too
        delay = next(delays)
        logger.warning("cannot reach the Bot API (attempt %d: %s); next attempt in %.1f s", attempt, exc, delay)
        return delay
    if attempt > 1:
        logger.info("the Bot API answered at attempt %d", attempt)
    return None


def _polling_error(exc: TelegramError) -> None:
    """PTB's polling loop failed a call and will retry: outages are told by ``Reachability``, other errors here."""
    if isinstance(exc, NetworkError):
        logger.debug("getUpdates failed: %s", exc)
    else:
        logger.warning("getUpdates failed: %s", exc)


class _StopBudget:
    """What is left of STOP_SECONDS; each step gets its share and the stop goes on without a step that overruns."""

    def __init__(self, seconds: float) -> None:
        self._deadline = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.0, self._deadline - time.monotonic())

    async def run(self, what: str, step: Awaitable[Any], seconds: float) -> bool:
        """Await ``step`` for at most ``seconds`` (and what is left); False if it was cut short."""
        bound = max(0.0, min(seconds, self.left()))
        try:
            await asyncio.wait_for(step, bound)
        except TimeoutError:
            logger.warning("stopping: %s took over %.1f s; going on without waiting for it", what, bound)
            return False
        return True


async def _close_storage(app: Any) -> None:
    """Close the database after a shut-down cut short: its connection's thread would keep the process alive."""
    services: Services | None = app.bot_data.get(SERVICES_KEY)
    if services is None:
        return
    try:
        await services.storage.close()
    except Exception as exc:  # closed already by post_shutdown, or failing: either way, exit
        logger.debug("closing the database after a cut-short stop: %s", exc)


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
    reloader = Reloader(app)
    loop.add_signal_handler(signal.SIGHUP, reloader.request)  # new texts without a restart (bot/ops/reloading.py)
    site: web.AppRunner | None = None
    probe: asyncio.Task[None] | None = None
    if not await _reach_api(app, settings.startup_backoff, stop):
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)
        return
    await start_application(app)
    try:
        if settings.webhook_url:
            site = await _start_webhook(app, settings, heartbeat)
            if heartbeat is not None:
                probe = asyncio.create_task(_probe_webhook(app, heartbeat))
        else:
            logger.info("starting long polling")
            await app.updater.start_polling(
                timeout=POLLING_TIMEOUT_SECONDS,
                allowed_updates=ALLOWED_UPDATES,
                bootstrap_retries=-1,  # deleteWebhook at start: an outage just after getMe is waited out too
                error_callback=_polling_error,
            )
        await stop.wait()
        if probe is not None:
            probe.cancel()
        if heartbeat is not None:
            heartbeat.clear()  # a bot that is stopping is not healthy
        began = time.monotonic()
        budget = _StopBudget(STOP_SECONDS)
        logger.info("stopping: no new updates; finishing the ones already received")
        # Stop receiving first: the webhook server stops accepting, and the queue takes no more updates (a
        # batch polling fetches meanwhile is never reported queued, so Telegram keeps it).
        if site is not None:
            await budget.run("closing the webhook server", site.cleanup(), RECEIVING_STOP_SECONDS)
        if isinstance(app.update_queue, UpdateQueue):
            app.update_queue.close()
        # Polling stops after the drain, so that its last call confirms what the drain handled: keep its share.
        polling = RECEIVING_STOP_SECONDS if app.updater.running else 0.0
        await _drain(app, min(UPDATE_DRAIN_SECONDS, budget.left() - SHUTDOWN_RESERVE_SECONDS - polling))
        if app.updater.running:
            _confirm_only_handled(app)
            await budget.run("stopping polling", app.updater.stop(), RECEIVING_STOP_SECONDS)
        # The engine bounds its own stop and the database is closed whatever happens before (post_shutdown).
        if not await budget.run("shutting down", stop_application(app), budget.left()):
            await _close_storage(app)
        dropped = app.update_processor.dropped if isinstance(app.update_processor, PerUserUpdateProcessor) else 0
        logger.info("stopped in %.1f s (%d updates dropped since start)", time.monotonic() - began, dropped)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)
        await reloader.close()
        if app.running:
            await stop_application(app)
        if heartbeat is not None:
            heartbeat.clear()


async def _drain(app: Any, seconds: float) -> None:
    """Let the backlog be handled for up to ``seconds``; then drop what is left."""
    try:
        await asyncio.wait_for(app.update_queue.join(), timeout=max(0.0, seconds))
    except TimeoutError:
        processor = app.update_processor
        if isinstance(processor, PerUserUpdateProcessor):
            logger.warning("stopping: updates still waiting after %.1f s are dropped", max(0.0, seconds))
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
        except NetworkError as exc:
            heartbeat.failed(exc.message)
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

    from bot.telegram.webhook import webhook_app

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
