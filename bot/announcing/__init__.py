"""Announcements: the admins' /announce wizard and /announcements, and the delivery engine (``delivery``) that
sends each copy, durably and within Telegram's rates. The handlers (``bot.announcing.handlers``) are registered
by the composition root; other features use the names below.
"""

from bot.announcing.buttons import CHART_PATTERN, Admin, AdminButton
from bot.announcing.buttons import read as read_button
from bot.announcing.drafts import figures_text
from bot.announcing.screens import bold, button
from bot.announcing.services import engine_of

__all__ = ["CHART_PATTERN", "Admin", "AdminButton", "bold", "button", "engine_of", "figures_text", "read_button"]
