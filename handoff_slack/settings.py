"""Settings read from the environment, validated once at start-up.

Every problem is named, each on its own line of one `SettingsError`, so `main.py` stops with
all of them at once instead of a traceback. `SETTINGS` describes every variable and holds the
defaults the readers use; `python main.py --help` lists it.
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
_USER_GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")
_SUPPORTED_DATABASES = ("sqlite", "postgresql")
# The drivers the storage layer is written for (connection checks, locks and autocommit use
# pysqlite's and psycopg 3's own switches); the plain scheme means the same driver.
_SUPPORTED_DRIVERS = {"sqlite": ("sqlite", "sqlite+pysqlite"), "postgresql": ("postgresql", "postgresql+psycopg")}
DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024
SLACK_MAX_FILE_BYTES = 1024 * 1024 * 1024  # files_upload_v2 refuses anything larger


class SettingsError(ValueError):
    """Settings are missing or malformed: one problem per line, each naming its variable."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Setting:
    """One environment variable as `python main.py --help` shows it.

    `default` is the value that applies when the variable is unset, written as one would set it
    (the parsers below read their defaults from here); None when there is none, and `unset` says
    what leaving it out means instead.
    """

    name: str
    default: str | None
    summary: str
    unset: str = ""

    @property
    def shown_default(self) -> str:
        return self.default or self.unset

    @property
    def required(self) -> bool:
        return self.unset == REQUIRED


REQUIRED = "required"

SETTINGS: tuple[Setting, ...] = (
    Setting("SLACK_BOT_TOKEN", None, "bot token (xoxb-...), checked with auth.test at start-up", REQUIRED),
    Setting("SLACK_SIGNING_SECRET", None, "verifies that requests come from Slack", REQUIRED),
    Setting("HANDOFF_SUPPORT_CHANNEL", None, "support channel ID (C... or G...); its members are the agents", REQUIRED),
    Setting("SLACK_APP_TOKEN", None, "app-level token (xapp-...): Socket Mode instead of HTTP", "unset: HTTP mode"),
    Setting("PORT", "3000", "HTTP port; Slack's requests go to POST /slack/events"),
    Setting("HOST", "0.0.0.0", "HTTP bind address"),
    Setting("SLACK_API_URL", DEFAULT_SLACK_API_URL, "Web API base URL"),
    Setting("DATABASE_URL", DEFAULT_DATABASE_URL, "sqlite:///FILE, or postgresql://user:pass@host/db"),
    Setting("HANDOFF_ADMINS", "", "comma-separated user IDs who may claim and close any ticket", "empty"),
    Setting("HANDOFF_NOTE_PREFIX", "note:", "agents' thread replies starting with this stay internal"),
    Setting("HANDOFF_AGENT_CACHE_SECONDS", "300", "how long the agents' member list (channel or group) is cached"),
    Setting("HANDOFF_DELIVERY_RETRY_SECONDS", "30", "how often undelivered messages are retried"),
    Setting("HANDOFF_DELIVERY_GIVE_UP_SECONDS", "3600", "an undeliverable message is given up after this long"),
    Setting("HANDOFF_EVENT_RETENTION_HOURS", "24", "how long handled event IDs are kept against redeliveries"),
    Setting("HANDOFF_FLOOD_LIMIT", "20", "customer messages per window before the bot asks them to slow down"),
    Setting("HANDOFF_FLOOD_WINDOW_SECONDS", "60", "the flood-control window"),
    Setting("HANDOFF_MAX_FILE_BYTES", str(DEFAULT_MAX_FILE_BYTES), "largest file passed on (20 MB; up to 1 GB)"),
    Setting("HANDOFF_SLACK_TIMEOUT_SECONDS", "15", "how long a Web API call waits for Slack's answer"),
    Setting("HANDOFF_HTTP_THREADS", "16", "HTTP worker threads, and threads for work after the ack"),
    Setting("HANDOFF_WORKERS", "1", "HTTP server processes on the port (above 1: PostgreSQL, HTTP mode)"),
    Setting("HANDOFF_MAX_BACKLOG", "1000", "most tasks of work after the ack queued or running"),
    Setting("HANDOFF_CONFIG", None, "path to the bot's YAML file (docs/configuration.md)", "built-in default"),
    Setting("LOG_LEVEL", "INFO", "DEBUG, INFO, WARNING or ERROR"),
    Setting(
        "HANDOFF_AGENT_GROUP",
        None,
        "a user group's ID (S...): its members are the agents",
        "the support channel's members",
    ),
    Setting("HANDOFF_AGENT_CAPACITY", "3", "most conversations an agent has at once, unless they set their own"),
    Setting(
        "HANDOFF_LEADER_CHECK_SECONDS",
        "5",
        "how often replicas check or try to take the scheduler's lead (PostgreSQL)",
    ),
    Setting(
        "HANDOFF_TIMER_STATEMENT_SECONDS",
        "60",
        "longest a timer's database statement waits for its answer before its connection is cut (PostgreSQL)",
    ),
)
_DEFAULTS = {setting.name: setting.default for setting in SETTINGS}


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
    agent_group: str | None = None  # a user group whose members are the agents; None = the support channel's
    agent_capacity: int = 3  # an agent's most concurrent conversations unless their profile says otherwise
    leader_check_seconds: int = 5  # replicas check or try to take the scheduler's lead this often (scheduler_leader.py)
    timer_statement_seconds: int = 60  # a timer's statement unanswered this long has its connection cut (scheduler.py)

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None

    def __repr__(self) -> str:  # keep secrets out of logs and tracebacks
        return (
            f"Settings(support_channel={self.support_channel!r}, socket_mode={self.socket_mode}, "
            f"port={self.port}, database={make_url(self.database_url).get_backend_name()})"
        )


# Each reader below appends what is wrong to `problems` and returns a stand-in, so that one run
# names every bad setting; `load_settings` raises them together.


def _default(name: str) -> str:
    default = _DEFAULTS[name]
    assert default is not None, name
    return default


def _required(env: Mapping[str, str], problems: list[str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        problems.append(f"{name} is not set")
    return value


def _token(env: Mapping[str, str], problems: list[str], name: str, prefix: str) -> str:
    value = _required(env, problems, name)
    if value and not value.startswith(prefix):
        problems.append(f"{name} must start with {prefix!r}")
    return value


def _optional_token(env: Mapping[str, str], problems: list[str], name: str, prefix: str) -> str | None:
    value = env.get(name, "").strip() or None
    if value is not None and not value.startswith(prefix):
        problems.append(f"{name} must start with {prefix!r}")
    return value


def _int(env: Mapping[str, str], problems: list[str], name: str, low: int, high: int) -> int:
    default = int(_default(name))
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        problems.append(f"{name} must be a whole number, got {raw!r}")
        return default
    if not low <= value <= high:
        problems.append(f"{name} must be between {low} and {high}, got {value}")
        return default
    return value


def _api_url(env: Mapping[str, str], problems: list[str]) -> str:
    raw = env.get("SLACK_API_URL", "").strip() or DEFAULT_SLACK_API_URL
    parsed = urlparse(raw)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        problems.append(f"SLACK_API_URL must be an http(s) URL, got {raw!r}")
        return DEFAULT_SLACK_API_URL
    # slack_sdk joins method names onto the base URL, which therefore needs its trailing slash.
    return raw if raw.endswith("/") else raw + "/"


def database_url_from_env(env: Mapping[str, str] | None = None) -> str:
    problems: list[str] = []
    url = _database_url(os.environ if env is None else env, problems)
    if url is None:
        raise SettingsError(*problems)
    return url


def config_path_from_env(env: Mapping[str, str] | None = None) -> str | None:
    """HANDOFF_CONFIG alone (None: the built-in configuration), for checking the bot's file even
    when other settings are wrong."""
    problems: list[str] = []
    path = _config_path(os.environ if env is None else env, problems)
    if problems:
        raise SettingsError(*problems)
    return path


def _database_url(env: Mapping[str, str], problems: list[str]) -> str | None:
    """The URL to connect with, or None (and a problem) when it is not one we can use."""
    raw = env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    try:
        url = make_url(raw)
    except ArgumentError:
        problems.append("DATABASE_URL is not a valid database URL")
        return None
    backend = url.get_backend_name()
    if backend not in _SUPPORTED_DATABASES:
        problems.append(f"DATABASE_URL must be a sqlite:// or postgresql:// URL, got {backend}://")
        return None
    if url.drivername not in _SUPPORTED_DRIVERS[backend]:
        supported = " or ".join(f"{driver}://" for driver in _SUPPORTED_DRIVERS[backend])
        problems.append(f"DATABASE_URL must use {supported} (the drivers the app ships), got {url.drivername}://")
        return None
    if backend == "postgresql" and url.drivername == "postgresql":
        # psycopg 3 is the driver we ship; plain postgresql:// would ask SQLAlchemy for psycopg2.
        raw = url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return raw


def _admins(env: Mapping[str, str], problems: list[str]) -> frozenset[str]:
    raw = env.get("HANDOFF_ADMINS", "")
    admins = [part.strip() for part in raw.split(",") if part.strip()]
    for admin in admins:
        if not _USER_ID.match(admin):
            problems.append(f"HANDOFF_ADMINS must be comma-separated Slack user IDs, got {admin!r}")
            break
    return frozenset(admins)


def _support_channel(env: Mapping[str, str], problems: list[str]) -> str:
    channel = _required(env, problems, "HANDOFF_SUPPORT_CHANNEL")
    if channel and not _CHANNEL_ID.match(channel):
        problems.append(f"HANDOFF_SUPPORT_CHANNEL must be a channel ID like C0123ABCD, got {channel!r}")
    return channel


def _note_prefix(env: Mapping[str, str], problems: list[str]) -> str:
    note_prefix = env.get("HANDOFF_NOTE_PREFIX", _default("HANDOFF_NOTE_PREFIX")).strip()
    if not note_prefix:
        problems.append("HANDOFF_NOTE_PREFIX must not be empty")
    return note_prefix


def _log_level(env: Mapping[str, str], problems: list[str]) -> str:
    log_level = (env.get("LOG_LEVEL", "").strip() or _default("LOG_LEVEL")).upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        problems.append(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {log_level!r}")
    return log_level


def _config_path(env: Mapping[str, str], problems: list[str]) -> str | None:
    """Only that the file can be read: `config_file.load_bot_config` checks what is in it."""
    path = env.get("HANDOFF_CONFIG", "").strip()
    if not path:
        return None
    if os.path.isdir(path):
        problems.append(f"HANDOFF_CONFIG: is a directory, not a file: {path}")
        return None
    if not os.path.isfile(path):  # checked before opening: a FIFO or device could block
        problem = "not a regular file" if os.path.exists(path) else "no such file"
        problems.append(f"HANDOFF_CONFIG: {problem}: {path}")
        return None
    try:
        with open(path, "rb"):
            pass
    except OSError as error:
        problems.append(f"HANDOFF_CONFIG: cannot read {path}: {error.strerror or type(error).__name__}")
        return None
    return path


def _agent_group(env: Mapping[str, str], problems: list[str]) -> str | None:
    group = env.get("HANDOFF_AGENT_GROUP", "").strip() or None
    if group is not None and not _USER_GROUP_ID.match(group):
        problems.append(f"HANDOFF_AGENT_GROUP must be a user group ID like S0123ABCD, got {group!r}")
        return None
    return group


def _workers(env: Mapping[str, str], problems: list[str], database_url: str | None, socket_mode: bool) -> int:
    workers = _int(env, problems, "HANDOFF_WORKERS", 1, 64)
    if workers > 1 and database_url is not None and make_url(database_url).get_backend_name() != "postgresql":
        # SQLite has one writer, and a conversation's deliveries are serialised by locks in the process.
        problems.append("HANDOFF_WORKERS above 1 needs PostgreSQL (DATABASE_URL): SQLite serves one process")
    elif workers > 1 and socket_mode:
        problems.append("HANDOFF_WORKERS above 1 is for HTTP mode; unset it or SLACK_APP_TOKEN (Socket Mode)")
    return workers


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """The settings from `env` (the process environment by default); a `SettingsError` names
    every missing or malformed one, each on its own line."""
    env = os.environ if env is None else env
    problems: list[str] = []
    app_token = _optional_token(env, problems, "SLACK_APP_TOKEN", "xapp-")
    database_url = _database_url(env, problems)
    settings = Settings(
        bot_token=_token(env, problems, "SLACK_BOT_TOKEN", "xoxb-"),
        signing_secret=_required(env, problems, "SLACK_SIGNING_SECRET"),
        app_token=app_token,
        support_channel=_support_channel(env, problems),
        port=_int(env, problems, "PORT", 1, 65535),
        host=env.get("HOST", "").strip() or _default("HOST"),
        slack_api_url=_api_url(env, problems),
        database_url=database_url or DEFAULT_DATABASE_URL,
        admins=_admins(env, problems),
        note_prefix=_note_prefix(env, problems),
        agent_cache_seconds=_int(env, problems, "HANDOFF_AGENT_CACHE_SECONDS", 0, 86400),
        http_threads=_int(env, problems, "HANDOFF_HTTP_THREADS", 1, 256),
        workers=_workers(env, problems, database_url, socket_mode=bool(env.get("SLACK_APP_TOKEN", "").strip())),
        max_backlog=_int(env, problems, "HANDOFF_MAX_BACKLOG", 1, 1_000_000),
        delivery_retry_seconds=_int(env, problems, "HANDOFF_DELIVERY_RETRY_SECONDS", 1, 3600),
        delivery_give_up_seconds=_int(env, problems, "HANDOFF_DELIVERY_GIVE_UP_SECONDS", 1, 7 * 86400),
        flood_limit=_int(env, problems, "HANDOFF_FLOOD_LIMIT", 1, 10_000),
        flood_window_seconds=_int(env, problems, "HANDOFF_FLOOD_WINDOW_SECONDS", 1, 3600),
        max_file_bytes=_int(env, problems, "HANDOFF_MAX_FILE_BYTES", 1, SLACK_MAX_FILE_BYTES),
        slack_timeout_seconds=_int(env, problems, "HANDOFF_SLACK_TIMEOUT_SECONDS", 1, 120),
        log_level=_log_level(env, problems),
        event_retention_hours=_int(env, problems, "HANDOFF_EVENT_RETENTION_HOURS", 1, 24 * 366),
        config_path=_config_path(env, problems),
        agent_group=_agent_group(env, problems),
        agent_capacity=_int(env, problems, "HANDOFF_AGENT_CAPACITY", 1, 50),
        leader_check_seconds=_int(env, problems, "HANDOFF_LEADER_CHECK_SECONDS", 1, 60),
        timer_statement_seconds=_int(env, problems, "HANDOFF_TIMER_STATEMENT_SECONDS", 1, 3600),
    )
    if problems:
        raise SettingsError(*sorted(problems, key=_listed_position))
    return settings


def _listed_position(problem: str) -> int:
    """Problems in the order `SETTINGS` (and `--help`) lists their variables."""
    for position, setting in enumerate(SETTINGS):
        if re.match(rf"{setting.name}\b", problem):
            return position
    return len(SETTINGS)
