"""Where other features add to reading without reading knowing them: a row under a section's page, a step of
/forget. Each feature's ``install`` adds its hooks at start-up (bot/app.py); reading calls them in that order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import Application

from bot.reading.context import BotContext, Reader
from bot.reading.screens import Screen

__all__ = ["HOOKS_KEY", "ForgetHook", "ReadingHooks", "SectionPageHook", "hooks_of"]

HOOKS_KEY = "reading_hooks"

# (context, reader, theme, section, page, the page as reading built it) -> the page to show
SectionPageHook = Callable[[BotContext, Reader, str, str, int, Screen], Awaitable[Screen]]
# (context, the reader's id) -> anything; called after reading erased the reader's own data
ForgetHook = Callable[[BotContext, int], Awaitable[object]]


@dataclass(slots=True)
class ReadingHooks:
    """The hooks of one application, added to at start-up and then only read."""

    section_page: list[SectionPageHook] = field(default_factory=list)
    forget: list[ForgetHook] = field(default_factory=list)


def hooks_of(app: Application[Any, Any, Any, Any, Any, Any]) -> ReadingHooks:
    """The hooks of ``app`` (made on first use)."""
    hooks: ReadingHooks = app.bot_data.setdefault(HOOKS_KEY, ReadingHooks())
    return hooks
