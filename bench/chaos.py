"""Chaos at the edges: the real bot process, stopped and killed again and again in the middle of announcements.

Against the local emulator (loopback only), the bot (``python -m bot run``) sends a main announcement to
``--readers`` people (default 2,000) while it is stopped with SIGTERM at 30 random moments and SIGKILL at 10
(restarted each time, in a shuffled order). Meanwhile, at random moments, through the admin's buttons: a
smaller announcement (to the English readers, a third) is cancelled while it runs, and the main one is paused and
resumed. Readers tap subscription buttons, and at each restart the emulator hands over again a random suffix
of the taps of the last run, handled or not (as Telegram does with updates a bot did not confirm). At the end
the bot runs until every announcement is finished or cancelled, and the bench prints:

* lost: main readers who never got the main announcement (must be 0);
* duplicated: second copies of the main announcement, beside the documented bound (``DUPLICATE_BOUND`` rows in
  flight per SIGKILL, and the sends in flight per SIGTERM, each resent at most once);
* sent after a cancel: copies of a cancelled announcement the emulator received after the admin's "Done."
  (must be 0), and sent while paused (copies after "Done." for a pause, before the resume was pressed);
* flipped by replays: readers whose subscription differs from what their last tap asked for (must be 0);
* counts lost: settled deliveries missing from the announcement's timeline (must be 0), and page views (readers
  open a theme page) missing from the counters after a SIGTERM, in cycles started after a SIGTERM too (must be
  0; a SIGKILL loses up to ``FLUSH_SECONDS`` of counts by design, so its cycles are not counted). Subscription
  counts are printed as well, not as an exact figure: a replayed run of one reader's taps applies (and counts)
  its changes again before it ends in the same state, and a SIGKILL loses some.

Not a test: bounded by ``--budget`` seconds and by the cycle count. ``--quick`` is a smoke run (300 readers,
6 SIGTERM, 2 SIGKILL). ``--toggle`` taps the buttons of earlier versions (a flip) to show what replays do to them.

Run: ``.venv/bin/python bench/chaos.py [--quick] [--readers N] [--seed N] [--toggle]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sqlite3
import sys
import tempfile
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.population import add_users_bulk
from bot.announcing.buttons import Admin, AdminButton
from bot.announcing.delivery import DEFAULT_MAX_IN_FLIGHT, DUPLICATE_BOUND
from bot.reading.callbacks import Payload, SetSubscription, ThemePage, Toggle, ToggleFrom, Want
from bot.storage import AnnouncementDraft, Storage
from emulator import BotAPIEmulator, EmulatedMessage

ADMIN = 900_001
FIRST_READER = 3_000_000
TOPIC = "gbv"  # the readers' taps; the announcements go to everyone (or to one language)
MAIN_TEXT = "Main announcement"
SIDE_TEXT = "Announcement to cancel #{n}"
RATE = "60"  # messages/second: the main announcement spans many cycles
READY_WITHIN = 60.0  # seconds for a started bot to poll, or for a stopped one to exit

warnings.filterwarnings("ignore", message=".*retry_after.*", category=DeprecationWarning)


@dataclass
class Figures:
    """What the bench saw."""

    sigterm: int = 0
    sigkill: int = 0
    cancels: dict[int, float] = field(default_factory=dict)  # announcement id -> when "Done." came
    pauses: list[tuple[float, float]] = field(default_factory=list)  # (paused, resume pressed)
    taps: dict[int, list[Want]] = field(default_factory=dict)  # reader -> what their taps asked, in order
    replayed: int = 0
    views_pressed: int = 0  # page views asked in cycles after and before a SIGTERM
    views_counted: int = 0  # and what the counters gained in those cycles
    tracebacks: int = 0
    exits: Counter[int] = field(default_factory=Counter)


class Chaos:
    """The emulator, the database, the bot process, and the record of everything sent."""

    def __init__(self, workdir: Path, readers: int, seed: int, toggle: bool) -> None:
        self.workdir = workdir
        self.db = workdir / "bot.sqlite3"
        self.rng = random.Random(seed)
        self.readers = range(FIRST_READER, FIRST_READER + readers)
        self.english = range(FIRST_READER, FIRST_READER + max(readers // 3, 10))
        self.tappers = list(self.readers[:: max(readers // 100, 1)])[:100]
        self.tapping = frozenset(self.tappers)
        self.viewers = [r for r in self.readers[1 :: max(readers // 100, 1)] if r not in self.tappers][:100]
        self.toggle = toggle
        self.sent: list[tuple[float, int, str]] = []  # (when, chat, text) of each copy the bot sent
        self.figures = Figures()
        self.main_id = 0
        self.side_ids: dict[int, str] = {}
        self.process: asyncio.subprocess.Process | None = None
        self.last_run = 0  # the first update_id of the last run: replays hand over that run's taps again
        self.emu: BotAPIEmulator

    def _on_message(self, event: str, message: EmulatedMessage) -> None:
        if event == "sent" and message.chat_id in self.readers and message.text:
            self.sent.append((time.monotonic(), message.chat_id, message.text))

    async def prepare(self, sides: int) -> None:
        """Readers (a third of them English), the announcements (the ones to cancel first: they run first)."""
        emu = self.emu
        emu.add_users(self.readers)
        admin = emu.user(ADMIN, language_code="en")
        storage = await Storage.open(self.db)
        try:
            await add_users_bulk(storage, self.english, "en")
            await add_users_bulk(storage, self.readers, "ru")
            for n in range(sides):
                text = SIDE_TEXT.format(n=n)
                source = await admin.send(text)
                draft = AnnouncementDraft(ADMIN, frozenset(), "en", {"en": (ADMIN, source.message_id)})
                self.side_ids[await storage.announcements.create(draft)] = text
            source = await admin.send(MAIN_TEXT)
            versions = {"ru": (ADMIN, source.message_id), "en": (ADMIN, source.message_id)}
            self.main_id = await storage.announcements.create(AnnouncementDraft(ADMIN, frozenset(), None, versions))
        finally:
            await storage.close()
        emu.add_listener(self._on_message)

    async def start(self) -> None:
        polls = self.emu.stats.calls["getUpdates"]
        env = {
            **os.environ,
            "BOT_TOKEN": self.emu.token,
            "BOT_API_BASE_URL": self.emu.base_url,
            "DATABASE_PATH": str(self.db),
            "ADMIN_IDS": str(ADMIN),
            "BROADCAST_RATE": RATE,
            "LOG_LEVEL": "WARNING",
        }
        env.pop("WEBHOOK_URL", None)
        log = (self.workdir / "bot.log").open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=self.workdir, env=env, stdout=log, stderr=log
        )
        log.close()
        await self._until(lambda: self.emu.stats.calls["getUpdates"] > polls, "the bot to poll")

    async def stop(self, sig: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(sig)
        code = await asyncio.wait_for(self.process.wait(), timeout=READY_WITHIN)
        self.figures.exits[code] += 1
        if sig is signal.SIGTERM:
            self.figures.sigterm += 1
        else:
            self.figures.sigkill += 1

    async def _until(self, condition: Any, what: str, within: float = READY_WITHIN) -> None:
        deadline = time.monotonic() + within
        while not condition():
            if self.process is not None and self.process.returncode is not None:
                raise RuntimeError(f"the bot exited ({self.process.returncode}) while waiting for {what}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out waiting for {what}")
            await asyncio.sleep(0.02)

    # ------------------------------------------------------------------------------------ what people do

    async def tap(self, count: int) -> None:
        """A few readers tap their subscription button: each asks for a state (or, ``--toggle``, flips)."""
        for reader in self.rng.sample(self.tappers, count):
            asked = self.figures.taps.setdefault(reader, [])
            want = self.rng.choice([Want.SUBSCRIBED, Want.UNSUBSCRIBED])
            asked.append(want)
            payload: Payload = Toggle(TOPIC, ToggleFrom.CHECKLIST)
            if not self.toggle:
                payload = SetSubscription(TOPIC, want, ToggleFrom.CHECKLIST)
            await self.emu.user(reader, language_code="ru").press_data(payload.pack())

    def replay_taps(self) -> None:
        """Hand over again the last run's taps from a random one on (as Telegram re-sends what a bot did not
        confirm: updates of the last run, never older ones)."""
        handed = self.emu.handed_updates()
        taps = [
            u["update_id"]
            for u in handed
            if "callback_query" in u
            and u["callback_query"]["from"]["id"] in self.tapping
            and u["update_id"] >= self.last_run
        ]
        if taps:
            start = self.rng.randrange(len(taps))
            self.figures.replayed += self.emu.replay(taps[start:])
        self.last_run = max((u["update_id"] for u in handed), default=0) + 1

    async def view(self, count: int) -> None:
        """A few readers open a theme's page (counted once per update handled)."""
        for reader in self.rng.sample(self.viewers, count):
            await self.emu.user(reader, language_code="ru").press_data(ThemePage(TOPIC).pack())

    def views(self) -> int:
        with sqlite3.connect(self.db) as conn:
            row = conn.execute(
                "SELECT coalesce(sum(views), 0) FROM page_views WHERE theme = ? AND section = ''", (TOPIC,)
            ).fetchone()
        return int(row[0])

    async def admin(self, button: AdminButton, announcement_id: int) -> bool:
        """Press one of the admin's controls; return whether the bot answered "Done."."""
        admin = self.emu.user(ADMIN, language_code="en")
        await admin.press_data(Admin(button, str(announcement_id)).pack())
        answer = await admin.wait_answer(timeout=READY_WITHIN)
        return answer.text == "Done."

    def state(self, announcement_id: int) -> str:
        with sqlite3.connect(self.db) as conn:
            row = conn.execute("SELECT state FROM announcements WHERE id = ?", (announcement_id,)).fetchone()
        return str(row[0])

    async def act(self) -> None:
        """One random admin action: cancel the running announcement to cancel, or pause/resume the main one."""
        running = [a for a in self.side_ids if self.state(a) == "running"]
        main = self.state(self.main_id)
        if running and self.rng.random() < 0.7:
            if await self.admin(AdminButton.CANCEL, running[0]):
                self.figures.cancels[running[0]] = time.monotonic()
        elif main == "paused":
            pressed = time.monotonic()
            if await self.admin(AdminButton.RESUME, self.main_id) and self.figures.pauses:
                paused, _ = self.figures.pauses[-1]
                self.figures.pauses[-1] = (paused, pressed)
        elif main == "running" and self.rng.random() < 0.3 and await self.admin(AdminButton.PAUSE, self.main_id):
            self.figures.pauses.append((time.monotonic(), float("inf")))

    async def moment(self) -> None:
        await asyncio.sleep(self.rng.uniform(0.0, 1.2))  # a random moment: the point of the bench

    # ------------------------------------------------------------------------------------ the run

    async def run(self, sigterms: int, sigkills: int, budget: float) -> None:
        began = time.monotonic()
        order = [signal.SIGTERM] * sigterms + [signal.SIGKILL] * sigkills
        self.rng.shuffle(order)
        previous = signal.SIGTERM
        for sig in order:
            if time.monotonic() - began > budget:
                print(f"budget of {budget:.0f} s spent: {self.figures.sigterm + self.figures.sigkill} stops done")
                break
            self.replay_taps()
            views_before = self.views()
            await self.start()
            await self.tap(self.rng.randint(1, 6))
            views = self.rng.randint(1, 6)
            await self.view(views)
            await self.moment()
            await self.act()
            await self.moment()
            await self.stop(sig)
            if sig is previous is signal.SIGTERM:
                self.figures.views_pressed += views
                self.figures.views_counted += self.views() - views_before
            previous = sig
        # The last run: resume what is paused, cancel what is left to cancel, and let everything finish.
        await self.start()
        for side in self.side_ids:
            if self.state(side) in ("queued", "running", "paused") and await self.admin(AdminButton.CANCEL, side):
                self.figures.cancels[side] = time.monotonic()
        if self.state(self.main_id) == "paused":
            pressed = time.monotonic()
            await self.admin(AdminButton.RESUME, self.main_id)
            if self.figures.pauses:
                self.figures.pauses[-1] = (self.figures.pauses[-1][0], pressed)
        await self._until(lambda: self.state(self.main_id) == "done", "the main announcement", within=budget)
        await self._until(lambda: self.emu.pending_updates == 0, "every update fetched")
        await self.stop(signal.SIGTERM)
        self.figures.sigterm -= 1  # the final stop is not one of the chaos's

    # ------------------------------------------------------------------------------------ the figures

    def print_figures(self, seconds: float) -> None:
        f = self.figures
        main = Counter(chat for _, chat, text in self.sent if text == MAIN_TEXT)
        lost = sum(1 for reader in self.readers if main[reader] == 0)
        duplicated = sum(n - 1 for n in main.values() if n > 1)
        bound = f.sigkill * DUPLICATE_BOUND + f.sigterm * DEFAULT_MAX_IN_FLIGHT
        after_cancel = sum(
            1
            for when, _, text in self.sent
            for side, cancelled in f.cancels.items()
            if text == self.side_ids[side] and when > cancelled
        )
        while_paused = sum(
            1 for when, _, text in self.sent if text == MAIN_TEXT and any(p < when < r for p, r in f.pauses)
        )
        with sqlite3.connect(self.db) as conn:
            subscribed = {
                int(r[0]) for r in conn.execute("SELECT user_id FROM subscriptions WHERE topic = ?", (TOPIC,))
            }
            timeline = conn.execute(
                "SELECT coalesce(sum(count), 0) FROM delivery_timeline WHERE announcement_id = ? AND state = 'sent'",
                (self.main_id,),
            ).fetchone()[0]
            rows_sent = conn.execute(
                "SELECT count(*) FROM deliveries WHERE announcement_id = ? AND state = 'sent'", (self.main_id,)
            ).fetchone()[0]
            counted = conn.execute(
                "SELECT coalesce(sum(count), 0) FROM daily_counts WHERE metric IN ('subscribe', 'unsubscribe') "
                "AND subject = ?",
                (TOPIC,),
            ).fetchone()[0]
        if self.toggle:  # a flip: the state is the parity of the taps
            expected = {r for r, asked in f.taps.items() if len(asked) % 2 == 1}
            changes = sum(len(asked) for asked in f.taps.values())
        else:
            expected = {r for r, asked in f.taps.items() if asked[-1] is Want.SUBSCRIBED}
            changes = sum(_changes(asked) for asked in f.taps.values())
        flipped = len(expected ^ (subscribed & set(f.taps)))
        log = (self.workdir / "bot.log").read_text(errors="replace")
        print(f"readers {len(self.readers)}, stops: {f.sigterm} SIGTERM + {f.sigkill} SIGKILL, {seconds:.0f} s")
        print(f"exit codes {dict(f.exits)}; tracebacks in the bot's log: {log.count('Traceback')}")
        print(f"lost                         {lost}")
        print(
            f"duplicated                   {duplicated} (bound {bound}: {f.sigkill}×{DUPLICATE_BOUND} + "
            f"{f.sigterm}×{DEFAULT_MAX_IN_FLIGHT})"
        )
        print(f"sent after a cancel          {after_cancel} ({len(f.cancels)} cancels acknowledged)")
        print(f"sent while paused            {while_paused} ({len(f.pauses)} pauses acknowledged)")
        print(f"taps {sum(len(a) for a in f.taps.values())} by {len(f.taps)} readers, {f.replayed} replayed")
        print(f"flipped by replays           {flipped}")
        print(f"timeline counts lost         {rows_sent - timeline} ({rows_sent} sent rows, {timeline} counted)")
        print(
            f"page views lost at SIGTERM   {f.views_pressed - f.views_counted} ({f.views_pressed} views, "
            f"{f.views_counted} counted)"
        )
        print(f"subscription changes         {changes} asked, {counted} counted (not exact: see the docstring)")


def _changes(asked: list[Want]) -> int:
    state, changes = Want.UNSUBSCRIBED, 0
    for want in asked:
        changes += want is not state
        state = want
    return changes


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: 300 readers, 6 SIGTERM, 2 SIGKILL")
    parser.add_argument("--readers", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--budget", type=float, default=900.0, help="seconds before the chaos stops early")
    parser.add_argument("--toggle", action="store_true", help="tap the flip buttons of earlier versions")
    args = parser.parse_args()
    readers, sigterms, sigkills, sides = (300, 6, 2, 2) if args.quick else (args.readers, 30, 10, 5)
    began = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        chaos = Chaos(Path(tmp), readers, args.seed, args.toggle)
        async with BotAPIEmulator(latency=0.01, seed=args.seed) as emu:
            chaos.emu = emu
            await chaos.prepare(sides)
            try:
                await chaos.run(sigterms, sigkills, args.budget)
            finally:
                if chaos.process is not None and chaos.process.returncode is None:
                    chaos.process.kill()
                    await chaos.process.wait()
            chaos.print_figures(time.monotonic() - began)


if __name__ == "__main__":
    asyncio.run(main())
