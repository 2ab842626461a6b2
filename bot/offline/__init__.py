"""Offline copies of the brief (PDF and a self-contained web page per theme and language, and the whole brief):
the download button the reading pages draw, and what a copy is about. The handlers (``bot.offline.handlers``)
are registered by the composition root.
"""

from bot.offline.callbacks import DownloadChoice
from bot.offline.document import BRIEF, Form

__all__ = ["BRIEF", "DownloadChoice", "Form"]
