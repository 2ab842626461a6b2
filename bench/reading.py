"""Per-update cost of the reader's flows beside a hand-written PTB menu bot (the anchor) and a bare echo bot;
uncached search; start-up time.

The bots run in this process, on one core, in interleaved rounds, with the same harness: updates are fed to
``Application.process_update`` and every Bot API call is answered at once by an in-process request object
that builds the body each bot's real backend would send, so the figures are the bots' own cost, excluding
the network. Each database holds 100,000 users. Nothing reaches the network: the engine's Bot has an
in-process transport too, and the start-up figure runs ``brief-bot run`` against the local emulator.

Run: ``make bench`` (or ``.venv/bin/python bench/reading.py [--updates N] [--users N] [--rounds N]``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiosqlite
import httpx
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest, RequestData

from bench.population import add_users_bulk
from bot.app import build_application, load_static, start_application, stop_application
from bot.config import Settings
from bot.reading.callbacks import Action, pack
from bot.reading.context import SERVICES_KEY
from bot.reading.search import LocaleIndex
from bot.telegram.json_request import json_body
from bot.telegram.limits import SEARCH_RESULTS_MAX
from emulator import BotAPIEmulator

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456789:AAE-benchmark-token-0123456789abcdefghij"
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}


Encode = Callable[[str, RequestData], bytes]


def form_body(url: str, request_data: RequestData) -> bytes:
    """The body PTB's default backend (HTTPXRequest) sends: an urlencoded form, built by httpx itself."""
    request = httpx.Request("POST", url, data=request_data.json_parameters)
    return request.read()


def bot_body(url: str, request_data: RequestData) -> bytes:
    """The body this bot's backend (bot/telegram/json_request.py) sends."""
    return json_body(request_data)


class InstantRequest(BaseRequest):
    """Answers every Bot API call at once with what Telegram would return: no sockets, no waiting.

    Each call's body is built as the bot's real backend would build it (``encode``), since that is a cost of
    the bot's own; edited and sent messages come back with their text and keyboard, as Telegram echoes them.
    """

    def __init__(self, encode: Encode = bot_body) -> None:
        self.calls = 0
        self.body_bytes = 0
        self.last_text = ""
        self._encode = encode

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
        params: dict[str, Any] = {}
        if request_data is not None:
            self.body_bytes += len(self._encode(url, request_data))
            params = request_data.parameters
        result: Any = True
        if endpoint == "getMe":
            result = BOT_USER
        elif endpoint.lower() in ("sendmessage", "editmessagetext"):  # the Bot API ignores case
            chat_id = int(params.get("chat_id", 1))
            result = {
                "message_id": int(params.get("message_id", 1)),
                "from": BOT_USER,
                "date": 0,
                "chat": {"id": chat_id, "type": "private", "first_name": "U"},
                "text": params.get("text", ""),
            }
            self.last_text = str(params.get("text", ""))
            if "reply_markup" in params:
                result["reply_markup"] = params["reply_markup"]
        return 200, json.dumps({"ok": True, "result": result}, ensure_ascii=False).encode()


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


async def hand_written_menu_bot(
    pages: dict[str, str], database: Path, users: int
) -> tuple[Application[Any, Any, Any, Any, Any, Any], aiosqlite.Connection]:
    """A careful minimal PTB menu bot: answer the button, one aiosqlite read, edit the text with 10 buttons.

    Its keyboards are built once; it runs on PTB's defaults (urlencoded bodies, full result objects).
    """
    db = await aiosqlite.connect(database)
    await db.execute("CREATE TABLE users (user_id INTEGER PRIMARY KEY, language TEXT)")
    await db.executemany("INSERT INTO users VALUES (?, 'ru')", ((u,) for u in range(1, users + 1)))
    await db.commit()
    data = list(pages)
    keyboards = {
        key: InlineKeyboardMarkup(
            [[InlineKeyboardButton(f"Раздел {i + 1}", callback_data=data[(n + i) % len(data)])] for i in range(10)]
        )
        for n, key in enumerate(data)
    }

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        await query.answer()
        async with db.execute("SELECT language FROM users WHERE user_id = ?", (query.from_user.id,)) as cur:
            await cur.fetchone()
        await query.edit_message_text(
            pages[query.data],
            parse_mode=ParseMode.HTML,
            reply_markup=keyboards[query.data],
            disable_web_page_preview=True,
        )

    app = ApplicationBuilder().token(TOKEN).request(InstantRequest(form_body)).build()
    app.add_handler(CallbackQueryHandler(on_button))
    await app.initialize()
    return app, db


async def interleaved(
    flows: list[tuple[str, Application[Any, Any, Any, Any, Any, Any], Callable[[int], dict[str, Any]]]],
    updates: int,
    rounds: int,
) -> list[dict[str, float | str]]:
    """Run the flows in turns, ``rounds`` times ``updates / rounds`` each: drift of the machine hits all alike."""
    samples: dict[str, list[float]] = {name: [] for name, _, _ in flows}
    for _, app, make in flows:  # warm-up
        await measure(app, make, 200)
    for _ in range(rounds):
        for name, app, make in flows:
            samples[name] += await measure(app, make, max(1, updates // rounds))
    return [summary(name, samples[name]) for name, _, _ in flows]


async def run(updates: int, users: int, rounds: int) -> tuple[list[dict[str, float | str]], dict[str, int]]:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(token=TOKEN, database_path=Path(tmp) / "bench.sqlite3")
        static = load_static(settings)

        # The bare bot: python-telegram-bot with one echo handler, the same harness.
        async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            assert update.effective_message is not None
            await update.effective_message.reply_text(update.effective_message.text or "")

        bare = ApplicationBuilder().token(TOKEN).request(InstantRequest(form_body)).build()
        bare.add_handler(MessageHandler(filters.TEXT, echo))
        await bare.initialize()

        # The engine's Bot gets an in-process transport too: nothing in a benchmark may reach the network.
        own = InstantRequest(bot_body)
        app = build_application(
            settings,
            static=static,
            request=own,
            broadcast_request=InstantRequest(bot_body),
            sync_bot_profile=False,
        )
        await start_application(app)
        storage = app.bot_data[SERVICES_KEY].storage
        await add_users_bulk(storage, range(1, users + 1), "ru")

        # The hand-written bot shows the same pages (the bot's own texts, ~1,500 characters) for the same data.
        screens = app.bot_data[SERVICES_KEY].screens
        pages = {}
        for data in NAVIGATION:
            await app.process_update(Update.de_json(callback_update(0, 1, data), app.bot))
            pages[data] = own.last_text
        hand, hand_db = await hand_written_menu_bot(pages, Path(tmp) / "hand.sqlite3", users)
        del screens

        def user() -> int:
            return rng.randint(1, users)

        results = await interleaved(
            [
                ("bare PTB echo", bare, lambda i: message_update(i, user(), "hello")),
                ("hand-written menu", hand, lambda i: callback_update(i, user(), rng.choice(NAVIGATION))),
                ("menu navigation", app, lambda i: callback_update(i, user(), rng.choice(NAVIGATION))),
                ("search (repeats)", app, lambda i: message_update(i, user(), rng.choice(QUERIES))),
                ("deep link", app, lambda i: message_update(i, user(), rng.choice(DEEP_LINKS))),
            ],
            updates,
            rounds,
        )
        sizes = {"page characters": max(len(t) for t in pages.values())}
        await stop_application(app)
        await hand.shutdown()
        await hand_db.close()
        await bare.shutdown()
    return results, sizes


# ------------------------------------------------------------------------------------------ uncached search


def search_figures(static: Any, queries: int, copies: int) -> list[tuple[str, float, float]]:
    """Median and p99 (ms) of uncached searches: random words of the brief, and misses; content x1 and x``copies``."""
    content = static[0]
    rng = random.Random(11)
    rows = []
    for code in ("ru", "en"):
        single = LocaleIndex.of(content.locales[code])
        entries = [(d.theme_id, d.section_id, d.item_id, d.text) for d in single.docs]
        many = LocaleIndex(code, [(f"{t}{k}", s, i, x) for k in range(copies) for t, s, i, x in entries])
        words = sorted({w for d in single.docs for w in re.findall(r"[^\W_]+", d.text.lower()) if len(w) > 2})
        hits = [" ".join(rng.sample(words, rng.choice((1, 1, 2)))) for _ in range(queries)]
        misses = ["".join(rng.choices("бвгджзклмнпрстфхцчшщ", k=rng.randint(4, 9))) for _ in range(queries)]
        sizes = ((f"×1 ({len(entries)} items)", single), (f"×{copies} ({len(entries) * copies} items)", many))
        for label, index in sizes:
            for kind, batch in (("words", hits), ("misses", misses)):
                latencies = []
                for query in batch:
                    start = time.perf_counter_ns()
                    index.search(query, SEARCH_RESULTS_MAX)
                    latencies.append((time.perf_counter_ns() - start) / 1e6)
                latencies.sort()
                rows.append(
                    (f"{code} {kind}, {label}", statistics.median(latencies), latencies[int(len(latencies) * 0.99)])
                )
    return rows


# ------------------------------------------------------------------------------------------ start-up


async def start_figure(data: Path) -> float:
    """Seconds from spawning ``brief-bot run`` (a real process) to its first getUpdates at the emulator.

    ``data`` holds the database (and the start-up cache beside it), kept from one start to the next as in
    production.
    """
    async with BotAPIEmulator() as emu:
        env = {
            **os.environ,
            "BOT_TOKEN": emu.token,
            "BOT_API_BASE_URL": emu.base_url,
            "DATABASE_PATH": str(data / "bot.sqlite3"),
            "LOG_LEVEL": "WARNING",
        }
        env.pop("WEBHOOK_URL", None)
        start = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env=env,
            cwd=str(ROOT),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            async with asyncio.timeout(60):
                # The emulator signals no event for a poll: look every 2 ms, within the deadline.
                while not emu.stats.calls["getUpdates"]:  # noqa: ASYNC110
                    await asyncio.sleep(0.002)
            return time.perf_counter() - start
        finally:
            process.send_signal(signal.SIGINT)
            await process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--starts", type=int, default=3)
    args = parser.parse_args()

    # Start-up first, on the whole machine (as in production), before this process pins itself to one core.
    with tempfile.TemporaryDirectory() as data:
        first = asyncio.run(start_figure(Path(data)))  # a new database, no start-up cache yet
        starts = [asyncio.run(start_figure(Path(data))) for _ in range(args.starts)]

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    results, sizes = asyncio.run(run(args.updates, args.users, args.rounds))
    by_name = {str(r["flow"]): float(r["median_ms"]) for r in results}
    base, hand = by_name["bare PTB echo"], by_name["hand-written menu"]
    print(
        f"{args.updates} updates per flow in {args.rounds} interleaved rounds, {args.users:,} users in the database, "
        f"one core, no network; pages up to {sizes['page characters']:,} characters"
    )
    print(f"{'flow':<20}{'median ms':>11}{'p99 ms':>9}{'updates/s':>11}{'× echo':>8}{'× hand-written':>16}")
    for r in results:
        median = float(r["median_ms"])
        print(
            f"{r['flow']:<20}{median:>11.3f}{float(r['p99_ms']):>9.3f}{float(r['per_second']):>11.0f}"
            f"{median / base:>8.2f}{median / hand:>16.2f}"
        )
    print(f"target: menu navigation ≤ 0.6× hand-written -> {by_name['menu navigation'] / hand:.2f}×")

    static = load_static(Settings(token=TOKEN, database_path=Path("unused.sqlite3")))
    print(f"\nuncached search, {args.queries} queries each (brief words, misses), limit {SEARCH_RESULTS_MAX}")
    print(f"{'queries':<36}{'median ms':>11}{'p99 ms':>9}")
    for label, median, p99 in search_figures(static, args.queries, 16):
        print(f"{label:<36}{median:>11.4f}{p99:>9.4f}")

    print("\nstart to first getUpdates (brief-bot run, a real process, against the emulator):")
    print(f"  first start (new database, start-up cache built): {first:.2f} s")
    runs = ", ".join(f"{s:.2f} s" for s in starts)
    print(f"  next {args.starts} starts: {runs}; median {statistics.median(starts):.2f} s (target ≤ 1.0 s)")


if __name__ == "__main__":
    main()
