"""Which scenario a customer's free text asks for: a clear match, a few guesses, or nothing.

Matching is forgiving on purpose: case, punctuation, accents and Slack markup are ignored
(`phrases.normalise`), small typos still match ("pasword" ~ "password"), and extra words around
a trigger don't hurt ("hi, I forgot my password again" runs the "forgot my password" scenario).
Each trigger is scored by how much of it the message covers, weighting content words above
little words like "my" or "the", so "my order" alone is only a guess at "where is my order".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum
from functools import lru_cache

from handoff_slack.core.bot_config import Scenario
from handoff_slack.core.phrases import normalise

# Words that carry little meaning on their own; they count for less in a trigger.
_LITTLE_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "my",
        "our",
        "your",
        "i",
        "im",
        "me",
        "we",
        "to",
        "of",
        "in",
        "on",
        "at",
        "for",
        "is",
        "are",
        "was",
        "be",
        "it",
        "its",
        "this",
        "that",
        "and",
        "or",
        "do",
        "does",
        "did",
        "can",
        "how",
        "what",
        "where",
        "when",
        "why",
        "please",
        "with",
        "from",
        "by",
        "not",
        "no",
    ]
)
_LITTLE_WEIGHT = 0.3
_TYPO_SIMILARITY = 0.8  # two words this similar are the same word misspelled
_SHORT_WORD = 4  # words shorter than this must match exactly ("log" is not "lot")
_TIE_MARGIN = 0.05  # two scenarios this close at the top: ask rather than guess
MAX_SUGGESTIONS = 3


class MatchKind(StrEnum):
    HIT = "hit"  # run the scenario
    SUGGEST = "suggest"  # ask "did you mean …?"
    MISS = "miss"


@dataclass(frozen=True)
class ScenarioMatch:
    kind: MatchKind
    scenario_ids: tuple[str, ...] = ()  # the hit, or the suggestions, best first
    score: float = 0.0


@lru_cache(maxsize=4096)
def _word_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if len(a) < _SHORT_WORD or len(b) < _SHORT_WORD:
        return 0.0
    ratio = SequenceMatcher(None, a, b).ratio()
    return ratio if ratio >= _TYPO_SIMILARITY else 0.0


def _weight(word: str) -> float:
    return _LITTLE_WEIGHT if word in _LITTLE_WORDS else 1.0


def _coverage(words: Sequence[str], among: Sequence[str]) -> float:
    """How much of `words` (weighted) is found in `among`."""
    total = sum(_weight(w) for w in words)
    return sum(_weight(w) * max(_word_similarity(w, m) for m in among) for w in words) / total


def trigger_score(message_words: Sequence[str], trigger: str) -> float:
    """How fully the message contains the trigger (0..1), words in any order, typos tolerated."""
    trigger_words = normalise(trigger).split()
    if not trigger_words or not message_words:
        return 0.0
    coverage = _coverage(trigger_words, message_words)
    # A short message that is all about the trigger ("password") is a good guess at it, even
    # though it covers only part of the trigger ("reset password").
    score = max(coverage, 0.6 * coverage + 0.4 * _coverage(message_words, trigger_words)) if coverage else 0.0
    # A message made only of little words ("is it my") must not ride on a trigger's little words.
    if all(w in _LITTLE_WORDS for w in message_words):
        score = min(score, 0.3)
    return score


def scenario_score(message_words: Sequence[str], scenario: Scenario) -> float:
    candidates = (scenario.title, *scenario.triggers)
    return max(trigger_score(message_words, trigger) for trigger in candidates)


def match_scenario(
    text: str, scenarios: Sequence[Scenario], match_threshold: float, suggest_threshold: float
) -> ScenarioMatch:
    words = normalise(text).split()
    if not words or not scenarios:
        return ScenarioMatch(MatchKind.MISS)
    scored = sorted(((scenario_score(words, s), s.id) for s in scenarios), key=lambda pair: -pair[0])
    best_score, best_id = scored[0]
    if best_score < suggest_threshold:
        return ScenarioMatch(MatchKind.MISS, score=round(best_score, 3))
    close = [sid for score, sid in scored if score >= best_score - _TIE_MARGIN and score >= suggest_threshold]
    if best_score >= match_threshold and len(close) == 1:
        return ScenarioMatch(MatchKind.HIT, (best_id,), round(best_score, 3))
    guesses = [sid for score, sid in scored if score >= suggest_threshold][:MAX_SUGGESTIONS]
    return ScenarioMatch(MatchKind.SUGGEST, tuple(guesses), round(best_score, 3))
