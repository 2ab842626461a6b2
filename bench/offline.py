"""Sizes of every offline file (theme × language × form, and the whole brief per language) and the time to build
them all, against the targets: a theme's PDF ≤ 200 KB, its HTML ≤ 60 KB, the whole brief's PDF ≤ 600 KB, all
files of all languages ≤ 30 s. Prints numbers; it is not a test.

Run: ``.venv/bin/python bench/offline.py``.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import load_static
from bot.config import Settings
from bot.offline.document import BRIEF, Form
from bot.offline.settings import load_offline_settings
from bot.offline.shelf import build_files
from bot.ops.paths import content_dir

KB = 1024
TARGETS = {("theme", Form.PDF): 200 * KB, ("theme", Form.HTML): 60 * KB, ("brief", Form.PDF): 600 * KB}
BUILD_TARGET = 30.0


def main() -> None:
    content, i18n, library, _ = load_static(Settings())
    settings = load_offline_settings(content_dir(), content.theme_ids)
    started = time.perf_counter()
    sizes: dict[tuple[str, str, Form], int] = {}
    workers = os.cpu_count() or 1
    for code, subject, form, data in build_files(
        library, i18n, settings, "brief_bot", every_theme=True, workers=workers
    ):
        sizes[code, subject, form] = len(data)
    elapsed = time.perf_counter() - started
    subjects = (*content.theme_ids, BRIEF)
    print("KB per file: PDF / HTML (* over its target)")
    print(f"{'':6}" + "".join(f"{s:>16}" for s in subjects))
    over = 0
    for code in content.codes:
        cells = []
        for subject in subjects:
            kind = "brief" if subject == BRIEF else "theme"
            parts = []
            for form in Form:
                size = sizes[code, subject, form]
                late = size > TARGETS.get((kind, form), size)
                over += late
                parts.append(f"{size / KB:.0f}{'*' if late else ''}")
            cells.append(" / ".join(parts))
        print(f"{code:6}" + "".join(f"{cell:>16}" for cell in cells))
    largest = {
        key: max(size for (_, s, f), size in sizes.items() if ("brief" if s == BRIEF else "theme", f) == key)
        for key in TARGETS
    }
    for (kind, form), limit in TARGETS.items():
        print(f"largest {kind} {form.value}: {largest[kind, form] / KB:.0f} KB (target ≤ {limit / KB:.0f} KB)")
    print(f"built by {workers} worker process(es), one language each at a time")
    print(
        f"{len(sizes)} files, {sum(sizes.values()) / KB:.0f} KB in all, built in {elapsed:.1f} s "
        f"(target ≤ {BUILD_TARGET:.0f} s), {over} over a size target"
    )


if __name__ == "__main__":
    main()
