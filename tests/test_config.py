"""Each setting is read and checked once; a bad value stops start-up with one line that names it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings, read_env_file

TOKEN = "123456789:AAHfake-token-for-tests_0123456789abc"


def settings(tmp_path: Path, **env: str) -> Settings:
    base = {"DATABASE_PATH": str(tmp_path / "db" / "bot.sqlite3")}
    base.update(env)
    return load_settings(base, env_file=None)


def test_defaults(tmp_path: Path) -> None:
    s = settings(tmp_path)
    assert s.token is None
    assert s.admin_ids == frozenset()
    assert s.default_language == "ru"
    assert s.port == 8080
    assert s.log_level == "INFO"
    assert (tmp_path / "db").is_dir()  # the database directory is created


def test_full_configuration(tmp_path: Path) -> None:
    s = settings(
        tmp_path,
        BOT_TOKEN=TOKEN,
        ADMIN_IDS=" 11, 22 ,33",
        DEFAULT_LANGUAGE="EN",
        BOT_API_BASE_URL="http://127.0.0.1:8081/bot",
        WEBHOOK_URL="https://example.org/hook",
        WEBHOOK_SECRET="s3cret_value",
        PORT="8443",
        LOG_LEVEL="debug",
        BROADCAST_RATE="100",
        STATS_RETENTION_DAYS="365",
    )
    assert s.token == TOKEN
    assert s.admin_ids == frozenset({11, 22, 33})
    assert s.default_language == "en"
    assert s.api_file_url == "http://127.0.0.1:8081/file/bot"
    assert (s.port, s.log_level, s.broadcast_rate) == (8443, "DEBUG", 100.0)
    assert s.stats_retention_days == 365


def test_repr_never_shows_the_token_or_secret(tmp_path: Path) -> None:
    s = settings(tmp_path, BOT_TOKEN=TOKEN, WEBHOOK_URL="https://x.org/h", WEBHOOK_SECRET="hush_hush")
    assert TOKEN not in repr(s)
    assert "hush_hush" not in repr(s)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"BOT_TOKEN": "not-a-token"}, "BOT_TOKEN"),
        ({"BOT_TOKEN": "123:short"}, "BOT_TOKEN"),
        ({"ADMIN_IDS": "12,abc"}, "ADMIN_IDS"),
        ({"ADMIN_IDS": "-5"}, "ADMIN_IDS"),
        ({"ADMIN_IDS": "\u0661\u0662\u0663"}, "ADMIN_IDS"),  # Arabic-Indic digits: int() would accept them
        ({"ADMIN_IDS": "0"}, "ADMIN_IDS"),
        ({"ADMIN_IDS": "99999999999999999999"}, "ADMIN_IDS"),  # 20 digits: beyond Telegram's 52-bit ids
        ({"ADMIN_IDS": str(2**52)}, "ADMIN_IDS"),
        ({"DEFAULT_LANGUAGE": "de"}, "DEFAULT_LANGUAGE"),
        ({"BOT_API_BASE_URL": "ftp://x"}, "BOT_API_BASE_URL"),
        ({"WEBHOOK_URL": "http://insecure.org/h", "WEBHOOK_SECRET": "x"}, "WEBHOOK_URL"),
        ({"WEBHOOK_URL": "https://x.org/h"}, "WEBHOOK_SECRET"),
        ({"WEBHOOK_SECRET": "has spaces"}, "WEBHOOK_SECRET"),
        ({"PORT": "99999"}, "PORT"),
        ({"PORT": "http"}, "PORT"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"BROADCAST_RATE": "0"}, "BROADCAST_RATE"),
        ({"BROADCAST_RATE": "fast"}, "BROADCAST_RATE"),
        ({"STATS_RETENTION_DAYS": "0"}, "STATS_RETENTION_DAYS"),
        ({"STATS_RETENTION_DAYS": "two years"}, "STATS_RETENTION_DAYS"),
    ],
)
def test_malformed_values_name_the_variable(tmp_path: Path, env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as info:
        settings(tmp_path, **env)
    message = str(info.value)
    assert message.startswith(variable)
    assert "\n" not in message


def test_bad_token_value_is_not_echoed(tmp_path: Path) -> None:
    bad = "999:this-is-secret-but-malformed"
    with pytest.raises(ConfigError) as info:
        settings(tmp_path, BOT_TOKEN=bad)
    assert bad not in str(info.value)


def test_unwritable_database_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match=r"^DATABASE_PATH: cannot create directory"):
        load_settings({"DATABASE_PATH": str(blocker / "sub" / "bot.sqlite3")}, env_file=None)
    directory = tmp_path / "dir-as-db"
    directory.mkdir()
    with pytest.raises(ConfigError, match=r"^DATABASE_PATH: .* is not a writable file"):
        load_settings({"DATABASE_PATH": str(directory)}, env_file=None)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_directory(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o500)
    with pytest.raises(ConfigError, match="not writable"):
        load_settings({"DATABASE_PATH": str(ro / "bot.sqlite3")}, env_file=None)


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"# comment\nBOT_TOKEN='{TOKEN}'\nexport ADMIN_IDS=5\nDEFAULT_LANGUAGE=en\n"
        f"DATABASE_PATH={tmp_path / 'x.sqlite3'}\n",
        encoding="utf-8",
    )
    s = load_settings({"DEFAULT_LANGUAGE": "ru"}, env_file=env_file)
    assert s.token == TOKEN
    assert s.admin_ids == frozenset({5})
    assert s.default_language == "ru"


def test_env_file_syntax_error(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("JUSTAWORD\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line 1 is not KEY=value"):
        read_env_file(env_file)


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "ADMIN_IDS", "WEBHOOK_URL"}}
    clean.update({"DATABASE_PATH": str(tmp_path / "bot.sqlite3"), **env})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=clean,
        cwd=tmp_path,  # no .env there
        timeout=60,
        check=False,
    )


def test_run_without_token_explains_how_to_get_one(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "run")
    assert result.returncode == 1
    assert "@BotFather" in result.stderr
    assert "make demo" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_setting_stops_with_one_line(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "run", ADMIN_IDS="1,x")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "ADMIN_IDS" in result.stderr
    assert "Traceback" not in result.stderr
