"""LOG_FORMAT: plain lines without a timestamp where journald or a container stamps them, or one JSON object per
line; the token never appears in either."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from bot.ops.logs import plain_format, setup_logging

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The root logger's output, with the root logger restored afterwards (pytest's own handlers kept)."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    stream = io.StringIO()
    yield stream
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


def _log_through(stream: io.StringIO, log_format: str) -> list[str]:
    setup_logging("INFO", [TOKEN], log_format)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(stream)
    logger = logging.getLogger("bot.test")
    logger.info("polling with %s", TOKEN)
    try:
        raise RuntimeError(f"failed at https://api.telegram.org/bot{TOKEN}/getMe")
    except RuntimeError:
        logger.exception("a call failed")
    return stream.getvalue().splitlines()


def test_plain_has_no_timestamp_under_journald_or_in_a_container() -> None:
    assert plain_format({}).startswith("%(asctime)s")
    assert not plain_format({"JOURNAL_STREAM": "8:12345"}).startswith("%(asctime)s")
    assert not plain_format({"container": "docker"}).startswith("%(asctime)s")


def test_json_is_one_object_per_line_and_redacted(captured: io.StringIO) -> None:
    lines = _log_through(captured, "json")
    assert len(lines) == 2  # the traceback stays inside its line
    entries = [json.loads(line) for line in lines]
    assert [(e["level"], e["logger"]) for e in entries] == [("INFO", "bot.test"), ("ERROR", "bot.test")]
    assert entries[0]["message"] == "polling with [REDACTED]"
    assert "RuntimeError" in entries[1]["exception"]
    assert TOKEN not in captured.getvalue()


def test_plain_is_redacted(captured: io.StringIO) -> None:
    lines = _log_through(captured, "plain")
    assert any(line.endswith("INFO bot.test: polling with [REDACTED]") for line in lines)
    assert TOKEN not in captured.getvalue()


def test_log_format_setting_is_checked(tmp_path: Path) -> None:
    db = {"DATABASE_PATH": str(tmp_path / "bot.sqlite3")}
    assert load_settings({**db, "LOG_FORMAT": "JSON"}, env_file=None).log_format == "json"
    assert load_settings(db, env_file=None).log_format == "plain"
    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        load_settings({**db, "LOG_FORMAT": "xml"}, env_file=None)


def test_a_proxys_error_page_is_one_short_line_not_a_page_and_a_traceback(captured: io.StringIO) -> None:
    setup_logging("INFO", [TOKEN], "plain")
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(captured)
    page = "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>" + "x" * 2000 + "</body>\n</html>\n"
    try:
        json.loads(page)
    except json.JSONDecodeError:
        logging.getLogger("telegram.request.BaseRequest").exception('Can not load invalid JSON data: "%s"', page)
    lines = captured.getvalue().splitlines()
    assert len(lines) == 1 and "ERROR telegram.request.BaseRequest: Can not load invalid JSON data" in lines[0]
    assert len(lines[0]) < 250 and "Traceback" not in captured.getvalue()
