"""Memory under forged input: N forged callbacks and deep links through ``Application.process_update``, offline.

Every Bot API call is answered in-process (bench/reading.py's InstantRequest): no sockets, no internet. Each
update comes from a different person and carries ids that look real but do not exist. Prints the RSS growth
and the sizes of the structures that could grow with it.

Run: ``.venv/bin/python bench/forged.py [--updates 1000000]``. The SIGTERM-under-a-flood figure is measured by
``tests/test_shutdown_e2e.py`` (``pytest -s`` prints nothing extra; it asserts the 8 s deadline).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Update

from bench.reading import TOKEN, InstantRequest, callback_update, message_update
from bot.app import build_application, load_static, start_application, stop_application
from bot.config import Settings
from bot.reading.context import SERVICES_KEY


def rss_mb() -> float:
    """Current resident set size in MB (Linux /proc)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 1e6


def forged(i: int) -> dict[str, Any]:
    user = 1_000_000 + i
    junk = f"x{i}"
    match i % 5:
        case 0:
            return callback_update(i, user, f"1:t:{junk}")
        case 1:
            return callback_update(i, user, f"1:s:gbv:{junk}:0")
        case 2:
            return callback_update(i, user, f"1:s:gbv:barriers:{100 + i % 90000}")
        case 3:
            return callback_update(i, user, f"1:a:{100 + i % 90000}")
    return message_update(i, user, f"/start s_{junk}_{junk}")


async def run(updates: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(token=TOKEN, database_path=Path(tmp) / "forged.sqlite3")
        app: Any = build_application(
            settings, static=load_static(settings), request=InstantRequest(), sync_bot_profile=False, broadcast=False
        )
        await start_application(app)
        warm = 20_000  # fill the bounded caches (users, SQLite's page cache) before the baseline
        for i in range(warm):
            await app.process_update(Update.de_json(forged(i), app.bot))
        gc.collect()
        before = rss_mb()
        started = time.monotonic()
        for i in range(warm, warm + updates):
            await app.process_update(Update.de_json(forged(i), app.bot))
            if i % 100_000 == 0:
                print(f"  {i - warm:>9,} updates  RSS {rss_mb():6.1f} MB", flush=True)
        gc.collect()
        after = rss_mb()
        screens = app.bot_data[SERVICES_KEY].screens
        storage = app.bot_data[SERVICES_KEY].storage
        print(f"{updates:,} forged updates in {time.monotonic() - started:.0f} s")
        print(f"RSS before {before:.1f} MB, after {after:.1f} MB: growth {after - before:+.1f} MB (target < 5 MB)")
        caches = [
            getattr(screens, name).cache_info().currsize for name in ("_theme_cache", "_section_cache", "_about_cache")
        ]
        persistence_sets = (
            len(app._user_ids_to_be_updated_in_persistence),
            len(app._chat_ids_to_be_updated_in_persistence),
        )
        print(f"screen caches (theme, section, about): {caches}; user cache {len(storage.readers._users)}")
        print(f"PTB's per-user and per-chat sets: {persistence_sets}")
        await stop_application(app)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=1_000_000)
    asyncio.run(run(parser.parse_args().updates))


if __name__ == "__main__":
    main()
