"""Every offline file built once per test session (about 20 s), shared by the offline tests."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.app import Static
from bot.offline.settings import load_offline_settings
from bot.offline.shelf import build_files, open_shelf
from bot.offline.store import Shelf, shelf_key
from bot.ops.paths import content_dir, locales_dir

EMULATOR_USERNAME = "brief_demo_bot"  # the emulator's default bot username, printed in the files
# What fpdf2 logged while the session's files were built: it names each glyph its font lacks.
BUILD_WARNINGS: list[str] = []


class _Collect(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        BUILD_WARNINGS.append(record.getMessage())


def build_shelf(static: Static, cache_dir: Path, username: str = EMULATOR_USERNAME) -> Shelf:
    """The files of the shipped content as the running bot would build them (its cache key, its directory)."""
    _, i18n, library, _ = static
    settings = load_offline_settings(content_dir(), library.content.theme_ids)
    key = shelf_key([content_dir(), locales_dir()], username)
    fpdf_log = logging.getLogger("fpdf")
    collect = _Collect(logging.WARNING)
    fpdf_log.addHandler(collect)
    try:
        return open_shelf(cache_dir, key, build_files(library, i18n, settings, username))
    finally:
        fpdf_log.removeHandler(collect)
