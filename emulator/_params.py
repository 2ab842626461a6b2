"""Parameter helpers and the registry of emulated Bot API methods."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from ._core import Params
from ._models import bad_request

__all__ = ["API_METHODS", "Handler", "api", "flag", "inline_part", "int_param", "opt_int"]

logger = logging.getLogger(__name__)

Handler = Callable[[Any, Params], Any]
_F = TypeVar("_F", bound=Handler)

# lower-cased method name -> (canonical name, implementation)
API_METHODS: dict[str, tuple[str, Handler]] = {}


def api(name: str) -> Callable[[_F], _F]:
    """Register a method implementation under its Bot API name (matched case-insensitively)."""

    def register(fn: _F) -> _F:
        API_METHODS[name.lower()] = (name, fn)
        return fn

    return register


def int_param(p: Params, name: str) -> int:
    """Return a required integer parameter or raise Telegram's 400."""
    value = p.get(name)
    if value is None or value == "":
        raise bad_request(f"Bad Request: {name} is empty")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"Bad Request: invalid {name} specified") from None


def opt_int(p: Params, name: str, default: int) -> int:
    """Return an optional integer parameter."""
    return default if p.get(name) in (None, "") else int_param(p, name)


def flag(p: Params, name: str) -> bool:
    """Return a boolean parameter (accepting JSON and form encodings)."""
    value = p.get(name)
    if isinstance(value, str):
        return value.lower() in ("true", "1")
    return bool(value)


def inline_part(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return the markup if it is an inline keyboard (the part Telegram compares on edits)."""
    return markup if markup and "inline_keyboard" in markup else None
