"""The offline demo: the real bot, unchanged, served by the local Bot API emulator, chatted with in a terminal.

Reads stdin line by line (so it can be scripted: ``printf '/start\\n1\\n' | brief-bot demo``): text and
commands are sent as the demo user; a number presses that button of the newest message with buttons.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import html
import random
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from bot.app import ALLOWED_UPDATES, build_application, start_application, stop_application
from bot.config import Settings
from bot.content import ContentError, LocaleContent
from bot.languages.discovery import FALLBACK_LANGUAGE
from bot.ops.logs import setup_logging
from bot.reading.context import SERVICES_KEY
from bot.storage import Storage
from bot.storage.tally import Metric, PageKey
from emulator import BotAPIEmulator, EmulatedMessage, EmulatedUser

__all__ = ["TerminalRenderer", "run_demo"]

DEMO_USER_ID = 100001
REPLY_TIMEOUT = 10.0
FILES_PREFIX = "brief-bot-demo-"  # photos and documents the bot sends go to a new temporary directory
_EXTENSIONS = {"photo": ".png"}
_TAG = re.compile(r"<(/?)(b|strong|i|em|u|ins|s|strike|del|code|pre|a|tg-spoiler|blockquote)([^>]*)>")
_HREF = re.compile(r'href="([^"]*)"')
_START_LINK = re.compile(r"^https://t\.me/(?P<bot>[A-Za-z0-9_]+)\?start=(?P<payload>[A-Za-z0-9_-]+)$")

BANNER = """\
Offline demo: the real bot, talking to a local Telegram Bot API emulator (no internet, no account needed).
Type text or /commands as a Telegram user would. A number presses that button of the newest menu.
Empty line: show the chat again. Ctrl+D or /quit: leave.
Offline copies: "📄 Download" on a theme or About (the files are built about half a minute after the start; a
downloaded file is saved and its path shown). To write them all for printing: brief-bot export --out DIR"""


class TerminalRenderer:
    """Turns the bot's Telegram HTML and keyboards into readable terminal text."""

    def __init__(
        self, out: TextIO, *, color: bool, save: Callable[[EmulatedMessage], Path | None] | None = None
    ) -> None:
        self.out = out
        self.color = color
        self.save = save  # keeps a photo's or document's bytes in a file, whose path is printed

    def _style(self, opening: bool, tag: str, attrs: str) -> str:
        if tag == "a":
            if opening:
                match = _HREF.search(attrs)
                self._href = html.unescape(match.group(1)) if match else ""
                return ""
            return f" ({self._href})" if self._href else ""
        if not self.color:
            return "*" if tag in ("b", "strong") else "_" if tag in ("i", "em") else ""
        codes = {"b": "1", "strong": "1", "i": "3", "em": "3", "u": "4", "ins": "4", "s": "9", "code": "2"}
        code = codes.get(tag)
        return f"\x1b[{code}m" if code and opening else "\x1b[0m" if code else ""

    def text(self, message: EmulatedMessage) -> str:
        """The message's text with formatting made visible."""
        source = message.html
        if source is None:
            return message.content or f"[{message.media}]"
        self._href = ""
        rendered = _TAG.sub(lambda m: self._style(not m.group(1), m.group(2), m.group(3)), source)
        return html.unescape(rendered)

    def show(self, message: EmulatedMessage, label: str = "bot") -> None:
        """Print one message with its numbered buttons."""
        flags = " (protected: no forwarding)" if message.protect_content else ""
        print(f"\n── {label}{flags} ──", file=self.out)
        print(self.text(message), file=self.out)
        if message.media in ("photo", "document") and self.save is not None:
            saved = self.save(message)
            if saved is not None:
                print(f"[{message.media} saved to {saved}]", file=self.out)
        number = 0
        for row in message.buttons:
            cells = []
            for text, _ in row:
                number += 1
                cells.append(f"[{number}] {text}")
            print("   " + "   ".join(cells), file=self.out)
        self.out.flush()

    def note(self, text: str) -> None:
        """Print a line from the demo itself (not the bot)."""
        print(f"   · {text}", file=self.out)
        self.out.flush()


class _Chat:
    """What the terminal has shown, to print only what changed."""

    def __init__(self, user: EmulatedUser, renderer: TerminalRenderer) -> None:
        self.user = user
        self.renderer = renderer
        self.seen: dict[int, tuple[int, str | None, Any]] = {}
        self.answers = 0

    def _state(self, message: EmulatedMessage) -> tuple[int, str | None, Any]:
        return (message.edited, message.html or message.content, message.buttons)

    def print_changes(self) -> None:
        visible = {m.message_id: m for m in self.user.messages}
        for message_id in list(self.seen):
            if message_id not in visible:
                self.renderer.note("a message was removed from the chat")
                del self.seen[message_id]
        for answer in self.user.callback_answers[self.answers :]:
            if answer.text:
                self.renderer.note(f"notification: {answer.text}")
        self.answers = len(self.user.callback_answers)
        for message in visible.values():
            state = self._state(message)
            previous = self.seen.get(message.message_id)
            if previous != state:
                self.renderer.show(message, "bot (edited)" if previous is not None else "bot")
                self.seen[message.message_id] = state

    def newest_with_buttons(self) -> EmulatedMessage | None:
        return next((m for m in reversed(self.user.messages) if m.buttons), None)


async def _read_line(stream: TextIO) -> str | None:
    line = await asyncio.get_running_loop().run_in_executor(None, stream.readline)
    return line if line else None


async def _handled(busy: Callable[[], bool], timeout: float) -> None:  # noqa: ASYNC109
    """Wait until the bot has no update queued or being handled (a chart takes a moment to draw)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while busy() and loop.time() < deadline:  # noqa: ASYNC110 (the backlog is a counter with no event to wait on)
        await asyncio.sleep(0.05)


async def _act(chat: _Chat, line: str, busy: Callable[[], bool] = lambda: False) -> None:
    """Send text or press a numbered button, then wait for the bot's answer."""
    user = chat.user
    if line.isdigit():
        target = chat.newest_with_buttons()
        buttons = [value for row in (target.buttons if target else []) for _, value in row]
        index = int(line)
        if target is None or not 1 <= index <= len(buttons):
            chat.renderer.note(f"there is no button {line}; sending it as text")
            await user.send(line)
        else:
            value = buttons[index - 1] or ""
            link = _START_LINK.match(value)
            if value.startswith("https://t.me/share/"):
                chat.renderer.note(f"Telegram would open its share dialog: {value}")
                return
            if link:  # a deep link back into this bot: follow it as Telegram would
                await user.send(f"/start {link.group('payload')}")
            elif value.startswith(("http://", "https://")):
                chat.renderer.note(f"Telegram would open {value}")
                return
            else:
                await user.press(index, message_id=target.message_id)
    else:
        await user.send(line)
    try:
        await user.wait_quiet(timeout=REPLY_TIMEOUT)
    except TimeoutError:
        chat.renderer.note("(no answer from the bot)")
    await _handled(busy, REPLY_TIMEOUT)
    chat.print_changes()


def _save_file(emu: BotAPIEmulator, message: EmulatedMessage) -> Path | None:
    """Write a photo's or document's bytes into this run's own temporary directory; return the path.

    Not into the current directory: the demo leaves nothing where it runs. The files stay after the demo ends,
    so the path it prints can be opened.
    """
    content = emu.file_content(message.file_id) if message.file_id else None
    if content is None:
        return None
    name = None
    if message.media == "document":
        name = (message.extra.get("document") or {}).get("file_name")
    kind = message.media or "file"
    path = _files_dir() / f"{message.message_id}-{name or kind + _EXTENSIONS.get(kind, '')}"
    path.write_bytes(content)
    return path.resolve()


@functools.cache
def _files_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix=FILES_PREFIX))


def _utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


# The scripted population: readers a day per language at the start and end of 27 weeks (growing linearly,
# with a weekly rhythm), and how their page views spread over the themes (a theme not named here: weight 1).
# A fixed seed: every run the same.
POPULATION: dict[str, tuple[int, int]] = {"ru": (40, 90), "kk": (10, 45), "uz": (8, 30), "ky": (3, 12), "en": (2, 3)}
DEMO_THEMES = {"gbv": 5, "economy": 3, "climate": 2, "srhr": 2, "movements": 1}
POPULATION_DAYS = 27 * 7  # the chart shows 26 complete weeks: one more covers the first of them


async def seed_population(storage: Storage, content: LocaleContent, today: dt.date) -> str:
    """Write six months of counters for a scripted population, as the bot would have counted them."""
    rng = random.Random(13)
    themes = [t for theme in DEMO_THEMES if (t := content.theme(theme)) is not None]
    themes += [t for t in content.themes if t.id not in DEMO_THEMES]
    library = {t.id: [s.id for s in t.sections] for t in themes}
    pages: dict[PageKey, int] = {}
    daily: dict[tuple[str, str, str, str], int] = {}
    for back in range(POPULATION_DAYS, 0, -1):  # up to yesterday: today's figures are the demo's own
        day = today - dt.timedelta(days=back)
        progress = 1 - back / POPULATION_DAYS
        weekend = 0.6 if day.weekday() >= 5 else 1.0
        for language, (start, end) in POPULATION.items():
            readers = round((start + (end - start) * progress) * weekend * rng.uniform(0.8, 1.2))
            if readers == 0:
                continue
            key = day.isoformat()
            daily[(key, language, Metric.ACTIVE.value, "")] = readers
            daily[(key, language, Metric.NEW.value, "")] = max(0, round(readers * 0.15 * rng.uniform(0.5, 1.5)))
            daily[(key, language, Metric.SEARCH.value, "")] = round(readers * 0.4)
            for _ in range(readers * 3):  # about three pages a reader
                theme = rng.choices(list(library), weights=[DEMO_THEMES.get(t, 1) for t in library])[0]
                section = rng.choice(library[theme]) if library[theme] else ""
                page = PageKey(key, language, theme, section)
                pages[page] = pages.get(page, 0) + 1
    await storage.counters.add(pages, daily)
    total = sum(POPULATION[code][1] for code in POPULATION)
    return (
        f"the demo's database holds a scripted population: {POPULATION_DAYS} days of counters, growing to about "
        f"{total} readers a day in {len(POPULATION)} languages (try /stats, /export, /announcements)"
    )


async def run_demo(
    settings: Settings,
    *,
    language: str | None = None,
    admin: bool = False,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Run the demo until end of input; return the exit code."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    # Only warnings: the transcript is the conversation, not the bot's log.
    setup_logging("WARNING")
    with tempfile.TemporaryDirectory(prefix="brief-bot-demo-") as tmp:
        async with BotAPIEmulator() as emu:
            renderer = TerminalRenderer(stdout, color=stdout.isatty(), save=functools.partial(_save_file, emu))
            demo_settings = dataclasses.replace(
                settings,
                token=emu.token,
                api_base_url=emu.base_url,
                webhook_url=None,
                database_path=Path(tmp) / "demo.sqlite3",
                admin_ids=frozenset({DEMO_USER_ID}) if admin else frozenset(),
            )
            try:
                app = build_application(demo_settings)
            except ContentError as exc:
                print(f"The content does not validate:\n{exc}", file=sys.stderr)
                return 3
            user = emu.user(DEMO_USER_ID, language_code=language or settings.default_language, first_name="Demo")
            chat = _Chat(user, renderer)
            await start_application(app)
            try:
                if admin:
                    services = app.bot_data[SERVICES_KEY]
                    content = services.content.get(FALLBACK_LANGUAGE)
                    population = await seed_population(services.storage, content, _utc_today())
                    renderer.note(population)
                assert app.updater is not None
                await app.updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=ALLOWED_UPDATES)
                print(BANNER, file=stdout)
                if admin:
                    renderer.note(f"you are an admin (Telegram id {DEMO_USER_ID})")
                echo = not stdin.isatty()
                while (line := await _read_line(stdin)) is not None:
                    line = line.strip()
                    if line in ("/quit", "/exit"):
                        break
                    if not line:
                        chat.seen.clear()
                        chat.print_changes()
                        continue
                    if echo:
                        print(f"\n>>> you: {line}", file=stdout)
                    await _act(chat, line, lambda: bool(getattr(app.update_queue, "backlog", 0)))
            finally:
                await stop_application(app)
    print("\n(demo ended)", file=stdout)
    return 0
