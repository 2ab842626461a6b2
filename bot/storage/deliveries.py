"""Announcements and their durable delivery queue: audiences, queued recipients, claims, outcomes, figures.

Every recipient has one row in ``deliveries``; the broadcast engine (bot/announcing/delivery/) claims due rows, sends,
and records each outcome, so a crash or a pause resumes where it stopped and nobody gets a message twice.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import aiosqlite

from bot.storage.database import now_iso
from bot.storage.readers import Readers
from bot.storage.records import (
    Announcement,
    AnnouncementDraft,
    AnnouncementState,
    Delivery,
    DeliveryFigures,
    DeliveryState,
    Outcome,
)

__all__ = ["QUEUE_CHUNK", "TIMELINE_STATES", "Deliveries"]

# Recipients are queued this many users per transaction (see queue_recipients).
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


ANNOUNCEMENT_COLUMNS = (
    "id, created_by, created_at, topics, language, silent, protect, scheduled_at, state, "
    "status_chat, status_message, started_at, finished_at, sent_total, blocked_total, failed_total, unsent_total"
)


def _totals(row: aiosqlite.Row | tuple[Any, ...] | None) -> DeliveryFigures | None:
    """The stored totals ``(sent, blocked, failed, unsent)`` of an expired announcement, None while rows exist."""
    if row is None or row[0] is None:
        return None
    return DeliveryFigures(pending=int(row[3]), sent=int(row[0]), blocked=int(row[1]), failed=int(row[2]))


def _announcement(row: aiosqlite.Row | tuple[Any, ...], versions: dict[str, tuple[int, int]]) -> Announcement:
    return Announcement(
        id=int(row[0]),
        created_by=int(row[1]),
        created_at=str(row[2]),
        topics=frozenset(json.loads(row[3])),
        language=row[4],
        silent=bool(row[5]),
        protect=bool(row[6]),
        scheduled_at=row[7],
        state=AnnouncementState(row[8]),
        status_chat=row[9],
        status_message=row[10],
        started_at=row[11],
        finished_at=row[12],
        versions=versions,
        totals=_totals(row[13:17]),
    )


IN_CHUNK = 500  # ids per "IN (...)" list: well under SQLite's limit of 999 bound parameters in older builds


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + IN_CHUNK] for i in range(0, len(ids), IN_CHUNK)]


class Deliveries(Readers):
    """Announcements on top of the readers: their audience is the readers, and a blocked recipient is one."""

    async def create_announcement(self, draft: AnnouncementDraft) -> int:
        """Store a confirmed announcement (scheduled, or queued to send at once); return its id."""
        state = AnnouncementState.SCHEDULED if draft.scheduled_at else AnnouncementState.QUEUED
        async with self.transaction() as db:
            cursor = await db.execute(
                """
                INSERT INTO announcements
                    (created_by, created_at, topics, language, silent, protect, scheduled_at, state,
                     status_chat, status_message)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                (
                    draft.created_by,
                    now_iso(),
                    json.dumps(sorted(draft.topics)),
                    draft.language,
                    int(draft.silent),
                    int(draft.protect),
                    draft.scheduled_at,
                    state,
                    draft.status_chat,
                    draft.status_message,
                ),
            )
            announcement_id = int(cursor.lastrowid or 0)
            await db.executemany(
                "INSERT INTO announcement_versions (announcement_id, language, from_chat, message_id) "
                "VALUES (?, ?, ?, ?)",
                [(announcement_id, lang, chat, message) for lang, (chat, message) in draft.versions.items()],
            )
        return announcement_id

    def _audience_sql(
        self, topics: Iterable[str], language: str | None, id_range: tuple[int, int] | None = None
    ) -> tuple[str, list[object]]:
        """SELECT user_id, language of the active people an announcement is for (ids in ``(low, high]``)."""
        topics = sorted(topics)
        params: list[object] = [self.default_language]
        if topics:
            marks = ", ".join("?" * len(topics))
            sql = (
                "SELECT u.user_id, coalesce(u.language, ?) AS lang FROM users u WHERE u.blocked = 0 AND "
                f"EXISTS (SELECT 1 FROM subscriptions s WHERE s.user_id = u.user_id AND s.topic IN ({marks}))"
            )
            params += topics
        else:
            sql = "SELECT u.user_id, coalesce(u.language, ?) AS lang FROM users u WHERE u.blocked = 0"
        if language is not None:
            sql += " AND coalesce(u.language, ?) = ?"
            params += [self.default_language, language]
        if id_range is not None:
            sql += " AND u.user_id > ? AND u.user_id <= ?"
            params += list(id_range)
        return sql, params

    async def count_audience(self, topics: Iterable[str], language: str | None) -> dict[str, int]:
        """How many active people, per language, an announcement to ``topics`` would reach now."""
        sql, params = self._audience_sql(topics, language)
        async with self._db.execute(f"SELECT lang, count(*) FROM ({sql}) GROUP BY lang", params) as cur:
            rows = await cur.fetchall()
        return {str(row[0]): int(row[1]) for row in rows}

    async def queue_recipients(self, announcement_id: int) -> int:
        """Write one pending delivery row per recipient (once) and mark the announcement running.

        Only a scheduled or queued announcement is queued (a cancelled one stays cancelled). Rows are written
        in chunks of users, each its own short transaction, so readers' writes never wait long behind a
        million-row queue; a crash half-way is harmless (INSERT OR IGNORE: queueing again completes it).
        """
        announcement = await self.announcement(announcement_id)
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
            sql, params = self._audience_sql(announcement.topics, announcement.language, (after, upto))
            async with self.transaction() as db:
                await db.execute(
                    f"INSERT OR IGNORE INTO deliveries (announcement_id, user_id, language) SELECT ?, user_id, lang "
                    f"FROM ({sql})",
                    [announcement_id, *params],
                )
            after = upto
        await self._write(
            "UPDATE announcements SET state = 'running', started_at = coalesce(started_at, ?) "
            "WHERE id = ? AND state IN ('scheduled', 'queued')",
            (now_iso(), announcement_id),
        )
        return (await self.delivery_figures(announcement_id)).total

    async def claim_deliveries(self, announcement_id: int, limit: int, now: float) -> list[Delivery]:
        """Mark up to ``limit`` due pending deliveries as 'sending' and return them (lowest user id first).

        Nothing is claimed unless the announcement is running at that moment: the state is read by the claiming
        statement itself, so once a pause or a cancel is stored no later claim takes a row, whatever the timing.
        """
        # One statement is its own transaction (the connection is in autocommit mode): one hop to aiosqlite's
        # thread instead of five (BEGIN, execute, fetch, close, COMMIT), at ~100 claims a second at full speed.
        async with self._write_lock:
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
        async with self.transaction() as db:
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
            self._forget_cached(user_id)

    async def release_claims(self, announcement_id: int) -> int:
        """Return deliveries left in 'sending' (by a crash or a pause) to 'pending'; return how many."""
        return await self._write(
            "UPDATE deliveries SET state = 'pending' WHERE announcement_id = ? AND state = 'sending'",
            (announcement_id,),
        )

    async def fail_pending(self, announcement_id: int, error: str) -> int:
        """Mark every pending delivery failed with ``error`` (an outage outlasted the horizon); return how many."""
        async with self.transaction() as db:
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
        async with self.transaction() as db:
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

    async def finish_announcement(self, announcement_id: int) -> bool:
        """Mark a running announcement done, only if none of its deliveries is pending or sending."""
        return (
            await self._write(
                "UPDATE announcements SET state = 'done', finished_at = ? WHERE id = ? AND state = 'running' AND "
                "NOT EXISTS (SELECT 1 FROM deliveries WHERE announcement_id = ? AND state IN ('pending', 'sending'))",
                (now_iso(), announcement_id, announcement_id),
            )
            > 0
        )

    async def delivery_figures(self, announcement_id: int) -> DeliveryFigures:
        """Count an announcement's deliveries by state (its stored totals once its rows expired)."""
        async with self._db.execute(
            "SELECT sent_total, blocked_total, failed_total, unsent_total FROM announcements WHERE id = ?",
            (announcement_id,),
        ) as cur:
            totals = _totals(await cur.fetchone())
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

    async def delivery_languages(self, announcement_id: int) -> dict[str, int]:
        """Recipients of an announcement per language (none once its rows expired: see purge_deliveries)."""
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

    async def announcement(self, announcement_id: int) -> Announcement | None:
        """One announcement with its language versions."""
        async with self._db.execute(
            f"SELECT {ANNOUNCEMENT_COLUMNS} FROM announcements WHERE id = ?", (announcement_id,)
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        async with self._db.execute(
            "SELECT language, from_chat, message_id FROM announcement_versions WHERE announcement_id = ?",
            (announcement_id,),
        ) as cur:
            versions = {str(r[0]): (int(r[1]), int(r[2])) for r in await cur.fetchall()}
        return _announcement(row, versions)

    async def announcements(self, states: Iterable[str] | None = None, limit: int = 10) -> list[Announcement]:
        """Recent announcements, newest first (optionally only in some states)."""
        sql = "SELECT id FROM announcements"
        params: list[object] = []
        if states is not None:
            wanted = list(states)
            sql += f" WHERE state IN ({', '.join('?' * len(wanted))})"
            params += wanted
        sql += " ORDER BY id DESC LIMIT ?"
        params.append(limit)
        async with self._db.execute(sql, params) as cur:
            ids = [int(r[0]) for r in await cur.fetchall()]
        found = [await self.announcement(i) for i in ids]
        return [a for a in found if a is not None]

    async def due_announcements(self, now_iso: str) -> list[int]:
        """Scheduled announcements whose time has come, oldest first."""
        async with self._db.execute(
            "SELECT id FROM announcements WHERE state = 'scheduled' AND scheduled_at <= ? ORDER BY scheduled_at, id",
            (now_iso,),
        ) as cur:
            return [int(r[0]) for r in await cur.fetchall()]

    async def set_announcement_state(self, announcement_id: int, state: str, *, expect: Iterable[str] = ()) -> bool:
        """Move an announcement to ``state`` (only from one of ``expect``, if given); return whether it moved."""
        expected = list(expect)
        sql = (
            "UPDATE announcements SET state = ?, "
            "finished_at = CASE WHEN ? IN ('done', 'cancelled') THEN ? ELSE finished_at END WHERE id = ?"
        )
        params: list[object] = [state, state, now_iso(), announcement_id]
        if expected:
            sql += f" AND state IN ({', '.join('?' * len(expected))})"
            params += expected
        return await self._write(sql, tuple(params)) > 0

    async def set_status_message(self, announcement_id: int, chat_id: int, message_id: int) -> None:
        """Remember where the admin's progress message is."""
        await self._write(
            "UPDATE announcements SET status_chat = ?, status_message = ? WHERE id = ?",
            (chat_id, message_id, announcement_id),
        )

    async def delivery_timeline(self, announcement_id: int) -> list[tuple[str, str, int]]:
        """``(minute, state, count)`` of an announcement's settled deliveries, oldest first."""
        async with self._db.execute(
            "SELECT minute, state, count FROM delivery_timeline WHERE announcement_id = ? ORDER BY minute",
            (announcement_id,),
        ) as cur:
            return [(str(r[0]), str(r[1]), int(r[2])) for r in await cur.fetchall()]
