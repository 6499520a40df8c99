"""Searching only where a match can begin finds what the full search finds, for patterns the lead hasn't written yet.

Random patterns in the style of core.frustration_signals (alternatives of words, optional and repeated
groups, "\\w+" gaps, digits, classes, lookaheads) are searched in random normalised texts, and in raw
texts for the raw kind: `WordPattern` and `RawPattern` must give `re`'s own matches, every time.
"""

from __future__ import annotations

import random
import re

import pytest

from handoff_slack.core.pattern_prefixes import Unsupported, gates, literal_prefixes
from handoff_slack.core.word_search import RawPattern, WordGroup, WordPattern

WORDS = ["i", "ive", "we", "told", "said", "how", "many", "times", "not", "a", "ab", "abc", "x", "frust", "mail"]
TEXT_WORDS = [*WORDS, "ii", "abcd", "frustrated", "12", "٣", "3rd", "timesx", "e", "emails", "_", "a_b", "zz"]
QUANTIFIERS = ["", "", "", "?", "*", "+", "{0,2}", "{1,3}", "{2}", "+?", "?+"]


def alternative(rng: random.Random, depth: int) -> str:
    """Groups hold words only: a gap or a repeat inside a repeated group makes `re` itself backtrack for ever."""
    parts = []
    for _ in range(rng.randint(1, 4)):
        kind = rng.random() if depth == 0 else 0.0
        if kind < 0.45:
            part = rng.choice(WORDS) + (rng.choice(["", "", "s?", "e?", r"\w*", "+"]) if depth == 0 else "")
        elif kind < 0.55:
            part = rng.choice([r"\w+", r"\w*", r"(?:\w+ ){0,2}", r"(?: \w+){0,3}", r"\S+"])
        elif kind < 0.72:
            group = "|".join(alternative(rng, depth + 1) for _ in range(rng.randint(1, 3)))
            part = rng.choice(["(?:", "(", f"(?P<g{rng.randint(0, 10**6)}>"]) + group + ")" + rng.choice(QUANTIFIERS)
        elif kind < 0.78:
            part = r"\d+" + rng.choice(["", "(?:st|nd|rd|th)", " times"])
        elif kind < 0.86:
            part = rng.choice(["[abc]", "[a-c]", "[^x]", "[ix]", r"[\w]", "."]) + rng.choice(QUANTIFIERS)
        else:
            part = rng.choice(["(?! x)", "(?= )", r"(?<!\w)", r"\b", "$", "^"])
        parts.append(part)
    return "".join(p + rng.choice([" ", " ", " ", "", " ?"]) for p in parts[:-1]) + parts[-1]


def word_pattern(rng: random.Random) -> re.Pattern[str]:
    alternatives = "|".join(alternative(rng, 0) for _ in range(rng.randint(1, 5)))
    source = rng.choice([r"\b(?:{})\b", r"\b(?:{})", r"\b({})\b", "(?:{})", r"\b(?:{})|\bx"]).format(alternatives)
    return re.compile(source)


def normalised_text(rng: random.Random) -> str:
    return " ".join(rng.choice(TEXT_WORDS) for _ in range(rng.randint(0, 40)))


def test_random_word_patterns_find_what_the_full_search_finds() -> None:
    rng = random.Random(20)
    group = WordGroup()  # not the shared one: these patterns are not the app's
    pairs = []
    for _ in range(300):
        pattern = word_pattern(rng)
        pairs.append((pattern, WordPattern(pattern, group)))
    fast = sum(search.why_full is None for _, search in pairs)
    assert fast > len(pairs) // 4, "too few patterns the fast search reads: the test would test little"
    for _ in range(100):
        text = normalised_text(rng)
        for pattern, search in pairs:
            expected, found = pattern.search(text), search.search(text)
            assert (found and (found.span(), found.groups())) == (expected and (expected.span(), expected.groups()))
            assert [m.span() for m in search.finditer(text)] == [m.span() for m in pattern.finditer(text)]


RAW_ATOMS = ["🙄", "😡", ":rage:", ":a_b:", "f", "sh", "[*#@]", "[*#]{2,}", r"\w*", r"\d", "!", "x+", "é"]


def test_random_raw_patterns_find_what_the_full_search_finds() -> None:
    rng = random.Random(21)
    pairs = []
    for _ in range(300):
        alternatives = ["".join(rng.choice(RAW_ATOMS) for _ in range(rng.randint(1, 3))) for _ in range(3)]
        pattern = re.compile(rng.choice(["", r"\b"]) + "(?:" + "|".join(alternatives) + ")")
        pairs.append((pattern, RawPattern(pattern)))
    assert sum(search.why_full is None for _, search in pairs) > len(pairs) // 3
    pool = ["🙄", "😡", ":rage:", ":a_b:", "f**k", "sh*t", "sh#t", "ab", " ", "!", "xx", "é", "1", "ff", ":"]
    for _ in range(200):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 20)))
        for pattern, search in pairs:
            expected, found = pattern.search(text), search.search(text)
            assert (found and found.span()) == (expected and expected.span()), (pattern.pattern, text)


def test_what_the_gates_of_a_pattern_are() -> None:
    opening, digit = gates(re.compile(r"\b(?:i (?:told|said)|frustrat\w*|\d+ times|how many\b)\b"))
    assert opening == {"i told ", "i said ", "frustrat", "how many "}
    assert digit
    masked = {"f**", "f*#", "f#*", "f##", "sh*t", "sh!t"}  # "{2,}": two copies, then anything
    assert literal_prefixes(re.compile(r"\b(?:f[*#]{2,}\w*|sh[*!]t)")) == masked


@pytest.mark.parametrize(
    ("source", "why"),
    [
        (r"(?:told|said)", "mid-word"),
        (r"\b(?:\w+ told|said)\b", "any word"),
        (r"(?i)\b(?:told)\b", "flags"),
        (r"\b(told) \1\b", "backreference"),
    ],
)
def test_a_pattern_the_reading_cant_pin_down_says_why_and_is_searched_in_full(source: str, why: str) -> None:
    with pytest.raises(Unsupported, match=why):
        gates(re.compile(source))
    search = WordPattern(re.compile(source), WordGroup())
    assert search.why_full and why in search.why_full
    found, expected = search.search("i told told"), re.compile(source).search("i told told")
    assert (found and found.span()) == (expected and expected.span())
