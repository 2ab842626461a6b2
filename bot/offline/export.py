"""``brief-bot export``: write the offline files for printing or a USB stick, and say what was written.

Every theme is written, whatever content/offline.yaml says about downloads in the bot: the organisation decides
what it prints. The files are the bot's own (the same builder and date), so a printed copy matches the chat.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bot.content import ContentError, load_content
from bot.languages.i18n import I18n
from bot.offline.document import BRIEF, Form
from bot.offline.settings import OfflineSettingsError, load_offline_settings
from bot.offline.shelf import build_files
from bot.offline.store import file_name
from bot.ops.exitcodes import ExitCode
from bot.reading.library import Library

__all__ = ["export_command"]


def export_command(
    out: Path,
    *,
    content_root: Path,
    locales_root: Path,
    default_language: str,
    languages: Sequence[str] | None = None,
    subjects: Sequence[str] | None = None,
    forms: Sequence[Form] | None = None,
    username: str | None = None,
) -> int:
    """Write the chosen files into ``out``; print each with its size; return an exit code."""
    started = time.monotonic()
    try:
        content = load_content(content_root)
        settings = load_offline_settings(content_root, content.theme_ids)
    except ContentError as exc:
        print(f"The content does not validate:\n{exc}", file=sys.stderr)
        return ExitCode.CONTENT
    except OfflineSettingsError as exc:
        print(exc, file=sys.stderr)
        return ExitCode.CONTENT
    known = (*content.theme_ids, BRIEF)
    if unknown := [s for s in subjects or () if s not in known]:
        print(f"No such theme: {', '.join(unknown)} (choose from: {', '.join(known)})", file=sys.stderr)
        return ExitCode.CONFIG
    i18n = I18n.load(locales_root, content.codes, default_language)
    out.mkdir(parents=True, exist_ok=True)
    total = count = 0
    built = build_files(
        Library(content),
        i18n,
        settings,
        username,
        codes=languages or content.codes,
        subjects=subjects or known,
        forms=forms or tuple(Form),
        every_theme=True,
        workers=os.cpu_count() or 1,
    )
    for code, subject, form, data in built:
        path = out / file_name(code, subject, form)
        path.write_bytes(data)
        count, total = count + 1, total + len(data)
        print(f"{len(data) / 1024:8.0f} KB  {path}")
    print(f"{count} files, {total / 1024:.0f} KB, in {time.monotonic() - started:.1f} s")
    return ExitCode.OK
