"""The `satisfaction` section: read into core.bot_config.SatisfactionConfig, on by default, each
mistake named by line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from handoff_slack.config_file import load_bot_config
from handoff_slack.core.bot_config import SatisfactionConfig
from tests.test_config_file import error_for, write


def test_left_out_the_survey_is_on_with_its_default_wording(tmp_path: Path) -> None:
    config = load_bot_config(write(tmp_path, "greeting: Hello\n"))
    assert config.satisfaction == SatisfactionConfig()
    assert config.satisfaction.enabled


def test_the_switch_and_the_wording_are_read(tmp_path: Path) -> None:
    text = "satisfaction:\n  enabled: false\n  question: Rate us\n  thanks: Merci\n  comment_prompt: Tell us more\n"
    config = load_bot_config(write(tmp_path, text))
    assert config.satisfaction == SatisfactionConfig(False, "Rate us", "Merci", "Tell us more")


def test_the_default_config_file_documents_the_survey_as_on() -> None:
    default = Path(__file__).parent.parent / "handoff_slack" / "default_config.yaml"
    assert load_bot_config(str(default)).satisfaction == SatisfactionConfig()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "satisfaction:\n  enabled: maybe\n",
            ", line 2: satisfaction.enabled: must be true or false, got text 'maybe'",
        ),
        ("satisfaction:\n  question: ''\n", ", line 2: satisfaction.question: must not be empty"),
        (
            "satisfaction:\n  comment_prompt: " + "x" * 2001 + "\n",
            ", line 2: satisfaction.comment_prompt: is 2001 characters long; at most 2000 fit here",
        ),
        (
            "satisfaction:\n  wording: hi\n",
            ", line 2: satisfaction: unknown key 'wording'; expected one of: enabled, question, thanks, comment_prompt",
        ),
    ],
)
def test_a_satisfaction_mistake_is_named_by_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    assert error_for(tmp_path, text) == expected
