"""Near-duplicate messages: is one of a few short texts nearly the same as another (core.frustration's `repeated`)?

Two texts are near-duplicates when difflib's `SequenceMatcher(None, a, b).ratio()` is at least
`SIMILARITY`. `is_near_duplicate` gets that answer without paying for ratio's quadratic search on most
pairs: cheap upper bounds of the ratio (the lengths, a bit-parallel longest common subsequence, the
characters in common) tell unlike texts apart first. tests/core/test_frustration_equivalence.py switches
it back to plain difflib and compares the readings.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from difflib import SequenceMatcher
from functools import lru_cache

SIMILARITY = 0.85
_PREFIX = 112  # characters: unrelated messages (a common subsequence of about half) part within it


def has_near_duplicate(texts: Sequence[str | None]) -> bool:
    """Any two of the texts (None: not compared) are near-duplicates."""
    candidates = [text for text in texts if text is not None]
    return any(is_near_duplicate(a, b) for i, a in enumerate(candidates) for b in candidates[i + 1 :])


@lru_cache(maxsize=1024)  # a window's older pairs were compared on earlier turns
def is_near_duplicate(a: str, b: str) -> bool:
    """`SequenceMatcher(None, a, b).ratio() >= SIMILARITY`, its upper bounds first: most pairs are
    told apart by them, and only near-identical ones pay for ratio's quadratic search."""
    total = len(a) + len(b)
    # real_quick_ratio, as difflib computes it (without building the matcher: its index of b costs more).
    if _ratio(min(len(a), len(b)), total) < SIMILARITY:
        return False
    # The longest common subsequence bounds ratio too (its matching blocks are one), and costs a few
    # big-integer operations per character. That of the first _PREFIX characters of each, which the rest
    # adds at most max(len(a), len(b)) - _PREFIX to (past both prefixes, an alignment's pairs all lie in
    # the rest of one of them), tells most long messages apart at a fraction of the cost.
    longer = max(len(a), len(b))
    if longer > _PREFIX:
        bound = longest_common_subsequence(b[:_PREFIX], a[:_PREFIX]) + longer - _PREFIX
        if _ratio(bound, total) < SIMILARITY:
            return False
    # quick_ratio, as difflib computes it: the characters the two have in common.
    if _ratio(sum((_counts(a) & _counts(b)).values()), total) < SIMILARITY:
        return False
    if _ratio(longest_common_subsequence(b, a), total) < SIMILARITY:
        return False
    return SequenceMatcher(None, a, b).ratio() >= SIMILARITY


def _ratio(matches: int, length: int) -> float:
    return 2.0 * matches / length if length else 1.0  # difflib's


@lru_cache(maxsize=16)  # the newest message is compared with each older one in the window
def _counts(text: str) -> Counter[str]:
    return Counter(text)


def longest_common_subsequence(a: str, b: str) -> int:
    """Its length, bit-parallel (Allison and Dix 1986; Crochemore et al. 2001): bit i of `row` is 0 where
    the subsequence gains at a[i]; one addition per character of b does a row of the usual table."""
    positions = _positions(a)
    row = full = (1 << len(a)) - 1
    for matched in map(positions.get, b, itertools.repeat(0)):
        matched &= row
        row = (row + matched) | (row - matched)  # bits carried past len(a) never come back down: masked once
    return len(a) - (row & full).bit_count()


@lru_cache(maxsize=16)  # the newest message is compared with each older one in the window (as `a`)
def _positions(a: str) -> dict[str, int]:
    positions: dict[str, int] = {}
    for i, ch in enumerate(a):
        positions[ch] = positions.get(ch, 0) | 1 << i
    return positions
