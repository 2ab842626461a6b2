"""Announcements: what an admin confirmed (audience, one message per language, options) and where each one is.

An announcement's recipients are chosen from the readers and their subscriptions (``audience_sql``) when it is
counted on the wizard's screen and when its delivery queue is written (bot/storage/deliveries.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import aiosqlite

from bot.storage.database import Database, now_iso
from bot.storage.records import Announcement, AnnouncementDraft, AnnouncementState, DeliveryFigures

__all__ = ["Announcements", "audience_sql", "stored_totals"]

ANNOUNCEMENT_COLUMNS = (
    "id, created_by, created_at, topics, language, silent, protect, scheduled_at, state, "
    "status_chat, status_message, started_at, finished_at, sent_total, blocked_total, failed_total, unsent_total"
)


def stored_totals(row: aiosqlite.Row | tuple[Any, ...] | None) -> DeliveryFigures | None:
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
        totals=stored_totals(row[13:17]),
    )


def audience_sql(
    topics: Iterable[str], language: str | None, default_language: str, id_range: tuple[int, int] | None = None
) -> tuple[str, list[object]]:
    """SELECT user_id, language of the active people an announcement is for (ids in ``(low, high]``).

    A reader who never chose a language (and was never guessed one) counts as reading ``default_language``.
    """
    topics = sorted(topics)
    params: list[object] = [default_language]
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
        params += [default_language, language]
    if id_range is not None:
        sql += " AND u.user_id > ? AND u.user_id <= ?"
        params += list(id_range)
    return sql, params


class Announcements:
    """The announcements: created from a confirmed draft, read, listed, and moved from state to state."""

    def __init__(self, database: Database) -> None:
        self._database = database

    @property
    def _db(self) -> aiosqlite.Connection:
        return self._database.connection

    async def create(self, draft: AnnouncementDraft) -> int:
        """Store a confirmed announcement (scheduled, or queued to send at once); return its id."""
        state = AnnouncementState.SCHEDULED if draft.scheduled_at else AnnouncementState.QUEUED
        async with self._database.transaction() as db:
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

    async def count_audience(self, topics: Iterable[str], language: str | None) -> dict[str, int]:
        """How many active people, per language, an announcement to ``topics`` would reach now."""
        sql, params = audience_sql(topics, language, self._database.default_language)
        async with self._db.execute(f"SELECT lang, count(*) FROM ({sql}) GROUP BY lang", params) as cur:
            rows = await cur.fetchall()
        return {str(row[0]): int(row[1]) for row in rows}

    async def get(self, announcement_id: int) -> Announcement | None:
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

    async def recent(self, states: Iterable[str] | None = None, limit: int = 10) -> list[Announcement]:
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
        found = [await self.get(i) for i in ids]
        return [a for a in found if a is not None]

    async def due(self, now_iso: str) -> list[int]:
        """Scheduled announcements whose time has come, oldest first."""
        async with self._db.execute(
            "SELECT id FROM announcements WHERE state = 'scheduled' AND scheduled_at <= ? ORDER BY scheduled_at, id",
            (now_iso,),
        ) as cur:
            return [int(r[0]) for r in await cur.fetchall()]

    async def set_state(self, announcement_id: int, state: str, *, expect: Iterable[str] = ()) -> bool:
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
        return await self._database.execute_write(sql, tuple(params)) > 0

    async def set_status_message(self, announcement_id: int, chat_id: int, message_id: int) -> None:
        """Remember where the admin's progress message is."""
        await self._database.execute_write(
            "UPDATE announcements SET status_chat = ?, status_message = ? WHERE id = ?",
            (chat_id, message_id, announcement_id),
        )
