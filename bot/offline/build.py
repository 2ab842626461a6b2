"""Fill the offline files' cache for one content version, in a process of its own (``python -m
bot.offline.build``): the running bot starts it, so building never holds up a reader's reply.

Prints the directory of the built files on its last line.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.content import ContentError, load_content
from bot.languages.i18n import I18n
from bot.offline.settings import OfflineSettingsError, load_offline_settings
from bot.offline.shelf import build_files, open_shelf
from bot.offline.store import shelf_key
from bot.reading.library import Library

__all__ = ["build_cache", "main"]


def build_cache(
    content_root: Path, locales_root: Path, cache_dir: Path, username: str | None, default_language: str
) -> Path:
    """Build (or find) every offline file of this content version; return their directory."""
    content = load_content(content_root)
    i18n = I18n.load(locales_root, content.codes, default_language)
    settings = load_offline_settings(content_root, content.theme_ids)
    key = shelf_key([content_root, locales_root], username)
    built = build_files(Library(content), i18n, settings, username, workers=os.cpu_count() or 1)
    shelf = open_shelf(cache_dir, key, built)
    return shelf.directory


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.offline.build", description=__doc__)
    parser.add_argument("--content-dir", type=Path, required=True)
    parser.add_argument("--locales-dir", type=Path, required=True)
    parser.add_argument("--cache-dir", type=Path, required=True)
    parser.add_argument("--username", default=None)
    parser.add_argument("--default-language", default="ru")
    args = parser.parse_args(argv)
    try:
        directory = build_cache(
            args.content_dir, args.locales_dir, args.cache_dir, args.username, args.default_language
        )
    except (ContentError, OfflineSettingsError, OSError) as exc:
        print(f"cannot build the offline files: {exc}", file=sys.stderr)
        return 1
    print(directory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
