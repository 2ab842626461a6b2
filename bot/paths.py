"""Where ``content/`` and ``locales/`` are: beside the package in a checkout, or in the installed data."""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

__all__ = ["content_dir", "locales_dir"]

_DATA_NAME = "brief-bot"


def _find(name: str) -> Path:
    candidates = [
        Path(__file__).resolve().parent.parent / name,  # a checkout or an editable install
        Path(sysconfig.get_path("data")) / "share" / _DATA_NAME / name,  # pip install . (data-files)
        Path(sys.prefix) / "share" / _DATA_NAME / name,
    ]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[0]


def content_dir() -> Path:
    """The directory holding ``<locale>/*.yaml``."""
    return _find("content")


def locales_dir() -> Path:
    """The directory holding ``<lang>/LC_MESSAGES/messages.po``."""
    return _find("locales")
