"""Free text against scenario triggers: forgiving of form, honest about doubt."""

from __future__ import annotations

import random
import string
from difflib import SequenceMatcher

import pytest

from handoff_slack.core import scenario_matching
from handoff_slack.core.bot_config import Scenario, Step
from handoff_slack.core.phrases import READ_LIMIT, normalise
from handoff_slack.core.scenario_matching import (
    _LITTLE_WORDS,
    MatchKind,
    MessageWords,
    _weight,
    match_scenario,
    trigger_score,
)

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


# -- long messages: a bounded prefix, and an index instead of every pair ------------------------------


def _similarity(a: str, b: str) -> float:
    """The definition of two words' likeness, as the matcher documents it."""
    if a == b:
        return 1.0
    if len(a) < 4 or len(b) < 4:
        return 0.0
    ratio = SequenceMatcher(None, a, b).ratio()
    return ratio if ratio >= 0.8 else 0.0


def _coverage(words: list[str], among: list[str]) -> float:
    total = sum(_weight(w) for w in words)
    return sum(_weight(w) * max(_similarity(w, m) for m in among) for w in words) / total


def reference_trigger_score(message_words: list[str], trigger: str) -> float:
    """The score by definition: every trigger word compared with every message word, both ways."""
    trigger_words = normalise(trigger).split()
    if not trigger_words or not message_words:
        return 0.0
    coverage = _coverage(trigger_words, message_words)
    score = max(coverage, 0.6 * coverage + 0.4 * _coverage(message_words, trigger_words)) if coverage else 0.0
    return min(score, 0.3) if all(w in _LITTLE_WORDS for w in message_words) else score


def misspelt(word: str, rng: random.Random) -> str:
    at, letter = rng.randrange(len(word)), rng.choice(string.ascii_lowercase)
    return rng.choice([word[:at] + word[at + 1 :], word[:at] + letter + word[at:], word[:at] + letter + word[at + 1 :]])


def test_the_index_scores_exactly_as_comparing_every_pair() -> None:
    triggers = [t for s in SCENARIOS for t in (s.title, *s.triggers)] + ["reset my password", "forgotten passwords"]
    vocabulary = sorted({w for t in triggers for w in normalise(t).split()} | {"printer", "broken", "again", "the"})
    rng = random.Random(7)
    for _ in range(400):
        words = [misspelt(w, rng) if rng.random() < 0.4 else w for w in rng.choices(vocabulary, k=rng.randint(1, 30))]
        index = MessageWords(words)
        for trigger in triggers:
            assert index.trigger_score(trigger) == reference_trigger_score(words, trigger), (words, trigger)


def test_a_trigger_within_the_read_limit_is_matched_one_after_it_is_not() -> None:
    filler = "lorem ipsum dolor sit amet " * (READ_LIMIT // 10)
    near_the_end = filler[: READ_LIMIT - 30] + " I forgot my password"
    assert len(near_the_end) <= READ_LIMIT
    assert match(near_the_end + filler).scenario_ids == ("password_reset",)

    past_the_end = filler[:READ_LIMIT] + " I forgot my password"
    assert match(past_the_end).kind is MatchKind.MISS


def test_a_huge_message_is_matched_as_its_prefix() -> None:
    opening = "hi, my invoice is wrong and "
    rng = random.Random(3)
    rest = " ".join("".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 9))) for _ in range(25_000))
    huge = (opening + rest + " I forgot my password, track my order")[:160_000]
    assert match(huge) == match(huge[:READ_LIMIT])
    assert match(huge).scenario_ids == ("billing",)


def test_unrelated_words_are_not_compared_letter_by_letter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only words of a like length and nearly the same letters reach SequenceMatcher."""
    compared: list[tuple[str, str]] = []

    class CountingMatcher(SequenceMatcher):  # type: ignore[type-arg]
        def __init__(self, isjunk: None, a: str, b: str) -> None:
            compared.append((a, b))
            super().__init__(isjunk, a, b)

    monkeypatch.setattr(scenario_matching, "SequenceMatcher", CountingMatcher)
    scenario_matching._word_similarity.cache_clear()
    rng = random.Random(5)
    unrelated = " ".join("".join(rng.choices("xyzqjkv", k=rng.randint(4, 9))) for _ in range(300))
    assert match("I forgot my pasword " + unrelated).scenario_ids == ("password_reset",)  # the typo still found
    assert ("password", "pasword") in compared
    assert len(compared) < 20, len(compared)  # every pair: 300 words × 15 trigger words, both ways
