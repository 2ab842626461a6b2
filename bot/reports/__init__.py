"""Readers' reports of a problem with a page: the buttons the reading pages draw, and the desk that holds a report
while it waits for a comment. The handlers (``bot.reports.handlers``) are registered by the composition root.
"""

from bot.reports.buttons import ABOUT_PAGE, ReportKind, ReportPage, ReportSend, ReportWhat
from bot.reports.desk import ReportDesk, desk_of

__all__ = ["ABOUT_PAGE", "ReportDesk", "ReportKind", "ReportPage", "ReportSend", "ReportWhat", "desk_of"]
