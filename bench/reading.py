"""Per-update cost of the reader's flows, side by side with a bare python-telegram-bot echo bot.

Both bots run in this process, on one core, with the same harness: updates are fed to
``Application.process_update`` and every Bot API call is answered at once by an in-process request object,
so the figures are the bots' own cost, excluding the network. The bot's database holds 100,000 users.

Run: ``make bench`` (or ``.venv/bin/python bench/reading.py [--updates N] [--users N]``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters
from telegram.request import BaseRequest, RequestData

from bot.app import build_application, load_static, start_application, stop_application
from bot.callbacks import Action, pack
from bot.config import Settings
from bot.handlers.common import SERVICES_KEY

TOKEN = "123456789:AAE-benchmark-token-0123456789abcdefghij"
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}


class InstantRequest(BaseRequest):
    """Answers every Bot API call at once with a valid result: no sockets, no waiting."""

    def __init__(self) -> None:
        self.calls = 0

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        self.calls += 1
        endpoint = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data else {}
        result: Any = True
        if endpoint == "getMe":
            result = BOT_USER
        elif endpoint in ("sendMessage", "editMessageText"):
            chat_id = int(params.get("chat_id", 1))
            result = {
                "message_id": int(params.get("message_id", 1)),
                "date": 0,
                "chat": {"id": chat_id, "type": "private"},
                "text": "ok",
            }
        return 200, json.dumps({"ok": True, "result": result}).encode()


def message_update(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] if text.startswith("/") else []
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "U"},
            "from": {"id": user_id, "is_bot": False, "first_name": "U", "language_code": "ru"},
            "text": text,
            "entities": entities,
        },
    }


def callback_update(update_id: int, user_id: int, data: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": str(update_id),
            "chat_instance": "1",
            "data": data,
            "from": {"id": user_id, "is_bot": False, "first_name": "U", "language_code": "ru"},
            "message": {
                "message_id": 7,
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private", "first_name": "U"},
                "from": BOT_USER,
                "text": "menu",
            },
        },
    }


NAVIGATION = [
    pack(Action.MENU),
    pack(Action.THEME, "gbv"),
    pack(Action.SECTION, "gbv", "barriers", 0),
    pack(Action.SECTION, "gbv", "barriers", 1),
    pack(Action.SECTION, "climate", "solutions", 0),
    pack(Action.THEME, "economy"),
    pack(Action.ABOUT, 1),
]
QUERIES = ["насилия", "климат женщины", "права активисток", "бюджет", "образование девочек"]
DEEP_LINKS = ["/start i_gbv_barriers-3", "/start s_climate_safety", "/start t_srhr", "/start i_economy_solutions-2"]


async def measure(
    app: Application[Any, Any, Any, Any, Any, Any], make: Callable[[int], dict[str, Any]], n: int
) -> list[float]:
    """Process ``n`` updates one after another; return each one's latency in milliseconds."""
    bot = app.bot
    latencies = []
    for i in range(n):
        update = Update.de_json(make(i), bot)
        start = time.perf_counter_ns()
        await app.process_update(update)
        latencies.append((time.perf_counter_ns() - start) / 1e6)
    return latencies


def summary(name: str, latencies: list[float]) -> dict[str, float | str]:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {
        "flow": name,
        "median_ms": statistics.median(ordered),
        "p99_ms": p99,
        "per_second": 1000 / statistics.mean(ordered),
    }


async def run(updates: int, users: int) -> list[dict[str, float | str]]:
    rng = random.Random(7)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(token=TOKEN, database_path=Path(tmp) / "bench.sqlite3")
        static = load_static(settings)

        # The bare bot: python-telegram-bot with one echo handler, the same request object.
        async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            assert update.effective_message is not None
            await update.effective_message.reply_text(update.effective_message.text or "")

        bare = ApplicationBuilder().token(TOKEN).request(InstantRequest()).build()
        bare.add_handler(MessageHandler(filters.TEXT, echo))
        await bare.initialize()

        app = build_application(settings, static=static, request=InstantRequest(), sync_bot_profile=False)
        await start_application(app)
        storage = app.bot_data[SERVICES_KEY].storage
        await storage.add_users_bulk(range(1, users + 1), "ru")

        def user() -> int:
            return rng.randint(1, users)

        warm = 200
        await measure(bare, lambda i: message_update(i, user(), "hello"), warm)
        await measure(app, lambda i: callback_update(i, user(), rng.choice(NAVIGATION)), warm)

        results.append(
            summary("bare PTB echo", await measure(bare, lambda i: message_update(i, user(), "hello"), updates))
        )
        results.append(
            summary(
                "menu navigation",
                await measure(app, lambda i: callback_update(i, user(), rng.choice(NAVIGATION)), updates),
            )
        )
        results.append(
            summary("search", await measure(app, lambda i: message_update(i, user(), rng.choice(QUERIES)), updates))
        )
        results.append(
            summary(
                "deep link", await measure(app, lambda i: message_update(i, user(), rng.choice(DEEP_LINKS)), updates)
            )
        )
        await stop_application(app)
        await bare.shutdown()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--users", type=int, default=100_000)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    results = asyncio.run(run(args.updates, args.users))
    base = float(results[0]["median_ms"])
    print(f"{args.updates} updates per flow, {args.users:,} users in the database, one core, no network")
    print(f"{'flow':<18}{'median ms':>11}{'p99 ms':>9}{'updates/s':>11}{'× bare':>8}")
    for r in results:
        ratio = float(r["median_ms"]) / base
        print(
            f"{r['flow']:<18}{float(r['median_ms']):>11.3f}{float(r['p99_ms']):>9.3f}{float(r['per_second']):>11.0f}{ratio:>8.2f}"
        )


if __name__ == "__main__":
    main()
