"""Settings read from the environment, validated once at start-up.

Every problem is raised as a `SettingsError` whose message names the variable, so `main.py` can
stop with one clear line instead of a traceback.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlparse

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///handoff.db"

_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_SUPPORTED_DATABASES = ("sqlite", "postgresql")
# The drivers the storage layer is written for (connection checks, locks and autocommit use
# pysqlite's and psycopg 3's own switches); the plain scheme means the same driver.
_SUPPORTED_DRIVERS = {"sqlite": ("sqlite", "sqlite+pysqlite"), "postgresql": ("postgresql", "postgresql+psycopg")}
DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024
SLACK_MAX_FILE_BYTES = 1024 * 1024 * 1024  # files_upload_v2 refuses anything larger


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Settings:
    bot_token: str
    signing_secret: str
    support_channel: str
    app_token: str | None = None
    port: int = 3000
    host: str = "0.0.0.0"
    slack_api_url: str = DEFAULT_SLACK_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    admins: frozenset[str] = field(default_factory=frozenset)
    note_prefix: str = "note:"
    agent_cache_seconds: int = 300
    http_threads: int = 16
    workers: int = 1  # HTTP server processes (PostgreSQL only: SQLite serves one process)
    max_backlog: int = 1000  # lazy tasks queued or running; at the limit Slack gets a 503 and redelivers
    delivery_retry_seconds: int = 30
    delivery_give_up_seconds: int = 3600
    flood_limit: int = 20
    flood_window_seconds: int = 60
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    slack_timeout_seconds: int = 15
    log_level: str = "INFO"
    event_retention_hours: int = 24  # processed event IDs kept for de-duplication (Slack retries within ~1 h)
    config_path: str | None = None  # the bot's YAML configuration; None = the built-in default

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None

    def __repr__(self) -> str:  # keep secrets out of logs and tracebacks
        return (
            f"Settings(support_channel={self.support_channel!r}, socket_mode={self.socket_mode}, "
            f"port={self.port}, database={make_url(self.database_url).get_backend_name()})"
        )


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise SettingsError(f"{name} is not set")
    return value


def _token(env: Mapping[str, str], name: str, prefix: str, required: bool = True) -> str | None:
    value = _required(env, name) if required else (env.get(name, "").strip() or None)
    if value is not None and not value.startswith(prefix):
        raise SettingsError(f"{name} must start with {prefix!r}")
    return value


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _api_url(env: Mapping[str, str]) -> str:
    raw = env.get("SLACK_API_URL", "").strip() or DEFAULT_SLACK_API_URL
    parsed = urlparse(raw)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingsError(f"SLACK_API_URL must be an http(s) URL, got {raw!r}")
    # slack_sdk joins method names onto the base URL, which therefore needs its trailing slash.
    return raw if raw.endswith("/") else raw + "/"


def database_url_from_env(env: Mapping[str, str] | None = None) -> str:
    return _database_url(os.environ if env is None else env)


def _database_url(env: Mapping[str, str]) -> str:
    raw = env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    try:
        url = make_url(raw)
    except ArgumentError:
        raise SettingsError("DATABASE_URL is not a valid database URL") from None
    backend = url.get_backend_name()
    if backend not in _SUPPORTED_DATABASES:
        raise SettingsError(f"DATABASE_URL must be a sqlite:// or postgresql:// URL, got {backend}://")
    if url.drivername not in _SUPPORTED_DRIVERS[backend]:
        supported = " or ".join(f"{driver}://" for driver in _SUPPORTED_DRIVERS[backend])
        raise SettingsError(f"DATABASE_URL must use {supported} (the drivers the app ships), got {url.drivername}://")
    if backend == "postgresql" and url.drivername == "postgresql":
        # psycopg 3 is the driver we ship; plain postgresql:// would ask SQLAlchemy for psycopg2.
        raw = url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return raw


def _admins(env: Mapping[str, str]) -> frozenset[str]:
    raw = env.get("HANDOFF_ADMINS", "")
    admins = [part.strip() for part in raw.split(",") if part.strip()]
    for admin in admins:
        if not _USER_ID.match(admin):
            raise SettingsError(f"HANDOFF_ADMINS must be comma-separated Slack user IDs, got {admin!r}")
    return frozenset(admins)


def _config_path(env: Mapping[str, str]) -> str | None:
    """Only that the file can be read: `config_file.load_bot_config` checks what is in it."""
    path = env.get("HANDOFF_CONFIG", "").strip()
    if not path:
        return None
    if os.path.isdir(path):
        raise SettingsError(f"HANDOFF_CONFIG: is a directory, not a file: {path}")
    if not os.path.isfile(path):  # checked before opening: a FIFO or device could block
        problem = "not a regular file" if os.path.exists(path) else "no such file"
        raise SettingsError(f"HANDOFF_CONFIG: {problem}: {path}")
    try:
        with open(path, "rb"):
            pass
    except OSError as error:
        raise SettingsError(f"HANDOFF_CONFIG: cannot read {path}: {error.strerror or type(error).__name__}") from None
    return path


def _workers(env: Mapping[str, str]) -> int:
    workers = _int(env, "HANDOFF_WORKERS", 1, 1, 64)
    if workers > 1 and make_url(_database_url(env)).get_backend_name() != "postgresql":
        # SQLite has one writer, and a conversation's deliveries are serialised by locks in the process.
        raise SettingsError("HANDOFF_WORKERS above 1 needs PostgreSQL (DATABASE_URL): SQLite serves one process")
    if workers > 1 and env.get("SLACK_APP_TOKEN", "").strip():
        raise SettingsError("HANDOFF_WORKERS above 1 is for HTTP mode; unset it or SLACK_APP_TOKEN (Socket Mode)")
    return workers


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    support_channel = _required(env, "HANDOFF_SUPPORT_CHANNEL")
    if not _CHANNEL_ID.match(support_channel):
        raise SettingsError(f"HANDOFF_SUPPORT_CHANNEL must be a channel ID like C0123ABCD, got {support_channel!r}")
    note_prefix = env.get("HANDOFF_NOTE_PREFIX", "note:").strip()
    if not note_prefix:
        raise SettingsError("HANDOFF_NOTE_PREFIX must not be empty")
    log_level = (env.get("LOG_LEVEL", "").strip() or "INFO").upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise SettingsError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {log_level!r}")
    return Settings(
        bot_token=_token(env, "SLACK_BOT_TOKEN", "xoxb-"),  # type: ignore[arg-type]
        signing_secret=_required(env, "SLACK_SIGNING_SECRET"),
        app_token=_token(env, "SLACK_APP_TOKEN", "xapp-", required=False),
        support_channel=support_channel,
        port=_int(env, "PORT", 3000, 1, 65535),
        host=env.get("HOST", "").strip() or "0.0.0.0",
        slack_api_url=_api_url(env),
        database_url=_database_url(env),
        admins=_admins(env),
        note_prefix=note_prefix,
        agent_cache_seconds=_int(env, "HANDOFF_AGENT_CACHE_SECONDS", 300, 0, 86400),
        http_threads=_int(env, "HANDOFF_HTTP_THREADS", 16, 1, 256),
        workers=_workers(env),
        max_backlog=_int(env, "HANDOFF_MAX_BACKLOG", 1000, 1, 1_000_000),
        delivery_retry_seconds=_int(env, "HANDOFF_DELIVERY_RETRY_SECONDS", 30, 1, 3600),
        delivery_give_up_seconds=_int(env, "HANDOFF_DELIVERY_GIVE_UP_SECONDS", 3600, 1, 7 * 86400),
        flood_limit=_int(env, "HANDOFF_FLOOD_LIMIT", 20, 1, 10_000),
        flood_window_seconds=_int(env, "HANDOFF_FLOOD_WINDOW_SECONDS", 60, 1, 3600),
        max_file_bytes=_int(env, "HANDOFF_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES, 1, SLACK_MAX_FILE_BYTES),
        slack_timeout_seconds=_int(env, "HANDOFF_SLACK_TIMEOUT_SECONDS", 15, 1, 120),
        log_level=log_level,
        event_retention_hours=_int(env, "HANDOFF_EVENT_RETENTION_HOURS", 24, 1, 24 * 366),
        config_path=_config_path(env),
    )
