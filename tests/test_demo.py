"""The offline demo, scripted through standard input as a content editor would use it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


def run_demo(tmp_path: Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "BOT_API_BASE_URL", "WEBHOOK_URL"}}
    return subprocess.run(
        [sys.executable, "-m", "bot", "demo", *args],
        input=script,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )


def test_demo_answers_start_with_the_real_menu_and_follows_buttons(tmp_path: Path) -> None:
    # On first contact the eight language buttons come first, then the themes: [9] is the first theme.
    result = run_demo(tmp_path, "/start\n9\n1\n›\n", "--lang", "en")
    out = result.stdout
    assert result.returncode == 0, result.stderr[-2000:]
    assert ">>> you: /start" in out
    assert "[9] Climate justice" in out
    assert "*Feminist activism for climate justice*" in out  # bold shown, button 9 pressed
    assert "Existing structural barriers" in out  # button 1 opened the first section
    assert "bot (edited)" in out  # navigation edits the message in place
    assert "\x1b[" not in out  # a clean transcript when not on a terminal
    assert "Traceback" not in result.stderr
    assert "(demo ended)" in out


def test_demo_in_russian_with_search_and_deep_link(tmp_path: Path) -> None:
    result = run_demo(tmp_path, "насилия\n/start i_gbv_barriers-1\n", "--lang", "ru")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Найдено в записке" in result.stdout
    assert "Законодательные барьеры" in result.stdout


def test_demo_in_cyrillic_uzbek(tmp_path: Path) -> None:
    result = run_demo(tmp_path, "/start\nаёллар\n", "--lang", "uz-Cyrl")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "✓ Ўзбекча" in result.stdout and "Oʻzbekcha" in result.stdout
    assert "Иқлим адолати" in result.stdout  # the themes in Cyrillic
    assert "Ҳужжатда топилди" in result.stdout  # a Cyrillic search, answered in Cyrillic


def test_demo_admin_can_open_the_announce_wizard(tmp_path: Path) -> None:
    result = run_demo(tmp_path, "/announce\n", "--lang", "en", "--admin")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "you are an admin" in result.stdout
    assert "Новое объявление" in result.stdout or "New announcement" in result.stdout


def test_demo_writes_nothing_into_the_current_directory(tmp_path: Path) -> None:
    result = run_demo(tmp_path, "/start\n", "--lang", "en")
    assert result.returncode == 0, result.stderr
    assert list(tmp_path.iterdir()) == []  # no ./data, no database: the demo's lives in a temporary directory


def test_demo_admin_stats_saves_the_chart_and_prints_its_path(tmp_path: Path) -> None:
    result = run_demo(tmp_path, "/stats\n1\n/export\n", "--lang", "en", "--admin")
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "scripted population" in out
    assert "Today (UTC)" in out
    saved = re.findall(r"\[(photo|document) saved to (\S+)\]", out)
    # weekly chart, sections, the page views CSV, the polls and ratings CSV
    assert [kind for kind, _ in saved] == ["photo", "photo", "document", "document"]
    for _, path in saved:
        assert Path(path).is_file() and not Path(path).is_relative_to(tmp_path)  # nothing where the demo runs
    assert list(tmp_path.iterdir()) == []
    assert Path(saved[0][1]).read_bytes().startswith(b"\x89PNG")
    assert "Traceback" not in result.stderr


def test_start_up_does_not_import_matplotlib() -> None:
    code = "import sys, bot.app, bot.announcing.handlers, bot.impact.handlers; sys.exit('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
