"""The `reminders` section: read into core.reminders.RemindersConfig, with defaults, each mistake
named by line and key (start-up stops on it)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from handoff_slack.config_file import load_bot_config
from handoff_slack.core.priority import Priority
from handoff_slack.core.reminders import DEFAULT_TARGETS, Mention, RaiseBy, RemindersConfig, ReminderStep
from tests.test_config_file import error_for, write


def test_left_out_agents_are_reminded_at_15_then_admins_at_45_minutes_with_the_default_targets(
    tmp_path: Path,
) -> None:
    config = load_bot_config(write(tmp_path, "greeting: Hello\n")).reminders
    assert config == RemindersConfig()
    assert config.steps == (
        ReminderStep(timedelta(minutes=15), Mention.AGENTS),
        ReminderStep(timedelta(minutes=45), Mention.ADMINS),
    )
    assert {level.label: int(t.total_seconds() // 60) for level, t in config.first_response.items()} == {
        "urgent": 5,
        "high": 15,
        "normal": 60,
        "low": 240,
    }


def test_steps_raises_and_targets_are_read(tmp_path: Path) -> None:
    text = """
    reminders:
      steps:
        - after_minutes: 5
        - {after_minutes: 20, mention: admins, raise_priority: one_level}
        - {after_minutes: 60, raise_priority: urgent}
      first_response_minutes: {urgent: 2, low: 600}
    """
    config = load_bot_config(write(tmp_path, text)).reminders
    assert config.steps == (
        ReminderStep(timedelta(minutes=5), Mention.AGENTS),
        ReminderStep(timedelta(minutes=20), Mention.ADMINS, RaiseBy.ONE_LEVEL),
        ReminderStep(timedelta(minutes=60), Mention.AGENTS, Priority.URGENT),
    )
    assert config.first_response == {
        **DEFAULT_TARGETS,
        Priority.URGENT: timedelta(minutes=2),
        Priority.LOW: timedelta(minutes=600),
    }


def test_no_steps_sends_no_reminders(tmp_path: Path) -> None:
    assert load_bot_config(write(tmp_path, "reminders:\n  steps: []\n")).reminders.steps == ()


def test_the_default_config_file_documents_the_defaults() -> None:
    default = Path(__file__).parent.parent / "handoff_slack" / "default_config.yaml"
    assert load_bot_config(str(default)).reminders == RemindersConfig()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "reminders:\n  steps:\n    - after_minutes: 0\n",
            ", line 3: reminders.steps[0].after_minutes: must be between 1 and 10080 minutes, got 0",
        ),
        (
            "reminders:\n  steps:\n    - after_minutes: ten\n",
            ", line 3: reminders.steps[0].after_minutes: must be a whole number, got text 'ten'",
        ),
        (
            "reminders:\n  steps:\n    - after_minutes: 30\n    - after_minutes: 10\n",
            ", line 4: reminders.steps[1].after_minutes: must be later than the step before it (30 minutes), got 10",
        ),
        (
            "reminders:\n  steps:\n    - {after_minutes: 5, mention: everyone}\n",
            ", line 3: reminders.steps[0].mention: unknown value 'everyone'; expected one of: agents, admins",
        ),
        (
            "reminders:\n  steps:\n    - {after_minutes: 5, raise_priority: higher}\n",
            ", line 3: reminders.steps[0].raise_priority: unknown value 'higher' (did you mean 'high'?); "
            "expected one of: one_level, low, normal, high, urgent",
        ),
        (
            "reminders:\n  steps:\n    - {after_minutes: 5, raise_priority:}\n",
            ", line 3: reminders.steps[0].raise_priority: has no value; expected one of one_level, low, "
            "normal, high, urgent",
        ),
        (
            "reminders:\n  first_response_minutes:\n    critical: 5\n",
            ", line 3: reminders.first_response_minutes: unknown key 'critical'; expected one of: urgent, high, "
            "normal, low",
        ),
        (
            "reminders:\n  steps:\n",
            ", line 2: reminders.steps: has no value; expected a list of steps",
        ),
    ],
)
def test_a_reminders_mistake_is_named_by_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    assert error_for(tmp_path, text) == expected
