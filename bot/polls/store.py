"""The SQL of polls and ratings, over the bot's one database connection and write lock.

Counts only: per poll x language version x option, and per theme x section x language x answer. The tokens
(keyed hashes, ``domain.Keys``) say that someone answered, never who and never what.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from bot.polls.domain import CHANGES_MAX, NO_CHOICE, PollVersion
from bot.storage.database import Database

__all__ = ["Answer", "Poll", "PollStore", "UsefulCount"]


@dataclass(frozen=True, slots=True)
class Poll:
    """A poll as stored, with its announcement's state (None: the announcement is gone)."""

    id: int
    closes_at: str  # UTC, ISO 8601
    closed: bool  # its tokens are erased
    versions: dict[str, PollVersion]
    announcement_state: str | None


class Answer(StrEnum):
    """What became of a tap on an option."""

    COUNTED = "counted"  # a first answer, or a change: the counts moved
    SAME = "same"  # the option already chosen: nothing moved
    STALE = "stale"  # an old button (a replay, or a second copy after answering): nothing moved
    FLOOD = "flood"  # too many changes: nothing moved


@dataclass(frozen=True, slots=True)
class UsefulCount:
    """Answers to "was this useful?" for one section in one language."""

    theme: str
    section: str
    language: str
    yes: int
    no: int


class PollStore:
    """Polls, their counts and tokens; "was this useful?" counts and tokens."""

    def __init__(self, database: Database) -> None:
        self._database = database

    # ------------------------------------------------------------------------------------------ polls

    async def create(self, poll_id: int, closes_at: str, versions: Mapping[str, PollVersion]) -> None:
        """Keep a confirmed poll (its id is its announcement's)."""
        async with self._database.transaction() as db:
            await db.execute("INSERT INTO polls (announcement_id, closes_at) VALUES (?, ?)", (poll_id, closes_at))
            await db.executemany(
                "INSERT INTO poll_versions (announcement_id, language, question, options) VALUES (?, ?, ?, ?)",
                [
                    (poll_id, code, v.question, json.dumps(v.options, ensure_ascii=False))
                    for code, v in versions.items()
                ],
            )

    async def poll(self, poll_id: int) -> Poll | None:
        """One poll, or None."""
        found = await self._polls("WHERE p.announcement_id = ?", (poll_id,))
        return found[0] if found else None

    async def polls(self, *, open_only: bool = False) -> list[Poll]:
        """Every poll (newest first), or those whose tokens are not erased yet."""
        return await self._polls("WHERE p.closed = 0" if open_only else "", ())

    async def _polls(self, where: str, params: tuple[object, ...]) -> list[Poll]:
        connection = self._database.connection
        rows = await connection.execute_fetchall(
            "SELECT p.announcement_id, p.closes_at, p.closed, a.state FROM polls p "
            f"LEFT JOIN announcements a ON a.id = p.announcement_id {where} ORDER BY p.announcement_id DESC",
            params,
        )
        polls = []
        for poll_id, closes_at, closed, state in rows:
            versions = await connection.execute_fetchall(
                "SELECT language, question, options FROM poll_versions WHERE announcement_id = ?", (poll_id,)
            )
            polls.append(
                Poll(
                    int(poll_id),
                    str(closes_at),
                    bool(closed),
                    {str(c): PollVersion(str(q), tuple(json.loads(o))) for c, q, o in versions},
                    None if state is None else str(state),
                )
            )
        return polls

    async def answer(
        self, poll_id: int, token: bytes, language: str, choice: int, current: int, answers: int
    ) -> Answer:
        """Count a tap on ``choice`` by the reader whose token is ``token``, whose button said they gave
        ``answers`` answers, the last being ``current``: one count moves, or none (a stale button, a flood)."""
        if choice == current:
            return Answer.SAME
        async with self._database.transaction() as db:
            if answers == 0:
                cursor = await db.execute(
                    "INSERT OR IGNORE INTO poll_tokens (announcement_id, token, changes) VALUES (?, ?, 1)",
                    (poll_id, token),
                )
            else:
                rows = list(
                    await db.execute_fetchall(
                        "SELECT changes FROM poll_tokens WHERE announcement_id = ? AND token = ?", (poll_id, token)
                    )
                )
                if not rows or int(rows[0][0]) != answers:
                    return Answer.STALE
                if answers >= CHANGES_MAX:
                    return Answer.FLOOD
                cursor = await db.execute(
                    "UPDATE poll_tokens SET changes = changes + 1 WHERE announcement_id = ? AND token = ? "
                    "AND changes = ?",
                    (poll_id, token, answers),
                )
            if cursor.rowcount != 1:
                return Answer.STALE
            if current != NO_CHOICE:
                await db.execute(
                    "UPDATE poll_counts SET count = count - 1 "
                    "WHERE announcement_id = ? AND language = ? AND option = ? AND count > 0",
                    (poll_id, language, current),
                )
            await db.execute(
                "INSERT INTO poll_counts (announcement_id, language, option, count) VALUES (?, ?, ?, 1) "
                "ON CONFLICT DO UPDATE SET count = count + 1",
                (poll_id, language, choice),
            )
        return Answer.COUNTED

    async def counts(self, poll_id: int) -> dict[tuple[str, int], int]:
        """Answers per (language version, option)."""
        rows = await self._database.connection.execute_fetchall(
            "SELECT language, option, count FROM poll_counts WHERE announcement_id = ?", (poll_id,)
        )
        return {(str(r[0]), int(r[1])): int(r[2]) for r in rows}

    async def close(self, poll_id: int) -> None:
        """Erase a closed (or cancelled) poll's tokens: nothing is left of who answered."""
        async with self._database.transaction() as db:
            await db.execute("DELETE FROM poll_tokens WHERE announcement_id = ?", (poll_id,))
            await db.execute("UPDATE polls SET closed = 1 WHERE announcement_id = ?", (poll_id,))

    # --------------------------------------------------------------------------------- was this useful?

    async def rate(self, token: bytes, theme: str, section: str, language: str, useful: bool) -> bool:
        """Count one answer unless this token answered already; return whether it was counted."""
        async with self._database.transaction() as db:
            cursor = await db.execute("INSERT OR IGNORE INTO useful_tokens (token) VALUES (?)", (token,))
            if cursor.rowcount != 1:
                return False
            await db.execute(
                "INSERT INTO useful_counts (theme, section, language, answer, count) VALUES (?, ?, ?, ?, 1) "
                "ON CONFLICT DO UPDATE SET count = count + 1",
                (theme, section, language, "yes" if useful else "no"),
            )
        return True

    async def rated(self, token: bytes) -> bool:
        """Whether this token answered already."""
        rows = await self._database.connection.execute_fetchall("SELECT 1 FROM useful_tokens WHERE token = ?", (token,))
        return bool(list(rows))

    async def forget_ratings(self, tokens: Iterable[bytes]) -> int:
        """Erase these tokens (a reader's, on /forget): they would be asked again; their counts stay."""
        async with self._database.transaction() as db:
            cursor = await db.executemany("DELETE FROM useful_tokens WHERE token = ?", [(t,) for t in tokens])
            return cursor.rowcount

    async def useful_counts(self) -> list[UsefulCount]:
        """Every section's answers per language."""
        rows = await self._database.connection.execute_fetchall(
            "SELECT theme, section, language, "
            "sum(CASE answer WHEN 'yes' THEN count ELSE 0 END), sum(CASE answer WHEN 'no' THEN count ELSE 0 END) "
            "FROM useful_counts GROUP BY theme, section, language ORDER BY theme, section, language"
        )
        return [UsefulCount(str(r[0]), str(r[1]), str(r[2]), int(r[3]), int(r[4])) for r in rows]
