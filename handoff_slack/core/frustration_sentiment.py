"""TextBlob's polarity of a list of words, from the few words it weighs: the same float, far less work.

`Sentiment.assessments` (textblob/_text.py) walks the words once. Only a word its lexicon knows adds an
assessment (and an emoticon or "(!)"); the others only move two pieces of state: `n`, a pending negation
("not", "never", ...), and `m`, a preceding modifier ("really", "very"). For an unknown word `w` that is
not a negation, not "!" and adds nothing:

- `len(w.strip("'")) > 1` clears `n`; then, `n` being clear, the modifier-and-negation rule can't fire;
  then `len(w) > 2` clears `m`. Such a word of three letters or more ("3" below) leaves `n` and `m`
  clear, exactly as at the start of the list.
- A word of two letters ("2") clears `n` only; a word of one letter ("1") changes nothing: the rule
  "`n`, `m` and `m` ends in 'ly'" it could fire was already false where `n` or `m` was last set (a
  known word sets `m` to itself and `n` only when it is a negation, and no negation ends in "ly",
  checked when the lexicon loads).

So a "3" word splits the list into segments that are assessed independently: each starts from clear
state and refers (through `a[-1]`) only to assessments made within it ("!" would reach back: the
whole list is then assessed as it is). Within a segment, "1" words are dropped and each run of "2"
words between kept words becomes one (leading and trailing ones change nothing). Each segment is
assessed by TextBlob itself, cached, and the polarity is their assessments' average, summed in the
same order with the same operations as `Sentiment.__call__`. Which words add assessments is asked of
TextBlob too (a one-word list), for the non-alphabetic short words its emoticon rule looks at.
"""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Sequence
from functools import lru_cache, reduce
from typing import Any

# Each word as a token: "#word " weighed (known, or an emoticon), "=word " a negation, "~word " a "2"
# word, "|" a "3" word, nothing for a "1" word; "\x00" asks for the whole list (a "!", or a word holding
# one of these marks). A segment is what lies between two "|": those holding a "#" are assessed.
_WEIGHED = re.compile(r"(?:^|(?<=\|))(?>[^|#]*)#[^|]*")  # from a segment's start only: linear
_MARKS = frozenset("|#=~ \x00")


class WordsPolarity:
    def __init__(self, sentiment: Any) -> None:
        """`sentiment`: TextBlob's pattern sentiment (textblob.en.sentiment), loaded."""
        self.sentiment = sentiment
        self.known = frozenset(w for w in sentiment if None in sentiment[w])  # `pos in self[w]`, pos None
        self.negations = frozenset(sentiment.negations)
        # The two facts the argument above leans on; if TextBlob changes them, every list is assessed whole.
        self.exact = None not in sentiment.modifiers and not any(sentiment.modifier(n) for n in self.negations)
        self._token = lru_cache(maxsize=16_384)(self._token_of)
        self._scores = lru_cache(maxsize=16_384)(self._scores_of)

    def __call__(self, words: Sequence[str]) -> float:
        """`float(sentiment(words)[0])`: the polarity of the words (lower-cased here, as TextBlob's tokenizer would)."""
        tokens = "".join(map(self._token, words))
        if not self.exact or "\x00" in tokens:
            return float(self.sentiment([word.lower() for word in words])[0])
        scores = list(itertools.chain.from_iterable(map(self._scores, _WEIGHED.findall(tokens))))
        return float(reduce(operator.add, scores, 0) / float(len(scores) or 1))

    def _token_of(self, word: str) -> str:
        w = word.lower()
        if w in self.known:
            return "#" + w + " "
        if w in self.negations:
            return "=" + w + " "
        if w == "!" or not _MARKS.isdisjoint(w):
            return "\x00"
        if not w.isalpha() and len(w) <= 5 and self.sentiment([w]).assessments:  # an emoticon
            return "#" + w + " "
        clears_negation, clears_modifier = len(w.strip("'")) > 1, len(w) > 2
        if clears_modifier:
            return "|" if clears_negation else "#" + w + " "  # clearing `m` only: kept as it is
        return "~" + w + " " if clears_negation else ""

    def _scores_of(self, segment: str) -> tuple[float, ...]:
        """The polarities of a segment's assessments: its words, a run of "2" words as one between weighed
        ones (leading and trailing ones dropped)."""
        kept: list[str] = []
        between: str | None = None  # a "2" word since the last kept one
        for token in segment.split():
            if token[0] == "~":
                between = between or token[1:]
                continue
            if between is not None and kept:
                kept.append(between)
            between = None
            kept.append(token[1:])
        return tuple(p for _, p, _, _ in self.sentiment(kept).assessments)
