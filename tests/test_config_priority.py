"""The `priority` section of the bot's YAML file: read into the model, and each mistake named by
line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from handoff_slack.config_file import ConfigError, load_bot_config
from handoff_slack.core.priority import FrustrationRaise, Priority, PriorityConfig, TriageRule
from tests.test_config_file import error_for, write

TRIAGE = """
triage:
  questions:
    - id: impact
      label: Impact
      prompt: How bad is it?
"""


def test_left_out_priority_has_no_rules_and_raises_for_frustration(tmp_path: Path) -> None:
    assert load_bot_config(write(tmp_path, "greeting: hi\n")).priority == PriorityConfig()
    assert PriorityConfig().frustration is FrustrationRaise.RAISE and PriorityConfig().vip_level is Priority.HIGH


def test_rules_vips_and_frustration_are_read(tmp_path: Path) -> None:
    text = TRIAGE + (
        "priority:\n"
        "  triage:\n"
        "    - question: impact\n"
        "      answers: [production down, outage]\n"
        "      level: urgent\n"
        "    - {question: impact, answers: just curious, level: low}\n"
        "  vip:\n"
        "    users: [U0123ABC, W0456DEF]\n"
        "    organisations: [T0ACME, E0GRID]\n"
        "    level: urgent\n"
        "  frustration: off\n"
    )
    config = load_bot_config(write(tmp_path, text)).priority
    assert config == PriorityConfig(
        triage=(
            TriageRule("impact", ("production down", "outage"), Priority.URGENT),
            TriageRule("impact", ("just curious",), Priority.LOW),
        ),
        vip_users=frozenset({"U0123ABC", "W0456DEF"}),
        vip_teams=frozenset({"T0ACME", "E0GRID"}),
        vip_level=Priority.URGENT,
        frustration=FrustrationRaise.OFF,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "priority:\n  triage:\n    - {question: impact, answers: x, level: high}\n",
            ", line 3: priority.triage[0].question: no triage question 'impact' (there are no triage questions)",
        ),
        (
            TRIAGE + "priority:\n  triage:\n    - {question: impakt, answers: x, level: high}\n",
            ", line 8: priority.triage[0].question: no triage question 'impakt' (the triage questions are: impact)",
        ),
        (
            TRIAGE + "priority:\n  triage:\n    - {question: impact, answers: x, level: critical}\n",
            ", line 8: priority.triage[0].level: unknown value 'critical'; expected one of: low, normal, high, urgent",
        ),
        (
            TRIAGE + "priority:\n  triage:\n    - {question: impact, level: high}\n",
            ", line 8: priority.triage[0]: missing required key 'answers'",
        ),
        (
            "priority:\n  vip:\n    users: [bob]\n",
            ", line 3: priority.vip.users[0]: must be a Slack user ID (U… or W…), got 'bob'",
        ),
        (
            "priority:\n  vip:\n    organisations: [U0123ABC]\n",
            ", line 3: priority.vip.organisations[0]: must be a Slack team ID of an organisation (T… or E…), "
            "got 'U0123ABC'",
        ),
        (
            "priority:\n  vip:\n    users:\n",
            ", line 3: priority.vip.users: has no value; expected a list of user IDs",
        ),
        (
            "priority:\n  vip:\n    level: urgnt\n",
            ", line 3: priority.vip.level: unknown value 'urgnt' (did you mean 'urgent'?); "
            "expected one of: low, normal, high, urgent",
        ),
        (
            "priority:\n  frustration: sometimes\n",
            ", line 2: priority.frustration: unknown value 'sometimes'; expected one of: raise, off",
        ),
        (
            "priority:\n  vip: [U0123ABC]\n",
            ", line 2: priority.vip: must be a mapping with keys (users, organisations, level), got a list",
        ),
        (
            "priority:\n  vips: {}\n",
            ", line 2: priority: unknown key 'vips' (did you mean 'vip'?); expected one of: triage, vip, frustration",
        ),
    ],
)
def test_each_mistake_is_named_by_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    assert error_for(tmp_path, text) == expected


def test_the_built_in_file_documents_priority_and_loads(tmp_path: Path) -> None:
    config = load_bot_config()
    assert config.priority == PriorityConfig()
    with pytest.raises(ConfigError):
        load_bot_config(write(tmp_path, "priority: urgent\n"))
