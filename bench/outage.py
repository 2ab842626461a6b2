"""Two failures the bot survives, reproduced against the local emulator, with their numbers (no internet).

1. A Bot API outage in the middle of a broadcast to 300 people: every copyMessage and getMe answers 500/502
   for ten minutes of the engine's clock (an injected clock running 60× faster than real time, so it takes
   ten seconds), then the API comes back.
2. Two real bot processes on one database during a broadcast to 400 people: the second must refuse to start.

Run: .venv/bin/python bench/outage.py
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench.population, run as a script

from telegram import Bot

from bench.population import add_users_bulk
from bot.announcing.delivery import BroadcastEngine
from bot.storage import AnnouncementDraft, Storage
from bot.telegram.aiohttp_request import AiohttpRequest
from emulator import BotAPIEmulator

ADMIN = 77
OUTAGE_MINUTES = 10
SPEED = 60.0  # the engine's clock runs this much faster than real time


class FastClock:
    def __init__(self, speed: float) -> None:
        self.speed, self.start, self.origin = speed, time.time(), time.monotonic()

    def __call__(self) -> float:
        return self.start + (time.monotonic() - self.origin) * self.speed


async def until(condition: Callable[[], bool]) -> None:
    while not condition():  # noqa: ASYNC110 (a benchmark polls the emulator's counters)
        await asyncio.sleep(0.01)


async def _announce(emu: BotAPIEmulator, db: Path, recipients: range) -> int:
    emu.add_users(recipients)
    source = await emu.user(ADMIN, language_code="ru").send("Объявление")
    storage = await Storage.open(db)
    try:
        await add_users_bulk(storage, recipients, "ru")
        return await storage.announcements.create(
            AnnouncementDraft(ADMIN, frozenset(), None, {"ru": (ADMIN, source.message_id)})
        )
    finally:
        await storage.close()


def _counts(emu: BotAPIEmulator, recipients: range) -> tuple[int, int]:
    copies = [emu.delivered(u) for u in recipients]
    return sum(1 for n in copies if n == 0), sum(n - 1 for n in copies if n > 1)


async def outage() -> None:
    recipients = range(1000, 1300)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bot.sqlite3"
        async with BotAPIEmulator(latency=0.02, global_rate_limit=30) as emu:
            announcement_id = await _announce(emu, db, recipients)
            clock = FastClock(SPEED)
            storage = await Storage.open(db)
            async with Bot(emu.token, base_url=emu.base_url, request=AiohttpRequest(connection_pool_size=64)) as bot:
                engine = BroadcastEngine(
                    bot,
                    storage,
                    rate=25.0,
                    markup_for=lambda announcement, language: None,
                    clock=clock,
                    probe_base=0.2,
                    probe_cap=1.0,
                )
                await engine.start()
                await until(lambda: emu.stats.total_delivered >= 100)
                emu.random_faults(1.0, ["500", "502"], methods=["copyMessage", "getMe"])
                began, real_began = clock(), time.monotonic()
                await until(lambda: clock() - began >= OUTAGE_MINUTES * 60)
                failed_requests = emu.stats.errors[500] + emu.stats.errors[502]
                emu.clear_faults()
                back = time.monotonic()
                outage_real = back - real_began
                resumed_after = None
                delivered = emu.stats.total_delivered
                while (await storage.announcements.get(announcement_id)).state != "done":  # type: ignore[union-attr]
                    if resumed_after is None and emu.stats.total_delivered > delivered:
                        resumed_after = time.monotonic() - back
                    await asyncio.sleep(0.01)
                await engine.stop()
            figures = await storage.deliveries.figures(announcement_id)
            await storage.close()
            lost, duplicated = _counts(emu, recipients)
    print(
        f"outage: {len(recipients)} recipients, {OUTAGE_MINUTES} min outage on the engine's clock "
        f"({outage_real:.1f} s real), {failed_requests} failed requests during it; "
        f"sending resumed {resumed_after or 0:.2f} s after the API came back; "
        f"sent {figures.sent}, failed {figures.failed}, lost {lost}, duplicated {duplicated}"
    )


async def _start(emu: BotAPIEmulator, db: Path) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "BOT_TOKEN": emu.token,
        "BOT_API_BASE_URL": emu.base_url,
        "DATABASE_PATH": str(db),
        "ADMIN_IDS": str(ADMIN),
        "BROADCAST_RATE": "25",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("WEBHOOK_URL", None)
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=db.parent,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def two_processes() -> None:
    recipients = range(10_000, 10_400)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bot.sqlite3"
        async with BotAPIEmulator(latency=0.02, global_rate_limit=30) as emu:
            announcement_id = await _announce(emu, db, recipients)
            first = await _start(emu, db)
            await until(lambda: emu.stats.total_delivered >= 50)
            second = await _start(emu, db)
            _, stderr = await second.communicate()
            line = stderr.decode().strip().splitlines()
            while True:
                with sqlite3.connect(db) as conn:
                    (state,) = conn.execute(
                        "SELECT state FROM announcements WHERE id = ?", (announcement_id,)
                    ).fetchone()
                if state == "done":
                    break
                await asyncio.sleep(0.1)
            first.terminate()
            await first.communicate()
            lost, duplicated = _counts(emu, recipients)
            conflicts = emu.stats.errors[409]
    print(
        f"two processes: second exited {second.returncode} saying {line[-1] if line else ''!r} ({len(line)} line); "
        f"first finished {len(recipients)} recipients: lost {lost}, duplicated {duplicated}, polling conflicts "
        f"{conflicts}; first exited {first.returncode}"
    )


if __name__ == "__main__":
    asyncio.run(outage())
    asyncio.run(two_processes())
