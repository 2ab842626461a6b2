"""Shared fixtures: the content loaded once, and the real bot running against the local Bot API emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app import Static, build_application, load_static, start_application, stop_application
from bot.config import Settings
from bot.emulator import BotAPIEmulator
from bot.handlers.common import SERVICES_KEY, Services

ROOT = Path(__file__).resolve().parent.parent
ADMIN_ID = 900001


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
