"""The offline demo: the real bot, unchanged, served by the local Bot API emulator, chatted with in a terminal.

Reads stdin line by line (so it can be scripted: ``printf '/start\\n1\\n' | brief-bot demo``): text and
commands are sent as the demo user; a number presses that button of the newest message with buttons.
"""

from __future__ import annotations

import asyncio
import dataclasses
import html
import re
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO

from bot.app import ALLOWED_UPDATES, build_application, start_application, stop_application
from bot.config import Settings
from bot.content import ContentError
from bot.emulator import BotAPIEmulator, EmulatedMessage, EmulatedUser
from bot.logs import setup_logging

__all__ = ["TerminalRenderer", "run_demo"]

DEMO_USER_ID = 100001
REPLY_TIMEOUT = 10.0
_TAG = re.compile(r"<(/?)(b|strong|i|em|u|ins|s|strike|del|code|pre|a|tg-spoiler|blockquote)([^>]*)>")
_HREF = re.compile(r'href="([^"]*)"')
_START_LINK = re.compile(r"^https://t\.me/(?P<bot>[A-Za-z0-9_]+)\?start=(?P<payload>[A-Za-z0-9_-]+)$")

BANNER = """\
Offline demo: the real bot, talking to a local Telegram Bot API emulator (no internet, no account needed).
Type text or /commands as a Telegram user would. A number presses that button of the newest menu.
Empty line: show the chat again. Ctrl+D or /quit: leave."""


class TerminalRenderer:
    """Turns the bot's Telegram HTML and keyboards into readable terminal text."""

    def __init__(self, out: TextIO, *, color: bool) -> None:
        self.out = out
        self.color = color

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


async def _act(chat: _Chat, line: str) -> None:
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
    chat.print_changes()


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
    renderer = TerminalRenderer(stdout, color=stdout.isatty())
    with tempfile.TemporaryDirectory(prefix="brief-bot-demo-") as tmp:
        async with BotAPIEmulator() as emu:
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
                    await _act(chat, line)
            finally:
                await stop_application(app)
    print("\n(demo ended)", file=stdout)
    return 0
