"""The built wheel, installed with ``pip install --user`` into an isolated home, finds its content and catalogues;
``CONTENT_DIR`` / ``LOCALES_DIR`` point any install at an edited copy."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from bot.__main__ import NO_DEMO_MESSAGE
from bot.config import ConfigError, load_settings
from bot.ops.exitcodes import ExitCode
from bot.ops.paths import content_dir, locales_dir

ROOT = Path(__file__).resolve().parent.parent
# What a build needs; copied, so that building leaves nothing (build/, *.egg-info) in the checkout.
Completed = subprocess.CompletedProcess[str]
SOURCES = ("pyproject.toml", "setup.py", "README.md", "LICENSE", "bot", "content", "locales")


def _run(
    args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, env=env, cwd=cwd, check=False)
    assert result.returncode == 0, f"{args}:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    return result


@pytest.mark.slow
def test_a_wheel_installed_with_pip_user_finds_its_content(tmp_path: Path) -> None:
    source = tmp_path / "source"
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    # Offline: the build uses this environment's setuptools (make install puts a PEP 639 one there).
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(source)])
    (wheel,) = tmp_path.glob("brief_bot-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert not [name for name in archive.namelist() if "emulator" in name]  # the emulator is no part of the bot

    # A user's own install: the interpreter outside any venv, a home and user base of its own.
    home, user_base, elsewhere = tmp_path / "home", tmp_path / "user-base", tmp_path / "elsewhere"
    for directory in (home, elsewhere):
        directory.mkdir()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "PYTHONUSERBASE": str(user_base),
        "PIP_BREAK_SYSTEM_PACKAGES": "1",  # a distribution's Python refuses --user installs without it
        "PIP_NO_INDEX": "1",
    }
    python = getattr(sys, "_base_executable", sys.executable)
    _run([python, "-m", "pip", "install", "--user", "--no-deps", str(wheel)], env=env)

    # The bot's dependencies come from this environment (installed offline), the bot itself from the user base.
    env["PYTHONPATH"] = sysconfig.get_path("purelib")
    script = user_base / "bin" / "brief-bot"
    where = _run(
        [
            python,
            "-c",
            "from bot.ops.paths import content_dir, locales_dir; print(content_dir()); print(locales_dir())",
        ],
        env=env,
        cwd=elsewhere,
    ).stdout.split()
    assert where == [
        str(user_base / "share" / "brief-bot" / "content"),
        str(user_base / "share" / "brief-bot" / "locales"),
    ]
    summary = _run([str(script), "check-content"], env=env, cwd=elsewhere).stdout
    assert "ru" in summary
    version = _run([str(script), "--version"], env=env, cwd=elsewhere).stdout
    assert version.strip() == f"brief-bot {metadata.version('brief-bot')}"
    # Without the emulator the demo says in one line where to find it, with its own exit code (no traceback).
    demo = subprocess.run(
        [str(script), "demo"], env=env, cwd=elsewhere, capture_output=True, text=True, timeout=60, check=False
    )
    assert demo.returncode == ExitCode.NO_DEMO
    assert demo.stderr.strip() == NO_DEMO_MESSAGE and not demo.stdout
    assert not list(elsewhere.iterdir())  # nothing written where it ran


def test_content_dir_and_locales_dir_point_at_an_edited_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    edited_content, edited_locales = tmp_path / "content", tmp_path / "locales"
    shutil.copytree(content_dir(), edited_content)
    shutil.copytree(locales_dir(), edited_locales)
    environ = {
        "CONTENT_DIR": str(edited_content),
        "LOCALES_DIR": str(edited_locales),
        "DATABASE_PATH": str(tmp_path / "db"),
    }
    settings = load_settings(environ, env_file=None)
    assert (settings.content_dir, settings.locales_dir) == (edited_content, edited_locales)

    monkeypatch.setenv("CONTENT_DIR", str(edited_content))
    monkeypatch.setenv("LOCALES_DIR", str(edited_locales))
    assert (content_dir(), locales_dir()) == (edited_content, edited_locales)

    with pytest.raises(ConfigError, match="CONTENT_DIR"):
        load_settings({**environ, "CONTENT_DIR": str(tmp_path / "missing")}, env_file=None)


def test_the_bot_serves_the_edited_text(tmp_path: Path) -> None:
    from bot.app import load_static

    edited = tmp_path / "content"
    shutil.copytree(content_dir(), edited)
    about = edited / "ru" / "about.yaml"
    about.write_text(
        about.read_text(encoding="utf-8").replace("short_title: Об аналитической записке", "short_title: О записке"),
        encoding="utf-8",
    )
    settings = load_settings({"CONTENT_DIR": str(edited), "DATABASE_PATH": str(tmp_path / "db")}, env_file=None)
    content, *_ = load_static(settings)
    assert "О записке" in repr(content.get("ru"))

    # check-content reads CONTENT_DIR too: what an editor runs before restarting the bot.
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check-content"],
        env={**os.environ, "CONTENT_DIR": str(tmp_path / "nothing-here")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "nothing-here" in result.stdout + result.stderr
