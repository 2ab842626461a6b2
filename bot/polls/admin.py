"""What the admins' commands show of polls and ratings: /stats, /stats <poll id>, /export."""

from __future__ import annotations

import datetime as dt

from bot.content import LocaleContent
from bot.languages.i18n import Translator
from bot.polls.book import close_due
from bot.polls.domain import poll_state
from bot.polls.store import PollStore
from bot.polls.views import export_csv, least_useful_lines, poll_chart
from bot.storage.database import Database

__all__ = ["export", "poll_screen", "stats_html"]


async def stats_html(database: Database, content: LocaleContent, t: Translator) -> str:
    """/stats: the sections readers find least useful, per language."""
    return "\n".join(least_useful_lines(await PollStore(database).useful_counts(), content, t))


async def poll_screen(database: Database, poll_id: int, t: Translator, now: dt.datetime) -> str | None:
    """/stats <id> for a poll: its results per language as bars; None when ``poll_id`` is no poll."""
    store = PollStore(database)
    await close_due(store, now)
    poll = await store.poll(poll_id)
    if poll is None:
        return None
    state = poll_state(poll.closes_at, poll.announcement_state, now)
    return poll_chart(poll, await store.counts(poll.id), state, database.default_language, t)


async def export(database: Database, now: dt.datetime) -> tuple[bytes, int]:
    """/export: every poll's counts and the usefulness counts as one CSV; its bytes and data rows."""
    store = PollStore(database)
    await close_due(store, now)
    polls = [(poll, await store.counts(poll.id)) for poll in await store.polls()]
    return export_csv(polls, await store.useful_counts())
