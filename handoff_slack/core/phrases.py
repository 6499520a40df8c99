"""What a customer's typed words ask for: a person, or leaving the queue.

Kept deliberately conservative: "cancel" only counts when it is (nearly) the whole message, so
"I want to cancel my order" never drops someone from the queue.

The bot reads a bounded prefix of what a customer types (`READ_LIMIT`): a request, a trigger
phrase or an angry sentence lives near the start of a message, and a 40,000-character paste must
cost no more to read than a paragraph. Everything that reads a customer's words (these checks,
scenario matching, frustration scoring) reads `read_prefix(text)` or `normalised_prefix(text)`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# The characters of a message the bot reads, counted as Slack sends them (an "&" typed arrives as
# "&amp;"). About 300 words: every realistic request, rant or answer to a question fits, so the bot
# behaves exactly as if it read the whole message; a longer paste is read up to here. Reading is
# linear in this bound, which keeps the bot's turn a few milliseconds for any message Slack can send.
READ_LIMIT = 2_000

_HUMAN_PATTERNS = re.compile(
    r"\b(agent|agents|human|humans|real person|a person|someone|somebody|representative|operator"
    r"|live chat|support staff)\b"
)
HUMAN_REQUEST = _HUMAN_PATTERNS  # what asks_for_human searches the normalised words for (core.frustration too)
_CANCEL_STARTS = ("never mind", "nevermind", "nvm", "cancel", "forget it", "no longer needed")
_MAX_CANCEL_WORDS = 5
_PUNCTUATION = re.compile(r"[^\w\s]")
# Slack markup (<@U123>, <https://…|label>) never nests; "[^<>]" keeps a run of "<" linear to scan.
SLACK_MARKUP = re.compile(r"<[^<>]*>")


def normalise(text: str) -> str:
    """Lower-case words only: no Slack markup, punctuation, accents or repeated spaces."""
    return " ".join(_normalised_words(text))


def _normalised_words(text: str) -> list[str]:
    text = SLACK_MARKUP.sub(" ", text)
    if text.isascii():  # nothing to decompose nor combining marks to drop
        text = lowered(text).replace("'", "")
    else:
        text = unicodedata.normalize("NFKD", text)
        # Only non-ASCII characters combine: each distinct one in the message is dropped in one pass.
        others = set("".join(non_ascii_runs(text)))
        text = _replaced(text, [ch for ch in others if unicodedata.combining(ch)], "")
        text = lowered(text).replace("’", "'").replace("'", "")
        # Lower-casing maps each character on its own (but for a final sigma, a letter): the punctuation
        # beyond ASCII left is among the lower-cased others.
        beyond = {ch for other in others for ch in other.lower() if not ch.isascii()}
        text = _replaced(text, [ch for ch in beyond if _PUNCTUATION.fullmatch(ch)], " ")
    # What _PUNCTUATION replaces among ASCII characters becomes a space by a byte table (the UTF-8 of the
    # others is bytes over 127, which it keeps; "surrogatepass" keeps a lone surrogate a JSON string can hold).
    text = text.encode("utf-8", "surrogatepass").translate(_ASCII_PUNCTUATION).decode("utf-8", "surrogatepass")
    return text.split()


_NON_ASCII = re.compile(r"[^\x00-\x7f][^\x00-\x7f]*")  # a leading class: the engine skips to one
_ASCII_PUNCTUATION = bytes(32 if byte < 128 and _PUNCTUATION.fullmatch(chr(byte)) else byte for byte in range(256))


# The frustration reading asks these of a message again (its emoji, capitals and letters; the raw
# patterns read it lower-cased): a message without markup or accents is the same string here, so kept.


@lru_cache(maxsize=16)
def non_ascii_runs(text: str) -> tuple[str, ...]:
    return tuple(_NON_ASCII.findall(text))


@lru_cache(maxsize=16)
def lowered(text: str) -> str:
    return text.lower()


def _replaced(text: str, characters: list[str], by: str) -> str:
    if len(characters) > 8:
        return text.translate(dict.fromkeys(map(ord, characters), by))
    for ch in characters:
        text = text.replace(ch, by)
    return text


def read_prefix(text: str) -> str:
    """The part of a customer's message the bot reads: its first `READ_LIMIT` characters."""
    return text[:READ_LIMIT]


def normalised_prefix(text: str) -> str:
    """`normalise` of the part the bot reads, at most `READ_LIMIT` characters long.

    Cut again after normalising: compatibility decomposition can make one character eighteen
    ("ﷺ"). Cached, because one turn asks several questions of the same message.
    """
    return _normalised(read_prefix(text))[0]


def normalised_words(text: str) -> tuple[str, ...]:
    """`normalised_prefix(text).split()`, kept with it: the frustration reading asks for both."""
    return _normalised(read_prefix(text))[1]


@lru_cache(maxsize=128)
def _normalised(prefix: str) -> tuple[str, tuple[str, ...]]:
    words = _normalised_words(prefix)
    text = " ".join(words)
    if len(text) <= READ_LIMIT:
        return text, tuple(words)
    text = text[:READ_LIMIT]
    return text, tuple(text.split())


def _whole_short_reply(text: str) -> str | None:
    """The normalised text of a message the bot reads whole; None for one longer than it reads.

    For the checks that compare the whole message with a short reply ("yes", "cancel", "menu"):
    a message cut at `READ_LIMIT` is never one of those.
    """
    return normalised_prefix(text) if len(text) <= READ_LIMIT else None


# Words that ask for the menu or greet; a message of these (plus a few fillers) shows the menu.
_MENU_CORE = frozenset(
    "menu help options start restart hi hello hey hiya howdy yo morning afternoon evening".split()  # noqa: SIM905
)
_MENU_WORDS = _MENU_CORE | {"good", "there", "again", "show", "me", "the", "please"}
_YES = frozenset({"yes", "y", "yeah", "yep", "yup", "sure", "correct", "right", "ok", "okay", "yes please", "that one"})
_NO = frozenset({"no", "n", "nope", "nah", "no thanks", "neither", "none", "none of these", "wrong"})
_SKIP = frozenset({"skip", "pass", "skip it", "skip this", "rather not say", "prefer not to say", "n a", "na"})


def asks_for_menu(text: str) -> bool:
    """A greeting or a call for the menu ("menu", "help", "hi there", "show me the menu")."""
    words = (_whole_short_reply(text) or "").split()
    return 0 < len(words) <= 4 and set(words) <= _MENU_WORDS and bool(set(words) & _MENU_CORE)


def says_yes(text: str) -> bool:
    return _whole_short_reply(text) in _YES


def says_no(text: str) -> bool:
    return _whole_short_reply(text) in _NO


def asks_to_skip(text: str) -> bool:
    return _whole_short_reply(text) in _SKIP


def asks_for_human(text: str) -> bool:
    """A request for a person in the part of the message the bot reads."""
    return bool(_HUMAN_PATTERNS.search(normalised_prefix(text)))


def asks_to_cancel(text: str) -> bool:
    words = _whole_short_reply(text)
    if not words or len(words.split()) > _MAX_CANCEL_WORDS:
        return False
    return any(words == start or words.startswith(start + " ") for start in _CANCEL_STARTS)
