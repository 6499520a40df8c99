"""The waiting timers' sections (`waiting_timeout`, `queue_updates`, `idle_close`): read into
core.waiting_config, with their defaults (the waiting timeout and queue updates on, idle close off),
each mistake named by line and key so start-up stops with a clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from handoff_slack.config_file import load_bot_config
from handoff_slack.core.waiting_config import (
    IdleCloseConfig,
    QueueUpdatesConfig,
    WaitingTimeoutConfig,
    WaitingTimersConfig,
)
from tests.test_config_file import error_for, write


def test_left_out_the_defaults_apply(tmp_path: Path) -> None:
    config = load_bot_config(write(tmp_path, "greeting: Hello\n"))
    assert config.waiting == WaitingTimersConfig()
    assert config.waiting.waiting_timeout == WaitingTimeoutConfig(enabled=True, after_minutes=15)
    assert config.waiting.queue_updates == QueueUpdatesConfig(enabled=True, min_places=3, top=3, interval_minutes=5)
    assert config.waiting.idle_close.enabled is False


def test_every_key_is_read(tmp_path: Path) -> None:
    text = """
        waiting_timeout: {enabled: false, after_minutes: 20}
        queue_updates: {enabled: false, min_places: 5, top: 0, interval_minutes: 10}
        idle_close: {enabled: true, warn_after_minutes: 45, close_after_minutes: 15, snooze_minutes: 120}
    """
    config = load_bot_config(write(tmp_path, text))
    assert config.waiting == WaitingTimersConfig(
        WaitingTimeoutConfig(False, 20), QueueUpdatesConfig(False, 5, 0, 10), IdleCloseConfig(True, 45, 15, 120)
    )


def test_the_default_config_file_says_the_defaults() -> None:
    default = Path(__file__).parent.parent / "handoff_slack" / "default_config.yaml"
    assert load_bot_config(str(default)).waiting == WaitingTimersConfig()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "waiting_timeout:\n  after_minutes: 0\n",
            ", line 2: waiting_timeout.after_minutes: must be between 1 and 1440 minutes, got 0",
        ),
        (
            "waiting_timeout:\n  after_minutes: 2.5\n",
            ", line 2: waiting_timeout.after_minutes: must be a whole number, got '2.5'",
        ),
        (
            "waiting_timeout:\n  enabled: sometimes\n",
            ", line 2: waiting_timeout.enabled: must be true or false, got text 'sometimes'",
        ),
        ("queue_updates:\n  top: -1\n", ", line 2: queue_updates.top: must be between 0 and 100, got -1"),
        ("queue_updates:\n  min_places: 0\n", ", line 2: queue_updates.min_places: must be between 1 and 1000, got 0"),
        (
            "idle_close:\n  warn_after_minutes: 20000\n",
            ", line 2: idle_close.warn_after_minutes: must be between 1 and 10080 minutes, got 20000",
        ),
        (
            "idle_close:\n  snooze: 5\n",
            ", line 2: idle_close: unknown key 'snooze' (did you mean 'snooze_minutes'?); "
            "expected one of: enabled, warn_after_minutes, "
            "close_after_minutes, snooze_minutes",
        ),
        ("idle_close:\n  enabled:\n", ", line 2: idle_close.enabled: has no value; expected true or false"),
    ],
)
def test_a_mistake_is_named_by_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    assert error_for(tmp_path, text) == expected
