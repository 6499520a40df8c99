"""Searching a pattern only where a match can begin: the same matches, a fraction of the work.

The word patterns of core.frustration_signals are `\\b(?:alternative|alternative|...)\\b` over
normalised text. Python's regex engine gets no literal or character-set prefix from such a pattern, so
a search tries every alternative at every one of the 2,000 positions of a long message. Yet a match
begins where a word begins, with one of the strings core.pattern_prefixes.gates reads from the
pattern's source ("i told ", "already ", "frustrat"): a pattern added or changed in the same style needs
no list kept by hand. One scan of a message (a regex of all the gates of a group of patterns, as a
trie) finds where each pattern may match; `WordPattern.search` then tries the pattern there
(`re.Pattern.match`, the engine's own matching), leftmost first: the match `re.Pattern.search` finds is
the first candidate where it matches, as no match begins anywhere else.

`RawPattern` does the same for a pattern over raw text (emoji, masked swearing), from the strings its
matches begin with: a message holding none of them is not searched.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Iterator
from functools import lru_cache

from handoff_slack.core.pattern_prefixes import Unsupported, gates, is_word, literal_prefixes

_FIRST_LETTERS = "tasiowcbphmfdlnegruyvjkqzx"  # English words' commonest first letters: tried first


def _trie(words: list[str], top: bool = False) -> str:
    """A regex matching the longest of `words` that the text at the position begins with."""
    end = "" in words
    children: dict[str, list[str]] = {}
    for word in sorted(words, key=lambda w: (_FIRST_LETTERS.find(w[:1]) % 99, w) if top else w):
        if word:
            children.setdefault(word[0], []).append(word[1:])
    if not children:
        return ""
    branches = [re.escape(ch) + _trie(rest) for ch, rest in children.items()]
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    # Greedy: descend as far as the text goes; a word ending here is the fallback.
    return ("(?:" + body + "|)") if end else body  # "(?:x|)": the same as "(?:x)?", without a REPEAT


class WordGroup:
    """Word patterns searched together: one pass over a message finds where each of them may match.

    The patterns' sources are read on the group's first search (or `prepare`), not when they are made:
    importing the patterns costs nothing.
    """

    def __init__(self) -> None:
        self._patterns: list[re.Pattern[str]] = []
        self._built: _Scanner | None = None
        self._lock = threading.Lock()
        # One message is asked several patterns (and by several callers): its candidates are kept.
        self.candidates = lru_cache(maxsize=64)(self._candidates)

    def add(self, pattern: re.Pattern[str]) -> int:
        with self._lock:
            self._patterns.append(pattern)
            self._built = None
            self.candidates.cache_clear()
            return len(self._patterns) - 1

    def prepare(self) -> _Scanner:
        """The patterns' gates and one regex of them all (a lookahead: starts may overlap)."""
        built = self._built
        if built is None:
            with self._lock:
                built = self._built = self._built or _Scanner(self._patterns)
        return built

    def _candidates(self, normalised: str) -> dict[int, list[int]]:
        """Each pattern's candidate starts in the text, ascending."""
        scanner = self.prepare()
        found: defaultdict[int, list[int]] = defaultdict(list)
        # Padded: every word has a space before it, and one after it where a gate reads its end.
        along, digit = scanner.along, scanner.digit
        for opened in scanner.regex.finditer(" " + normalised + " "):
            start = opened.start()
            for number in along.get(opened[1], digit):
                found[number].append(start)
        return found


class _Scanner:
    def __init__(self, patterns: list[re.Pattern[str]]) -> None:
        self.why_full: list[str | None] = []
        opens: dict[str, set[int]] = {}  # gate -> the patterns it opens
        digit: set[int] = set()  # the patterns a word beginning with a digit opens
        for number, pattern in enumerate(patterns):
            try:
                opening, by_digit = gates(pattern)
            except Unsupported as e:
                self.why_full.append(str(e))
                continue
            self.why_full.append(None)
            for gate in opening:
                opens.setdefault(gate, set()).add(number)
            if by_digit:
                digit.add(number)
        self.along: dict[str, tuple[int, ...]] = {}
        for gate in opens:  # the patterns opened by a gate, by each shorter gate it begins with, by a digit
            opened = digit if gate[:1].isdecimal() else set()
            opened = opened.union(*(opens.get(gate[:end], ()) for end in range(1, len(gate) + 1)))
            self.along[gate] = tuple(sorted(opened))
        self.digit = tuple(sorted(digit))
        alternatives = [_trie(list(opens), top=True)] if opens else []
        if digit:
            alternatives.append(r"\d")  # last: a digit no gate begins with
        self.regex = re.compile(" (?=(" + "|".join(alternatives) + "))") if alternatives else re.compile("(?!)")


SHARED = WordGroup()  # what a message is always asked: the word signals, feelings, relief, asking for a person


class WordPattern:
    """A pattern over normalised text, searched at the starts of the words its matches can begin with.

    `search` and `finditer` give the matches of `pattern.search` and `pattern.finditer` on normalised
    text (words of \\w characters between single spaces: core.phrases.normalise); on other text they
    may miss matches. A pattern `gates` can't read is searched in full (`why_full` says why).
    """

    def __init__(self, pattern: re.Pattern[str], group: WordGroup = SHARED) -> None:
        self.pattern = pattern
        self.group = group
        self._number = group.add(pattern)

    @property
    def why_full(self) -> str | None:
        return self.group.prepare().why_full[self._number]

    def search(self, normalised: str) -> re.Match[str] | None:
        if self.group.prepare().why_full[self._number] is not None:
            return self.pattern.search(normalised)
        for start in self.group.candidates(normalised).get(self._number, ()):
            found = self.pattern.match(normalised, start)
            if found:
                return found
        return None

    def finditer(self, normalised: str) -> Iterator[re.Match[str]]:
        if self.why_full is not None:
            yield from self.pattern.finditer(normalised)
            return
        resume = 0  # finditer's next search starts where the last match ended (none of these is empty)
        for start in self.group.candidates(normalised).get(self._number, ()):
            if start >= resume and (found := self.pattern.match(normalised, start)):
                resume = max(found.end(), start + 1)
                yield found


class RawPattern:
    """A pattern over raw text, searched only where the text holds one of the strings its matches begin with.

    Those strings, as one regex that the engine scans for by their first characters, find the first
    place a match can begin: from there `pattern.search` finds the match it would find from the start.
    Before that scan, one character of each string (the least word-like) is looked for: a text holding
    none of them holds none of the strings.
    """

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        try:
            prefixes = sorted(literal_prefixes(pattern))
        except Unsupported as e:
            self.why_full: str | None = str(e)
            return
        self.why_full = None
        self._gate = re.compile(_trie(prefixes))
        self._needs = tuple(sorted({min(p, key=lambda ch: (is_word(ch), ch.isascii())) for p in prefixes}))

    def search(self, text: str) -> re.Match[str] | None:
        if self.why_full is not None:
            return self.pattern.search(text)
        if not any(ch in text for ch in self._needs):
            return None
        opened = self._gate.search(text)
        return self.pattern.search(text, opened.start()) if opened else None
