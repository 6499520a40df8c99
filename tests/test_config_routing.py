"""The `routing` section: read into core.routing.RoutingConfig, manual by default, each mistake
named by line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from handoff_slack.config_file import load_bot_config
from handoff_slack.core.routing import RoutingConfig, Strategy
from handoff_slack.core.transfer_config import TransferConfig
from tests.test_config_file import error_for, write


def test_left_out_routing_is_manual_the_claim_button_alone(tmp_path: Path) -> None:
    config = load_bot_config(write(tmp_path, "greeting: Hello\n"))
    assert config.routing == RoutingConfig()
    assert config.routing.strategy is Strategy.MANUAL and not config.routing.offers


def test_a_strategy_and_its_times_are_read(tmp_path: Path) -> None:
    text = "routing:\n  strategy: least_busy\n  offer_timeout_seconds: 45\n  fallback_after_seconds: 600\n"
    config = load_bot_config(write(tmp_path, text))
    assert config.routing == RoutingConfig(Strategy.LEAST_BUSY, 45, 600)
    assert config.routing.offers


def test_the_default_config_file_documents_routing_as_manual() -> None:
    default = Path(__file__).parent.parent / "handoff_slack" / "default_config.yaml"
    assert load_bot_config(str(default)).routing == RoutingConfig()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "routing:\n  strategy: random\n",
            ", line 2: routing.strategy: unknown value 'random'; expected one of: manual, round_robin, least_busy",
        ),
        (
            "routing:\n  offer_timeout_seconds: 5\n",
            ", line 2: routing.offer_timeout_seconds: must be between 10 and 3600 seconds, got 5",
        ),
        (
            "routing:\n  fallback_after_seconds: 1.5\n",
            ", line 2: routing.fallback_after_seconds: must be a whole number, got '1.5'",
        ),
        (
            "routing:\n  strategy:\n",
            ", line 2: routing.strategy: has no value; expected one of manual, round_robin, least_busy",
        ),
        (
            "routing:\n  timeout: 60\n",
            ", line 2: routing: unknown key 'timeout'; expected one of: "
            "strategy, offer_timeout_seconds, fallback_after_seconds",
        ),
    ],
)
def test_a_routing_mistake_is_named_by_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    assert error_for(tmp_path, text) == expected


def test_the_transfer_offer_timeout_is_ten_minutes_unless_set(tmp_path: Path) -> None:
    assert load_bot_config(write(tmp_path, "greeting: Hello\n")).transfers == TransferConfig(600)
    assert load_bot_config(write(tmp_path, "transfers:\n  offer_timeout_seconds: 120\n")).transfers == TransferConfig(
        120
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "transfers:\n  offer_timeout_seconds: 30\n",
            ", line 2: transfers.offer_timeout_seconds: must be between 60 and 86400 seconds, got 30",
        ),
        (
            "transfers:\n  offer_timeout_seconds: soon\n",
            ", line 2: transfers.offer_timeout_seconds: must be a whole number, got text 'soon'",
        ),
        (
            "transfers:\n  timeout: 60\n",
            ", line 2: transfers: unknown key 'timeout'; expected one of: offer_timeout_seconds",
        ),
    ],
)
def test_a_transfers_mistake_is_named_by_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    assert error_for(tmp_path, text) == expected
