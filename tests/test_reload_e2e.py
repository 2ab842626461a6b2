"""``brief-bot reload`` against the real bot process: new text without a restart, the old one kept if invalid."""

from __future__ import annotations

import asyncio
import shutil
import signal
from pathlib import Path

import pytest

from bot.__main__ import main
from emulator import BotAPIEmulator, EmulatedUser
from tests.conftest import ROOT, spawn_bot

ADMIN = 900777
OLD, NEW, BROKEN = "ерекшеліктерді ескермейді.", "ерекшеліктерді есепке алмайды.", "ерекшеліктерді есепке aлмайды."


async def _collect(stream: asyncio.StreamReader, lines: list[str]) -> None:
    while line := await stream.readline():
        lines.append(line.decode(errors="replace"))


async def _logged(lines: list[str], fragment: str, after: int, within: float = 30.0) -> None:
    """Wait (with a deadline) until a log line after the first ``after`` ones contains ``fragment``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not any(fragment in line for line in lines[after:]):
        if loop.time() > deadline:
            raise AssertionError(f"no log line with {fragment!r} within {within:g}s:\n{''.join(lines[-20:])}")
        await asyncio.sleep(0.05)


async def _item_text(user: EmulatedUser) -> str:
    await user.start("i_climate_barriers-2")
    replies = await user.wait_reply(timeout=30)
    return "\n".join(m.text or "" for m in replies)


async def test_reload_serves_new_text_and_keeps_the_old_when_invalid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    theme = content / "kk" / "climate.yaml"
    database = tmp_path / "bot.sqlite3"
    monkeypatch.setenv("DATABASE_PATH", str(database))
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    async with BotAPIEmulator() as emu:
        process = await spawn_bot(emu, tmp_path, settings={"CONTENT_DIR": str(content), "ADMIN_IDS": str(ADMIN)})
        assert process.stderr is not None
        lines: list[str] = []
        reader = asyncio.create_task(_collect(process.stderr, lines))
        try:
            admin = emu.user(ADMIN, language_code="en")
            await admin.send("/start")
            await admin.wait_reply(timeout=30)
            user = emu.user(5001, language_code="kk")
            assert OLD in await _item_text(user)
            # Another reader is on a theme's menu, opened before the reload.
            mid_page = emu.user(5002, language_code="kk")
            await mid_page.start("t_climate")
            (menu,) = await mid_page.wait_reply(timeout=30)
            section = next(label for label in menu.button_texts if label.startswith("Құрылымдық кедергілер"))

            theme.write_text(theme.read_text(encoding="utf-8").replace(OLD, NEW), encoding="utf-8")
            mark = len(lines)
            assert main(["reload"]) == 0
            await _logged(lines, "content and catalogues reloaded", mark)
            text = await _item_text(user)
            assert NEW in text and OLD not in text
            await mid_page.press(section)  # a button of the menu shown before the reload
            await mid_page.wait_reply(timeout=30)
            page = mid_page.last
            assert page is not None and NEW in (page.text or "") and OLD not in (page.text or "")

            theme.write_text(theme.read_text(encoding="utf-8").replace(NEW, BROKEN), encoding="utf-8")
            mark = len(lines)
            assert main(["reload"]) == 0
            await _logged(lines, "reload failed, the old texts stay", mark)
            told = await admin.wait_reply(timeout=30)
            assert "The new texts have errors" in (told[-1].text or "")
            assert NEW in await _item_text(user)  # still the last good text, from the same process
            assert process.returncode is None
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), timeout=30)
            await reader
    failed = [line for line in lines if "reload failed" in line]
    assert len(failed) == 1, failed  # one log line for a failed reload
    assert "Latin and Cyrillic letters mixed" in failed[0]


def test_reload_without_a_running_bot_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "bot.sqlite3"))
    assert main(["reload"]) != 0
