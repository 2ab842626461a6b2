"""What is read, as figures for the admins: /stats (today's counters, readers, subscribers, the weekly charts),
/export (CSV files), one announcement's delivery chart. Counts under ``SMALL_COUNT`` show as "< 5" everywhere
figures are shown, by any feature. The handlers (``bot.impact.handlers``) are registered by the composition root.
"""

from bot.impact.counts import SMALL_COUNT, shown, suppressed

__all__ = ["SMALL_COUNT", "shown", "suppressed"]
