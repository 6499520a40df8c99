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
    learned          0.2 / 0.5               the shipped model (core.frustration_model) at or over its threshold
                                             (it agrees) / its strong threshold (it is sure); under its
                                             named_threshold, nothing escalates
    judges_service, not_heard, nobody_answers, giving_up, wants_manager, sarcasm, angry_emoji,
    swearing, impatience, persisting         the kinds of frustrated saying of core.frustration_signals,
                                             0.5 each (0.3 for the milder forms: "ugh", "damn", "still not")

The learned model has the last word: under its `named_threshold` it overrules the named signals (on
writers they were not tuned on, they alone found about half of the frustrated customers and raised most
of the false alarms; the model, which also weighs which of them fired, `learned_features`, generalises:
README "How frustration is detected"). Otherwise sentiment, a request for a person, the learned signal
agreeing and the milder forms each need a second signal to reach the default threshold of 0.5; shouting,
"!!!", a repeated message, a named feeling or a strong kind of saying is enough, and so is the model
alone when sure. Measured on the independent set
tests/fixtures/escalation_set (tuned on its development half only; the held-out figures are in the
README, `python -m bench.escalation_eval` prints them) and on tests/fixtures/frustration_conversations.yaml.

Each message is read up to `phrases.READ_LIMIT` characters (an angry sentence lives near the
start, and "!!!" in a 40,000-character paste says little): reading, TextBlob's sentiment included,
costs at most that much per message. Where the straightforward reading spent most, it takes shortcuts
to the same results: the word patterns are tried only where a match can begin (core.word_search),
TextBlob reads only the words it weighs (core.frustration_sentiment), the repeat check tells unlike
messages apart by cheap bounds first (core.near_duplicates). tests/core/test_frustration_equivalence.py
switches each back and compares the readings.

TextBlob (with NLTK and its word lists, ~20 MB resident) loads only when a detector is built with
`preload=True` or first reads a text: with frustration detection off the app never loads it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Container, Sequence
from dataclasses import dataclass
from functools import lru_cache

from handoff_slack.core.frustration_model import FrustrationModel, features, letter_counts, marks_of, shipped_model
from handoff_slack.core.frustration_sentiment import WordsPolarity
from handoff_slack.core.frustration_signals import RELIEF, WORD_SIGNALS, WORKS_NOW, names_own_feeling
from handoff_slack.core.near_duplicates import has_near_duplicate
from handoff_slack.core.phrases import (
    HUMAN_REQUEST,
    SLACK_MARKUP,
    lowered,
    non_ascii_runs,
    normalised_prefix,
    read_prefix,
)
from handoff_slack.core.word_search import SHARED, RawPattern, WordGroup, WordPattern

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
LEARNED_WEIGHT = 0.2  # the model at or over its threshold (core.frustration_model): it agrees
STRONG_LEARNED_WEIGHT = 0.5  # at or over its strong threshold: enough alone
STRONG_NEGATIVE_WEIGHT = 0.5
STRONG_NEGATIVE_POLARITY = -0.6  # with the message aimed at the service, not at a thing
POLITE_SHOUTING_WEIGHT = 0.2  # "HI I NEED TO CHANGE MY ADDRESS PLEASE": some people type in capitals

_SHOUTING_SHARE = 0.7  # capitals among a message's letters
_SHOUTING_MIN_LETTERS = 8  # "OK", "HI SAM" aren't shouting
_EMPHASIS_MIN_LETTERS = 4  # shorter capitals are often acronyms that are also words (VAT, PIN, SIM)
# A repeat is a short message sent again; comparing more than its start costs quadratic time (difflib).
_REPEAT_CHARS = 300
_TWO_WORDS = re.compile(r"\S\s+\S")  # len(text.split()) >= 2, found rather than counted
_POSITIVE_POLARITY = 0.1  # "thank you!!!" is enthusiasm, not anger

_SOMETIMES = WordGroup()  # asked only of shouting or strongly negative messages: not scanned for otherwise
_POLITE = WordPattern(
    re.compile(r"\b(please|pls|thanks?|thank you|thx|hi|hello|hey|dear|sorry|good (morning|afternoon|evening))\b"),
    _SOMETIMES,
)
_AT_THE_SERVICE = WordPattern(re.compile(r"\b(you|your|u|ur|youre|support|service|company|bot|team)\b"), _SOMETIMES)
_ASKING = WordPattern(re.compile(r"\b(please|could|can you|can i|how|what|is there|any way)\b"), _SOMETIMES)
# Code quoted from logs ("FATAL", "ERR!!") is not the customer's own voice; "[^`]" keeps the scan linear.
_CODE = re.compile(r"```[^`]*```|`[^`\n]*`")
# The word signals' patterns, searched where their matches can begin (core.word_search): the same matches.
_SEARCHES = tuple(RawPattern(s.pattern) if s.raw else WordPattern(s.pattern) for s in WORD_SIGNALS)
_RELIEF = WordPattern(RELIEF)
_WORKS_NOW = WordPattern(WORKS_NOW)
_ASKS_FOR_HUMAN = WordPattern(HUMAN_REQUEST)  # phrases.asks_for_human, of the normalised words
_RELIEVED = frozenset({"swearing", "giving_up", "impatience"})  # "holy shit it works now", "nevermind, found it"
_SIGNAL_SEARCHES = tuple(
    (index, search, signal.raw, signal.name in _RELIEVED)
    for index, (signal, search) in enumerate(zip(WORD_SIGNALS, _SEARCHES, strict=True))
)
_LETTER_RUNS = re.compile(r"[^\W\d_]+")
# A whole run of ASCII letters, all capitals, _EMPHASIS_MIN_LETTERS or more (no letter before it, no
# lower-case one after it); from a capital, so the engine skips to one.
_ASCII_CAPITALS = re.compile(f"[A-Z](?<![A-Za-z][A-Z])[A-Z]{{{_EMPHASIS_MIN_LETTERS - 1},}}+(?![a-z])")


@dataclass(frozen=True)
class FrustrationReading:
    score: float  # 0..1, rounded to 2 decimals; stored on the ticket
    frustrated: bool  # score >= threshold, unless the learned model overrules it (its named_threshold)
    signals: tuple[str, ...]  # short names of what fired, in the order of the table above


@dataclass(frozen=True, eq=False)  # one per process, hashed by identity (a cache key)
class _Lexicon:
    dictionary: Container[str]  # textblob's spelling word list: which capitalised words are words
    # textblob's pattern sentiment (what PatternAnalyzer calls: ships its lexicon, works offline): the polarity
    # of a message, reading only what it weighs
    polarity: WordsPolarity


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
                _lexicon = _Lexicon(spelling, WordsPolarity(sentiment))
                SHARED.prepare()  # the word patterns' gates and scanner (core.word_search), read once
                _SOMETIMES.prepare()
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
        if has_near_duplicate([m.repeatable for m in recent]):
            contributions["repeated"] = REPEATED_WEIGHT
        if any(m.asks_for_person for m in recent):
            contributions["asks_for_person"] = ASKS_FOR_PERSON_WEIGHT
        if any(m.named_feeling for m in recent):
            contributions["named_feeling"] = FEELING_WEIGHT
        if any(m.strong_negative for m in recent):
            contributions["strong_negative"] = STRONG_NEGATIVE_WEIGHT
        if self.model is None:  # the shipped model: each message's weighed features were read with it
            model = shipped_model()
            probability = model.probability_of_weighed([m.learned for m in recent]) if recent else 0.0
        else:  # another (bench/train_frustration_model's cross-validation): its features read now
            model = self.model
            probability = model.probability_of([learned_features(m.text) for m in recent]) if recent else 0.0
        if probability >= model.strong_threshold:
            contributions["learned"] = STRONG_LEARNED_WEIGHT
        elif probability >= model.threshold:
            contributions["learned"] = LEARNED_WEIGHT
        matched = frozenset().union(*(m.matched for m in recent))
        for index, signal in enumerate(WORD_SIGNALS):
            if contributions.get(signal.name, 0.0) < signal.weight and index in matched:
                contributions[signal.name] = signal.weight

        score = round(min(1.0, sum(contributions.values())), 2)
        # Unless the model says "not frustrated" (named_threshold): alone, the named signals over-fire on writers
        # they were not tuned on.
        heard = probability >= model.named_threshold
        return FrustrationReading(
            score=score, frustrated=heard and score >= self.threshold, signals=tuple(contributions)
        )


@dataclass(frozen=True)
class _Message:
    """What one message says, read once: a reading combines the window's (cached, so a message in the
    window of several turns is analysed once per process)."""

    words: str  # normalised
    repeatable: str | None  # what the repeat check compares: the start of a message of two words or more
    polarity: float
    caps: float
    marks: float
    asks_for_person: bool
    named_feeling: bool
    strong_negative: bool
    matched: frozenset[int]  # indexes into WORD_SIGNALS of the patterns that fired
    text: str  # the prefix read
    read_signals: tuple[str, ...]  # the named signals' features for the learned model ("r:…")
    learned: dict[str, float]  # the shipped model's features it weighs, with their weights (core.frustration_model)


@lru_cache(maxsize=1024)
def _analysed(text: str) -> _Message:
    lexicon = _load_lexicon()
    words = normalised_prefix(text)
    polarity = lexicon.polarity.of_text(text)
    relieved = bool(_RELIEF.search(words))
    lower_case = lowered(text)
    matched = frozenset(
        index
        for index, search, raw, relievable in _SIGNAL_SEARCHES
        if not (relievable and relieved)  # "holy shit it works now"
        and search.search(lower_case if raw else words)
    )
    works_now = bool(_WORKS_NOW.search(words))  # "IT WORKED!!!" is joy
    caps = 0.0 if works_now else _caps_weight(lexicon, text, words)
    asks_for_person = bool(_ASKS_FOR_HUMAN.search(words))
    named_feeling = names_own_feeling(words)
    strong_negative = _strong_negative(text, words, polarity)
    # The model also weighs what the named signals read of this message: how far to trust each is learned.
    fired = {
        "r:negative": polarity <= NEGATIVE_POLARITY,
        "r:very_negative": polarity <= STRONG_NEGATIVE_POLARITY,
        "r:positive": polarity > _POSITIVE_POLARITY,
        "r:caps": caps > 0,
        "r:person": asks_for_person,
        "r:feeling": named_feeling,
        "r:strong_negative": strong_negative,
        **{"r:" + WORD_SIGNALS[index].name: True for index in sorted(matched)},
    }
    read_signals = tuple(name for name, yes in fired.items() if yes)
    model = shipped_model()
    learned = model.weighed(text)
    learned.update((name, model.weights[name]) for name in read_signals if name in model.weights)
    return _Message(
        words=words,
        # One-word answers ("yes", "no", "ok") repeat naturally, so only longer messages count.
        repeatable=words[:_REPEAT_CHARS] if _TWO_WORDS.search(words) else None,
        polarity=polarity,
        caps=caps,
        marks=0.0 if works_now else _marks_weight(text),
        asks_for_person=asks_for_person,
        named_feeling=named_feeling,
        strong_negative=strong_negative,
        matched=matched,
        text=text,
        read_signals=read_signals,
        learned=learned,
    )


def learned_features(text: str) -> tuple[str, ...]:
    """What the learned model weighs of one message (its words, word pieces and marks, and which named signals
    fired): bench/train_frustration_model.py trains on these."""
    text = read_prefix(text)
    return (*features([text]), *_analysed(text).read_signals)


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
    if not _has_non_ascii_letter(text):
        # Every letter is one of A-Z and a-z: a run of them in capitals is found without reading every word.
        emphasised = upper >= _EMPHASIS_MIN_LETTERS and any(
            _in_dictionary(lexicon, run) for run in _ASCII_CAPITALS.findall(text)
        )
    else:
        emphasised = any(
            len(word) >= _EMPHASIS_MIN_LETTERS and word.isupper() and word.lower() in lexicon.dictionary
            for word in _LETTER_RUNS.findall(text)
        )
    return EMPHASIS_WEIGHT if emphasised else 0.0


@lru_cache(maxsize=4096)  # "ERR_TIMEOUT", "ASAP": the same capitals come again
def _in_dictionary(lexicon: _Lexicon, capitals: str) -> bool:
    return capitals.lower() in lexicon.dictionary


def _has_non_ascii_letter(text: str) -> bool:
    """A character beyond ASCII that _LETTER_RUNS reads as a letter: `\\w` (alphanumeric), not `\\d` (decimal)."""
    return not text.isascii() and any(ch.isalnum() and not ch.isdecimal() for ch in set("".join(non_ascii_runs(text))))


def _marks_weight(text: str) -> float:
    runs = marks_of(_CODE.sub(" ", text) if "`" in text else text)
    if any(len(run) >= 3 or ("!" in run and "?" in run) for run in runs):
        return STRONG_MARKS_WEIGHT
    return DOUBLE_MARKS_WEIGHT if runs else 0.0
