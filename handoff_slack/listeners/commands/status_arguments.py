"""The text of `/handoff-status`, read into whose status and what changes (or why not).

`[<@U…>] [available|away|offline] [capacity N] [languages de,fr] [skills billing,hardware]`, in any
order after the optional mention (as Slack sends a mention in a command's text: `<@U123|name>`).
The values are checked by core.agent_profiles; a list may be written with spaces after its commas.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from handoff_slack.core.agent_profiles import (
    Availability,
    InvalidProfile,
    ProfileChange,
    capacity_from,
    languages_from,
    skills_from,
)
from handoff_slack.listeners.commands.handoff_queue import shown

_MENTION = re.compile(r"<@([UW][A-Z0-9]{2,20})(?:\|[^<>]{0,80})?>")
_KEYWORDS = {
    "capacity": "capacity",
    "languages": "languages",
    "language": "languages",
    "skills": "skills",
    "skill": "skills",
}
MAX_WORDS = 40  # more than every option takes, however its lists are spaced


class BadArguments(ValueError):
    """What is wrong with the text, in a sentence that can be shown (user text made safe)."""


@dataclass(frozen=True)
class StatusRequest:
    target_user_id: str | None  # None: the person running the command
    change: ProfileChange  # empty: show the status


def read_status_arguments(text: str) -> StatusRequest:
    target = None
    text = text.strip()
    if mention := _MENTION.match(text):  # its name may have spaces: `<@U123|Ann Lee>`
        target = mention.group(1)
        text = text[mention.end() :]
    words = text.split()
    if len(words) > MAX_WORDS:
        raise BadArguments("That is more than I can read.")
    values: dict[str, object] = {}
    while words:
        word = words.pop(0)
        lowered = word.lower()
        if word.startswith("<@"):
            raise BadArguments("Name the person first, and only one person.")
        if lowered in {a.value for a in Availability}:
            _set(values, "availability", Availability(lowered))
            continue
        keyword = _KEYWORDS.get(lowered)
        if keyword is None:
            raise BadArguments(f"I don't know “{shown(word)}”.")
        if not words:
            raise BadArguments(f"`{keyword}` needs a value.")
        value = words.pop(0)
        while words and (value.endswith(",") or words[0].startswith(",")):  # "de, fr"
            value += words.pop(0)
        try:
            if keyword == "capacity":
                _set(values, keyword, capacity_from(value))
            elif keyword == "languages":
                _set(values, keyword, languages_from(value))
            else:
                _set(values, keyword, skills_from(value))
        except InvalidProfile as error:
            raise BadArguments(f"“{shown(value)}”: {error}.") from None
    return StatusRequest(target, ProfileChange(**values))  # type: ignore[arg-type]


def _set(values: dict[str, object], key: str, value: object) -> None:
    if key in values:
        raise BadArguments(f"Give the {key} once.")
    values[key] = value
