"""Which scenario a customer's free text asks for: a clear match, a few guesses, or nothing.

Matching is forgiving on purpose: case, punctuation, accents and Slack markup are ignored
(`phrases.normalise`), small typos still match ("pasword" ~ "password"), and extra words around
a trigger don't hurt ("hi, I forgot my password again" runs the "forgot my password" scenario).
Each trigger is scored by how much of it the message covers, weighting content words above
little words like "my" or "the", so "my order" alone is only a guess at "where is my order".

Cost: the matcher reads the first `phrases.READ_LIMIT` characters of a message (a trigger phrase
lives near the start), and indexes that prefix's words (`MessageWords`) so that each trigger word
is compared only with the message words that could be a typo of it (similar length, nearly the
same letters) rather than with every word: the scores are exactly those of comparing every pair,
at a cost that grows with the message's distinct words, not with words × triggers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum
from functools import lru_cache

from handoff_slack.core.bot_config import Scenario
from handoff_slack.core.phrases import normalise, normalised_prefix

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


@lru_cache(maxsize=1024)
def _trigger_words(trigger: str) -> tuple[str, ...]:
    return tuple(normalise(trigger).split())


def _letters_mask(word: str) -> int:
    """A bit per character the word holds (characters may share a bit: the test below stays sound)."""
    mask = 0
    for ch in word:
        mask |= 1 << (ord(ch) & 63)
    return mask


def _may_be_typo(a_length: int, a_mask: int, b_length: int, b_mask: int) -> bool:
    """False only when two words can't be `_TYPO_SIMILARITY` alike: a cheap test before SequenceMatcher.

    Its ratio is 2·M / (la + lb), M the characters matched, so it is at most 2·min(la, lb) / (la + lb)
    (difflib's real_quick_ratio); and each character in one word but not the other leaves at least
    one character unmatched, of at most (1 - similarity)·(la + lb). The 1e-9 keeps float rounding
    from refusing a pair at exactly the threshold.
    """
    total = a_length + b_length
    if 2 * min(a_length, b_length) < _TYPO_SIMILARITY * total - 1e-9:
        return False
    return (a_mask ^ b_mask).bit_count() <= (1 - _TYPO_SIMILARITY) * total + 1e-9


class MessageWords:
    """A message's words, indexed for scoring triggers against them.

    Scores equal comparing every trigger word with every message word (the definition: see
    `_coverage` in tests/core/test_scenario_matching.py), but a trigger word meets SequenceMatcher
    only for the message words `_may_be_typo` lets through, and each trigger word's comparisons
    are made once per message, however many triggers share it.
    """

    def __init__(self, words: Sequence[str]) -> None:
        self.words = tuple(words)
        self._distinct = frozenset(self.words)
        self._total_weight = sum(_weight(w) for w in self.words)
        self._only_little_words = all(w in _LITTLE_WORDS for w in self.words)
        self._by_length: dict[int, list[tuple[str, int]]] = {}  # words long enough for typos, with their masks
        for word in self._distinct:
            if len(word) >= _SHORT_WORD:
                self._by_length.setdefault(len(word), []).append((word, _letters_mask(word)))
        self._found: dict[str, tuple[float, dict[str, float]]] = {}
        self._positions: dict[str, list[int]] | None = None

    def _lookup(self, trigger_word: str) -> tuple[float, dict[str, float]]:
        """How well the message holds the trigger word, and how well each message word is it.

        (max over message words m of similarity(trigger_word, m); {m: similarity(m, trigger_word)}
        for the m where that is not 0.) SequenceMatcher's ratio depends on the order of its
        arguments, so each direction is kept as the definition computes it.
        """
        found = self._found.get(trigger_word)
        if found is not None:
            return found
        best = 1.0 if trigger_word in self._distinct else 0.0
        alike: dict[str, float] = {trigger_word: 1.0} if best else {}
        length = len(trigger_word)
        if length >= _SHORT_WORD:
            mask = _letters_mask(trigger_word)
            for other_length in range(max(_SHORT_WORD, (2 * length) // 3), (3 * length) // 2 + 1):
                for word, word_mask in self._by_length.get(other_length, ()):
                    if word == trigger_word or not _may_be_typo(length, mask, other_length, word_mask):
                        continue
                    best = max(best, _word_similarity(trigger_word, word))
                    if similarity := _word_similarity(word, trigger_word):
                        alike[word] = similarity
        found = (best, alike)
        self._found[trigger_word] = found
        return found

    def _in_order(self, words: Iterable[str]) -> list[int]:
        if self._positions is None:
            self._positions = {}
            for index, word in enumerate(self.words):
                self._positions.setdefault(word, []).append(index)
        return sorted(index for word in words for index in self._positions[word])

    def _coverage_of(self, trigger_words: Sequence[str]) -> float:
        """How much of the trigger (weighted) the message holds."""
        total = sum(_weight(w) for w in trigger_words)
        return sum(_weight(w) * self._lookup(w)[0] for w in trigger_words) / total

    def _coverage_by(self, trigger_words: Sequence[str]) -> float:
        """How much of the message (weighted) is the trigger's words.

        Summed in the message's order over the words that are alike, as the definition sums over
        every word: the words left out add exactly 0.0, so the float result is the same.
        """
        alike: dict[str, float] = {}
        for trigger_word in trigger_words:
            for word, similarity in self._lookup(trigger_word)[1].items():
                alike[word] = max(alike.get(word, 0.0), similarity)
        held = [self.words[i] for i in self._in_order(alike)]
        return sum(_weight(w) * alike[w] for w in held) / self._total_weight

    def trigger_score(self, trigger: str) -> float:
        """How fully the message contains the trigger (0..1), words in any order, typos tolerated."""
        trigger_words = _trigger_words(trigger)
        if not trigger_words or not self.words:
            return 0.0
        coverage = self._coverage_of(trigger_words)
        # A short message that is all about the trigger ("password") is a good guess at it, even
        # though it covers only part of the trigger ("reset password").
        score = max(coverage, 0.6 * coverage + 0.4 * self._coverage_by(trigger_words)) if coverage else 0.0
        # A message made only of little words ("is it my") must not ride on a trigger's little words.
        if self._only_little_words:
            score = min(score, 0.3)
        return score

    def scenario_score(self, scenario: Scenario) -> float:
        return max(self.trigger_score(trigger) for trigger in (scenario.title, *scenario.triggers))


def trigger_score(message_words: Sequence[str], trigger: str) -> float:
    """How fully the message (its normalised words) contains the trigger: see `MessageWords`."""
    return MessageWords(message_words).trigger_score(trigger)


def scenario_score(message_words: Sequence[str], scenario: Scenario) -> float:
    return MessageWords(message_words).scenario_score(scenario)


def match_scenario(
    text: str, scenarios: Sequence[Scenario], match_threshold: float, suggest_threshold: float
) -> ScenarioMatch:
    """The scenario the start of `text` (its first `READ_LIMIT` characters) asks for."""
    words = MessageWords(normalised_prefix(text).split())
    if not words.words or not scenarios:
        return ScenarioMatch(MatchKind.MISS)
    scored = sorted(((words.scenario_score(s), s.id) for s in scenarios), key=lambda pair: -pair[0])
    best_score, best_id = scored[0]
    if best_score < suggest_threshold:
        return ScenarioMatch(MatchKind.MISS, score=round(best_score, 3))
    close = [sid for score, sid in scored if score >= best_score - _TIE_MARGIN and score >= suggest_threshold]
    if best_score >= match_threshold and len(close) == 1:
        return ScenarioMatch(MatchKind.HIT, (best_id,), round(best_score, 3))
    guesses = [sid for score, sid in scored if score >= suggest_threshold][:MAX_SUGGESTIONS]
    return ScenarioMatch(MatchKind.SUGGEST, tuple(guesses), round(best_score, 3))
