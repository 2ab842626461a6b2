"""Announcements: the admins' /announce wizard and /announcements, and the delivery engine (``delivery``) that
sends each copy, durably and within Telegram's rates. The handlers (``bot.announcing.handlers``) are registered
by the composition root; other features use the names below.
"""

from bot.announcing.buttons import CHART_PATTERN, Admin, AdminButton, admin_pressed
from bot.announcing.drafts import figures_text
from bot.announcing.screens import bold, button
from bot.announcing.services import engine_of

__all__ = ["CHART_PATTERN", "Admin", "AdminButton", "admin_pressed", "bold", "button", "engine_of", "figures_text"]
