"""`/handoff-queue`'s options: `[org:<name>] [lang:<codes>] [skill:<tags>] [mine] [page N] [help]`,
in any order, read into a core.queue_filter.QueueRequest; and back (`carried`), for the buttons of a
page, whose values come back to us as forged input would: they go through the same reader.

`org:` takes a quoted name (`org:"Acme Corp"`, straight or curly quotes) or the words up to the next
option (`org:Acme Corp mine`); a team ID is taken the same way (core.accounts.org_queue matches
either). `lang:` takes language codes and `skill:` skill tags, separated by commas, checked as
/handoff-status checks an agent's (core.agent_profiles).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from handoff_slack.blocks.mrkdwn import make_safe
from handoff_slack.core.agent_profiles import InvalidProfile, language_from, skill_from
from handoff_slack.core.queue_filter import MAX_PAGE, PAGE_SIZE, QueueRequest

COMMAND = "/handoff-queue"
HELP_WORDS = frozenset({"help", "?", "-h", "--help"})
MAX_TOPICS = 5  # languages, or skills, one command filters by
SHOWN_OPTION_CHARS = 40
QUOTES = '"“”'  # straight quotes, and the curly ones clients may type instead
USAGE = (
    f"Usage: `{COMMAND} [org:<name>] [lang:<codes>] [skill:<tags>] [mine] [page N]` shows the waiting "
    f"tickets in queue order, {PAGE_SIZE} a page, each with who could take it now and a Claim button "
    "(only you see it). Options combine, in any order:\n"
    f'• `org:<name>` only one organisation\'s customers, e.g. `{COMMAND} org:"Acme Corp"` (one shown as '
    "“another organisation”, whose name Slack has not told yet, by its team ID: `org:T0123ABCD`)\n"
    f"• `lang:<codes>` only tickets in these languages (`pt` includes pt-BR), e.g. `{COMMAND} lang:de,fr`\n"
    f"• `skill:<tags>` only tickets needing one of these skills, e.g. `{COMMAND} skill:billing`\n"
    f"• `mine` only the tickets you could take now (you are available, with room, and match their language, "
    f"skills and time zone), e.g. `{COMMAND} mine`\n"
    f"• `page N` another page, e.g. `{COMMAND} page 2`\n"
    f"• `help` this help, above the queue."
)
BAD_ORG = f'Which organisation? Write its name after `org:`, e.g. `{COMMAND} org:"Acme Corp"`. {USAGE}'
BAD_PAGE = f"Which page? Write a number from 1 to {MAX_PAGE} after `page`, e.g. `{COMMAND} page 2`. {USAGE}"

_OPTION = re.compile(r"(org|lang|language|skills?)\s*:|(mine|page)(?=[\s:]|$)|(help|\?|-h|--help)(?=\s|$)", re.I)
_NEXT_OPTION = re.compile(r"(?<!\S)(?:" + _OPTION.pattern + ")", re.I)
_QUOTED = re.compile(f"[{QUOTES}]([^{QUOTES}]*)[{QUOTES}]")
_PAGE_NUMBER = re.compile(r"\s*:?\s*(\d{1,6})(?=\s|$)", re.ASCII)
# Slack escapes these three in a command's text.
_SLACK_ESCAPES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


class BadQueueArguments(ValueError):
    """The command's text is not options we take; the message is the answer (the usage included)."""


@dataclass(frozen=True)
class QueueAsk:
    request: QueueRequest
    help: bool = False


def parse(text: str) -> QueueAsk:
    """The options in `text` (a command's text, as Slack escapes it); raises BadQueueArguments."""
    org: str | None = None
    languages: tuple[str, ...] | None = None
    skills: tuple[str, ...] | None = None
    mine = asked_help = False
    page: int | None = None
    pos, end = 0, len(text)
    while True:
        while pos < end and text[pos].isspace():
            pos += 1
        if pos >= end:
            break
        found = _OPTION.match(text, pos)
        if found is None:
            raise BadQueueArguments(unknown_option(text[pos:]))
        key = (found.group(1) or found.group(2) or "help").lower()
        pos = found.end()
        if key == "org":
            if org is not None:
                raise BadQueueArguments(twice("org:"))
            org, pos = _org(text, pos)
        elif key in ("lang", "language", "skill", "skills"):
            value, pos = _up_to_next_option(text, pos)
            if key.startswith("lang"):
                languages = _topics(languages, value, language_from, "lang:", "de,fr")
            else:
                skills = _topics(skills, value, skill_from, "skill:", "billing")
        elif key == "mine":
            mine = True
        elif key == "page":
            number = _PAGE_NUMBER.match(text, pos)
            if number is None or page is not None or not 1 <= int(number.group(1)) <= MAX_PAGE:
                raise BadQueueArguments(BAD_PAGE)
            page, pos = int(number.group(1)), number.end()
        else:
            asked_help = True
    request = QueueRequest(org, languages or (), skills or (), mine, page or 1)
    return QueueAsk(request, asked_help)


def carried(request: QueueRequest) -> str:
    """`request` written as options `parse` reads back to the same request (a button's value)."""
    parts: list[str] = []
    if request.org is not None:
        escaped = request.org
        for plain_char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
            escaped = escaped.replace(plain_char, entity)
        parts.append(f'org:"{escaped}"')
    if request.languages:
        parts.append("lang:" + ",".join(request.languages))
    if request.skills:
        parts.append("skill:" + ",".join(request.skills))
    if request.mine:
        parts.append("mine")
    if request.page != 1:
        parts.append(f"page {request.page}")
    return " ".join(parts)


def _org(text: str, pos: int) -> tuple[str, int]:
    rest = text[pos:].lstrip()
    start = len(text) - len(rest)
    if rest[:1] and rest[0] in QUOTES:
        closing = next((i for i in range(start + 1, len(text)) if text[i] in QUOTES), None)
        if closing is None or (closing + 1 < len(text) and not text[closing + 1].isspace()):
            raise BadQueueArguments(BAD_ORG)
        argument, pos = text[start : closing + 1], closing + 1
    else:
        argument, pos = _up_to_next_option(text, pos)
    name = org_name(argument)
    if name is None:
        raise BadQueueArguments(BAD_ORG)
    return name, pos


def _up_to_next_option(text: str, pos: int) -> tuple[str, int]:
    """The text from `pos` up to the next option's word (or the end), and where that is."""
    following = _NEXT_OPTION.search(text, pos)
    # The value's first word is the value's, even when it reads like an option (`org:mine`).
    first_word = re.match(r"\s*\S*", text[pos:])
    after_first = pos + (first_word.end() if first_word else 0)
    if following is not None and following.start() < after_first:
        following = _NEXT_OPTION.search(text, after_first)
    stop = following.start() if following is not None else len(text)
    return text[pos:stop], stop


def _topics(
    before: tuple[str, ...] | None, value: str, read: Callable[[str], str], option: str, example: str
) -> tuple[str, ...]:
    if before is not None:
        raise BadQueueArguments(twice(option))
    words = [word for word in re.split(r"[\s,]+", value) if word]
    if not words:
        raise BadQueueArguments(f"Which? Write them after `{option}`, e.g. `{COMMAND} {option}{example}`. {USAGE}")
    if len(words) > MAX_TOPICS:
        raise BadQueueArguments(f"At most {MAX_TOPICS} after `{option}`. {USAGE}")
    found: list[str] = []
    for word in words:
        try:
            item = read(word)
        except InvalidProfile as error:
            raise BadQueueArguments(
                f"“{shown(word)}” after `{option}`: {error}; e.g. `{COMMAND} {option}{example}`. {USAGE}"
            ) from None
        if item not in found:
            found.append(item)
    return tuple(found)


def org_name(argument: str) -> str | None:
    """The organisation named after `org:`: quoted (`"Acme Corp"`) or the rest of the text as it is,
    spaces collapsed; None when there is none, or its quotes do not pair up."""
    argument = argument.strip()
    quoted = _QUOTED.fullmatch(argument)
    if quoted is not None:
        argument = quoted.group(1)
    elif any(quote in argument for quote in QUOTES):
        return None
    for escaped, char in _SLACK_ESCAPES:
        argument = argument.replace(escaped, char)
    name = " ".join(argument.split())
    return name or None


def unknown_option(option: str) -> str:
    return f"Unknown option “{shown(option)}”. {USAGE}"


def twice(option: str) -> str:
    return f"`{option}` is there twice: give it once. {USAGE}"


def shown(text: str) -> str:
    """`text` safe to echo in mrkdwn: short, one line, no control characters, nothing that pings."""
    printable = "".join(" " if unicodedata.category(char).startswith("C") else char for char in text)
    short = " ".join(printable.split())
    if len(short) > SHOWN_OPTION_CHARS:
        short = short[:SHOWN_OPTION_CHARS].rstrip() + "…"
    return make_safe(short, plain=True)
