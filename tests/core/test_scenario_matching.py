"""Free text against scenario triggers: forgiving of form, honest about doubt."""

from __future__ import annotations

import pytest

from handoff_slack.core.bot_config import Scenario, Step
from handoff_slack.core.scenario_matching import MatchKind, match_scenario, trigger_score

ANSWER = (Step("answer", answer="…"),)
PASSWORD = Scenario(
    "password_reset",
    "Reset my password",
    ("forgot my password", "reset password", "can't log in", "locked out"),
    ANSWER,
)
ORDERS = Scenario("order_status", "Where is my order?", ("order status", "track my order", "where is my order"), ANSWER)
REFUND = Scenario("refund", "Ask for a refund", ("refund", "money back"), ANSWER)
BILLING = Scenario("billing", "Billing question", ("invoice", "billing"), ANSWER)
SCENARIOS = (PASSWORD, ORDERS, REFUND, BILLING)


def match(text: str):  # type: ignore[no-untyped-def]
    return match_scenario(text, SCENARIOS, match_threshold=0.8, suggest_threshold=0.55)


@pytest.mark.parametrize(
    ("text", "scenario_id"),
    [
        ("I forgot my password", "password_reset"),
        ("FORGOT MY PASSWORD!!!", "password_reset"),
        ("hi, I forgot my pasword again", "password_reset"),  # typo and extra words
        ("I can't log in", "password_reset"),
        ("i cant log in", "password_reset"),
        ("Where is my order?", "order_status"),
        ("can you track my order please", "order_status"),
        ("I'd like a refund", "refund"),
        ("<@U123> my invoice is wrong", "billing"),  # Slack markup ignored
    ],
)
def test_clear_requests_run_their_scenario(text: str, scenario_id: str) -> None:
    found = match(text)
    assert (found.kind, found.scenario_ids) == (MatchKind.HIT, (scenario_id,)), found


@pytest.mark.parametrize("text", ["order", "password", "my password"])
def test_a_partial_request_is_a_guess(text: str) -> None:
    found = match(text)
    assert found.kind is MatchKind.SUGGEST, found


def test_two_scenarios_equally_matched_are_both_suggested() -> None:
    found = match("refund on my invoice")
    assert found.kind is MatchKind.SUGGEST
    assert set(found.scenario_ids) == {"refund", "billing"}


@pytest.mark.parametrize("text", ["what's the weather like", "my printer is on fire", "is it my", ""])
def test_unrelated_text_matches_nothing(text: str) -> None:
    assert match(text).kind is MatchKind.MISS


def test_short_words_must_match_exactly() -> None:
    # "lot" is one letter from "log"; short words carry no typo tolerance.
    assert trigger_score(["cant", "lot", "in"], "can't log in") < 0.8


def test_no_scenarios_means_no_match() -> None:
    assert match_scenario("anything", (), 0.8, 0.55).kind is MatchKind.MISS
