"""Settings: defaults, and one clear message naming each bad or missing variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from handoff_slack.settings import (
    DEFAULT_DATABASE_URL,
    DEFAULT_SLACK_API_URL,
    SETTINGS,
    Setting,
    Settings,
    SettingsError,
    load_settings,
)

REQUIRED = {
    "SLACK_BOT_TOKEN": "xoxb-1-2-abc",
    "SLACK_SIGNING_SECRET": "s3cret",
    "HANDOFF_SUPPORT_CHANNEL": "C0SUPPORT",
}


def test_defaults() -> None:
    settings = load_settings(REQUIRED)
    assert settings.port == 3000 and settings.socket_mode is False
    assert settings.slack_api_url == DEFAULT_SLACK_API_URL
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.admins == frozenset() and settings.note_prefix == "note:"
    assert settings.max_file_bytes == 20 * 1024 * 1024
    assert settings.max_backlog == 1000
    assert (settings.leader_check_seconds, settings.timer_statement_seconds) == (5, 60)


def test_optional_settings_are_read() -> None:
    settings = load_settings(
        {
            **REQUIRED,
            "SLACK_APP_TOKEN": "xapp-1-A1-xyz",
            "PORT": "8080",
            "SLACK_API_URL": "http://127.0.0.1:9000/api",
            "DATABASE_URL": "postgresql://user:pw@db/handoff",
            "HANDOFF_ADMINS": "U1ADMIN, W2ADMIN",
            "HANDOFF_NOTE_PREFIX": "//",
            "HANDOFF_MAX_FILE_BYTES": "1048576",
            "HANDOFF_MAX_BACKLOG": "50",
            "HANDOFF_TIMER_STATEMENT_SECONDS": "120",
        }
    )
    assert settings.socket_mode and settings.port == 8080
    assert settings.slack_api_url == "http://127.0.0.1:9000/api/"  # slack_sdk needs the slash
    assert settings.database_url == "postgresql+psycopg://user:pw@db/handoff"
    assert settings.admins == {"U1ADMIN", "W2ADMIN"} and settings.note_prefix == "//"
    assert settings.max_file_bytes == 1_048_576
    assert settings.max_backlog == 50
    assert settings.workers == 1
    assert settings.timer_statement_seconds == 120


@pytest.mark.parametrize("url", ["postgresql+psycopg://db/x", "sqlite+pysqlite:////tmp/x.db", "sqlite:///relative.db"])
def test_the_shipped_database_drivers_may_be_named(url: str) -> None:
    assert load_settings({**REQUIRED, "DATABASE_URL": url}).database_url == url


def test_workers_run_on_postgresql_in_http_mode() -> None:
    settings = load_settings({**REQUIRED, "HANDOFF_WORKERS": "4", "DATABASE_URL": "postgresql://db/x"})
    assert settings.workers == 4 and not settings.socket_mode


def test_repr_keeps_secrets_out() -> None:
    settings = load_settings({**REQUIRED, "DATABASE_URL": "postgresql://user:hunter2@db/x"})
    shown = repr(settings)
    assert "xoxb" not in shown and "s3cret" not in shown and "hunter2" not in shown


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"SLACK_BOT_TOKEN": ""}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_SIGNING_SECRET": " "}, "SLACK_SIGNING_SECRET"),
        ({"HANDOFF_SUPPORT_CHANNEL": ""}, "HANDOFF_SUPPORT_CHANNEL"),
        ({"HANDOFF_SUPPORT_CHANNEL": "#support"}, "HANDOFF_SUPPORT_CHANNEL"),
        ({"SLACK_APP_TOKEN": "xoxb-wrong-kind"}, "SLACK_APP_TOKEN"),
        ({"PORT": "abc"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL"),
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql+psycopg2://db/x"}, "DATABASE_URL"),  # not the driver we ship
        ({"DATABASE_URL": "sqlite+aiosqlite:////tmp/x.db"}, "DATABASE_URL"),
        ({"HANDOFF_ADMINS": "U1ADMIN,bob"}, "HANDOFF_ADMINS"),
        ({"HANDOFF_NOTE_PREFIX": "  "}, "HANDOFF_NOTE_PREFIX"),
        ({"HANDOFF_DELIVERY_RETRY_SECONDS": "0"}, "HANDOFF_DELIVERY_RETRY_SECONDS"),
        ({"LOG_LEVEL": "chatty"}, "LOG_LEVEL"),
        ({"HANDOFF_SLACK_TIMEOUT_SECONDS": "0"}, "HANDOFF_SLACK_TIMEOUT_SECONDS"),
        ({"HANDOFF_MAX_FILE_BYTES": "20MB"}, "HANDOFF_MAX_FILE_BYTES"),
        ({"HANDOFF_MAX_FILE_BYTES": "0"}, "HANDOFF_MAX_FILE_BYTES"),
        ({"HANDOFF_MAX_FILE_BYTES": str(2 * 1024**3)}, "HANDOFF_MAX_FILE_BYTES"),  # over Slack's 1 GB
        ({"HANDOFF_MAX_BACKLOG": "0"}, "HANDOFF_MAX_BACKLOG"),
        ({"HANDOFF_MAX_BACKLOG": "-5"}, "HANDOFF_MAX_BACKLOG"),
        ({"HANDOFF_MAX_BACKLOG": "lots"}, "HANDOFF_MAX_BACKLOG"),
        ({"HANDOFF_WORKERS": "0"}, "HANDOFF_WORKERS"),
        ({"HANDOFF_WORKERS": "2"}, "HANDOFF_WORKERS"),  # SQLite (the default) serves one process
        ({"HANDOFF_WORKERS": "2", "DATABASE_URL": "sqlite:////tmp/x.db"}, "HANDOFF_WORKERS"),
        (
            {"HANDOFF_WORKERS": "2", "DATABASE_URL": "postgresql://db/x", "SLACK_APP_TOKEN": "xapp-1"},
            "HANDOFF_WORKERS",
        ),
        ({"HANDOFF_CONFIG": "/nonexistent/bot.yaml"}, "HANDOFF_CONFIG"),
        ({"HANDOFF_CONFIG": "/"}, "HANDOFF_CONFIG"),  # a directory
        ({"HANDOFF_AGENT_GROUP": "@support-team"}, "HANDOFF_AGENT_GROUP"),
        ({"HANDOFF_AGENT_GROUP": "C0SUPPORT"}, "HANDOFF_AGENT_GROUP"),  # a channel, not a group
        ({"HANDOFF_AGENT_CAPACITY": "0"}, "HANDOFF_AGENT_CAPACITY"),
        ({"HANDOFF_AGENT_CAPACITY": "51"}, "HANDOFF_AGENT_CAPACITY"),
        ({"HANDOFF_AGENT_CAPACITY": "three"}, "HANDOFF_AGENT_CAPACITY"),
        ({"HANDOFF_LEADER_CHECK_SECONDS": "0"}, "HANDOFF_LEADER_CHECK_SECONDS"),
        ({"HANDOFF_LEADER_CHECK_SECONDS": "61"}, "HANDOFF_LEADER_CHECK_SECONDS"),
        ({"HANDOFF_LEADER_CHECK_SECONDS": "2.5"}, "HANDOFF_LEADER_CHECK_SECONDS"),
        ({"HANDOFF_TIMER_STATEMENT_SECONDS": "0"}, "HANDOFF_TIMER_STATEMENT_SECONDS"),
        ({"HANDOFF_TIMER_STATEMENT_SECONDS": "3601"}, "HANDOFF_TIMER_STATEMENT_SECONDS"),
        ({"HANDOFF_TIMER_STATEMENT_SECONDS": "1m"}, "HANDOFF_TIMER_STATEMENT_SECONDS"),
    ],
)
def test_bad_or_missing_settings_name_the_variable(change: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({**REQUIRED, **change})
    message = str(raised.value)
    assert message.startswith(named) and "\n" not in message


def test_agents_come_from_the_support_channel_unless_a_user_group_is_named() -> None:
    assert load_settings(REQUIRED).agent_group is None and load_settings(REQUIRED).agent_capacity == 3
    settings = load_settings({**REQUIRED, "HANDOFF_AGENT_GROUP": " S0AGENTS ", "HANDOFF_AGENT_CAPACITY": "5"})
    assert (settings.agent_group, settings.agent_capacity) == ("S0AGENTS", 5)
    with pytest.raises(SettingsError, match=r"^HANDOFF_AGENT_GROUP must be a user group ID like S0123ABCD, got '#x'$"):
        load_settings({**REQUIRED, "HANDOFF_AGENT_GROUP": "#x"})


def test_config_path_is_optional_and_must_name_a_readable_file(tmp_path: Path) -> None:
    assert load_settings(REQUIRED).config_path is None
    assert load_settings({**REQUIRED, "HANDOFF_CONFIG": "  "}).config_path is None  # empty: the built-in default
    path = tmp_path / "bot.yaml"
    path.write_text("{}\n", encoding="utf-8")
    assert load_settings({**REQUIRED, "HANDOFF_CONFIG": f" {path} "}).config_path == str(path)
    with pytest.raises(SettingsError, match=r"^HANDOFF_CONFIG: no such file: /nonexistent/bot\.yaml$"):
        load_settings({**REQUIRED, "HANDOFF_CONFIG": "/nonexistent/bot.yaml"})


def test_every_problem_is_named_at_once_one_line_each_in_the_order_help_lists_them() -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({"LOG_LEVEL": "chatty", "PORT": "abc", "SLACK_BOT_TOKEN": "xoxp-user-token"})
    problems = raised.value.problems
    named = ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "HANDOFF_SUPPORT_CHANNEL", "PORT", "LOG_LEVEL"]
    assert [problem.split()[0] for problem in problems] == named
    assert str(raised.value).splitlines() == list(problems)


def test_a_bad_database_url_is_named_once_even_with_workers_asked_for() -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({**REQUIRED, "DATABASE_URL": "mysql://x/y", "HANDOFF_WORKERS": "2"})
    assert [problem.split()[0] for problem in raised.value.problems] == ["DATABASE_URL"]


class RecordingEnv(dict[str, str]):
    """An environment that remembers every variable asked for."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.asked: set[str] = set()

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        self.asked.add(key)
        return super().get(key, default)


def test_every_variable_read_is_in_the_settings_list_help_shows() -> None:
    env = RecordingEnv({**REQUIRED, "HANDOFF_WORKERS": "2", "DATABASE_URL": "postgresql://db/x"})
    load_settings(env)
    assert env.asked == {setting.name for setting in SETTINGS}


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s.default is not None], ids=lambda s: s.name)
def test_the_listed_default_is_what_applies_when_unset(setting: Setting) -> None:
    assert setting.default is not None
    assert load_settings({**REQUIRED, setting.name: setting.default}) == load_settings(REQUIRED)


def test_the_settings_class_defaults_are_the_loaded_defaults() -> None:
    assert load_settings(REQUIRED) == Settings(
        bot_token=REQUIRED["SLACK_BOT_TOKEN"],
        signing_secret=REQUIRED["SLACK_SIGNING_SECRET"],
        support_channel=REQUIRED["HANDOFF_SUPPORT_CHANNEL"],
    )
