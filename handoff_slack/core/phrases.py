"""What a customer's typed words ask for: a person, or leaving the queue.

Kept deliberately conservative: "cancel" only counts when it is (nearly) the whole message, so
"I want to cancel my order" never drops someone from the queue.
"""

from __future__ import annotations

import re
import unicodedata

_HUMAN_PATTERNS = re.compile(
    r"\b(agent|agents|human|humans|real person|a person|someone|somebody|representative|operator"
    r"|live chat|support staff)\b"
)
_CANCEL_STARTS = ("never mind", "nevermind", "nvm", "cancel", "forget it", "no longer needed")
_MAX_CANCEL_WORDS = 5
_PUNCTUATION = re.compile(r"[^\w\s]")
_SLACK_MARKUP = re.compile(r"<[^>]*>")


def normalise(text: str) -> str:
    """Lower-case words only: no Slack markup, punctuation, accents or repeated spaces."""
    text = _SLACK_MARKUP.sub(" ", text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _PUNCTUATION.sub(" ", text.lower().replace("’", "'").replace("'", ""))
    return " ".join(text.split())


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
    words = normalise(text).split()
    return 0 < len(words) <= 4 and set(words) <= _MENU_WORDS and bool(set(words) & _MENU_CORE)


def says_yes(text: str) -> bool:
    return normalise(text) in _YES


def says_no(text: str) -> bool:
    return normalise(text) in _NO


def asks_to_skip(text: str) -> bool:
    return normalise(text) in _SKIP


def asks_for_human(text: str) -> bool:
    return bool(_HUMAN_PATTERNS.search(normalise(text)))


def asks_to_cancel(text: str) -> bool:
    words = normalise(text)
    if not words or len(words.split()) > _MAX_CANCEL_WORDS:
        return False
    return any(words == start or words.startswith(start + " ") for start in _CANCEL_STARTS)
