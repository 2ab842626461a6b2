"""Logging set-up: the token never reaches a log line, and HTTP client chatter stays quiet."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Iterable, Mapping

from telegram.error import NetworkError

__all__ = [
    "LOG_FORMATS",
    "JsonFormatter",
    "OneLineTransportErrors",
    "RedactingFilter",
    "mask_token",
    "plain_format",
    "setup_logging",
]

REDACTED = "[REDACTED]"
LOG_FORMATS = ("plain", "json")


def plain_format(environ: Mapping[str, str] | None = None) -> str:
    """The plain line format: without a timestamp under journald or in a container, which stamp every line."""
    environ = os.environ if environ is None else environ
    # systemd sets JOURNAL_STREAM for a service whose stderr goes to the journal. Podman and systemd-nspawn set
    # `container`, and so does this project's image (Docker itself sets nothing a process can rely on).
    if environ.get("JOURNAL_STREAM") or environ.get("container"):
        return "%(levelname)s %(name)s: %(message)s"
    return "%(asctime)s %(levelname)s %(name)s: %(message)s"


def mask_token(token: str) -> str:
    """``123456:***``: the bot's public id, which says which bot, and never the secret after the colon."""
    bot_id, colon, _ = token.partition(":")
    return f"{bot_id}:***" if colon and bot_id.isdigit() else "***"


class JsonFormatter(logging.Formatter):
    """One JSON object per line (time, level, logger, message, exception), for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


class RedactingFilter(logging.Filter):
    """Replace secrets in a record's message and arguments, whatever logger produced it."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def _clean(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        cleaned = self._clean(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


TRANSPORT_LOGGER = "telegram.request"
TRANSPORT_LINE_MAX = 160  # characters of a transport error kept in the log


class OneLineTransportErrors(logging.Filter):
    """Keep PTB's transport errors to one short line.

    When a proxy in front of the Bot API answers an outage with an HTML error page, PTB logs the whole page and
    a traceback for every request; during an outage the engine probes every few seconds, and the log would
    fill with pages of HTML. The first line says what happened; the page and the stack add nothing.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == TRANSPORT_LOGGER or record.name.startswith(TRANSPORT_LOGGER + "."):
            first = " ".join(record.getMessage().split())
            if len(first) > TRANSPORT_LINE_MAX:
                first = first[: TRANSPORT_LINE_MAX - 1] + "…"
            record.msg, record.args, record.exc_info, record.exc_text = first, None, None, None
        elif record.name.startswith("telegram.") and record.exc_info and isinstance(record.exc_info[1], NetworkError):
            # PTB's own lines on a failed call (the last getUpdates at stop, ...): the reason, not the stack.
            line = f"{record.getMessage()} ({record.exc_info[1]})"
            record.msg, record.args, record.exc_info, record.exc_text = line, None, None, None
        return True


def setup_logging(level: str, secrets: Iterable[str] = (), log_format: str = "plain") -> None:
    """Log to stderr at ``level`` in ``log_format`` (plain or json); redact ``secrets`` everywhere."""
    logging.basicConfig(level=level, format=plain_format(), force=True)
    redactor = RedactingFilter(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(OneLineTransportErrors())
        handler.addFilter(redactor)
        if log_format == "json":
            handler.setFormatter(JsonFormatter())
    # httpx logs every request URL at INFO, and the URL contains the token: keep it at WARNING whatever
    # LOG_LEVEL says. httpcore's DEBUG lines carry raw request bytes.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # python-telegram-bot logs every update and every call's parameters at DEBUG: what people wrote and
    # what they were sent. Its loggers stay at INFO or above, whatever LOG_LEVEL says.
    logging.getLogger("telegram").setLevel(max(logging.INFO, logging.getLogger().level))
    # aiosqlite logs every statement with its parameters at DEBUG: a user id next to a theme (GBV, SRHR).
    logging.getLogger("aiosqlite").setLevel(max(logging.INFO, logging.getLogger().level))
