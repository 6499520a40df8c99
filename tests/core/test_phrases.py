from __future__ import annotations

import pytest

from handoff_slack.core.phrases import asks_for_human, asks_to_cancel, normalise


@pytest.mark.parametrize(
    "text",
    ["agent", "I want to talk to a HUMAN!", "real person please", "can someone help me", "Agent?", "<@U1> operator"],
)
def test_requests_for_a_person(text: str) -> None:
    assert asks_for_human(text)


@pytest.mark.parametrize("text", ["where is my order", "my printer is broken", "agenda for today", "humanity"])
def test_ordinary_requests_are_not_requests_for_a_person(text: str) -> None:
    assert not asks_for_human(text)


@pytest.mark.parametrize("text", ["never mind", "Never mind, thanks!", "nevermind", "nvm", "cancel", "Cancel."])
def test_leaving_the_queue(text: str) -> None:
    assert asks_to_cancel(text)


@pytest.mark.parametrize(
    "text", ["I want to cancel my order and get a refund", "please don't cancel", "", "never say never mind again ok"]
)
def test_mentioning_cancel_is_not_leaving_the_queue(text: str) -> None:
    assert not asks_to_cancel(text)


def test_normalise_drops_markup_punctuation_and_accents() -> None:
    assert normalise("  Héllo, <@U123> WORLD!!  ") == "hello world"
