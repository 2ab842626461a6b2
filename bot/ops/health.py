"""The running bot's heartbeat and ``brief-bot healthcheck``: tell a hung bot from a working one.

The bot records the time of its last successful ``getUpdates`` (or webhook call, or webhook probe) in a small
file next to the database; the health check, a separate process run by Docker or a monitor, opens the database
and reads that time. A file and not a table: a heartbeat every few seconds would otherwise be a database write.
The same client tells ``Reachability`` of every failed poll: an outage is a few log lines, not one per retry.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

from telegram.error import NetworkError

from bot.telegram.json_request import JsonRequest

__all__ = [
    "HEALTHCHECK_MAX_AGE_SECONDS",
    "HEARTBEAT_MIN_INTERVAL_SECONDS",
    "OUTAGE_REMINDER_SECONDS",
    "WEBHOOK_PROBE_SECONDS",
    "Heartbeat",
    "HeartbeatRequest",
    "Reachability",
    "check_health",
    "healthcheck_command",
    "heartbeat_path",
]

logger = logging.getLogger(__name__)

# A polling bot completes a getUpdates at least every POLLING_TIMEOUT_SECONDS (10 s) when all is well; PTB
# backs off up to 30 s between failed attempts. A minute without success is a hung bot or a lost network,
# not one slow request.
HEALTHCHECK_MAX_AGE_SECONDS = 60.0
# A busy bot completes many getUpdates a second: one write a second is enough for a minute-scale check.
HEARTBEAT_MIN_INTERVAL_SECONDS = 1.0
# Telegram calls a webhook only when someone writes: an idle webhook bot asks getWebhookInfo this often,
# well inside HEALTHCHECK_MAX_AGE_SECONDS.
WEBHOOK_PROBE_SECONDS = 20.0
# During a long outage one line this often says it goes on (and how many polls failed): a log read at any time
# shows the bot is waiting for Telegram, not hung.
OUTAGE_REMINDER_SECONDS = 600.0
HTTP_SERVER_ERROR = 500  # from this status up, the Bot API (or a proxy in front of it) is failing, not our call


def heartbeat_path(database_path: Path) -> Path:
    """The heartbeat file of the bot running on ``database_path``."""
    return Path(f"{database_path}.heartbeat")


class Reachability:
    """Say once that the Bot API stopped answering, once that it answers again, and how many calls failed between.

    PTB retries a failed poll every 1 to 30 s and by default logs a traceback each time: an outage of an hour
    wrote thousands of lines. Here it is a warning when it starts, a reminder every OUTAGE_REMINDER_SECONDS,
    and one line when it ends.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._since: float | None = None  # start of the current outage
        self._reminded = 0.0
        self.failures = 0  # failed calls in the current outage

    @property
    def down(self) -> bool:
        """Whether the last call failed."""
        return self._since is not None

    def failed(self, reason: str) -> None:
        """Note a call that got no answer (or a server error)."""
        now = self._clock()
        self.failures += 1
        if self._since is None:
            self._since = self._reminded = now
            logger.warning("the Bot API does not answer (%s); retrying, quietly until it is back", reason)
        elif now - self._reminded >= OUTAGE_REMINDER_SECONDS:
            self._reminded = now
            logger.warning(
                "the Bot API still does not answer after %.0f s (%d failed calls; last: %s)",
                now - self._since,
                self.failures,
                reason,
            )

    def answered(self) -> None:
        """Note a call that was answered; ends an outage."""
        if self._since is None:
            return
        logger.warning(
            "the Bot API answers again after %.0f s (%d failed calls)", self._clock() - self._since, self.failures
        )
        self._since = None
        self.failures = 0


class Heartbeat:
    """Records "the bot just talked to Telegram successfully" (at most once per HEARTBEAT_MIN_INTERVAL).

    After ``clear`` (the bot is stopping) it records nothing more: the last calls of a stopping bot (the final
    ``getUpdates`` that confirms what was fetched) must not make a bot that is gone look healthy.
    """

    def __init__(
        self,
        database_path: Path,
        clock: Callable[[], float] = time.time,
        reachability: Reachability | None = None,
    ) -> None:
        self.path = heartbeat_path(database_path)
        self._clock = clock
        self._last = float("-inf")
        self._stopped = False
        self.reachability = reachability or Reachability()

    def beat(self) -> None:
        """Note a success now; a failure to write is logged, never raised (the bot keeps serving)."""
        self.reachability.answered()
        now = self._clock()
        if self._stopped or now - self._last < HEARTBEAT_MIN_INTERVAL_SECONDS:
            return
        self._last = now
        temporary = self.path.with_name(self.path.name + ".tmp")
        try:
            # Write then rename: the health check never reads half a number. 0600 like the database.
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.fchmod(fd, 0o600)
                os.write(fd, f"{now:.3f}\n".encode("ascii"))
            finally:
                os.close(fd)
            temporary.replace(self.path)
        except OSError as exc:
            logger.warning("cannot record the heartbeat in %s: %s", self.path, exc.strerror)

    def failed(self, reason: str) -> None:
        """Note a call to Telegram that got no answer."""
        self.reachability.failed(reason)

    def clear(self) -> None:
        """Forget the heartbeat and record no more (a stopped bot is not healthy, even for the next minute)."""
        self._stopped = True
        self.path.unlink(missing_ok=True)


class HeartbeatRequest(JsonRequest):
    """The ``getUpdates`` HTTP client (one connection) that beats on every answer with status 200."""

    def __init__(self, heartbeat: Heartbeat) -> None:
        super().__init__(connection_pool_size=1)
        self._heartbeat = heartbeat

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        """See ``BaseRequest.do_request``; beat when Telegram answered the poll, note when nothing did."""
        try:
            status, body = await super().do_request(*args, **kwargs)
        except NetworkError as exc:  # also TimedOut: no answer at all
            self._heartbeat.failed(exc.message)
            raise
        if status == 200:
            self._heartbeat.beat()
        elif status >= HTTP_SERVER_ERROR:
            self._heartbeat.failed(f"HTTP {status}")
        return status, body


def check_health(database_path: Path, now: float, max_age: float = HEALTHCHECK_MAX_AGE_SECONDS) -> str | None:
    """Return why the bot on ``database_path`` is unhealthy at time ``now``, or None if it is healthy."""
    if not database_path.is_file():
        return f"no database at {database_path}"
    try:
        # Read-only: the check must never create, migrate or lock what the running bot uses.
        with closing(sqlite3.connect(f"{database_path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        return f"cannot open the database {database_path}: {exc}"
    path = heartbeat_path(database_path)
    try:
        last = float(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return f"no heartbeat in {path}: the bot is not running or never reached Telegram"
    age = now - last
    if age > max_age:
        return f"no successful call to Telegram for {age:.0f} s (limit {max_age:.0f} s)"
    return None


def healthcheck_command(database_path: Path) -> int:
    """``brief-bot healthcheck``: 0 if healthy, 1 if not (Docker's HEALTHCHECK convention), with one line why."""
    problem = check_health(database_path, time.time())
    if problem is None:
        print("healthy")
        return 0
    print(f"unhealthy: {problem}")
    return 1
