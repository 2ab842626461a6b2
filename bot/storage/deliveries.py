"""The durable delivery queue of announcements: queued recipients, claims, outcomes, figures, and their expiry.

Every recipient has one row in ``deliveries``; the broadcast engine (bot/announcing/delivery/) claims due rows, sends,
and records each outcome, so a crash or a pause resumes where it stopped and nobody gets a message twice.

A delivery row ties a reader's id to an announcement and so to its themes. Once an announcement is done or
cancelled and past DELIVERY_RETENTION_DAYS (its window for "↻ Retry failed" and for the unsubscribe button
under it, which needs only the announcement's topics), ``purge`` drops its rows and the totals they added up to
stay on the announcement row; ``figures`` reads those from then on.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

import aiosqlite

from bot.storage.announcements import Announcements, audience_sql, stored_totals
from bot.storage.database import Database, now_iso
from bot.storage.readers import Readers
from bot.storage.records import AnnouncementState, Delivery, DeliveryFigures, DeliveryState, Outcome

__all__ = ["QUEUE_CHUNK", "TIMELINE_STATES", "Deliveries"]

# Recipients are queued (and expired rows dropped) this many users per transaction (see queue and purge).
QUEUE_CHUNK = 20_000

# Outcomes drawn on an announcement's delivery chart (a retry that is pending again is not an outcome yet).
TIMELINE_STATES = (DeliveryState.SENT, DeliveryState.BLOCKED, DeliveryState.GONE, DeliveryState.FAILED)


async def _add_to_timeline(db: aiosqlite.Connection, announcement_id: int, counts: Mapping[DeliveryState, int]) -> None:
    """Add outcomes to this minute's bucket of ``announcement_id`` (inside the caller's transaction)."""
    minute = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M")
    await db.executemany(
        "INSERT INTO delivery_timeline (announcement_id, minute, state, count) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (announcement_id, minute, state) DO UPDATE SET count = count + excluded.count",
        [(announcement_id, minute, state, n) for state, n in counts.items() if n],
    )


IN_CHUNK = 500  # ids per "IN (...)" list: well under SQLite's limit of 999 bound parameters in older builds


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + IN_CHUNK] for i in range(0, len(ids), IN_CHUNK)]


class Deliveries:
    """The delivery queue: its audience is the announcement's (``announcements``), and a recipient found blocked
    is marked so among the ``readers``."""

    def __init__(self, database: Database, announcements: Announcements, readers: Readers) -> None:
        self._database = database
        self._announcements = announcements
        self._readers = readers

    @property
    def _db(self) -> aiosqlite.Connection:
        return self._database.connection

    async def queue(self, announcement_id: int) -> int:
        """Write one pending delivery row per recipient (once) and mark the announcement running.

        Only a scheduled or queued announcement is queued (a cancelled one stays cancelled). Rows are written
        in chunks of users, each its own short transaction, so readers' writes never wait long behind a
        million-row queue; a crash half-way is harmless (INSERT OR IGNORE: queueing again completes it).
        """
        announcement = await self._announcements.get(announcement_id)
        if announcement is None or announcement.state not in (AnnouncementState.SCHEDULED, AnnouncementState.QUEUED):
            return 0
        after = -1
        while True:
            async with self._db.execute(
                "SELECT max(user_id) FROM (SELECT user_id FROM users WHERE user_id > ? ORDER BY user_id LIMIT ?)",
                (after, QUEUE_CHUNK),
            ) as cur:
                row = await cur.fetchone()
            if row is None or row[0] is None:
                break
            upto = int(row[0])
            sql, params = audience_sql(
                announcement.topics, announcement.language, self._database.default_language, (after, upto)
            )
            async with self._database.transaction() as db:
                await db.execute(
                    f"INSERT OR IGNORE INTO deliveries (announcement_id, user_id, language) SELECT ?, user_id, lang "
                    f"FROM ({sql})",
                    [announcement_id, *params],
                )
            after = upto
        await self._database.execute_write(
            "UPDATE announcements SET state = 'running', started_at = coalesce(started_at, ?) "
            "WHERE id = ? AND state IN ('scheduled', 'queued')",
            (now_iso(), announcement_id),
        )
        return (await self.figures(announcement_id)).total

    async def claim(self, announcement_id: int, limit: int, now: float) -> list[Delivery]:
        """Mark up to ``limit`` due pending deliveries as 'sending' and return them (lowest user id first).

        Nothing is claimed unless the announcement is running at that moment: the state is read by the claiming
        statement itself, so once a pause or a cancel is stored no later claim takes a row, whatever the timing.
        """
        # One statement is its own transaction (the connection is in autocommit mode): one hop to aiosqlite's
        # thread instead of five (BEGIN, execute, fetch, close, COMMIT), at ~100 claims a second at full speed.
        async with self._database.write_lock:
            rows = await self._db.execute_fetchall(
                """
                UPDATE deliveries SET state = 'sending'
                WHERE announcement_id = ?
                  AND EXISTS (SELECT 1 FROM announcements WHERE id = ? AND state = 'running')
                  AND user_id IN (
                    SELECT user_id FROM deliveries
                    WHERE announcement_id = ? AND state = 'pending' AND not_before <= ?
                    ORDER BY not_before, user_id LIMIT ?)
                RETURNING user_id, language, attempts,
                    (SELECT discreet FROM users WHERE users.user_id = deliveries.user_id)
                """,
                (announcement_id, announcement_id, announcement_id, now, limit),
            )
        return sorted((Delivery(int(r[0]), str(r[1]), int(r[2]), bool(r[3])) for r in rows), key=lambda d: d.user_id)

    async def record_outcomes(self, announcement_id: int, outcomes: Iterable[Outcome]) -> None:
        """Write the results of sent deliveries in one transaction."""
        rows = list(outcomes)
        if not rows:
            return
        # Most outcomes of a batch are alike ('sent', no error): one UPDATE per kind of outcome and chunk of
        # ids costs a fraction of one UPDATE per row.
        groups: dict[tuple[str, str | None, float], list[int]] = defaultdict(list)
        for o in rows:
            groups[(o.state, o.error, o.not_before)].append(o.user_id)
        gone = [o.user_id for o in rows if o.state in (DeliveryState.BLOCKED, DeliveryState.GONE)]
        async with self._database.transaction() as db:
            for (state, error, not_before), ids in groups.items():
                for chunk in _chunks(ids):
                    await db.execute(
                        "UPDATE deliveries SET state = ?, attempts = attempts + 1, last_error = ?, not_before = ? "
                        f"WHERE announcement_id = ? AND user_id IN ({', '.join('?' * len(chunk))})",
                        (state, error, not_before, announcement_id, *chunk),
                    )
            for chunk in _chunks(gone):
                await db.execute(
                    f"UPDATE users SET blocked = 1 WHERE user_id IN ({', '.join('?' * len(chunk))})", chunk
                )
            settled = Counter(o.state for o in rows if o.state in TIMELINE_STATES)
            await _add_to_timeline(db, announcement_id, settled)
        for user_id in gone:
            self._readers.changed(user_id)

    async def release(self, announcement_id: int) -> int:
        """Return deliveries left in 'sending' (by a crash or a pause) to 'pending'; return how many."""
        return await self._database.execute_write(
            "UPDATE deliveries SET state = 'pending' WHERE announcement_id = ? AND state = 'sending'",
            (announcement_id,),
        )

    async def fail_pending(self, announcement_id: int, error: str) -> int:
        """Mark every pending delivery failed with ``error`` (an outage outlasted the horizon); return how many."""
        async with self._database.transaction() as db:
            cursor = await db.execute(
                "UPDATE deliveries SET state = 'failed', last_error = ? "
                "WHERE announcement_id = ? AND state = 'pending'",
                (error, announcement_id),
            )
            count = cursor.rowcount
            await _add_to_timeline(db, announcement_id, {DeliveryState.FAILED: count})
        return count

    async def retry_failed(self, announcement_id: int) -> int:
        """Return an announcement's failed deliveries to pending, afresh, and a done announcement to running;
        return how many. A paused or cancelled announcement keeps its state (resume sends them)."""
        async with self._database.transaction() as db:
            cursor = await db.execute(
                "UPDATE deliveries SET state = 'pending', attempts = 0, not_before = 0, last_error = NULL "
                "WHERE announcement_id = ? AND state = 'failed' AND EXISTS (SELECT 1 FROM announcements "
                "WHERE id = ? AND state IN ('running', 'paused', 'done') AND sent_total IS NULL)",
                (announcement_id, announcement_id),
            )
            count = cursor.rowcount
            if count:
                await db.execute(
                    "UPDATE announcements SET state = 'running', finished_at = NULL WHERE id = ? AND state = 'done'",
                    (announcement_id,),
                )
                # The chart's failed line comes down as they are sent again.
                await _add_to_timeline(db, announcement_id, {DeliveryState.FAILED: -count})
        return count

    async def finish(self, announcement_id: int) -> bool:
        """Mark a running announcement done, only if none of its deliveries is pending or sending."""
        return (
            await self._database.execute_write(
                "UPDATE announcements SET state = 'done', finished_at = ? WHERE id = ? AND state = 'running' AND "
                "NOT EXISTS (SELECT 1 FROM deliveries WHERE announcement_id = ? AND state IN ('pending', 'sending'))",
                (now_iso(), announcement_id, announcement_id),
            )
            > 0
        )

    async def figures(self, announcement_id: int) -> DeliveryFigures:
        """Count an announcement's deliveries by state (its stored totals once its rows expired)."""
        async with self._db.execute(
            "SELECT sent_total, blocked_total, failed_total, unsent_total FROM announcements WHERE id = ?",
            (announcement_id,),
        ) as cur:
            totals = stored_totals(await cur.fetchone())
        if totals is not None:
            return totals
        async with self._db.execute(
            "SELECT state, count(*) FROM deliveries WHERE announcement_id = ? GROUP BY state", (announcement_id,)
        ) as cur:
            rows = await cur.fetchall()
        counts = {str(r[0]): int(r[1]) for r in rows}
        return DeliveryFigures(
            pending=counts.get(DeliveryState.PENDING, 0) + counts.get(DeliveryState.SENDING, 0),
            sent=counts.get(DeliveryState.SENT, 0),
            blocked=counts.get(DeliveryState.BLOCKED, 0) + counts.get(DeliveryState.GONE, 0),
            failed=counts.get(DeliveryState.FAILED, 0),
        )

    async def languages(self, announcement_id: int) -> dict[str, int]:
        """Recipients of an announcement per language (none once its rows expired: see ``purge``)."""
        async with self._db.execute(
            "SELECT language, count(*) FROM deliveries WHERE announcement_id = ? GROUP BY language",
            (announcement_id,),
        ) as cur:
            rows = await cur.fetchall()
        return {str(r[0]): int(r[1]) for r in rows}

    async def next_retry_at(self, announcement_id: int) -> float | None:
        """When the earliest pending delivery may be tried, or None when none is pending."""
        async with self._db.execute(
            "SELECT min(not_before) FROM deliveries WHERE announcement_id = ? AND state = 'pending'",
            (announcement_id,),
        ) as cur:
            row = await cur.fetchone()
        return None if row is None or row[0] is None else float(row[0])

    async def timeline(self, announcement_id: int) -> list[tuple[str, str, int]]:
        """``(minute, state, count)`` of an announcement's settled deliveries, oldest first."""
        async with self._db.execute(
            "SELECT minute, state, count FROM delivery_timeline WHERE announcement_id = ? ORDER BY minute",
            (announcement_id,),
        ) as cur:
            return [(str(r[0]), str(r[1]), int(r[2])) for r in await cur.fetchall()]

    async def purge(self, finished_before: str) -> int:
        """Drop the per-recipient rows of announcements done or cancelled before ``finished_before`` (UTC ISO
        8601), keeping their totals (``figures`` reads them) and their timeline; return how many
        announcements lost their rows.

        The totals are stored first, in one transaction with the check that the announcement is still finished;
        the rows then go in chunks of QUEUE_CHUNK, each its own short write, so readers never wait long. A crash
        half-way is harmless: the next purge deletes the rest.
        """
        async with self._db.execute(
            "SELECT id FROM announcements a WHERE state IN ('done', 'cancelled') AND finished_at < ? AND "
            "(sent_total IS NULL OR EXISTS (SELECT 1 FROM deliveries d WHERE d.announcement_id = a.id)) ORDER BY id",
            (finished_before,),
        ) as cur:
            ids = [int(r[0]) for r in await cur.fetchall()]
        purged = 0
        for announcement_id in ids:
            async with self._database.transaction() as db:
                async with db.execute(
                    "SELECT state, count(*) FROM deliveries WHERE announcement_id = ? GROUP BY state",
                    (announcement_id,),
                ) as cur:
                    counts = {str(r[0]): int(r[1]) for r in await cur.fetchall()}
                await db.execute(
                    "UPDATE announcements SET sent_total = ?, blocked_total = ?, failed_total = ?, unsent_total = ? "
                    "WHERE id = ? AND sent_total IS NULL AND state IN ('done', 'cancelled')",
                    (
                        counts.get(DeliveryState.SENT, 0),
                        counts.get(DeliveryState.BLOCKED, 0) + counts.get(DeliveryState.GONE, 0),
                        counts.get(DeliveryState.FAILED, 0),
                        counts.get(DeliveryState.PENDING, 0) + counts.get(DeliveryState.SENDING, 0),
                        announcement_id,
                    ),
                )
                async with db.execute(
                    "SELECT sent_total IS NOT NULL FROM announcements WHERE id = ?", (announcement_id,)
                ) as cur:
                    row = await cur.fetchone()
            if row is None or not row[0]:
                continue  # sent again meanwhile (↻ Retry failed): its rows are needed
            while await self._database.execute_write(
                "DELETE FROM deliveries WHERE announcement_id = ? AND user_id IN "
                "(SELECT user_id FROM deliveries WHERE announcement_id = ? LIMIT ?)",
                (announcement_id, announcement_id, QUEUE_CHUNK),
            ):
                pass
            purged += 1
        return purged
