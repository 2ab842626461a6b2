"""Where ``content/`` and ``locales/`` are: ``CONTENT_DIR`` / ``LOCALES_DIR``, beside the package in a checkout,
or in the installed data (``<prefix>/share/brief-bot/``, whatever the prefix: venv, ``--user``, system)."""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path

__all__ = ["ENV_VARIABLES", "content_dir", "locales_dir"]

_DATA_NAME = "brief-bot"
# Editors point the bot at their own copy of the text with these, without rebuilding the package or image.
ENV_VARIABLES = {"content": "CONTENT_DIR", "locales": "LOCALES_DIR"}


def _candidates(name: str) -> list[Path]:
    package = Path(__file__).resolve().parent.parent  # bot/, this module being bot/ops/paths.py
    candidates = [package.parent / name]  # a checkout or an editable install
    # An installed package lives in <prefix>/lib/pythonX.Y/site-packages/bot, its data in <prefix>/share:
    # this finds the data for any prefix (venv, /usr/local in the image, ~/.local with pip install --user).
    if len(package.parents) > 3:
        candidates.append(package.parents[3] / "share" / _DATA_NAME / name)
    candidates += [
        Path(sysconfig.get_path("data")) / "share" / _DATA_NAME / name,
        Path(sysconfig.get_path("data", f"{os.name}_user")) / "share" / _DATA_NAME / name,
        Path(sys.prefix) / "share" / _DATA_NAME / name,
    ]
    return candidates


def _find(name: str) -> Path:
    override = os.environ.get(ENV_VARIABLES[name], "").strip()
    if override:
        return Path(override)
    candidates = _candidates(name)
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[0]


def content_dir() -> Path:
    """The directory holding ``<locale>/*.yaml`` (``CONTENT_DIR`` if set)."""
    return _find("content")


def locales_dir() -> Path:
    """The directory holding ``<lang>/LC_MESSAGES/messages.po`` (``LOCALES_DIR`` if set)."""
    return _find("locales")
