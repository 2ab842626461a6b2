"""Throughput, flood-control safety and memory of the broadcast engine, against the local Bot API emulator.

Phases, each in a fresh process (so that one phase's memory does not inflate the next one's peak RSS):

* ``rate``: an announcement to ``--recipients`` people (default 10,000) with the engine at 30/s, against an
  emulator with 50 ms latency that answers 429 beyond 30 messages/s. About six minutes at the default size.
* ``queue``: writing the delivery rows of an announcement to 1,000,000 subscribers (``deliveries.queue``); the
  users and subscriptions are written first by another process.

The emulator runs in a child process, so its CPU and memory do not count against the engine's. Duplicates and
losses come from the emulator's per-chat delivered counts; "sent/s" is from the first to the last delivery.

The emulator itself caps at about 1,400 requests/s on this machine: the engine's ceiling, its CPU per message
beside a plain loop of ``copy_message`` calls, and reader latency during a 1,000 msg/s broadcast are
``bench/engine.py``'s, against a near-free server (``bench/freeserver.py``).

Run: ``.venv/bin/python bench/broadcast.py [--recipients N] [--subscribers N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bench.population import add_users_bulk
from bot.announcing.delivery import BroadcastEngine, Progress
from bot.storage import Announcement, AnnouncementDraft, Storage
from bot.telegram.aiohttp_request import AiohttpRequest
from emulator import BotAPIEmulator, EmulatedMessage

ADMIN_ID = 900_001
FIRST_USER = 1_000_000
TELEGRAM_LIMIT = 30.0  # messages/second, the emulator's global flood limit in the rate phase

# PTB warns about the future type of RetryAfter.retry_after each time it builds one.
warnings.filterwarnings("ignore", message=".*retry_after.*", category=DeprecationWarning)


def cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    """User + system CPU time of this process (or of its waited-for children)."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    """This process's peak resident set size (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- the emulator, in a child process


def _emulator_process(conn: Connection, options: dict[str, Any]) -> None:
    asyncio.run(_serve(conn, options))


async def _serve(conn: Connection, options: dict[str, Any]) -> None:
    loop = asyncio.get_running_loop()
    times: list[float] = []  # first and last delivery (time.monotonic is system-wide on Linux)

    def on_message(event: str, message: EmulatedMessage) -> None:
        if event == "sent":
            now = time.monotonic()
            if not times:
                times.append(now)
            times[1:] = [now]

    async with BotAPIEmulator(**options) as emu:
        emu.add_listener(on_message)
        conn.send((emu.token, emu.base_url))
        while True:
            command, args = await loop.run_in_executor(None, conn.recv)
            if command == "stop":
                conn.send(None)
                return
            if command == "add_users":
                conn.send(emu.add_users(range(*args), keep_history=False))
            elif command == "admin":
                emu.user(args[0])
                conn.send(None)
            elif command == "limit":  # flood limits and latency from now on, counters zeroed
                emu.latency, emu.global_rate_limit = args
                emu.reset_stats()
                times.clear()
                conn.send(None)
            elif command == "seen":
                counts = [emu.delivered(chat) for chat in range(*args)]
                conn.send(
                    {
                        "delivered": sum(counts),
                        "losses": sum(1 for n in counts if n == 0),
                        "duplicates": sum(n - 1 for n in counts if n > 1),
                        "too_many_requests": emu.stats.too_many_requests,
                        "first": times[0] if times else None,
                        "last": times[-1] if times else None,
                    }
                )


class RemoteEmulator:
    """Drives a BotAPIEmulator running in a child process."""

    def __init__(self, **options: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_emulator_process, args=(child, options), daemon=True)
        self.token = ""
        self.base_url = ""

    async def _recv(self) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, self._conn.recv)

    async def call(self, command: str, *args: Any) -> Any:
        self._conn.send((command, args))
        return await self._recv()

    async def __aenter__(self) -> RemoteEmulator:
        self._process.start()
        self.token, self.base_url = await self._recv()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.call("stop")
        self._process.join(timeout=10)


# --------------------------------------------------------------------------- sending phases


def markup_for(announcement: Announcement, language: str) -> InlineKeyboardMarkup:
    """Like the app's: one unsubscribe button."""
    return InlineKeyboardMarkup([[InlineKeyboardButton("Unsubscribe", callback_data=f"u:{announcement.id}")]])


async def send_phase(recipients: int, *, rate: float, latency: float, limit: float | None) -> dict[str, Any]:
    """One announcement to ``recipients`` people; return what the emulator saw and what it took."""
    users = (FIRST_USER, FIRST_USER + recipients)
    with tempfile.TemporaryDirectory() as tmp:
        async with RemoteEmulator() as emu:
            await emu.call("add_users", *users)
            await emu.call("admin", ADMIN_ID)
            request = AiohttpRequest(connection_pool_size=64)  # as the app's broadcast Bot
            async with Bot(emu.token, base_url=emu.base_url, request=request) as bot:
                source = await bot.send_message(ADMIN_ID, "Announcement")
                storage = await Storage.open(Path(tmp) / "bench.sqlite3")
                await add_users_bulk(storage, range(*users), "en")
                draft = AnnouncementDraft(
                    created_by=ADMIN_ID,
                    topics=frozenset(),
                    language=None,
                    versions={"en": (ADMIN_ID, source.message_id)},
                )
                await storage.announcements.create(draft)
                await emu.call("limit", latency, limit)
                finished = asyncio.Event()

                async def on_progress(announcement: Announcement, progress: Progress) -> None:
                    if progress.final:
                        finished.set()

                engine = BroadcastEngine(bot, storage, rate=rate, markup_for=markup_for, on_progress=on_progress)
                started, cpu_started = time.monotonic(), cpu_seconds()
                await engine.start()
                await finished.wait()
                elapsed, cpu = time.monotonic() - started, cpu_seconds() - cpu_started
                await engine.stop()
                await storage.close()
            seen = await emu.call("seen", *users)
    span = seen["last"] - seen["first"] if seen["first"] is not None else 0.0
    return {
        "recipients": recipients,
        "rate": rate,
        "elapsed": elapsed,
        "achieved": (seen["delivered"] - 1) / span if span > 0 else 0.0,
        "delivered": seen["delivered"],
        "too_many_requests": seen["too_many_requests"],
        "duplicates": seen["duplicates"],
        "losses": seen["losses"],
        "duplicate_bound": engine.duplicate_bound,
        "max_in_flight": engine.max_in_flight,
        "engine_cpu": cpu / elapsed,  # cores busy in this process while sending (the SQLite thread included)
        "rss_mb": peak_rss_mb(),
    }


# --------------------------------------------------------------------------- queueing phase


async def queue_setup(db: Path, subscribers: int) -> dict[str, Any]:
    """Write ``subscribers`` users, each subscribed to one topic."""
    started = time.monotonic()
    storage = await Storage.open(db)
    users = range(FIRST_USER, FIRST_USER + subscribers)
    await add_users_bulk(storage, users, "ru")
    # Storage has no bulk subscription method (the bot subscribes people one at a time); a benchmark's setup.
    async with storage.database.transaction() as conn:
        await conn.executemany(
            "INSERT OR IGNORE INTO subscriptions (user_id, topic) VALUES (?, ?)", ((u, "gbv") for u in users)
        )
    await storage.close()
    return {"setup_seconds": time.monotonic() - started}


async def queue_phase(db: Path) -> dict[str, Any]:
    """Queue an announcement to everyone subscribed to the topic, in this fresh process."""
    storage = await Storage.open(db)
    rss_before = peak_rss_mb()
    announcement_id = await storage.announcements.create(
        AnnouncementDraft(created_by=ADMIN_ID, topics=frozenset({"gbv"}), language=None, versions={"ru": (1, 1)})
    )
    started = time.monotonic()
    recipients = await storage.deliveries.queue(announcement_id)
    elapsed = time.monotonic() - started
    claim_started = time.monotonic()
    claimed = await storage.deliveries.claim(announcement_id, 32, time.time())
    claim_ms = (time.monotonic() - claim_started) * 1000
    await storage.close()
    return {
        "recipients": recipients,
        "queue_seconds": elapsed,
        "claim_ms": claim_ms,
        "claimed": len(claimed),
        "rss_before_mb": rss_before,
        "rss_mb": peak_rss_mb(),
    }


# --------------------------------------------------------------------------- driver


def in_subprocess(*args: str) -> dict[str, Any]:
    """Run one phase of this script in a fresh interpreter; return its JSON result."""
    out = subprocess.run([sys.executable, __file__, *args, "--json"], check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def print_table(results: dict[str, Any]) -> None:
    print(f"{'phase':<34}{'sent/s':>8}{'of limit':>9}{'429s':>6}{'dups':>6}{'lost':>6}{'elapsed':>9}{'RSS MB':>8}")
    for name, r in results.items():
        if name == "queue":
            continue
        of_limit = f"{r['achieved'] / TELEGRAM_LIMIT:.1%}" if name == "rate" else ""
        print(
            f"{name:<34}{r['achieved']:>8.1f}{of_limit:>9}{r['too_many_requests']:>6}{r['duplicates']:>6}"
            f"{r['losses']:>6}{r['elapsed']:>8.1f}s{r['rss_mb']:>8.0f}"
        )
    if "rate" in results:
        r = results["rate"]
        print(
            f"  rate: {r['recipients']:,} recipients, engine at {r['rate']:g}/s, emulator with 50 ms latency and 429 "
            f"beyond {TELEGRAM_LIMIT:g}/s; duplicate bound W={r['duplicate_bound']}"
        )
    if "queue" in results:
        r = results["queue"]
        print(
            f"  queue: {r['recipients']:,} subscribers: deliveries.queue {r['queue_seconds']:.1f} s, peak RSS "
            f"{r['rss_mb']:.0f} MB (fresh process; {r['rss_before_mb']:.0f} MB after opening the database); "
            f"first claim after it {r['claim_ms']:.1f} ms; writing the users and subscriptions before: "
            f"{r['setup_seconds']:.1f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phase", choices=["all", "rate", "queue", "queue-setup"], default="all")
    parser.add_argument("--recipients", type=int, default=10_000, help="recipients in the rate phase")
    parser.add_argument("--subscribers", type=int, default=1_000_000, help="subscribers in the queue phase")
    parser.add_argument("--db", type=Path, help="(internal) database of the queue phases")
    parser.add_argument("--json", action="store_true", help="(internal) print the phase's result as JSON")
    args = parser.parse_args()
    result: dict[str, Any]
    if args.phase == "rate":
        result = asyncio.run(send_phase(args.recipients, rate=TELEGRAM_LIMIT, latency=0.05, limit=TELEGRAM_LIMIT))
    elif args.phase == "queue-setup":
        result = asyncio.run(queue_setup(args.db, args.subscribers))
    elif args.phase == "queue" and args.db is not None:
        result = asyncio.run(queue_phase(args.db))
    elif args.phase == "queue":  # on its own: the users and subscriptions are written by another process first
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "queue.sqlite3"
            setup = in_subprocess("--phase", "queue-setup", "--db", str(db), "--subscribers", str(args.subscribers))
            result = {**setup, **in_subprocess("--phase", "queue", "--db", str(db))}
    else:
        phases = {
            "rate": ["--phase", "rate", "--recipients", str(args.recipients)],
            "queue": ["--phase", "queue", "--subscribers", str(args.subscribers)],
        }
        results = {}
        for name, phase_args in phases.items():
            started = time.monotonic()
            results[name] = in_subprocess(*phase_args)
            print(f"[{name}: {time.monotonic() - started:.0f} s]", file=sys.stderr)
        print_table(results)
        return
    if args.json:
        print(json.dumps(result))
    else:
        print_table({args.phase: result})


if __name__ == "__main__":
    main()
