"""What the admins decide about offline copies, in ``content/offline.yaml``: the date printed on the files and
which themes may be downloaded in the bot."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["SETTINGS_FILE", "OfflineSettings", "OfflineSettingsError", "load_offline_settings"]

SETTINGS_FILE = "offline.yaml"


class OfflineSettingsError(ValueError):
    """``content/offline.yaml`` is malformed; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class OfflineSettings:
    """The date of the text, and the themes whose downloads are switched off."""

    date: dt.date
    disallowed: frozenset[str] = frozenset()

    def allows(self, theme_id: str) -> bool:
        """Whether readers may download ``theme_id``'s files in the bot."""
        return theme_id not in self.disallowed


def load_offline_settings(content_root: Path, theme_ids: tuple[str, ...]) -> OfflineSettings:
    """Read ``<content_root>/offline.yaml``; raise ``OfflineSettingsError`` saying where it is wrong."""
    path = content_root / SETTINGS_FILE
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise OfflineSettingsError(f"{path}: cannot be read: {exc}") from exc
    if not isinstance(raw, dict):
        raise OfflineSettingsError(f"{path}: expected a mapping with 'date' and 'downloads'")
    date = raw.get("date")
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        raise OfflineSettingsError(f"{path}: date: expected a day such as 2026-12-06, found {date!r}")
    downloads = raw.get("downloads") or {}
    if not isinstance(downloads, dict):
        raise OfflineSettingsError(f"{path}: downloads: expected a mapping of theme ids to true or false")
    for theme_id, allowed in downloads.items():
        if theme_id not in theme_ids:
            raise OfflineSettingsError(f"{path}: downloads.{theme_id}: unknown theme (known: {', '.join(theme_ids)})")
        if not isinstance(allowed, bool):
            raise OfflineSettingsError(f"{path}: downloads.{theme_id}: expected true or false, found {allowed!r}")
    return OfflineSettings(date, frozenset(k for k, v in downloads.items() if v is False))
