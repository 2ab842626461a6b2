"""The durable, rate-limited delivery engine for announcements.

An announcement's recipients are rows of the ``deliveries`` table (one per person, written once by
``storage.deliveries.queue``). The engine streams them in small claimed batches, copies the admin's message to
each under a global pacer and a per-chat gap, and writes the outcomes back in batches; memory stays flat
whatever the audience, and a restart carries on where the last run stopped.

The package: ``engine`` (BroadcastEngine: the public API and the loop over announcements), ``run`` (one
announcement being sent), ``send`` (one copy and what its answer means), ``outage`` (the degraded/outage
state), ``progress`` (Progress, the recent rate), ``settings`` (constants and the knobs a run reads).

Crash safety and the duplicate bound
------------------------------------
A delivery is claimed (state 'sending') before it is sent, and settled ('sent', 'blocked', 'gone', 'failed',
or 'pending' again for a retry) only when its outcome is committed. Claims only ever take 'pending' rows, so
nobody recorded as 'sent' is sent to again; a restart returns rows left in 'sending' to 'pending'
(``deliveries.release``), so nobody is skipped. The only people who can get a second copy after a crash (SIGKILL,
power cut) are those whose message was delivered but whose outcome was not committed yet: a subset of the rows
in 'sending' at that moment. The engine claims only while its claimed-but-unsettled rows stay within a window
``W`` (``engine.duplicate_bound``), so at most ``W`` people get a duplicate per crash. By default
``W = DUPLICATE_BOUND = 128``: room for the sends in flight (at most ``max_in_flight``, 32), a batch of outcomes
waiting for the next flush (every ``FLUSH_INTERVAL`` seconds) and a claimed batch ready to send, which is what
the engine needs to keep the pacer busy up to ~1,000 messages/s; batches are sized to fit. In practice far
fewer: claimed rows not yet sent are no duplicates, so at 25-30 messages/s a crash repeats a handful.

Separately, a request that timed out may have been delivered by Telegram anyway (the Bot API has no
idempotency key); it is retried, so an ambiguous network failure can also give one person a second copy. The
same holds for a send cut off by a stop: ``stop()`` returns within ``STOP_TIMEOUT``, and a send still without an
answer then is recorded as pending again with a try counted (``UNANSWERED``), so it is sent once more.

Pause and cancel: a claim takes rows only while the announcement is running (the claiming statement checks),
and a run is set under the lock that pause and cancel take, so after either returns no further copy leaves.
"""

from bot.announcing.delivery.engine import BroadcastEngine
from bot.announcing.delivery.pacer import CHAT_GAP, WINDOW_MARGIN
from bot.announcing.delivery.progress import Progress, ProgressListener
from bot.announcing.delivery.settings import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_OUTAGE_HORIZON,
    DEFAULT_PROGRESS_INTERVAL,
    DUPLICATE_BOUND,
    FLUSH_INTERVAL,
    OUTAGE_CHATS,
    PROBE_BASE,
    PROBE_CAP,
    TICK,
    MarkupFor,
    NeutralFor,
)

__all__ = [
    "CHAT_GAP",
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_MAX_IN_FLIGHT",
    "DEFAULT_OUTAGE_HORIZON",
    "DEFAULT_PROGRESS_INTERVAL",
    "DUPLICATE_BOUND",
    "FLUSH_INTERVAL",
    "OUTAGE_CHATS",
    "PROBE_BASE",
    "PROBE_CAP",
    "TICK",
    "WINDOW_MARGIN",
    "BroadcastEngine",
    "MarkupFor",
    "NeutralFor",
    "Progress",
    "ProgressListener",
]
