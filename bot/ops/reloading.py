"""Reload the content and the interface catalogues in the running bot, without a restart.

SIGHUP (``systemctl reload``, ``docker compose kill -s HUP``, or ``brief-bot reload``) re-reads and validates
both, then swaps them in as one reference: the services object every handler reads per update. A reader who
is mid-page sees the new text on their next tap; ids do not change, so open menus and deep links keep working.
If anything fails, the bot keeps the texts it has: one log line, and the admins are told.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import signal
import sys
from pathlib import Path

from telegram.error import TelegramError

from bot import help as bot_help
from bot.app import STATIC_CACHE_DIR, load_static
from bot.content import ContentError
from bot.offline.service import start_offline, stop_offline
from bot.ops.exitcodes import ExitCode
from bot.ops.paths import content_dir, locales_dir
from bot.reading.context import SERVICES_KEY, BotApp, Services
from bot.reading.screens import Screens
from bot.storage.lock import lock_holder

__all__ = ["Reloader", "reload_static", "send_reload"]

logger = logging.getLogger(__name__)


async def reload_static(app: BotApp) -> bool:
    """Load the content and catalogues again and swap them in; keep the old ones (and say so) if that fails."""
    services: Services | None = app.bot_data.get(SERVICES_KEY)
    if services is None:
        logger.warning("reload asked before the bot finished starting: nothing to reload yet")
        return False
    settings = services.settings
    cache = settings.database_path.parent / STATIC_CACHE_DIR
    try:
        content, i18n, library, search = await asyncio.to_thread(load_static, settings, None, cache)
    except ContentError as exc:
        first = exc.problems[0] if exc.problems else ""
        logger.warning(
            "reload failed, the old texts stay: %d content problem(s), the first: %s", len(exc.problems), first
        )
        await _tell_admins(app, services)
        return False
    except Exception as exc:  # a catalogue Babel cannot read, a file that went away: the bot must go on
        logger.warning("reload failed, the old texts stay: %s: %s", exc.__class__.__name__, exc)
        await _tell_admins(app, services)
        return False
    content_root = settings.content_dir or content_dir()
    try:
        # The help directory and the staying-safe page are content too (installed only when valid).
        extras = bot_help.install(app, content_root, content.codes, i18n)
    except ContentError as exc:
        logger.warning("reload failed, the old texts stay: %d problem(s) in the help directory", len(exc.problems))
        await _tell_admins(app, services)
        return False
    # The offline copies follow the new content: found in the cache, or built again in the background.
    await stop_offline(app.bot_data)
    offline = await start_offline(
        app.bot_data,
        database=services.storage.database,
        library=library,
        username=services.screens.username,
        content_root=content_root,
        locales_root=settings.locales_dir or locales_dir(),
        cache_dir=cache,
        default_language=settings.default_language,
    )
    screens = Screens(
        library,
        i18n,
        search,
        services.screens.username,
        offline.subjects,
        extras=extras,
        commands=services.screens.commands,
    )
    app.bot_data[SERVICES_KEY] = dataclasses.replace(
        services, content=content, i18n=i18n, library=library, search=search, screens=screens
    )
    logger.info("content and catalogues reloaded: %d languages", len(content.codes))
    return True


async def _tell_admins(app: BotApp, services: Services) -> None:
    """Each admin, in their language: the new texts did not load, readers still see the old ones."""
    for admin_id in sorted(services.settings.admin_ids):
        record = await services.storage.readers.get(admin_id)
        t = services.i18n.get(record.language if record else services.settings.default_language)
        text = t.gettext(
            "The new texts have errors, so the bot did not load them. Readers still see the old texts. "
            "On the server, run: brief-bot check-content"
        )
        try:
            await app.bot.send_message(admin_id, text)
        except TelegramError as exc:
            logger.info("could not tell admin %s that the reload failed: %s", admin_id, exc.__class__.__name__)


class Reloader:
    """Runs one reload at a time for SIGHUP; a signal during a reload runs one more after it."""

    def __init__(self, app: BotApp) -> None:
        self._app = app
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self.done = 0  # reloads finished, swapped in or not (tests wait on it)

    def request(self) -> None:
        """Start a reload (the SIGHUP handler)."""
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.get_running_loop().create_task(self._run(), name="reload")

    async def _run(self) -> None:
        while True:
            self._again = False
            try:
                await reload_static(self._app)
            except Exception:  # never let a reload take the bot down
                logger.exception("reload failed")
            self.done += 1
            if not self._again:
                return

    async def close(self) -> None:
        """Wait for a reload in progress (at stop)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


def send_reload(database: Path) -> int:
    """``brief-bot reload``: SIGHUP to the bot that holds ``database``'s lock."""
    try:
        holder = lock_holder(database)
    except OSError as exc:  # e.g. the lock file belongs to the bot's user
        print(f"cannot read {database}.lock: {exc.strerror}: run this as the bot's user", file=sys.stderr)
        return ExitCode.DATABASE
    if holder is None:
        print(f"no bot is running on {database} (set DATABASE_PATH to the running bot's database)", file=sys.stderr)
        return ExitCode.DATABASE
    pid, owner = holder
    if owner != "bot":
        print(f"process {pid} holding {database} is a {owner or 'tool'}, not the bot: try again later", file=sys.stderr)
        return ExitCode.ANOTHER_BOT_RUNNING
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError:
        print(f"the bot (pid {pid}) is not running", file=sys.stderr)
        return ExitCode.DATABASE
    except PermissionError:
        print(f"not allowed to signal the bot (pid {pid}): run this as the bot's user", file=sys.stderr)
        return ExitCode.DATABASE
    print(f"asked the bot (pid {pid}) to reload its texts; its log says whether they loaded")
    return ExitCode.OK
