"""The announcing feature's own services in the application: the delivery engine (absent when the bot runs
without one, e.g. the reading benchmark)."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from bot.announcing.delivery import BroadcastEngine

__all__ = ["ENGINE_KEY", "engine_of"]

ENGINE_KEY = "delivery_engine"


def engine_of(bot_data: MutableMapping[Any, Any]) -> BroadcastEngine | None:
    """The application's delivery engine, once start-up has made it."""
    engine: BroadcastEngine | None = bot_data.get(ENGINE_KEY)
    return engine
