"""TextBlob's polarity of a message (core.frustration's sentiment), from the few words it weighs.

`WordsPolarity.of_text` is PatternAnalyzer's polarity of the message's normalised text with its negations
spelled out first (TextBlob's lexicon knows "not" but not "isn't"); punctuation and emoji are dropped,
"!!" being a signal of its own. It hands TextBlob the lower-cased words as its tokenizer would, without
tokenizing. Of those words it assesses only what matters: the same float, far less work.

`Sentiment.assessments` (textblob/_text.py) walks the words once. Only a word its lexicon knows adds an
assessment (and an emoticon or "(!)"); the others only move two pieces of state: `n`, a pending negation
("not", "never", ...), and `m`, a preceding modifier ("really", "very"). For an unknown word `w` that is
not a negation, not "!" and adds nothing:

- `len(w.strip("'")) > 1` clears `n`; then, `n` being clear, the modifier-and-negation rule can't fire;
  then `len(w) > 2` clears `m`. Such a word of three letters or more (a "3" word) leaves `n` and `m`
  clear, exactly as at the start of the list.
- A word of two letters (a "2" word) clears `n` only, as any other does; a word of one letter changes
  nothing: the rule "`n`, `m` and `m` ends in 'ly'" it could fire was already false where `n` or `m` was
  last set (a known word sets `m` to itself and `n` only when it is a negation, and no negation ends in
  "ly", checked when the lexicon loads).

So the "3" words split the list into segments assessed independently: each starts from clear state and
refers (through `a[-1]`) only to assessments made within it ("!" would reach back: a list holding one is
assessed whole). Within a segment, one-letter words are dropped, and each run of "2" words between kept
ones becomes one (leading and trailing ones change nothing). Each segment that holds a weighed word is
assessed by TextBlob itself, cached, and the polarity is the average of the assessments, summed in the
same order with the same operations as `Sentiment.__call__`. Which short non-alphabetic words its
emoticon rule weighs is asked of TextBlob too (a one-word list).
"""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Sequence
from functools import lru_cache, reduce
from typing import Any

from handoff_slack.core.phrases import normalised_prefix, normalised_words

# Each word as a token: "#word " weighed (known, or an emoticon), "=word " a negation, "~ " a "2" word,
# "|" a "3" word, nothing for a one-letter word; "\x00" asks for the whole list (a "!", or a word holding
# one of these marks). A segment is what lies between two "|".
_MARKS = frozenset("|#=~ \x00")
_TOKENS_KEPT = 50_000  # words whose tokens are kept (then forgotten all at once: a bound on memory)
# "_" at the start or end of a word; spelled from the "_" so the engine skips to one (same matches as
# "(?:^|\s)_|_(?:\s|$)", read only as found or not).
_UNDERSCORE_EDGE = re.compile(r"_(?:(?<!\S_)|(?!\S))")
_CONTRACTION = re.compile(r"\b(\w+)n['’]t\b", re.IGNORECASE)
_NEGATION_MARK = re.compile(r"n['’]t", re.IGNORECASE)
_IRREGULAR_NEGATIONS = {"ca": "can", "wo": "will", "sha": "shall"}  # can't, won't, shan't


class WordsPolarity:
    def __init__(self, sentiment: Any) -> None:
        """`sentiment`: TextBlob's pattern sentiment (textblob.en.sentiment), loaded."""
        self.sentiment = sentiment
        self.known = frozenset(w for w in sentiment if None in sentiment[w])  # `pos in self[w]`, pos None
        self.negations = frozenset(sentiment.negations)
        self._two = next((w for w in ("zq", "qz", "xq", "qx") if self._kind(w) == "2"), "")  # any "2" word
        # The facts the argument above leans on; if TextBlob changes them, every list is assessed whole.
        modifier = None in sentiment.modifiers or any(sentiment.modifier(n) for n in self.negations)
        self.exact = not modifier and bool(self._two)
        self._tokens: dict[str, str] = {}  # a plain dict: looked up once per word of each message
        self._scores = lru_cache(maxsize=16_384)(self._scores_of)
        self._edge_tokens = lru_cache(maxsize=8192)(self._edge_tokens_of)

    def of_text(self, text: str) -> float:
        """The polarity of a message's text: PatternAnalyzer's of its normalised text, negations spelled out."""
        text = _spelled_negations(text)
        # Normalised text is word characters between single spaces; the tokenizer returns such words as
        # they are (it splits off punctuation, of which only "_" is a word character, and "ERR_TIMEOUT"
        # keeps its own). So hand over the lower-cased words as it would: the same polarity, without the
        # tokenizing or PatternAnalyzer's namedtuple class per call, and of them only what TextBlob weighs.
        words = normalised_words(text)
        if _UNDERSCORE_EDGE.search(normalised_prefix(text)):
            # A leading or trailing "_" the tokenizer splits off: such a word alone goes through it.
            words = tuple(itertools.chain.from_iterable(map(self._edge_tokens, words)))
        return self(words)

    def _edge_tokens_of(self, word: str) -> tuple[str, ...]:
        if word[0] == "_" or word[-1] == "_":
            return tuple(" ".join(self.sentiment.tokenizer(word)).split())
        return (word,)

    def __call__(self, words: Sequence[str]) -> float:
        """`float(sentiment(words)[0])`: the polarity of the words (lower-cased, as TextBlob's tokenizer would)."""
        tokens = "".join(self._tokens_of(words))
        if not self.exact or "\x00" in tokens:
            return float(self.sentiment([word.lower() for word in words])[0])
        weighed = [segment for segment in filter(None, tokens.split("|")) if "#" in segment]
        scores = list(itertools.chain.from_iterable(map(self._scores, weighed)))
        return float(reduce(operator.add, scores, 0) / float(len(scores) or 1))

    def _tokens_of(self, words: Sequence[str]) -> list[str]:
        found = list(map(self._tokens.get, words))
        if None not in found:
            return found  # type: ignore[return-value]
        if len(self._tokens) > _TOKENS_KEPT:
            self._tokens.clear()
        return [
            self._tokens.setdefault(w, self._token(w)) if t is None else t for w, t in zip(words, found, strict=True)
        ]

    def _token(self, word: str) -> str:
        w = word.lower()
        kind = self._kind(w)
        if kind in "KE":
            return "#" + w + " "
        if kind == "N":
            return "=" + w + " "
        return {"X": "\x00", "3": "|", "2": "~ ", "1": ""}[kind]

    def _kind(self, w: str) -> str:
        """K known, N negation, E kept as it is, X "!" (assess the whole list); else 1, 2 or 3 letters' worth."""
        if w in self.known:
            return "K"
        if w in self.negations:
            return "N"
        if w == "!" or not _MARKS.isdisjoint(w):
            return "X"
        if not w.isalpha() and len(w) <= 5 and self.sentiment([w]).assessments:  # an emoticon
            return "E"
        clears_negation, clears_modifier = len(w.strip("'")) > 1, len(w) > 2
        if clears_modifier:
            return "3" if clears_negation else "E"  # clearing `m` only: kept as it is
        return "2" if clears_negation else "1"

    def _scores_of(self, segment: str) -> tuple[float, ...]:
        """The polarities of a segment's assessments."""
        kept: list[str] = []
        between = False  # a "2" word since the last kept one
        for token in segment.split():
            if token == "~":
                between = True
                continue
            if between and kept:
                kept.append(self._two)
            between = False
            kept.append(token[1:])
        return tuple(p for _, p, _, _ in self.sentiment(kept).assessments)


def _spelled_negations(text: str) -> str:
    """`_CONTRACTION.sub(..., text)`, found from the "n't" each match ends in: the pattern, led by \\b, has
    no prefix for the engine to skip to. A match is the run of word characters before the "n" (one or
    more), then "n't" and a word's end; runs stop at the apostrophe, so matches never overlap."""
    if "'" not in text and "’" not in text:  # found far faster than the case-blind pattern's scan
        return text
    pieces: list[str] = []
    done = 0
    for mark in _NEGATION_MARK.finditer(text):
        start, end = mark.start(), mark.end()
        while start > 0 and _is_word(text[start - 1]):
            start -= 1
        base = text[start : mark.start()]
        if base and not (end < len(text) and _is_word(text[end])):
            pieces += [text[done:start], _IRREGULAR_NEGATIONS.get(base.lower(), base), " not"]
            done = end
    return "".join([*pieces, text[done:]]) if pieces else text


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"  # what \\w matches
