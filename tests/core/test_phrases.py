from __future__ import annotations

import pytest

from handoff_slack.core.phrases import (
    READ_LIMIT,
    asks_for_human,
    asks_for_menu,
    asks_to_cancel,
    asks_to_skip,
    normalise,
    normalised_prefix,
    says_yes,
)


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


def test_a_stray_angle_bracket_does_not_swallow_the_markup_after_it() -> None:
    # Slack escapes a typed "<" as "&lt;", so markup never nests; a raw "<" ends no earlier markup.
    assert normalise("a < b <@U123> c") == "a b c"


def test_a_request_for_a_person_is_read_within_the_read_limit_only() -> None:
    assert asks_for_human("agent please " + "x" * 160_000)
    assert not asks_for_human("x " * (READ_LIMIT // 2) + "agent please")


@pytest.mark.parametrize("reply", ["yes", "cancel", "menu", "skip"])
def test_a_message_longer_than_the_bot_reads_is_never_a_short_reply(reply: str) -> None:
    long = reply + " " * READ_LIMIT + "!"
    assert (says_yes(long), asks_to_cancel(long), asks_for_menu(long), asks_to_skip(long)) == (False,) * 4
    assert normalised_prefix(long) == reply  # what the bot reads of it is only the word


def test_the_normalised_prefix_is_bounded_even_when_decomposition_lengthens_it() -> None:
    assert len(normalise("ﷺ" * 100)) > 1_000  # one character decomposes into eighteen
    assert len(normalised_prefix("ﷺ" * 160_000)) <= READ_LIMIT
