"""Settings read once from the environment (and an optional ``.env``); the token is never printed."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.languages.discovery import FALLBACK_LANGUAGE, canonical_tag, discover_languages
from bot.ops.logs import LOG_FORMATS
from bot.ops.paths import content_dir
from bot.telegram.limits import USER_ID_MAX

__all__ = ["ConfigError", "Settings", "load_settings", "read_env_file"]

DEFAULT_DATABASE_PATH = Path("data/bot.sqlite3")
DEFAULT_PORT = 8080
# Loopback: on a host, only the reverse proxy in front can reach the webhook server. The Docker image sets
# 0.0.0.0, since there the published port is the way in.
DEFAULT_WEBHOOK_LISTEN = "127.0.0.1"
DEFAULT_STATS_RETENTION_DAYS = 730  # anonymous counters are kept two years (partners report yearly)
# An announcement's per-recipient delivery rows (who got it, so which themes they follow) are dropped this many
# days after it finished or was cancelled: time enough to retry the failed ones and to unsubscribe under it.
DEFAULT_DELIVERY_RETENTION_DAYS = 14
DEFAULT_BROADCAST_RATE = 25.0  # messages/second: under Telegram's ~30/s bulk limit, with headroom
# Start-up waits for the Bot API this long after the first failed attempt, doubling up to the cap: a boot before
# the network is up costs seconds, a long outage one line a minute. STARTUP_BACKOFF="FIRST,CAP" (tests: short).
DEFAULT_STARTUP_BACKOFF = (1.0, 60.0)
# Telegram bot tokens: "<bot id>:<35 characters of A-Za-z0-9_->".
_TOKEN = re.compile(r"^\d{5,12}:[A-Za-z0-9_-]{30,50}$")
# Telegram's secret_token for webhooks: 1-256 characters of A-Za-z0-9_-.
_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(ValueError):
    """A setting is malformed; the message names the variable and says what is wrong (never its value)."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the bot reads from its environment."""

    token: str | None = field(default=None, repr=False)
    admin_ids: frozenset[int] = frozenset()
    database_path: Path = DEFAULT_DATABASE_PATH
    default_language: str = "ru"
    api_base_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    port: int = DEFAULT_PORT
    webhook_listen: str = DEFAULT_WEBHOOK_LISTEN
    log_level: str = "INFO"
    log_format: str = "plain"  # LOG_FORMAT: plain lines, or one JSON object per line
    broadcast_rate: float = DEFAULT_BROADCAST_RATE
    reports_chat_id: int | None = None  # readers' reports go here (e.g. the admins' group), else to each admin
    content_dir: Path | None = None  # CONTENT_DIR: edited text served without rebuilding; None: the shipped one
    locales_dir: Path | None = None  # LOCALES_DIR, the same for the interface catalogues
    stats_retention_days: int = DEFAULT_STATS_RETENTION_DAYS
    delivery_retention_days: int = DEFAULT_DELIVERY_RETENTION_DAYS
    startup_backoff: tuple[float, float] = DEFAULT_STARTUP_BACKOFF  # STARTUP_BACKOFF: first and longest wait, s

    @property
    def api_file_url(self) -> str | None:
        """The file URL that goes with a self-hosted ``api_base_url``."""
        if self.api_base_url is None:
            return None
        base = self.api_base_url.rstrip("/")
        return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base + "/file/bot"


def read_env_file(path: Path) -> dict[str, str]:
    """Parse a ``.env`` file: ``KEY=value`` lines, ``#`` comments, optional quotes."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :]
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{path}: line {number} is not KEY=value")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env"), *, writable: bool = True
) -> Settings:
    """Read and check every setting; the process environment wins over ``.env``.

    ``writable``: create the database's directory and check the bot can write there. Commands that only read
    (``backup``, ``healthcheck``) pass False: they must leave no ``data/`` behind wherever they are run.
    """
    env: dict[str, str] = {}
    if env_file is not None:
        env.update(read_env_file(env_file))
    env.update(os.environ if environ is None else environ)

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    token = get("BOT_TOKEN")
    if token is not None and not _TOKEN.match(token):
        raise ConfigError(
            "BOT_TOKEN does not look like a Telegram bot token (expected '<digits>:<35 letters, digits, _ or ->' "
            "as given by @BotFather)"
        )

    admin_ids: set[int] = set()
    for part in (get("ADMIN_IDS") or "").split(","):
        part = part.strip()
        if not part:
            continue
        # [0-9], not \d: \d also takes Arabic-Indic and other digits, which int() then silently converts.
        if not re.fullmatch(r"[0-9]{1,20}", part) or not 1 <= int(part) <= USER_ID_MAX:
            raise ConfigError(
                f"ADMIN_IDS must be comma-separated Telegram user ids (1 to {USER_ID_MAX}); {part!r} is not one"
            )
        admin_ids.add(int(part))

    database_path = Path(get("DATABASE_PATH") or DEFAULT_DATABASE_PATH)
    if writable:
        _check_writable(database_path)

    given_language = get("DEFAULT_LANGUAGE") or FALLBACK_LANGUAGE
    default_language = canonical_tag(given_language) or given_language  # "UZ-cyrl" is "uz-Cyrl"
    content_root = _data_dir("CONTENT_DIR", get("CONTENT_DIR"))
    locales_root = _data_dir("LOCALES_DIR", get("LOCALES_DIR"))
    shipped = discover_languages(content_root or content_dir())
    if default_language not in shipped:
        raise ConfigError(f"DEFAULT_LANGUAGE must be one of {', '.join(shipped)}; {default_language!r} is not shipped")

    api_base_url = get("BOT_API_BASE_URL")
    if api_base_url is not None and not re.match(r"^https?://[^\s/]+", api_base_url):
        raise ConfigError("BOT_API_BASE_URL must be an http(s) URL such as http://127.0.0.1:8081/bot")

    webhook_url = get("WEBHOOK_URL")
    webhook_secret = get("WEBHOOK_SECRET")
    if webhook_url is not None:
        if not webhook_url.startswith("https://"):
            raise ConfigError("WEBHOOK_URL must start with https:// (Telegram only calls HTTPS webhooks)")
        if webhook_secret is None:
            raise ConfigError("WEBHOOK_SECRET is required with WEBHOOK_URL, so forged webhook calls are refused")
    if webhook_secret is not None and not _WEBHOOK_SECRET.match(webhook_secret):
        raise ConfigError("WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ or -")

    port_text = get("PORT") or str(DEFAULT_PORT)
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ConfigError(f"PORT must be a number from 1 to 65535; {port_text!r} is not")

    webhook_listen = get("WEBHOOK_LISTEN") or DEFAULT_WEBHOOK_LISTEN
    try:
        ipaddress.ip_address(webhook_listen)
    except ValueError:
        raise ConfigError(
            f"WEBHOOK_LISTEN must be an IP address such as 127.0.0.1 or 0.0.0.0; {webhook_listen!r} is not"
        ) from None

    log_level = (get("LOG_LEVEL") or "INFO").upper()
    if log_level not in _LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(_LOG_LEVELS)}; {log_level!r} is not")

    log_format = (get("LOG_FORMAT") or "plain").lower()
    if log_format not in LOG_FORMATS:
        raise ConfigError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}; {log_format!r} is not")

    rate_text = get("BROADCAST_RATE") or str(DEFAULT_BROADCAST_RATE)
    try:
        broadcast_rate = float(rate_text)
    except ValueError:
        broadcast_rate = -1.0
    if not 0 < broadcast_rate <= 1000:
        raise ConfigError(f"BROADCAST_RATE must be messages per second, above 0 and at most 1000; {rate_text!r} is not")

    reports_text = get("REPORTS_CHAT_ID")
    if reports_text is not None and not re.fullmatch(r"-?[0-9]{1,16}", reports_text):
        raise ConfigError(
            "REPORTS_CHAT_ID must be a numeric Telegram chat id (a group's id starts with -100); "
            f"{reports_text!r} is not one"
        )

    retention_text = get("STATS_RETENTION_DAYS") or str(DEFAULT_STATS_RETENTION_DAYS)
    if not re.fullmatch(r"[0-9]{1,6}", retention_text) or int(retention_text) < 1:
        raise ConfigError(f"STATS_RETENTION_DAYS must be a number of days, at least 1; {retention_text!r} is not")
    deliveries_text = get("DELIVERY_RETENTION_DAYS") or str(DEFAULT_DELIVERY_RETENTION_DAYS)
    if not re.fullmatch(r"[0-9]{1,6}", deliveries_text) or int(deliveries_text) < 1:
        raise ConfigError(f"DELIVERY_RETENTION_DAYS must be a number of days, at least 1; {deliveries_text!r} is not")

    startup_backoff = _startup_backoff(get("STARTUP_BACKOFF"))

    return Settings(
        token=token,
        admin_ids=frozenset(admin_ids),
        database_path=database_path,
        default_language=default_language,
        api_base_url=api_base_url,
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        port=int(port_text),
        webhook_listen=webhook_listen,
        log_level=log_level,
        log_format=log_format,
        broadcast_rate=broadcast_rate,
        reports_chat_id=None if reports_text is None else int(reports_text),
        content_dir=content_root,
        locales_dir=locales_root,
        stats_retention_days=int(retention_text),
        delivery_retention_days=int(deliveries_text),
        startup_backoff=startup_backoff,
    )


def _startup_backoff(value: str | None) -> tuple[float, float]:
    """``STARTUP_BACKOFF``: "FIRST,CAP" in seconds, 0 < FIRST <= CAP <= 3600."""
    if value is None:
        return DEFAULT_STARTUP_BACKOFF
    try:
        first, cap = (float(part) for part in value.split(","))
    except ValueError:
        first = cap = -1.0
    if not 0 < first <= cap <= 3600:
        raise ConfigError(
            f"STARTUP_BACKOFF must be two numbers of seconds, FIRST,CAP with 0 < FIRST <= CAP <= 3600; {value!r} is not"
        )
    return first, cap


def _data_dir(name: str, value: str | None) -> Path | None:
    """An edited copy of ``content/`` or ``locales/`` named by the setting ``name``; it must be a directory."""
    if value is None:
        return None
    path = Path(value)
    if not path.is_dir():
        raise ConfigError(f"{name}: {path} is not a directory")
    return path


def _check_writable(path: Path) -> None:
    """Create the database's directory and make sure the bot can write there."""
    directory = path.parent if str(path.parent) else Path()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"DATABASE_PATH: cannot create directory {directory} ({exc.strerror})") from None
    if path.exists() and (path.is_dir() or not os.access(path, os.W_OK)):
        raise ConfigError(f"DATABASE_PATH: {path} is not a writable file")
    if not os.access(directory, os.W_OK):
        raise ConfigError(f"DATABASE_PATH: directory {directory} is not writable")
