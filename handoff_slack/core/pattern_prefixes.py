"""What a regex's matches begin with, read from its source: for searching only where a match can begin.

`gates(pattern)`: the strings that normalised text (words of `\\w` characters between single spaces,
core.phrases.normalise) holds at the start of every match of a `\\b(?:alternative|...)\\b` pattern:
"i told ", "already ", "frustrat", "how many times ". `literal_prefixes(pattern)`: the strings a match
over any text begins with (":rage:", "f*", an emoji). core.word_search searches with them.

The reading is deliberately partial and errs one way only: what it can't read exactly (a class of many
characters, "\\w", ".") counts as any character, and a string stops growing there or once there are
too many: the strings only get fewer and shorter, each still begins every match it stands for. What it
can't read at all (a backreference, inline flags, a lone brace) raises Unsupported, saying what, and
the pattern is then searched in full. No private interface of `re` is used (its parser is `re._parser`).
"""

from __future__ import annotations

import re

_CLOSED, _OPEN, _WORD_END = 0, 1, 2  # the match so far is exactly the string / starts with it / and a word ends there
_Prefix = tuple[str, int]
_CAP = 512  # prefixes kept per pattern; past it they stop growing (fewer candidates dropped, still sound)
_CLASS_CAP = 16  # a character class of more characters reads as any character
_WORD_CHAR = re.compile(r"\w")
_REPEAT = re.compile(r"\{(\d*)(,?)(\d*)\}")
_ESCAPED = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "a": "\a"}
_HEX_DIGITS = {"x": 2, "u": 4, "U": 8}
_SAFE_FLAGS = re.UNICODE | re.MULTILINE | re.DOTALL  # flags that change no string a pattern below can match
# Stands for "one \\d character" in a prefix (any Unicode decimal digit, `str.isdecimal`): "\\d+ times".
_DIGIT = "\ue000"


class Unsupported(ValueError):
    """Source the reading doesn't follow (the pattern is then searched in full)."""


# A node: ("chars", frozenset of single characters) | ("any",) | ("zero", "b" | "^" | "other") | ("group", [[item]]).
_ANY = ("any",)
_BOUNDARY, _START, _ZERO = ("zero", "b"), ("zero", "^"), ("zero", "other")


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.at = 0

    def parse(self) -> list[list[tuple]]:  # type: ignore[type-arg]
        found = self.alternation()
        if self.at != len(self.source):
            raise Unsupported(f"unexpected {self.source[self.at]!r} at {self.at}")
        return found

    def peek(self) -> str:
        return self.source[self.at : self.at + 1]

    def take(self) -> str:
        if self.at >= len(self.source):
            raise Unsupported("unexpected end")
        self.at += 1
        return self.source[self.at - 1]

    def alternation(self) -> list[list[tuple]]:  # type: ignore[type-arg]
        found = [self.sequence()]
        while self.peek() == "|":
            self.at += 1
            found.append(self.sequence())
        return found

    def sequence(self) -> list[tuple]:  # type: ignore[type-arg]
        items = []
        while self.peek() not in ("", "|", ")"):
            node = self.atom()
            items.append((node, *self.quantifier()))
        return items

    def atom(self) -> tuple:  # type: ignore[type-arg]
        ch = self.take()
        if ch == "(":
            return self.group()
        if ch == "[":
            return self.char_class()
        if ch == "\\":
            return self.escape()
        if ch == ".":
            return _ANY
        if ch == "^":
            return _START
        if ch == "$":
            return _ZERO
        if ch in "*+?{":
            raise Unsupported(f"{ch!r} with nothing to repeat, or a literal brace")
        return self.chars(ch)

    def chars(self, ch: str) -> tuple:  # type: ignore[type-arg]
        if ch == _DIGIT:
            raise Unsupported("U+E000, which the reading uses for \\d")
        return ("chars", frozenset(ch))

    def group(self) -> tuple:  # type: ignore[type-arg]
        if self.peek() != "?":
            node: tuple = ("group", self.alternation())  # type: ignore[type-arg]
        else:
            self.at += 1
            kind = self.take()
            if kind == "<" and self.peek() in ("=", "!"):
                kind = self.take()
                self.alternation()
                node = _ZERO  # a lookbehind consumes nothing
            elif kind in "=!":
                self.alternation()
                node = _ZERO  # a lookahead consumes nothing
            elif kind in ":>":
                node = ("group", self.alternation())
            elif kind == "P" and self.peek() == "<":
                end = self.source.find(">", self.at)
                if end < 0:
                    raise Unsupported("unterminated group name")
                self.at = end + 1
                node = ("group", self.alternation())
            elif kind == "#":
                end = self.source.find(")", self.at)
                if end < 0:
                    raise Unsupported("unterminated comment")
                self.at = end
                node = _ZERO
            else:
                raise Unsupported(f"(?{kind}...): flags, a conditional or a backreference")
        if self.take() != ")":
            raise Unsupported("unbalanced group")
        return node

    def quantifier(self) -> tuple[int, int | None]:
        ch = self.peek()
        lo: int
        hi: int | None
        if ch == "?":
            lo, hi = 0, 1
        elif ch == "*":
            lo, hi = 0, None
        elif ch == "+":
            lo, hi = 1, None
        elif ch == "{":
            found = _REPEAT.match(self.source, self.at)
            if not found or not (found[1] or found[3]):
                raise Unsupported("a brace that is not a {m,n} repeat")
            lo = int(found[1] or 0)
            hi = (int(found[3]) if found[3] else None) if found[2] else lo
            self.at = found.end() - 1
        else:
            return 1, 1
        self.at += 1
        if self.peek() in ("?", "+"):  # lazy or possessive: the same strings
            self.at += 1
        return lo, hi

    def escape(self) -> tuple:  # type: ignore[type-arg]
        ch = self.take()
        if ch == "b":
            return _BOUNDARY
        if ch == "A":
            return _START
        if ch in "BZ":
            return _ZERO
        if ch == "d":
            return ("chars", frozenset(_DIGIT))
        if ch in "wWDsS":
            return _ANY
        return self.chars(self.escaped_char(ch))

    def escaped_char(self, ch: str) -> str:
        if ch in _ESCAPED:
            return _ESCAPED[ch]
        if ch in _HEX_DIGITS:
            digits = self.source[self.at : self.at + _HEX_DIGITS[ch]]
            if len(digits) != _HEX_DIGITS[ch] or not all(d in "0123456789abcdefABCDEF" for d in digits):
                raise Unsupported(f"bad \\{ch} escape")
            self.at += len(digits)
            return chr(int(digits, 16))
        if ch.isascii() and ch.isalnum():
            raise Unsupported(f"\\{ch}: a backreference, octal or named character")
        return ch

    def class_char(self) -> str | None:
        """One character of a class; None for a class escape (\\w, \\d, \\s and their negations)."""
        ch = self.take()
        if ch != "\\":
            return ch
        ch = self.take()
        if ch in "wWdDsS":
            return None
        return "\b" if ch == "b" else self.escaped_char(ch)

    def char_class(self) -> tuple:  # type: ignore[type-arg]
        negated = self.peek() == "^"
        if negated:
            self.at += 1
        chars: set[str] = set()
        unknown = False
        first = True
        while first or self.peek() != "]":
            first = False
            low = self.class_char()
            if self.peek() == "-" and self.source[self.at + 1 : self.at + 2] not in ("]", ""):
                self.at += 1
                high = self.class_char()
                if low is None or high is None or ord(high) - ord(low) > _CLASS_CAP:
                    unknown = True
                else:
                    chars.update(chr(c) for c in range(ord(low), ord(high) + 1))
            elif low is None:
                unknown = True
            else:
                chars.add(low)
        self.at += 1
        if negated or unknown or len(chars) > _CLASS_CAP or _DIGIT in chars:
            return _ANY
        return ("chars", frozenset(chars))


def is_word(ch: str) -> bool:
    return ch == _DIGIT or bool(_WORD_CHAR.match(ch))


def _alternation_prefixes(sequences: list[list[tuple]]) -> set[_Prefix]:  # type: ignore[type-arg]
    found: set[_Prefix] = set()
    for sequence in sequences:
        found |= _sequence_prefixes(sequence)
    return found


def _sequence_prefixes(sequence: list[tuple]) -> set[_Prefix]:  # type: ignore[type-arg]
    current: set[_Prefix] = {("", _CLOSED)}
    for node, lo, hi in sequence:
        if node[0] == "zero":
            if node == _BOUNDARY and lo:  # after a word character, \\b says the word ends there
                current = {(p, _WORD_END if s == _CLOSED and p and is_word(p[-1]) else s) for p, s in current}
            continue
        current = _then(current, _repeated(_node_prefixes(node), lo, hi))
        if all(s != _CLOSED for _, s in current):
            break
    return current


def _then(current: set[_Prefix], options: set[_Prefix]) -> set[_Prefix]:
    """The prefixes of a match of one thing then another (at most _CAP of them)."""
    closed = [p for p, s in current if s == _CLOSED]
    ended = {(p, s) for p, s in current if s != _CLOSED}
    if not closed:
        return ended
    fitted = _fitted(options, (_CAP - len(ended)) // len(closed))
    if fitted is None:  # too many: stop here, each still a prefix of every match it stands for
        return ended | {(p, _OPEN) for p in closed}
    return ended | {(p + q, t) for p in closed for q, t in fitted}


def _fitted(options: set[_Prefix], budget: int) -> set[_Prefix] | None:
    """At most `budget` prefixes standing for `options`: cut to the longest length that fits (None: none fits)."""
    if len(options) <= budget:
        return options
    length = max((len(p) for p, _ in options), default=0)
    while len(options) > budget and length > 1:
        length -= 1
        options = {(p[:length], s if len(p) <= length else _OPEN) for p, s in options}
    return options if len(options) <= budget else None


def _node_prefixes(node: tuple) -> set[_Prefix]:  # type: ignore[type-arg]
    if node[0] == "chars":
        return {(ch, _CLOSED) for ch in node[1]}
    if node[0] == "group":
        return _alternation_prefixes(node[1])
    return {("", _OPEN)}


_UNROLLED = 4  # "a+" reads as "a" then "a*": "a+r+" begins "ar" or "aa"; past a few copies, anything


def _repeated(options: set[_Prefix], lo: int, hi: int | None, copies: int = 0) -> set[_Prefix]:
    if hi == 0:
        return {("", _CLOSED)}
    if lo == hi == 1 or all(s != _CLOSED for _, s in options):  # once, or no prefix a copy could extend
        rest = options
    elif copies >= _UNROLLED or (lo == 0 and hi is None):
        rest = {(p, _OPEN if s == _CLOSED else s) for p, s in options}
    else:
        rest = _then(options, _repeated(options, max(lo - 1, 0), None if hi is None else hi - 1, copies + 1))
    return rest | {("", _CLOSED)} if lo == 0 else rest


def _anchored(sequences: list[list[tuple]]) -> bool:  # type: ignore[type-arg]
    """Every match starts where \\b or ^ held before anything was consumed."""
    return all(_sequence_anchored(sequence) for sequence in sequences)


def _sequence_anchored(sequence: list[tuple]) -> bool:  # type: ignore[type-arg]
    for node, lo, _ in sequence:
        if node in (_BOUNDARY, _START) and lo:
            return True
        if node[0] == "zero":
            continue
        return node[0] == "group" and lo > 0 and _anchored(node[1])
    return False


def _parsed(pattern: re.Pattern[str]) -> list[list[tuple]]:  # type: ignore[type-arg]
    if not isinstance(pattern.pattern, str) or pattern.flags & ~_SAFE_FLAGS:
        raise Unsupported("flags that change what matches (IGNORECASE, VERBOSE, ASCII, ...)")
    return _Parser(pattern.pattern).parse()


def gates(pattern: re.Pattern[str]) -> tuple[frozenset[str], bool]:
    """(gates, digit): every match of `pattern` in normalised text begins at the start of a word, and the
    text from there begins with one of `gates` (a trailing space: the word ends there, or the text does)
    or, with `digit`, with a decimal digit. Raises Unsupported, saying why, when the source doesn't pin
    this down: a match may begin mid-word (no leading \\b) or with any word at all (\\w+, .)."""
    sequences = _parsed(pattern)
    if not _anchored(sequences):
        raise Unsupported("a match may begin mid-word: start every alternative at \\b (or ^)")
    found: set[str] = set()
    digit = False
    for prefix, state in _alternation_prefixes(sequences):
        mark = prefix.find(_DIGIT)  # what follows "any digit" isn't spelled out: the gate ends there
        if mark == 0:
            digit = True
            continue
        if mark > 0:
            prefix, state = prefix[:mark], _OPEN
        if not prefix or not is_word(prefix[0]):
            shown = prefix or "any word"
            raise Unsupported(f"an alternative may begin with {shown!r}: begin each with a literal word")
        found.add(prefix + " " if state == _WORD_END else prefix)
    # A gate that begins with another says nothing more.
    return _shortest(found), digit


def literal_prefixes(pattern: re.Pattern[str]) -> frozenset[str]:
    """Strings one of which every match of `pattern` begins with (raises Unsupported when one may be empty)."""
    prefixes = {prefix.partition(_DIGIT)[0] for prefix, _ in _alternation_prefixes(_parsed(pattern))}
    if "" in prefixes:
        raise Unsupported("a match may begin with any character")
    # "ab" in a text implies "a" in it: the shortest suffice.
    return _shortest(prefixes)


def _shortest(strings: set[str]) -> frozenset[str]:
    """The strings no other one of which they begin with (those are found wherever they are)."""
    return frozenset(s for s in strings if not any(s[:end] in strings for end in range(1, len(s))))
