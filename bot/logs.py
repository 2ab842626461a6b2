"""Logging set-up: the token never reaches a log line, and HTTP client chatter stays quiet."""

from __future__ import annotations

import logging
from collections.abc import Iterable

__all__ = ["RedactingFilter", "setup_logging"]

REDACTED = "[REDACTED]"


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


def setup_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """Log to stderr at ``level``; redact ``secrets`` everywhere."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    redactor = RedactingFilter(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)
    # httpx logs every request URL at INFO, and the URL contains the token: keep it at WARNING whatever
    # LOG_LEVEL says. httpcore's DEBUG lines carry raw request bytes.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # python-telegram-bot logs every update and every call's parameters at DEBUG: what people wrote and
    # what they were sent. Its loggers stay at INFO or above, whatever LOG_LEVEL says.
    logging.getLogger("telegram").setLevel(max(logging.INFO, logging.getLogger().level))
    # aiosqlite logs every statement with its parameters at DEBUG: a user id next to a theme (GBV, SRHR).
    logging.getLogger("aiosqlite").setLevel(max(logging.INFO, logging.getLogger().level))
