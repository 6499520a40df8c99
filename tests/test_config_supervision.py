"""The `supervision` section and a scenario's `supervised` flag: read into the model, and each mistake
named by line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from handoff_slack.config_file import load_bot_config
from handoff_slack.core.bot_config import (
    AGENTS_APPROVE,
    DEFAULT_CHECKING_MESSAGE,
    SupervisionConfig,
    SupervisionDefault,
)
from tests.test_config_file import error_for, write

SCENARIOS = """
scenarios:
  - id: reset
    title: Reset my password
    triggers: [reset my password]
    answer: Use the link on the sign-in page.
  - id: refund
    title: Refunds
    triggers: [refund please]
    answer: Refunds take five days.
    supervised: true
  - id: hours
    title: Opening hours
    triggers: [opening hours]
    answer: Nine to five.
    supervised: false
"""


def test_left_out_supervision_is_off_and_only_marked_scenarios_are_supervised(tmp_path: Path) -> None:
    config = load_bot_config(write(tmp_path, SCENARIOS))
    assert config.supervision == SupervisionConfig()
    assert config.supervision.approvers == AGENTS_APPROVE and config.supervision.timeout_seconds == 300
    assert config.supervision.checking_message == DEFAULT_CHECKING_MESSAGE
    assert [config.is_supervised(s) for s in config.scenarios] == [False, True, False]


def test_default_all_supervises_every_scenario_not_marked_false(tmp_path: Path) -> None:
    text = SCENARIOS + 'supervision:\n  default: "all"\n  approvers: S0ABCDEF\n  timeout_seconds: 90\n'
    text += "  checking_message: One moment, a colleague is checking.\n"
    config = load_bot_config(write(tmp_path, text))
    assert config.supervision == SupervisionConfig(
        SupervisionDefault.ALL, "S0ABCDEF", 90, "One moment, a colleague is checking."
    )
    assert [config.is_supervised(s) for s in config.scenarios] == [True, True, False]


def test_off_written_bare_is_the_word_off_not_yaml_false(tmp_path: Path) -> None:
    config = load_bot_config(write(tmp_path, "supervision:\n  default: off\n"))
    assert config.supervision.default is SupervisionDefault.OFF


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "supervision:\n  default: sometimes\n",
            ", line 2: supervision.default: unknown value 'sometimes'; expected one of: off, all",
        ),
        (
            "supervision:\n  approvers: everyone\n",
            ", line 2: supervision.approvers: must be agents or a user group's ID (S…), got 'everyone'",
        ),
        (
            "supervision:\n  approvers: U0123ABC\n",  # a person, not a user group
            ", line 2: supervision.approvers: must be agents or a user group's ID (S…), got 'U0123ABC'",
        ),
        (
            "supervision:\n  timeout_seconds: 5\n",
            ", line 2: supervision.timeout_seconds: must be between 10 and 86400 seconds, got 5",
        ),
        (
            "supervision:\n  timeout_seconds: 2.5\n",
            ", line 2: supervision.timeout_seconds: must be a whole number, got '2.5'",
        ),
        (
            "supervision:\n  checking_message:\n",
            ", line 2: supervision.checking_message: has no value; expected text",
        ),
        (
            "supervision:\n  timeout: 60\n",
            ", line 2: supervision: unknown key 'timeout' (did you mean 'timeout_seconds'?); expected one of: "
            "default, approvers, timeout_seconds, checking_message",
        ),
        (
            "scenarios:\n  - id: a\n    title: A\n    triggers: [apples]\n    answer: x\n    supervised: 'yes'\n",
            ", line 6: scenarios[0].supervised: must be true or false, got text 'yes'",
        ),
        (
            "scenarios:\n  - id: a\n    title: A\n    triggers: [apples]\n    answer: x\n    supervised:\n",
            ", line 6: scenarios[0].supervised: has no value; expected true or false",
        ),
    ],
)
def test_a_supervision_mistake_is_named_by_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    assert error_for(tmp_path, text) == expected
