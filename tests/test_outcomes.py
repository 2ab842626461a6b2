"""Writing a batch of delivery outcomes, and the figures they add up to."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bench.population import add_users_bulk
from bot.storage import AnnouncementDraft, DeliveryFigures, DeliveryState, Outcome, Storage


def test_figures_after_a_batch_of_outcomes() -> None:
    before = DeliveryFigures(pending=10, sent=1, blocked=0, failed=2)
    outcomes = [
        Outcome(1, DeliveryState.SENT),
        Outcome(2, DeliveryState.SENT),
        Outcome(3, DeliveryState.BLOCKED, "Forbidden"),
        Outcome(4, DeliveryState.GONE, "chat not found"),
        Outcome(5, DeliveryState.FAILED, "bad"),
        Outcome(6, DeliveryState.PENDING, "timed out", not_before=5.0),  # a retry: still pending
    ]
    assert before.after(outcomes) == DeliveryFigures(pending=5, sent=3, blocked=2, failed=3)
    assert before.after([]) == before


async def test_a_large_mixed_batch_is_written_row_by_row(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    people = list(range(1, 1_301))  # more than two chunks of ids
    async with await Storage.open(path) as storage:
        await add_users_bulk(storage, people, "ru")
        announcement_id = await storage.announcements.create(
            AnnouncementDraft(created_by=9, topics=frozenset(), language=None, versions={"ru": (9, 1)})
        )
        await storage.deliveries.queue(announcement_id)
        claimed = await storage.deliveries.claim(announcement_id, len(people), 0.0)
        assert len(claimed) == len(people)
        outcomes = []
        for d in claimed:
            if d.user_id % 10 == 0:
                outcomes.append(Outcome(d.user_id, DeliveryState.BLOCKED, "Forbidden: bot was blocked by the user"))
            elif d.user_id % 7 == 0:
                outcomes.append(Outcome(d.user_id, DeliveryState.PENDING, "timed out", not_before=100.0 + d.user_id))
            else:
                outcomes.append(Outcome(d.user_id, DeliveryState.SENT))
        await storage.deliveries.record_outcomes(announcement_id, outcomes)
        figures = await storage.deliveries.figures(announcement_id)
        assert figures == DeliveryFigures(
            pending=sum(o.state == "pending" for o in outcomes),
            sent=sum(o.state == "sent" for o in outcomes),
            blocked=sum(o.state == "blocked" for o in outcomes),
            failed=0,
        )
    db = sqlite3.connect(path)
    rows = {
        user_id: (state, attempts, error, not_before)
        for user_id, state, attempts, error, not_before in db.execute(
            "SELECT user_id, state, attempts, last_error, not_before FROM deliveries WHERE announcement_id = ?",
            (announcement_id,),
        )
    }
    blocked = {user_id for (user_id,) in db.execute("SELECT user_id FROM users WHERE blocked = 1")}
    db.close()
    for o in outcomes:
        assert rows[o.user_id] == (o.state, 1, o.error, o.not_before), o
    assert blocked == {o.user_id for o in outcomes if o.state == "blocked"}
