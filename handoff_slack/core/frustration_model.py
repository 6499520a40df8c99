"""A small learned reading of frustration: logistic regression over words, word pieces, marks and signals.

Trained offline on every development set of tests/fixtures/escalation_set and the older labelled set by
bench/train_frustration_model.py (deterministic: the same data gives the same weights), shipped as
`frustration_model.json` beside this module and loaded from the package, never the network. It is one
signal of core.frustration (`learned`), next to the named ones, whose firing it also weighs
(core.frustration.learned_features); `read` also says which words weighed most
(`LearnedReading.evidence`), so an agent can see why.

Reading costs one pass over the bounded prefix (core.phrases.READ_LIMIT) and a dictionary look-up per
weighed feature.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import string
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from handoff_slack.core.phrases import lowered, non_ascii_runs, normalised_prefix, normalised_words, read_prefix

_CHAR_N = 4
_MARKS = re.compile(r"[!?][!?]+")  # two or more; a leading class lets the engine skip to the marks
_ANGRY_EMOJI = re.compile("[\U0001f621\U0001f620\U0001f92c\U0001f624\U0001f644\U0001f612]")
_EMOJI_CODE = re.compile(r":[a-z0-9_+-]+:")
_MAX_FEATURES_PER_WORD = 8  # a 2,000-character word is read as its first pieces only


def features(texts: Iterable[str]) -> dict[str, float]:
    """The features of a window of messages, each present once (value 1)."""
    found: dict[str, float] = {}
    for raw in texts:
        text = read_prefix(raw)
        words = normalised_prefix(text).split()
        for word in words:
            for name in _word_features(word):
                found[name] = 1.0
        for a, b in itertools.pairwise(words):
            found[f"b:{a}_{b}"] = 1.0
        for name in _other_features(text):
            found[name] = 1.0
    return found


def _other_features(text: str) -> list[str]:
    """Marks, emoji and shouting: a message's features that aren't its words, in `features` order."""
    found = ["m:" + ("?!" if "!" in run and "?" in run else run[:2]) for run in marks_of(text)]
    if _ANGRY_EMOJI.search(text):
        found.append("e:angry")
    if ":" in text:  # an emoji code has two
        found.extend("e:" + code for code in _EMOJI_CODE.findall(lowered(text)))
    letters, upper = letter_counts(text)
    if letters >= 8 and upper / letters >= 0.7:
        found.append("s:caps")
    return found


_ASCII_LETTERS = string.ascii_letters.encode()
_ASCII_UPPERCASE = string.ascii_uppercase.encode()


# The frustration reading asks these of each message twice (core.frustration and the features): kept.


@lru_cache(maxsize=16)
def marks_of(text: str) -> tuple[str, ...]:
    """The runs of two or more "!" and "?"."""
    return tuple(_MARKS.findall(text)) if "!" in text or "?" in text else ()


@lru_cache(maxsize=16)
def letter_counts(text: str) -> tuple[int, int]:
    """How many of the text's characters are letters (`str.isalpha`), and how many of those capitals."""
    # ASCII counted by bytes.translate, the rest (emoji, accents) a character at a time: the same counts.
    raw = text.encode("ascii", "ignore")
    letters = [ch for run in non_ascii_runs(text) for ch in run if ch.isalpha()] if len(raw) < len(text) else []
    return (
        len(raw) - len(raw.translate(None, _ASCII_LETTERS)) + len(letters),
        len(raw) - len(raw.translate(None, _ASCII_UPPERCASE)) + sum(ch.isupper() for ch in letters),
    )


@lru_cache(maxsize=8192)  # customers reuse words: build each word's feature names once
def _word_features(word: str) -> tuple[str, ...]:
    padded = f"_{word}_"
    pieces = range(min(len(padded) - _CHAR_N + 1, _MAX_FEATURES_PER_WORD))
    return ("w:" + word, *("c:" + padded[i : i + _CHAR_N] for i in pieces))


@dataclass(frozen=True)
class LearnedReading:
    probability: float
    evidence: tuple[str, ...]  # the words that pushed the reading up most, for the agent


@dataclass(frozen=True)
class FrustrationModel:
    bias: float
    weights: Mapping[str, float]
    threshold: float  # the probability at which the `learned` signal fires (it agrees: a second opinion)
    strong_threshold: float = 1.0  # the probability at which it is enough alone (over 1: never)
    # The probability under which the model overrules the named signals (core.frustration): 0, never.
    named_threshold: float = 0.0
    # For `weighed`: each word's weighed features with their weights (cached), the weighed bigrams by
    # their word pair.
    _weighed_of_word: Callable[[str], tuple[tuple[str, float], ...]] = field(init=False, repr=False, compare=False)
    _bigrams: Mapping[tuple[str, str], tuple[str, float]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        weights = self.weights

        def weighed_of_word(word: str) -> tuple[tuple[str, float], ...]:
            return tuple((name, weights[name]) for name in _word_features(word) if name in weights)

        object.__setattr__(self, "_weighed_of_word", lru_cache(maxsize=8192)(weighed_of_word))
        # "b:a_b" at each of its "_": words hold "_" too ("err_timeout"), so every split is a pair it may
        # be; a pair (a, b) is among them exactly when f"b:{a}_{b}" is weighed, and names it.
        names = [name for name in weights if name.startswith("b:")]
        pairs = {(n[2:i], n[i + 1 :]): (n, weights[n]) for n in names for i, ch in enumerate(n) if ch == "_"}
        object.__setattr__(self, "_bigrams", pairs)

    def read(self, texts: Sequence[str]) -> LearnedReading:
        return self.read_features([features(texts)])

    def read_features(self, each: Sequence[Mapping[str, float]]) -> LearnedReading:
        """The reading of a window from its messages' features (each message's read once, core.frustration)."""
        found: dict[str, float] = {}
        for one in each:
            found.update(one)
        parts = [(self.weights.get(name, 0.0) * value, name) for name, value in found.items()]
        z = self.bias + sum(w for w, _ in parts)
        probability = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
        top = sorted((p for p in parts if p[0] > 0 and p[1].startswith(("w:", "b:"))), reverse=True)[:3]
        return LearnedReading(probability, tuple(name[2:].replace("_", " ") for _, name in top))

    def weighed(self, text: str) -> dict[str, float]:
        """One message's features that the model weighs, with their weights: `{name: weights[name] for name in
        features([text]) if name in weights}`, without building the names of the others (each word's are cached)."""
        text = read_prefix(text)
        words = normalised_words(text)
        # A word's features are the same each time it comes: in the order of the words' first use.
        found = dict(itertools.chain.from_iterable(map(self._weighed_of_word, dict.fromkeys(words))))
        found.update(filter(None, map(self._bigrams.get, itertools.pairwise(words))))
        found.update((name, self.weights[name]) for name in _other_features(text) if name in self.weights)
        return found

    def probability_of(self, each: Sequence[Sequence[str]]) -> float:
        """`read_features(...).probability` of a window from its messages' features (all, or only the
        weighed ones): the same terms summed in the same order (leaving out zeros changes no float sum),
        without the evidence."""
        found = dict.fromkeys(itertools.chain.from_iterable(each))
        weights = self.weights
        z = self.bias + sum(weights[name] for name in found if name in weights)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def probability_of_weighed(self, each: Sequence[Mapping[str, float]]) -> float:
        """`probability_of` from each message's `weighed` features: merged, the same terms in the same order."""
        found: dict[str, float] = {}
        for weighed in each:
            found.update(weighed)
        z = self.bias + sum(found.values())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_json(self) -> dict[str, object]:
        return {
            "bias": self.bias,
            "threshold": self.threshold,
            "strong_threshold": self.strong_threshold,
            "named_threshold": self.named_threshold,
            "weights": dict(sorted(self.weights.items())),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> FrustrationModel:
        weights = data["weights"]
        assert isinstance(weights, Mapping)
        return cls(
            float(str(data["bias"])),
            {str(k): float(v) for k, v in weights.items()},
            float(str(data["threshold"])),
            float(str(data.get("strong_threshold", 1.0))),
            float(str(data.get("named_threshold", 0.0))),
        )


MODEL_FILE = "frustration_model.json"
_model: FrustrationModel | None = None
_model_lock = threading.Lock()


def shipped_model() -> FrustrationModel:
    """The model shipped with the package, loaded once per process."""
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                text = resources.files("handoff_slack.core").joinpath(MODEL_FILE).read_text(encoding="utf-8")
                _model = FrustrationModel.from_json(json.loads(text))
    return _model
