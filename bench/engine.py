"""The broadcast engine's targets, against a near-free Bot API server (``bench/freeserver.py``).

Two phases; the server runs in a child process on the other cores (its CPU is not counted), the bot on one:

* ``cost``: one announcement to ``--recipients`` people with the engine unpaced (its rate far above what it can
  do) and its default ``max_in_flight``, beside a plain loop of as many concurrent ``bot.copy_message`` calls
  (no database, no pacing, no bookkeeping), both with the app's broadcast backend (``AiohttpRequest``), each in a
  fresh process, in alternating rounds. Printed: messages/s (first to last copy the server saw), CPU of the
  sending process per message (``getrusage``: the SQLite thread included) and its inverse (what one busy core
  could send: unlike messages/s it hardly moves with the machine's load), engine/plain; the delivery rows are
  queued before the clock starts and their CPU is printed apart. Targets: CPU per message ≤ 1.2× the plain
  loop; ceiling ≥ 2,000/s.
* ``readers``: in one process on one core, the real bot (``build_application``, 100,000 users) with its engine
  sending an announcement at 1,000 messages/s to the server, while readers' updates (menu buttons: theme and
  section screens; searches) arrive at a steady ``--reader-rate`` and go through the app's update processor and
  ``process_update``; the readers' Bot is answered in-process (``bench/reading.py``'s ``InstantRequest``). A
  reader's latency runs from the update's due time to the end of its handling, so a busy event loop shows.
  Printed: median/p95/p99/max before, during and after the broadcast (same run), and the engine's achieved
  rate, and the share of the time the event loop's thread waited for its core (behind this process's SQLite
  thread, or another process on a shared machine). Target: p99 ≤ 50 ms during the broadcast.

Run: ``.venv/bin/python bench/engine.py [--quick] [--phase cost|readers]`` (``--quick``: about a minute).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update

from bench.freeserver import FreeServer
from bench.population import add_users_bulk
from bench.reading import NAVIGATION, QUERIES, TOKEN, InstantRequest, callback_update, message_update
from bot.announcing.delivery import BroadcastEngine, Progress
from bot.announcing.services import engine_of
from bot.app import BROADCAST_CONNECTIONS, build_application, load_static, start_application, stop_application
from bot.config import Settings
from bot.reading.context import SERVICES_KEY
from bot.storage import Announcement, AnnouncementDraft, Storage
from bot.telegram.aiohttp_request import AiohttpRequest

ADMIN_ID = 900_001
SOURCE_MESSAGE = 1  # the admin's message the copies are made of (the server accepts any)
FIRST_USER = 1_000_000
UNPACED = 10_000.0  # messages/s: far above what the engine can do
PAID_RATE = 1000.0  # messages/s: Telegram's paid-broadcast limit, the bot's highest BROADCAST_RATE
CPU_RATIO_TARGET = 1.2
CEILING_TARGET = 2000.0
P99_TARGET_MS = 50.0

# PTB warns about the future type of RetryAfter.retry_after each time it builds one.
warnings.filterwarnings("ignore", message=".*retry_after.*", category=DeprecationWarning)


def cpu_seconds() -> float:
    """User + system CPU time of this process, all its threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_delay() -> float:
    """Seconds this thread has waited for a CPU so far (Linux schedstat; 0 elsewhere): other processes' load."""
    try:
        return int(Path("/proc/thread-self/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def pin(server: FreeServer) -> None:
    """This process on one core, the server on the others: it is not part of the bot and must not take its core."""
    if not hasattr(os, "sched_setaffinity"):
        return
    cores = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cores)})
    if len(cores) > 1 and server.pid is not None:
        os.sched_setaffinity(server.pid, cores - {min(cores)})


def markup_for(announcement: Announcement, language: str) -> InlineKeyboardMarkup:
    """Like the app's: one unsubscribe button."""
    return InlineKeyboardMarkup([[InlineKeyboardButton("Unsubscribe", callback_data=f"u:{announcement.id}")]])


def rate_of(seen: dict[str, Any]) -> float:
    """Messages/s from the first to the last copy the server saw."""
    span = seen["last"] - seen["first"] if seen["first"] is not None else 0.0
    return (seen["delivered"] - 1) / span if span > 0 else 0.0


# --------------------------------------------------------------------------------------------- cost phase


async def cost_phase(recipients: int, plain: bool) -> dict[str, Any]:
    """One announcement to ``recipients`` people through the engine, or through a plain concurrent loop."""
    users = (FIRST_USER, FIRST_USER + recipients)
    with tempfile.TemporaryDirectory() as tmp:
        async with FreeServer() as server:
            pin(server)
            request = AiohttpRequest(connection_pool_size=BROADCAST_CONNECTIONS)  # as the app's broadcast Bot
            async with Bot(server.token, base_url=server.base_url, request=request) as bot:
                storage = await Storage.open(Path(tmp) / "bench.sqlite3")
                await add_users_bulk(storage, range(*users), "en")
                draft = AnnouncementDraft(
                    created_by=ADMIN_ID, topics=frozenset(), language=None, versions={"en": (ADMIN_ID, SOURCE_MESSAGE)}
                )
                announcement_id = await storage.announcements.create(draft)
                finished = asyncio.Event()

                async def on_progress(announcement: Announcement, progress: Progress) -> None:
                    if progress.final:
                        finished.set()

                engine = BroadcastEngine(bot, storage, rate=UNPACED, markup_for=markup_for, on_progress=on_progress)
                queue_cpu = 0.0
                if not plain:  # the delivery rows first (the engine would write them itself): its CPU apart
                    cpu_started = cpu_seconds()
                    await storage.deliveries.queue(announcement_id)
                    queue_cpu = cpu_seconds() - cpu_started
                started, cpu_started = time.monotonic(), cpu_seconds()
                if plain:
                    chats = iter(range(*users))
                    keyboard = markup_for(await storage.announcements.get(announcement_id), "en")  # type: ignore[arg-type]

                    async def copy_loop() -> None:
                        for chat in chats:
                            await bot.copy_message(chat, ADMIN_ID, SOURCE_MESSAGE, reply_markup=keyboard)

                    await asyncio.gather(*(copy_loop() for _ in range(engine.max_in_flight)))
                else:
                    await engine.start()
                    await finished.wait()
                elapsed, cpu = time.monotonic() - started, cpu_seconds() - cpu_started
                await engine.stop()
                await storage.close()
            seen = await server.seen(*users)
    return {
        "recipients": recipients,
        "concurrency": engine.max_in_flight,
        "rate": rate_of(seen),
        "cpu_us": cpu / max(seen["delivered"], 1) * 1e6,
        "queue_cpu_us": queue_cpu / recipients * 1e6,
        "cores": cpu / elapsed,
        "delivered": seen["delivered"],
        "duplicates": seen["duplicates"],
        "losses": seen["losses"],
        "server_cpu_us": seen["server_cpu"] / max(seen["delivered"], 1) * 1e6,
    }


def in_subprocess(*args: str) -> dict[str, Any]:
    """Run one phase of this script in a fresh interpreter; return its JSON result."""
    out = subprocess.run([sys.executable, __file__, *args, "--json"], check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def print_cost(runs: list[tuple[str, dict[str, Any]]]) -> None:
    first = runs[0][1]
    print(
        f"cost: {first['recipients']:,} recipients per run, near-free server in another process, the sender on "
        f"one core; AiohttpRequest; {first['concurrency']} concurrent sends each (the engine's default max_in_flight)"
    )
    print(
        f"{'run':<22}{'msgs/s':>8}{'CPU µs/msg':>12}{'msgs/CPU-s':>12}{'cores':>7}{'dups':>6}{'lost':>6}"
        f"{'queueing µs/msg':>17}{'server µs/msg':>15}"
    )
    for name, r in runs:
        queueing = f"{r['queue_cpu_us']:.0f}" if name.startswith("engine") else "—"
        print(
            f"{name:<22}{r['rate']:>8.0f}{r['cpu_us']:>12.0f}{1e6 / r['cpu_us']:>12.0f}{r['cores']:>7.2f}"
            f"{r['duplicates']:>6}{r['losses']:>6}{queueing:>17}{r['server_cpu_us']:>15.0f}"
        )
    engine = [r for name, r in runs if name.startswith("engine")]
    plain = [r for name, r in runs if name.startswith("plain")]
    engine_us = statistics.median(r["cpu_us"] for r in engine)
    plain_us = statistics.median(r["cpu_us"] for r in plain)
    queue_us = statistics.median(r["queue_cpu_us"] for r in engine)
    print(
        f"engine CPU per message (medians): {engine_us:.0f} µs sending, plain loop {plain_us:.0f} µs: "
        f"{engine_us / plain_us:.2f}× (target ≤ {CPU_RATIO_TARGET:g}×); with queueing the rows "
        f"(+{queue_us:.0f} µs): {(engine_us + queue_us) / plain_us:.2f}×"
    )
    print(
        f"engine ceiling: {statistics.median(r['rate'] for r in engine):.0f} msgs/s (target ≥ {CEILING_TARGET:,.0f}); "
        f"plain loop {statistics.median(r['rate'] for r in plain):.0f} msgs/s"
    )


# ------------------------------------------------------------------------------------------ readers phase


@dataclass
class Window:
    """Readers' latencies (ms) over a stretch of time, and the share of it the loop waited for its core."""

    latencies: list[float]
    waited: float


def percentiles(window: Window) -> dict[str, float]:
    ordered = sorted(window.latencies)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))]

    return {
        "waited": window.waited,
        "n": len(ordered),
        "median": statistics.median(ordered),
        "p95": at(0.95),
        "p99": at(0.99),
        "max": ordered[-1],
    }


async def feed(
    app: Any, make: Callable[[int], dict[str, Any]], rate: float, done: Callable[[], bool], start: int
) -> Window:
    """Updates due every ``1/rate`` s until ``done()``, each handled as the app handles a fetched update.

    Each one's latency runs from its due time: a reader waits for a late loop too.
    """
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    tasks: set[asyncio.Task[None]] = set()

    async def one(data: dict[str, Any], due: float) -> None:
        update = Update.de_json(data, app.bot)
        await app.update_processor.process_update(update, app.process_update(update))
        latencies.append((loop.time() - due) * 1000)

    t0, waited = loop.time(), run_delay()
    i = 0
    while not done():
        due = t0 + i / rate
        if due > loop.time():
            await asyncio.sleep(due - loop.time())
        task = asyncio.create_task(one(make(start + i), due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        i += 1
    await asyncio.gather(*tasks)
    # The share of the window the event loop's thread was ready to run but another process had the core.
    return Window(latencies, (run_delay() - waited) / (loop.time() - t0))


async def readers_phase(recipients: int, users: int, reader_rate: float, before: float) -> dict[str, Any]:
    rng = random.Random(7)
    readers = users - recipients  # Russian readers 1..readers; the announcement goes to the English rest

    def reader_update(i: int) -> dict[str, Any]:
        user = rng.randint(1, readers)
        if rng.random() < 0.25:
            return message_update(i, user, rng.choice(QUERIES))
        return callback_update(i, user, rng.choice(NAVIGATION[1:]))  # theme and section screens

    with tempfile.TemporaryDirectory() as tmp:
        async with FreeServer() as server:
            pin(server)
            settings = Settings(
                token=TOKEN,
                database_path=Path(tmp) / "bench.sqlite3",
                api_base_url=server.base_url,
                broadcast_rate=PAID_RATE,
            )
            app = build_application(
                settings, static=load_static(settings), request=InstantRequest(), sync_bot_profile=False
            )
            await start_application(app)
            services = app.bot_data[SERVICES_KEY]
            storage, engine = services.storage, engine_of(app.bot_data)
            assert engine is not None
            await add_users_bulk(storage, range(1, readers + 1), "ru")
            await add_users_bulk(storage, range(readers + 1, users + 1), "en")
            for i in range(300):  # warm up
                await app.process_update(Update.de_json(reader_update(i), app.bot))
            # The bulk insert left a WAL of 100,000 rows that a reader's write would checkpoint: not a reader's cost.
            await storage.database.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")

            deadline = asyncio.get_running_loop().time() + before
            quiet = await feed(app, reader_update, reader_rate, lambda: asyncio.get_running_loop().time() > deadline, 0)

            draft = AnnouncementDraft(
                created_by=ADMIN_ID,
                topics=frozenset(),
                language="en",
                versions={"en": (ADMIN_ID, SOURCE_MESSAGE)},
                status_chat=ADMIN_ID,
                status_message=SOURCE_MESSAGE,
            )
            announcement_id = await storage.announcements.create(draft)
            state = {"done": False}

            async def watch() -> None:
                # The app shows the engine's progress; a look at the announcement's state every 100 ms suffices.
                while True:
                    announcement = await storage.announcements.get(announcement_id)
                    if announcement is not None and announcement.state not in ("queued", "running"):
                        state["done"] = True
                        return
                    await asyncio.sleep(0.1)

            started, cpu_started = time.monotonic(), cpu_seconds()
            engine.wake()
            watcher = asyncio.create_task(watch())
            busy = await feed(app, reader_update, reader_rate, lambda: state["done"], len(quiet.latencies) + 300)
            await watcher
            elapsed, cpu = time.monotonic() - started, cpu_seconds() - cpu_started
            deadline = asyncio.get_running_loop().time() + before
            after = await feed(
                app,
                reader_update,
                reader_rate,
                lambda: asyncio.get_running_loop().time() > deadline,
                len(quiet.latencies) + len(busy.latencies) + 300,
            )
            await stop_application(app)
            seen = await server.seen(readers + 1, users + 1)
    return {
        "users": users,
        "recipients": recipients,
        "reader_rate": reader_rate,
        "quiet": percentiles(quiet),
        "busy": percentiles(busy),
        "after": percentiles(after),
        "rate": rate_of(seen),
        "elapsed": elapsed,
        "cores": cpu / elapsed,
        "delivered": seen["delivered"],
        "duplicates": seen["duplicates"],
        "losses": seen["losses"],
    }


def print_readers(r: dict[str, Any]) -> None:
    print(
        f"\nreaders: {r['users']:,} users, one core; an announcement to {r['recipients']:,} at {PAID_RATE:g}/s "
        f"while readers' updates (75% theme/section buttons, 25% searches) arrive at {r['reader_rate']:g}/s"
    )
    print(
        f"{'reader latency':<24}{'updates':>8}{'median ms':>11}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        f"{'waited for its core':>21}"
    )
    for label, key in (("before the broadcast", "quiet"), ("during the broadcast", "busy"), ("after it", "after")):
        p = r[key]
        print(
            f"{label:<24}{p['n']:>8}{p['median']:>11.2f}{p['p95']:>9.2f}{p['p99']:>9.2f}{p['max']:>9.2f}"
            f"{p['waited']:>21.1%}"
        )
    print(
        f"reader p99 during the broadcast: {r['busy']['p99']:.1f} ms (target ≤ {P99_TARGET_MS:g} ms); engine "
        f"achieved {r['rate']:.0f} msgs/s of {PAID_RATE:g}, {r['delivered']:,} delivered, {r['duplicates']} "
        f"duplicated, {r['losses']} lost; the process busy {r['cores']:.0%} of its core"
    )


def machine() -> str:
    """The machine's load when the run starts: the figures move with it on a shared machine."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return f"{os.cpu_count()} cores, load average {load} at the start"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phase", choices=["all", "cost", "readers"], default="all")
    parser.add_argument("--quick", action="store_true", help="smaller sizes: about a minute in all")
    parser.add_argument("--recipients", type=int, help="recipients per cost run (default 30,000; quick 10,000)")
    parser.add_argument("--rounds", type=int, help="engine/plain rounds in the cost phase (default 3; quick 1)")
    parser.add_argument("--announcement", type=int, help="recipients in the readers phase (default 30,000)")
    parser.add_argument("--users", type=int, default=100_000, help="users in the readers phase")
    parser.add_argument("--reader-rate", type=float, default=50.0, help="readers' updates per second")
    parser.add_argument("--plain", action="store_true", help="(internal) one cost run of the plain loop")
    parser.add_argument("--json", action="store_true", help="(internal) one cost run, its result as JSON")
    args = parser.parse_args()
    recipients = args.recipients or (10_000 if args.quick else 30_000)
    rounds = args.rounds or (1 if args.quick else 3)
    announcement = args.announcement or (10_000 if args.quick else 30_000)

    if args.json:
        print(json.dumps(asyncio.run(cost_phase(recipients, args.plain))))
        return
    print(machine())
    if args.phase in ("all", "cost"):
        runs = []
        for n in range(1, rounds + 1):
            runs.append((f"engine, round {n}", in_subprocess("--recipients", str(recipients))))
            runs.append((f"plain loop, round {n}", in_subprocess("--recipients", str(recipients), "--plain")))
        print_cost(runs)
    if args.phase in ("all", "readers"):
        before = 10.0 if args.quick else 20.0
        print_readers(asyncio.run(readers_phase(announcement, args.users, args.reader_rate, before)))


if __name__ == "__main__":
    main()
