"""Shared fixtures: the content loaded once, and the real bot running against the local Bot API emulator."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app import Static, build_application, load_static, start_application, stop_application
from bot.config import Settings
from bot.reading.context import SERVICES_KEY, Services
from emulator import BotAPIEmulator

ROOT = Path(__file__).resolve().parent.parent
ADMIN_ID = 900001


class _ErrorRecords(logging.Handler):
    """Collects every record at ERROR or above, from any logger."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def logged_errors(request: pytest.FixtureRequest) -> Iterator[list[logging.LogRecord]]:
    """Fail a test in which the bot (or the emulator) logged an ERROR nobody expected.

    An end-to-end test could otherwise pass while the bot answered "Something went wrong" or a handler
    crashed after its reply. A test that provokes errors on purpose names their loggers with
    ``@pytest.mark.logs_errors("logger.name", ...)``, or checks the records and clears them.
    """
    handler = _ErrorRecords()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler.records
    finally:
        root.removeHandler(handler)
    marker = request.node.get_closest_marker("logs_errors")
    expected = tuple(marker.args) if marker else ()
    unexpected = [r for r in handler.records if not any(r.name == n or r.name.startswith(n + ".") for n in expected)]
    if unexpected:
        lines = "\n".join(f"{r.name}: {r.getMessage()} {r.exc_info[1] if r.exc_info else ''}" for r in unexpected)
        pytest.fail(f"ERROR logged during the test:\n{lines}", pytrace=False)


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 10.0, what: str = "the condition") -> None:
    """Wait until the async ``check`` holds, with a deadline (for state outside the chats, e.g. the database)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"{what} did not hold within {within:g}s")
        await asyncio.sleep(0.02)


async def spawn_bot(
    emu: BotAPIEmulator,
    workdir: Path,
    *,
    database: Path | None = None,
    stdout: int = asyncio.subprocess.PIPE,
    stderr: int = asyncio.subprocess.PIPE,
    settings: dict[str, str] | None = None,
) -> asyncio.subprocess.Process:
    """The real bot (``python -m bot run``) as a process of its own, talking to ``emu``.

    ``settings`` are environment variables over the defaults (no admins, the database in ``workdir``).
    """
    env = {
        **os.environ,
        "BOT_TOKEN": emu.token,
        "BOT_API_BASE_URL": emu.base_url,
        "DATABASE_PATH": str(database or workdir / "bot.sqlite3"),
        "ADMIN_IDS": "",
        **(settings or {}),
    }
    if "WEBHOOK_URL" not in (settings or {}):
        env.pop("WEBHOOK_URL", None)
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=workdir, env=env, stdout=stdout, stderr=stderr
    )


@pytest.fixture(scope="session")
def static() -> Static:
    return load_static(Settings())


@dataclass
class BotEnv:
    """The emulator, the running bot, and its services."""

    emu: BotAPIEmulator
    app: Any
    settings: Settings

    @property
    def services(self) -> Services:
        services: Services = self.app.bot_data[SERVICES_KEY]
        return services


async def start_bot(emu: BotAPIEmulator, settings: Settings, static: Static) -> Any:
    app = build_application(settings, static=static)
    await start_application(app)
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    return app


@pytest.fixture
async def env(tmp_path: Path, static: Static) -> AsyncIterator[BotEnv]:
    async with BotAPIEmulator() as emu:
        settings = Settings(
            token=emu.token,
            api_base_url=emu.base_url,
            database_path=tmp_path / "bot.sqlite3",
            admin_ids=frozenset({ADMIN_ID}),
        )
        app = await start_bot(emu, settings, static)
        try:
            yield BotEnv(emu, app, settings)
        finally:
            await stop_application(app)


@pytest.fixture(scope="session")
def offline_shelf(static: Static, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Every offline file of the shipped content, built once per session (tests/offline_files.py)."""
    from tests.offline_files import build_shelf

    return build_shelf(static, tmp_path_factory.mktemp("offline-cache"))
