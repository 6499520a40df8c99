"""A small learned reading of frustration: logistic regression over words, word pieces, marks and signals.

Trained offline on every development set of tests/fixtures/escalation_set and the older labelled set by
bench/train_frustration_model.py (deterministic: the same data gives the same weights), shipped as
`frustration_model.json` beside this module and loaded from the package, never the network. It is one
signal of core.frustration (`learned`), next to the named ones, whose firing it also weighs
(core.frustration.learned_features); `read` also says which words weighed most
(`LearnedReading.evidence`), so an agent can see why.

Reading costs one pass over the bounded prefix (core.phrases.READ_LIMIT) and a dictionary look-up per
feature.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import string
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from handoff_slack.core.phrases import normalised_prefix, read_prefix

_CHAR_N = 4
_MARKS = re.compile(r"[!?]{2,}")
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
        for run in _MARKS.findall(text):
            found["m:" + ("?!" if "!" in run and "?" in run else run[:2])] = 1.0
        if _ANGRY_EMOJI.search(text):
            found["e:angry"] = 1.0
        for code in _EMOJI_CODE.findall(text.lower()):
            found["e:" + code] = 1.0
        letters, upper = letter_counts(text)
        if letters >= 8 and upper / letters >= 0.7:
            found["s:caps"] = 1.0
    return found


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_ASCII_LETTERS = string.ascii_letters.encode()
_ASCII_UPPERCASE = string.ascii_uppercase.encode()


def letter_counts(text: str) -> tuple[int, int]:
    """How many of the text's characters are letters (`str.isalpha`), and how many of those capitals."""
    # ASCII counted by bytes.translate, the rest (emoji, accents) a character at a time: the same counts.
    others = _NON_ASCII.findall(text)
    raw = (_NON_ASCII.sub("", text) if others else text).encode()
    letters = [ch for run in others for ch in run if ch.isalpha()]
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
    threshold: float  # the probability at which the `learned` signal fires (a second opinion)
    strong_threshold: float = 1.0  # the probability at which it is enough alone (over 1: never)

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

    def known_features(self, text: str) -> tuple[str, ...]:
        """One message's features that the model weighs, in `features` order (the others weigh 0)."""
        return tuple(name for name in features([text]) if name in self.weights)

    def probability_of(self, each: Sequence[Sequence[str]]) -> float:
        """`read_features(...).probability` of a window from its messages' features (all, or only the
        `known_features`): the same terms summed in the same order (leaving out zeros changes no float sum),
        without the evidence."""
        found = dict.fromkeys(itertools.chain.from_iterable(each))
        weights = self.weights
        z = self.bias + sum(weights[name] for name in found if name in weights)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_json(self) -> dict[str, object]:
        return {
            "bias": self.bias,
            "threshold": self.threshold,
            "strong_threshold": self.strong_threshold,
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
