"""The feature's state in the running bot: the settings, the built files (once ready) and the uploads' ids.

At start-up the files of this content version are looked up in the cache; when they are not there yet (a new
content version or release), a process of its own (``bot/offline/build.py``, at low priority) builds them a
little after start-up, and downloads are offered from then on. The bot answers readers meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.offline.document import BRIEF
from bot.offline.file_ids import FileIds
from bot.offline.settings import SETTINGS_FILE, OfflineSettings, OfflineSettingsError, load_offline_settings
from bot.offline.store import Shelf, shelf_directory, shelf_key
from bot.reading.library import Library
from bot.storage.database import Database

__all__ = ["BUILD_DELAY", "OFFLINE_KEY", "Offline", "start_offline", "stop_offline"]

logger = logging.getLogger(__name__)

OFFLINE_KEY = "offline"  # in bot_data
# Seconds between start-up and a build: the start (getMe, the first updates, the health check) goes first.
BUILD_DELAY = 5.0
BUILD_NICENESS = 10  # the build process yields the CPU to the bot's own
_PR_SET_PDEATHSIG = 1  # Linux prctl(2): a signal for the child when its parent dies


@dataclass
class Offline:
    """What the download handlers need."""

    settings: OfflineSettings | None  # None: content/offline.yaml is missing or wrong, downloads are off
    file_ids: FileIds
    library: Library
    shelf: Shelf | None = None  # None until the files are built
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def subjects(self) -> frozenset[str]:
        """The themes readers may download, and the whole brief when any of them may."""
        if self.settings is None:
            return frozenset()
        content = self.library.content
        themes = {t.id for t in content.get(content.default).themes if self.settings.allows(t.id)}
        return frozenset(themes | ({BRIEF} if themes else set()))


def _load_settings(content_root: Path, theme_ids: tuple[str, ...]) -> OfflineSettings | None:
    if not (content_root / SETTINGS_FILE).is_file():
        logger.info("no %s in the content: downloads are off", SETTINGS_FILE)
        return None
    try:
        return load_offline_settings(content_root, theme_ids)
    except OfflineSettingsError as exc:
        logger.warning("downloads are off: %s", exc)
        return None


async def start_offline(
    bot_data: dict[Any, Any],
    *,
    database: Database,
    library: Library,
    username: str | None,
    content_root: Path,
    locales_root: Path,
    cache_dir: Path,
    default_language: str,
    delay: float = BUILD_DELAY,
) -> Offline:
    """Find this content version's files, or start building them; the state goes into ``bot_data``."""
    offline = Offline(_load_settings(content_root, library.content.theme_ids), FileIds(database), library)
    bot_data[OFFLINE_KEY] = offline
    if offline.settings is None:
        return offline
    key = shelf_key([content_root, locales_root], username)
    try:
        offline.shelf = Shelf.load(shelf_directory(cache_dir, key))
    except (OSError, ValueError, KeyError, TypeError):
        command = [
            *("-m", "bot.offline.build", "--content-dir", str(content_root), "--locales-dir", str(locales_root)),
            *("--cache-dir", str(cache_dir), "--default-language", default_language),
            *(("--username", username) if username else ()),
        ]
        offline.task = asyncio.create_task(_build(offline, command, delay), name="offline-build")
    return offline


async def _build(offline: Offline, arguments: list[str], delay: float) -> None:
    await asyncio.sleep(delay)
    logger.info("building the offline files of this content version")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *arguments,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=_in_child,
    )
    try:
        out, err = await process.communicate()
    except asyncio.CancelledError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise
    lines = out.decode(errors="replace").strip().splitlines()
    if process.returncode != 0 or not lines:
        logger.warning("could not build the offline files: %s", err.decode(errors="replace").strip()[-500:])
        return
    try:
        offline.shelf = Shelf.load(Path(lines[-1]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("the offline files are unreadable: %s", exc)
        return
    logger.info("offline files ready: %d", len(offline.shelf.files))


def _in_child() -> None:
    """Lower the build's priority, and end it with the bot should the bot be killed (Linux; elsewhere a build
    outlives a killed bot, and the next start clears what it left)."""
    os.nice(BUILD_NICENESS)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


async def stop_offline(bot_data: dict[Any, Any]) -> None:
    """Stop a build still running (its half-written files are dropped: they are written aside first)."""
    offline: Offline | None = bot_data.get(OFFLINE_KEY)
    if offline is None or offline.task is None:
        return
    offline.task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await offline.task
