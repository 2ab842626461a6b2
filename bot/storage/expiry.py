"""Delivery rows that expire: a finished announcement keeps its totals and timeline, not its recipients.

A delivery row ties a reader's id to an announcement and so to its themes. Once an announcement is done or
cancelled and past DELIVERY_RETENTION_DAYS (its window for "↻ Retry failed" and for the unsubscribe button
under it, which needs only the announcement's topics), its rows go and the totals they added up to stay on the
announcement row; ``delivery_figures`` reads those from then on.
"""

from __future__ import annotations

from bot.storage.deliveries import QUEUE_CHUNK, Deliveries
from bot.storage.records import DeliveryState

__all__ = ["Expiry"]


class Expiry(Deliveries):
    """The deliveries, and dropping those of announcements finished long enough ago."""

    async def purge_deliveries(self, finished_before: str) -> int:
        """Drop the per-recipient rows of announcements done or cancelled before ``finished_before`` (UTC ISO
        8601), keeping their totals (``delivery_figures`` reads them) and their timeline; return how many
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
            async with self.transaction() as db:
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
            while await self._write(
                "DELETE FROM deliveries WHERE announcement_id = ? AND user_id IN "
                "(SELECT user_id FROM deliveries WHERE announcement_id = ? LIMIT ?)",
                (announcement_id, announcement_id, QUEUE_CHUNK),
            ):
                pass
            purged += 1
        return purged
