"""Is the customer frustrated? A transparent score over their latest few messages.

Sentiment alone can't tell: plain problem reports are negative ("my printer is broken" scores -0.4
with TextBlob) and frustration is often worded neutrally ("for the third time, I can't reset my
password"). So the score is a weighted sum of small, named signals, capped at 1:

    signal           weight                  fires when
    negative         0.3 × strength (≤ 0.3)  strength = -(lowest TextBlob polarity in the window)
    negative_trend   0.2 per extra negative  2+ messages in the window with polarity ≤ -0.25
    all_caps         0.5 / 0.2 / 0.3         a message mostly in capitals / the same with "please", "hi" or
                                             thanks (some people type in capitals) / an emphasised word ("STILL")
    exclamations     0.5 / 0.3               "!!!", "???", "?!" / "!!", "??" (not in a positive message)
    repeated         0.5                     two near-identical messages (2+ words) in the window
    asks_for_person  0.2                     "agent", "a real person", ... (phrases.asks_for_human)
    named_feeling    0.5                     the customer names their own feeling ("fed up", "driving me nuts");
                                             not someone else's ("our CEO is livid") nor a denied one
    strong_negative  0.5                     TextBlob ≤ -0.6 on a message aimed at the service, asking nothing
    learned          0.3 / 0.5               the shipped model (core.frustration_model) at or over its threshold /
                                             its strong threshold
    judges_service, not_heard, nobody_answers, giving_up, wants_manager, sarcasm, angry_emoji,
    swearing, impatience, persisting         the kinds of frustrated saying of core.frustration_signals,
                                             0.5 each (0.3 for the milder forms: "ugh", "damn", "still not")

Sentiment, a request for a person, the learned signal as a second opinion and the milder forms don't
reach the default threshold of 0.5 alone: each needs a second signal. Shouting, "!!!", a repeated
message, a named feeling, each strong kind of saying and the learned model when sure are enough by
themselves. The model also weighs which named signals fired (`learned_features`). Measured on the independent set
tests/fixtures/escalation_set (tuned on its development half only; the held-out figures are in the
README, `python -m bench.escalation_eval` prints them) and on tests/fixtures/frustration_conversations.yaml.

Each message is read up to `phrases.READ_LIMIT` characters (an angry sentence lives near the
start, and "!!!" in a 40,000-character paste says little): reading, TextBlob's sentiment included,
costs at most that much per message.

TextBlob (with NLTK and its word lists, ~20 MB resident) loads only when a detector is built with
`preload=True` or first reads a text: with frustration detection off the app never loads it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Container, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

from handoff_slack.core.frustration_model import FrustrationModel, features, letter_counts, shipped_model
from handoff_slack.core.frustration_signals import RELIEF, WORD_SIGNALS, WORKS_NOW, names_own_feeling
from handoff_slack.core.phrases import SLACK_MARKUP, asks_for_human, normalised_prefix, read_prefix

NEGATIVE_WEIGHT = 0.3
NEGATIVE_POLARITY = -0.25  # a message at or below this counts towards a negative trend
TREND_WEIGHT = 0.2  # per negative message beyond the first
SHOUTING_WEIGHT = 0.5
EMPHASIS_WEIGHT = 0.3
STRONG_MARKS_WEIGHT = 0.5  # "!!!", "???", "?!"
DOUBLE_MARKS_WEIGHT = 0.3  # "!!", "??"
REPEATED_WEIGHT = 0.5
ASKS_FOR_PERSON_WEIGHT = 0.2
FEELING_WEIGHT = 0.5
LEARNED_WEIGHT = 0.3  # the model at or over its threshold (core.frustration_model): a second opinion
STRONG_LEARNED_WEIGHT = 0.5  # at or over its strong threshold: enough alone
STRONG_NEGATIVE_WEIGHT = 0.5
STRONG_NEGATIVE_POLARITY = -0.6  # with the message aimed at the service, not at a thing
POLITE_SHOUTING_WEIGHT = 0.2  # "HI I NEED TO CHANGE MY ADDRESS PLEASE": some people type in capitals

_SHOUTING_SHARE = 0.7  # capitals among a message's letters
_SHOUTING_MIN_LETTERS = 8  # "OK", "HI SAM" aren't shouting
_EMPHASIS_MIN_LETTERS = 4  # shorter capitals are often acronyms that are also words (VAT, PIN, SIM)
_REPEAT_SIMILARITY = 0.85
# A repeat is a short message sent again; comparing more than its start costs quadratic time (difflib).
_REPEAT_CHARS = 300
_POSITIVE_POLARITY = 0.1  # "thank you!!!" is enthusiasm, not anger

_POLITE = re.compile(r"\b(please|pls|thanks?|thank you|thx|hi|hello|hey|dear|sorry|good (morning|afternoon|evening))\b")
# Code quoted from logs ("FATAL", "ERR!!") is not the customer's own voice; "[^`]" keeps the scan linear.
_CODE = re.compile(r"```[^`]*```|`[^`\n]*`")
_AT_THE_SERVICE = re.compile(r"\b(you|your|u|ur|youre|support|service|company|bot|team)\b")
_ASKING = re.compile(r"\b(please|could|can you|can i|how|what|is there|any way)\b")
_RELIEVED = frozenset({"swearing", "giving_up", "impatience"})  # "holy shit it works now", "nevermind, found it"
_MARKS = re.compile(r"[!?]{2,}")
_LETTER_RUNS = re.compile(r"[^\W\d_]+")
_UNDERSCORE_EDGE = re.compile(r"(?:^|\s)_|_(?:\s|$)")
_CONTRACTION = re.compile(r"\b(\w+)n['’]t\b", re.IGNORECASE)
_IRREGULAR_NEGATIONS = {"ca": "can", "wo": "will", "sha": "shall"}  # can't, won't, shan't


@dataclass(frozen=True)
class FrustrationReading:
    score: float  # 0..1, rounded to 2 decimals; stored on the ticket
    frustrated: bool  # score >= threshold
    signals: tuple[str, ...]  # short names of what fired, in the order of the table above


@dataclass(frozen=True)
class _Lexicon:
    sentiment: Any  # textblob's pattern sentiment (what PatternAnalyzer calls): ships its lexicon, works offline
    dictionary: Container[str]  # textblob's spelling word list: which capitalised words are words


_lexicon: _Lexicon | None = None
_lexicon_lock = threading.Lock()


def _load_lexicon() -> _Lexicon:
    """TextBlob's sentiment lexicon and word list, imported and loaded once per process (thread-safe)."""
    global _lexicon
    if _lexicon is None:
        with _lexicon_lock:
            if _lexicon is None:
                from textblob.en import sentiment, spelling

                # Both word lists load lazily on their first use: load them here, once.
                sentiment(["ok"])
                _ = "ok" in spelling
                shipped_model()
                _lexicon = _Lexicon(sentiment, spelling)
    return _lexicon


class FrustrationDetector:
    def __init__(
        self, window: int = 3, threshold: float = 0.5, *, preload: bool = False, model: FrustrationModel | None = None
    ) -> None:
        """`preload`: load TextBlob now (~0.2 s) rather than on the first `read`, which may be in a request.

        Pass it when detection is on; leave it off when the detector may never be used. `model`: the learned
        signal's model, the shipped one by default (another is for cross-validation, bench/train_frustration_model).
        """
        if window < 1:
            raise ValueError("window must be at least 1")
        self.window = window
        self.threshold = threshold
        self.model = model
        if preload:
            _load_lexicon()

    def read(self, messages: Sequence[str]) -> FrustrationReading:
        """The customer's latest messages, oldest first.

        The caller passes up to `window`; extra older ones are ignored.
        """
        recent = [_analysed(read_prefix(m)) for m in messages[-self.window :] if m and m.strip()]
        polarities = [m.polarity for m in recent]
        contributions: dict[str, float] = {}

        strength = max((-p for p in polarities), default=0.0)
        if strength > 0:
            contributions["negative"] = NEGATIVE_WEIGHT * min(strength, 1.0)
        negative_count = sum(p <= NEGATIVE_POLARITY for p in polarities)
        if negative_count >= 2:
            contributions["negative_trend"] = TREND_WEIGHT * (negative_count - 1)

        caps = max((m.caps for m in recent), default=0.0)
        if caps:
            contributions["all_caps"] = caps
        marks = max((m.marks for m in recent if m.polarity <= _POSITIVE_POLARITY), default=0.0)
        if marks:
            contributions["exclamations"] = marks
        if _has_repeat([m.words for m in recent]):
            contributions["repeated"] = REPEATED_WEIGHT
        if any(m.asks_for_person for m in recent):
            contributions["asks_for_person"] = ASKS_FOR_PERSON_WEIGHT
        if any(m.named_feeling for m in recent):
            contributions["named_feeling"] = FEELING_WEIGHT
        if any(m.strong_negative for m in recent):
            contributions["strong_negative"] = STRONG_NEGATIVE_WEIGHT
        model = self.model or shipped_model()
        learned = model.probability_of([m.learned for m in recent]) if recent else 0.0
        if learned >= model.strong_threshold:
            contributions["learned"] = STRONG_LEARNED_WEIGHT
        elif learned >= model.threshold:
            contributions["learned"] = LEARNED_WEIGHT
        for index, signal in enumerate(WORD_SIGNALS):
            if contributions.get(signal.name, 0.0) < signal.weight and any(index in m.matched for m in recent):
                contributions[signal.name] = signal.weight

        score = round(min(1.0, sum(contributions.values())), 2)
        return FrustrationReading(score=score, frustrated=score >= self.threshold, signals=tuple(contributions))


@dataclass(frozen=True)
class _Message:
    """What one message says, read once: a reading combines the window's (cached, so a message in the
    window of several turns is analysed once per process)."""

    words: str  # normalised
    polarity: float
    caps: float
    marks: float
    asks_for_person: bool
    named_feeling: bool
    strong_negative: bool
    matched: frozenset[int]  # indexes into WORD_SIGNALS of the patterns that fired
    learned: tuple[str, ...]  # the learned model's features (core.frustration_model)


@lru_cache(maxsize=1024)
def _analysed(text: str) -> _Message:
    lexicon = _load_lexicon()
    words = normalised_prefix(text)
    polarity = _polarity(lexicon, text)
    relieved = bool(RELIEF.search(words))
    lowered = text.lower()
    matched = frozenset(
        index
        for index, signal in enumerate(WORD_SIGNALS)
        if not (signal.name in _RELIEVED and relieved)  # "holy shit it works now"
        and signal.pattern.search(lowered if signal.raw else words)
    )
    works_now = bool(WORKS_NOW.search(words))  # "IT WORKED!!!" is joy
    caps = 0.0 if works_now else _caps_weight(lexicon, text, words)
    asks_for_person = asks_for_human(text)
    named_feeling = names_own_feeling(words)
    strong_negative = _strong_negative(text, words, polarity)
    # The model also weighs what the named signals read of this message: how far to trust each is learned.
    read_signals = {
        "r:negative": polarity <= NEGATIVE_POLARITY,
        "r:very_negative": polarity <= STRONG_NEGATIVE_POLARITY,
        "r:positive": polarity > _POSITIVE_POLARITY,
        "r:caps": caps > 0,
        "r:person": asks_for_person,
        "r:feeling": named_feeling,
        "r:strong_negative": strong_negative,
        **{"r:" + WORD_SIGNALS[index].name: True for index in sorted(matched)},
    }
    return _Message(
        words=words,
        polarity=polarity,
        caps=caps,
        marks=0.0 if works_now else _marks_weight(text),
        asks_for_person=asks_for_person,
        named_feeling=named_feeling,
        strong_negative=strong_negative,
        matched=matched,
        learned=(*features([text]), *(name for name, fired in read_signals.items() if fired)),
    )


def learned_features(text: str) -> tuple[str, ...]:
    """What the learned model weighs of one message (its words, word pieces and marks, and which named signals
    fired): bench/train_frustration_model.py trains on these."""
    return _analysed(read_prefix(text)).learned


def _polarity(lexicon: _Lexicon, text: str) -> float:
    # TextBlob's pattern lexicon knows "not" but not "isn't", so spell negations out first;
    # punctuation and emoji are dropped because "!!" is a signal of its own.
    text = _CONTRACTION.sub(lambda m: _IRREGULAR_NEGATIONS.get(m[1].lower(), m[1]) + " not", text)
    words = normalised_prefix(text)
    if _UNDERSCORE_EDGE.search(words):  # the tokenizer splits a leading or trailing "_" off: let it
        return float(lexicon.sentiment(words)[0])
    # Normalised text is word characters between single spaces; the tokenizer returns such words as
    # they are (it splits off punctuation, of which only "_" is a word character, and "ERR_TIMEOUT"
    # keeps its own). So hand over the lower-cased words as it would: the same polarity, without the
    # tokenizing (half the cost on 2,000 characters) or PatternAnalyzer's namedtuple class per call.
    return float(lexicon.sentiment([word.lower() for word in words.split()])[0])


def _strong_negative(text: str, normalised: str, polarity: float) -> bool:
    """A strongly negative message aimed at the service, not a calm report or question about a thing."""
    return (
        polarity <= STRONG_NEGATIVE_POLARITY
        and "?" not in text
        and bool(_AT_THE_SERVICE.search(normalised))
        and not _ASKING.search(normalised)
    )


def _caps_weight(lexicon: _Lexicon, text: str, normalised: str) -> float:
    text = _CODE.sub(" ", SLACK_MARKUP.sub(" ", text))  # user IDs like <@U0BOT> are capitals too
    letters, upper = letter_counts(text)
    if letters >= _SHOUTING_MIN_LETTERS and upper / letters >= _SHOUTING_SHARE:
        # Some people type everything in capitals; a greeting, "please" or thanks says they aren't shouting.
        return POLITE_SHOUTING_WEIGHT if _POLITE.search(normalised) else SHOUTING_WEIGHT
    # A capitalised ordinary word is emphasis ("my invoice is STILL wrong"); capitals on a word the
    # dictionary doesn't know are an acronym (SSO, VPN, CSV). TextBlob's spelling list is the dictionary.
    if upper == 0 and text.isascii():  # an ASCII word in capitals holds one of A-Z
        return 0.0
    emphasised = any(
        len(word) >= _EMPHASIS_MIN_LETTERS and word.isupper() and word.lower() in lexicon.dictionary
        for word in _LETTER_RUNS.findall(text)
    )
    return EMPHASIS_WEIGHT if emphasised else 0.0


def _marks_weight(text: str) -> float:
    runs = _MARKS.findall(_CODE.sub(" ", text) if "`" in text else text)
    if any(len(run) >= 3 or ("!" in run and "?" in run) for run in runs):
        return STRONG_MARKS_WEIGHT
    return DOUBLE_MARKS_WEIGHT if runs else 0.0


def _has_repeat(normalised: list[str]) -> bool:
    # One-word answers ("yes", "no", "ok") repeat naturally, so only longer messages count.
    candidates = [text[:_REPEAT_CHARS] for text in normalised if len(text.split()) >= 2]
    return any(_similar(a, b) for i, a in enumerate(candidates) for b in candidates[i + 1 :])


@lru_cache(maxsize=1024)  # a window's older pairs were compared on earlier turns
def _similar(a: str, b: str) -> bool:
    # real_quick_ratio and quick_ratio are upper bounds of ratio, in linear time: most pairs are
    # told apart by them, and only near-identical ones pay for the quadratic comparison.
    # The longest common subsequence bounds ratio too (its matching blocks are one), tighter, and costs
    # a few big-integer operations per character: ratio's own quadratic search runs only past it.
    matcher = SequenceMatcher(None, a, b)
    return (
        matcher.real_quick_ratio() >= _REPEAT_SIMILARITY
        and matcher.quick_ratio() >= _REPEAT_SIMILARITY
        and 2.0 * longest_common_subsequence(a, b) / (len(a) + len(b)) >= _REPEAT_SIMILARITY
        and matcher.ratio() >= _REPEAT_SIMILARITY
    )


def longest_common_subsequence(a: str, b: str) -> int:
    """Its length, bit-parallel (Allison and Dix 1986; Crochemore et al. 2001): bit i of `row` is 0 where
    the subsequence gains at a[i]; one addition per character of b does a row of the usual table."""
    positions: dict[str, int] = {}
    for i, ch in enumerate(a):
        positions[ch] = positions.get(ch, 0) | 1 << i
    full = (1 << len(a)) - 1
    row = full
    for ch in b:
        matched = row & positions.get(ch, 0)
        row = ((row + matched) | (row - matched)) & full
    return len(a) - row.bit_count()
