"""The fast frustration reading reads exactly as the plain one: the same `FrustrationReading` for every text.

Each speed-up of core.frustration is a shortcut to a result the straightforward code also computes: the
word patterns searched where their matches can begin (core.word_search), TextBlob given only the words
it weighs (core.frustration_sentiment), the repeat check's bounds before difflib (core.near_duplicates),
the learned model's weighed features without the others, the ASCII paths of normalising and of finding an
emphasised word. Here every shortcut is switched back to the straightforward code (`plain`) and both read
the labelled sets (the development half only) and generated hostile texts: odd Unicode, long words,
capitals, emoji, markup, contractions, 2,000+ characters. The repeat check's bounds are also compared with
difflib's decision on pairs whose ratio lands just under, on and just over its threshold, where a bound off
by one would show. `FRUSTRATION_EQUIVALENCE_TEXTS=5000` reads more of both (the default keeps this test fast).
"""

from __future__ import annotations

import functools
import os
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from difflib import SequenceMatcher
from pathlib import Path

import pytest
import yaml

from handoff_slack.core import (
    frustration,
    frustration_sentiment,
    frustration_signals,
    near_duplicates,
    phrases,
    word_search,
)
from handoff_slack.core.frustration import FrustrationDetector, FrustrationReading
from handoff_slack.core.frustration_model import FrustrationModel, features, shipped_model
from handoff_slack.core.frustration_sentiment import WordsPolarity
from handoff_slack.core.frustration_signals import WORD_SIGNALS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TEXTS = int(os.environ.get("FRUSTRATION_EQUIVALENCE_TEXTS", "400"))

# ------------------------------------------------------------------ the straightforward code


def plain_normalise(text: str) -> str:
    text = phrases.SLACK_MARKUP.sub(" ", text)
    if not text.isascii():
        text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    text = phrases._PUNCTUATION.sub(" ", text.lower().replace("’", "'").replace("'", ""))
    return " ".join(text.split())


def plain_polarity(polarity: WordsPolarity, text: str) -> float:
    text = frustration_sentiment._CONTRACTION.sub(
        lambda m: frustration_sentiment._IRREGULAR_NEGATIONS.get(m[1].lower(), m[1]) + " not", text
    )
    words = phrases.normalised_prefix(text)
    if re.search(r"(?:^|\s)_|_(?:\s|$)", words):
        return float(polarity.sentiment(words)[0])
    return float(polarity.sentiment([word.lower() for word in words.split()])[0])


def plain_caps_weight(lexicon: frustration._Lexicon, text: str, normalised: str) -> float:
    text = phrases.SLACK_MARKUP.sub(" ", text)
    letters, upper = frustration.letter_counts(text)
    if letters >= frustration._SHOUTING_MIN_LETTERS and upper / letters >= frustration._SHOUTING_SHARE:
        polite = frustration._POLITE.pattern.search(normalised)
        return frustration.POLITE_SHOUTING_WEIGHT if polite else frustration.SHOUTING_WEIGHT
    emphasised = any(
        len(word) >= frustration._EMPHASIS_MIN_LETTERS and word.isupper() and word.lower() in lexicon.dictionary
        for word in frustration._LETTER_RUNS.findall(text)
    )
    return frustration.EMPHASIS_WEIGHT if emphasised else 0.0


class PlainTwoWords:
    def search(self, text: str) -> bool:
        return len(text.split()) >= 2


@functools.lru_cache(maxsize=1024)
def plain_similar(a: str, b: str) -> bool:
    return SequenceMatcher(None, a, b).ratio() >= near_duplicates.SIMILARITY


def clear_caches() -> None:
    frustration._analysed.cache_clear()
    near_duplicates.is_near_duplicate.cache_clear()
    plain_similar.cache_clear()
    phrases._normalised.cache_clear()
    word_search.SHARED.candidates.cache_clear()
    frustration._SOMETIMES.candidates.cache_clear()


@pytest.fixture
def plain(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every shortcut switched back to the straightforward code."""
    monkeypatch.setattr(word_search.WordPattern, "search", lambda self, text: self.pattern.search(text))
    monkeypatch.setattr(word_search.WordPattern, "finditer", lambda self, text: self.pattern.finditer(text))
    monkeypatch.setattr(word_search.RawPattern, "search", lambda self, text: self.pattern.search(text))
    monkeypatch.setattr(
        WordsPolarity, "__call__", lambda self, words: float(self.sentiment([w.lower() for w in words])[0])
    )
    monkeypatch.setattr(
        FrustrationModel,
        "weighed",
        lambda self, text: {name: self.weights[name] for name in features([text]) if name in self.weights},
    )
    monkeypatch.setattr(phrases, "_normalised_words", lambda text: plain_normalise(text).split())
    monkeypatch.setattr(WordsPolarity, "of_text", plain_polarity)
    monkeypatch.setattr(frustration, "_caps_weight", plain_caps_weight)
    monkeypatch.setattr(
        FrustrationModel, "probability_of_weighed", lambda self, each: self.probability_of([tuple(d) for d in each])
    )
    monkeypatch.setattr(frustration, "_TWO_WORDS", PlainTwoWords())
    monkeypatch.setattr(near_duplicates, "is_near_duplicate", plain_similar)
    clear_caches()
    yield
    clear_caches()


# ------------------------------------------------------------------ what is read

_WORDLIKE = re.compile(r"[a-z]{1,}")


def vocabulary() -> list[str]:
    """The words the patterns name, TextBlob's words, and what trips tokenizers and case rules."""
    sources = [s.pattern.pattern for s in WORD_SIGNALS]
    sources += [frustration_signals._FEELINGS.pattern, frustration_signals.RELIEF.pattern]
    sources += [p.pattern.pattern for p in (frustration._POLITE, frustration._AT_THE_SERVICE, frustration._ASKING)]
    words = sorted({w for source in sources for w in _WORDLIKE.findall(source)})
    lexicon = frustration._load_lexicon()
    known = sorted(lexicon.polarity.known)
    words += random.Random(1).sample(known, 400)
    words += [w.upper() for w in random.Random(2).sample(known, 60)]
    words += ["not", "no", "never", "n't", "really", "very", "extremely", "totally", "so", "too", "quite", "barely"]
    words += ["a", "i", "is", "it", "an", "to", "of", "x", "u", "ur", "me", "my", "we", "us", "ok", "hi", "at"]
    words += ["3", "2nd", "10th", "٣", "１２", "0", "1", "42", "2024"]
    words += [":)", ":(", ":-D", "<3", "o_O", "O_o", "XD", ":/", "(!)", ";)", ":D", "!", "(", ")"]
    words += ["STILL", "NEVER", "ASAP", "VPN", "URGENT", "HELP", "WHY", "ÉTÉ", "STRAẞE", "ΑΒΓΔ", "ABCDe", "xABCD"]
    words += ["<@U0BOT>", "<https://example.com/a?b=c|the link>", "<#C123|general>", "<", ">", "<<>>", "<!here>"]
    words += ["🙄", "😒", "😡", "🤬", "🤦", "😩", "😫", "💢", "😠", "😤", "👍", "🎉", "❤️", "♥"]
    words += [":rage:", ":roll_eyes:", ":facepalm:", ":smile:", ":+1:", ":weary:", ":angry:", "::", ":a:b:"]
    words += ["!!", "???", "?!", "!?!", "??", "!!!!!!!"]
    words += ["isn't", "can't", "won’t", "don't", "I'm", "it's", "shan't", "CAN'T", "ain't", "n't", "'", "’"]
    words += ["f***", "sh*t", "b****", "f@#$ing", "f#$%", "sh!t", "FFS", "WTF", "uuugh", "arrrgh", "pffft"]
    words += ["_init", "ERR_TIMEOUT", "foo_", "__", "_", "a_b_c", "_x_"]
    words += ["ﷺ", "e\u0301", "ﬁ", "Ⅻ", "\u200b", "İstanbul", "ß", "ǅ", "\u0130", "ŉ", "ﬃ", "Å", "ΣΑΣ", "Straße"]
    words += ["a" * 300, "supercalifragilistic" * 20, "x" * 2_100, "A" * 50, "ab-cd", "e-mail", "co-op"]
    return words


def fixture_messages() -> list[list[str]]:
    items = yaml.safe_load((FIXTURES / "frustration_conversations.yaml").read_text(encoding="utf-8"))
    # The development half only: the held-out half is read by bench/escalation_eval.py and nothing else.
    items += yaml.safe_load((FIXTURES / "escalation_set" / "development.yaml").read_text(encoding="utf-8"))
    # The escalation set's conversations hold events and pauses too: the customer's messages are the strings.
    return [[m for m in item["messages"] if isinstance(m, str)] for item in items]


LENGTHS = [(1, 60), (60, 400), (400, 2_000), (1_900, 6_000)]  # a quarter each: short, medium, long, past the prefix
_SPACES = [" "] * 12 + ["  ", "\n", "\t", "\xa0", "\u2028", "\x1c", " \n ", ""]


def hostile_texts(rng: random.Random, count: int) -> list[str]:
    words = vocabulary()
    phrases_ = [m for messages in fixture_messages() for m in messages]
    texts = []
    for _ in range(count):
        length = rng.randint(*rng.choice(LENGTHS))
        parts: list[str] = []
        size = 0
        while size < length:
            token = rng.choice(phrases_) if rng.random() < 0.12 else rng.choice(words)
            token = rng.choice([token] * 6 + [token.upper(), token.title(), token.capitalize()])
            parts.append(token + rng.choice(_SPACES))
            size += len(parts[-1])
        text = "".join(parts)
        texts.append(rng.choice([text] * 8 + [text.upper(), text.strip()]) or "x")
    return texts


def near_repeat(rng: random.Random, text: str) -> str:
    """The text sent again with a few characters changed: the repeat check's full comparison."""
    chars = list(text)
    for _ in range(rng.randint(0, max(1, len(chars) // 30))):
        at = rng.randrange(len(chars) + 1)
        chars[at:at] = rng.choice(["", "x", " ", "!", "é"]) if rng.random() < 0.5 else []
        del chars[at : at + rng.randint(0, 2)]
    return "".join(chars) or "x"


def windows() -> Iterator[list[str]]:
    yield from fixture_messages()
    rng = random.Random(20)
    texts = hostile_texts(rng, TEXTS)
    for i, text in enumerate(texts):
        if i % 5 == 0:
            yield [text, near_repeat(rng, text), near_repeat(rng, text)]
        yield texts[max(0, i - rng.randint(0, 2)) : i + 1]
    yield from ([m] for messages in fixture_messages() for m in messages)


@functools.cache
def fast_readings() -> list[tuple[list[str], FrustrationReading, object]]:
    clear_caches()
    return readings()


def readings() -> list[tuple[list[str], FrustrationReading, object]]:
    detector = FrustrationDetector(preload=True)
    found = []
    for window in windows():
        found.append((window, detector.read(window), frustration._analysed(frustration.read_prefix(window[-1]))))
    return found


def test_the_fast_reading_equals_the_plain_one(request: pytest.FixtureRequest) -> None:
    fast = fast_readings()
    request.getfixturevalue("plain")
    slow = readings()
    assert len(fast) == len(slow) > TEXTS
    for (window, reading, message), (_, plain_reading, plain_message) in zip(fast, slow, strict=True):
        assert message == plain_message, window[-1][:300]
        assert reading == plain_reading, window


# ------------------------------------------------------------------ the repeat check at its threshold

# The readings above rarely hold two messages whose ratio is near SIMILARITY, where a bound off by one
# (a match, a character of the prefix) turns near-duplicates away. Here base texts are edited one
# character at a time and the edits whose ratio lands within 0.01 of the threshold are kept. The base
# lengths: where ratio can be exactly 0.85 = 17/20 (equal lengths of 20k after substitutions, 17k against
# 23k after insertions or deletions), around the prefix of the subsequence bound (near_duplicates._PREFIX)
# and around the repeat check's cut (frustration._REPEAT_CHARS: texts are cut there, as the detector does).
SIMILARITY = near_duplicates.SIMILARITY
_PREFIX = near_duplicates._PREFIX
_CUT = frustration._REPEAT_CHARS
_BASE_LENGTHS = [17, 20, 23, 34, 40, 46, 60, 68, 85, 92, *range(_PREFIX - 2, _PREFIX + 4), 120, 138, 140, 160]
_BASE_LENGTHS += [230, _CUT - 1, _CUT, _CUT + 20]


def edited(rng: random.Random, base: str, kind: str, where: str) -> Iterator[str]:
    """The base edited once more each time: characters substituted, deleted or inserted (new ones or
    the base's own), anywhere or within the subsequence bound's prefix (where that bound is tight)."""
    chars = list(base)
    for _ in range(len(base) // 2):
        room = min(len(chars), _PREFIX) if where == "prefix" else len(chars)
        at = rng.randrange(room + 1)
        edit = rng.choice(["substitute", "delete", "insert"]) if kind == "any" else kind
        ch = rng.choice("#é1" if rng.random() < 0.5 else base)
        if edit == "insert" or at == len(chars):
            chars.insert(at, ch)
        elif edit == "delete":
            del chars[at]
        else:
            chars[at] = ch
        yield "".join(chars)[:_CUT]


def ratio(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b).ratio()


@functools.cache
def threshold_pairs() -> list[tuple[str, str, float]]:
    """(a, b, ratio(a, b)) within 0.01 of SIMILARITY: under, on and over it."""
    rng = random.Random(85)
    corpus = " ".join(phrases.normalised_prefix(m) for messages in fixture_messages() for m in messages)
    pairs = []
    for length in _BASE_LENGTHS * max(1, TEXTS // 400):
        for kind in ("substitute", "delete", "insert", "any"):
            for where in ("anywhere", "prefix") if length > _PREFIX else ("anywhere",):
                start = rng.randrange(len(corpus) - length)
                base = corpus[start : start + length][:_CUT]
                texts = list(edited(rng, base, kind, where))
                # The edits lower the ratio on the whole: find where it crosses, keep the texts around.
                lo, hi = 0, len(texts)
                while lo < hi:
                    mid = (lo + hi) // 2
                    lo, hi = (lo, mid) if ratio(base, texts[mid]) < SIMILARITY else (mid + 1, hi)
                for text in texts[max(0, lo - 2) : lo + 2]:
                    for a, b in ((base, text), (text, base)):
                        if abs((r := ratio(a, b)) - SIMILARITY) <= 0.01:
                            pairs.append((a, b, r))
    return pairs


def bounds(a: str, b: str) -> dict[str, int]:
    """The matches each of is_near_duplicate's upper bounds allows the pair (as it counts them)."""
    lcs = near_duplicates.longest_common_subsequence  # test_frustration checks it against the table
    longer = max(len(a), len(b))
    found = {"lengths": min(len(a), len(b)), "characters": sum((Counter(a) & Counter(b)).values())}
    found["subsequence"] = lcs(b, a)
    if longer > _PREFIX:
        found["prefix"] = lcs(b[:_PREFIX], a[:_PREFIX]) + longer - _PREFIX
    return found


def test_the_repeat_check_decides_as_difflib_at_its_threshold() -> None:
    near_duplicates.is_near_duplicate.cache_clear()
    pairs = threshold_pairs()
    wrong = [(a, b, r) for a, b, r in pairs if near_duplicates.is_near_duplicate(a, b) != (r >= SIMILARITY)]
    assert not wrong, wrong[:3]

    # The pairs reach what they are for: each side of the threshold and on it, around both cuts, and
    # near-duplicates that each bound would turn away if it counted one match fewer (or `<` were `<=`).
    sides = Counter("under" if r < SIMILARITY else "on" if r == SIMILARITY else "over" for _, _, r in pairs)
    assert min(sides.values()) >= 20 and len(sides) == 3, sides
    longer = Counter(max(len(a), len(b)) for a, b, _ in pairs)
    assert all(longer[n] for n in (_PREFIX, _PREFIX + 1, _PREFIX + 2, _CUT - 1, _CUT)), longer
    tight: Counter[str] = Counter()
    for a, b, r in pairs:
        if r < SIMILARITY:
            continue
        total = len(a) + len(b)
        for name, matches in bounds(a, b).items():
            tight[name] += 2.0 * (matches - 1) / total < SIMILARITY
            tight[name + " on"] += 2.0 * matches / total == r == SIMILARITY
    assert min(tight.values()) >= 3 and len(tight) == 8, tight


def test_the_readings_cover_every_signal() -> None:
    """The texts above reach each kind of signal, so the comparison covers them."""
    fired = {signal for _, reading, _ in fast_readings() for signal in reading.signals}
    every = {"negative", "negative_trend", "all_caps", "exclamations", "repeated", "asks_for_person"}
    every |= {"named_feeling", "strong_negative", "learned"} | {s.name for s in WORD_SIGNALS}
    assert every <= fired, every - fired


def test_every_word_pattern_is_searched_where_its_matches_begin() -> None:
    """A pattern the fast search can't read is searched in full (correct, slow): say what to change."""
    searches = [*frustration._SEARCHES, frustration._POLITE, frustration._AT_THE_SERVICE, frustration._ASKING]
    searches += [frustration._RELIEF, frustration_signals._FEELINGS_AT_WORDS, frustration._ASKS_FOR_HUMAN]
    full = {s.pattern.pattern[:80]: s.why_full for s in searches if isinstance(s, word_search.WordPattern)}
    assert not {k: why for k, why in full.items() if why}, "patterns searched in full (and why)"
    raw = [s.why_full for s in frustration._SEARCHES if isinstance(s, word_search.RawPattern) and s.why_full]
    assert not raw, "raw patterns without literal prefixes"


def test_the_model_is_unchanged_by_its_caches() -> None:
    model = shipped_model()
    assert model == FrustrationModel.from_json(model.to_json())
