"""Is the conversation with the bot going nowhere? Offer a person before the customer gets angry.

Frustration is read from the customer's words; being stuck is read from what happens in the
conversation, whatever the tone. Five named signals, any one of which is enough:

    signal               fires when
    scenario_restarted   a scenario starts that already ran in this visit
    suggestion_declined  "Did you mean …?" declined a second time
    triage_rejected      a triage answer rejected as malformed a second time
    asked_again          the customer asks again what they asked before, in other words
                         (most of the content words of an earlier request again), or says so
                         ("sorry to ask again", "back to the start")
    no_progress          still writing to the bot 30 minutes or more after the visit's first message

A visit is the run of messages with no gap over `VISIT_GAP_SECONDS`: a customer who comes back the
next day with a new question starts afresh. Thanks and "found it" are progress, not a repeat.

`StuckDetector.observe` is pure: (saved state, what happened) → (new state, signals that fired).
The bot keeps the state with its own (core.bot_turn.BotState); bench/escalation_eval.py replays
the labelled set through it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from handoff_slack.core.phrases import normalised_prefix

NO_PROGRESS_SECONDS = 30 * 60
VISIT_GAP_SECONDS = 4 * 60 * 60
SECOND_TIME = 2  # declines / rejections that make a pattern
_KEPT_REQUESTS = 4
_OVERLAP = 0.5  # share of the shorter request's content words found in the other (and at least 2, or all of 1)

_SAYS_AGAIN = re.compile(
    r"\b(ask(ing)? (this |it |you )?again|back to (the )?start|same (screen|page|error|answer|thing|steps) again"
    r"|(going|go|goes) (round |around )?in circles|trying (it )?once more|one more try)\b"
)
_PROGRESS = re.compile(r"\b(thanks?|thank you|thx|ty|found it|works now|working now|all good|solved|fixed)\b")
# A sentence of words reads better than a list of strings.
_STOP_WORDS = frozenset(
    (  # noqa: SIM905
        "a an the i im me my we our us you your it its is are was be been am do does did doing how what why "
        "when where which who can could would should will to of in on for at by with from and or but not no "
        "yes please pls hi hello hey there this that these those there here just so any some get got have has "
        "had want wanted need needed like mean meant still again ok okay hmm sorry thanks thank u"
    ).split()
)


class StuckSignal(StrEnum):
    SCENARIO_RESTARTED = "scenario_restarted"
    SUGGESTION_DECLINED = "suggestion_declined"
    TRIAGE_REJECTED = "triage_rejected"
    ASKED_AGAIN = "asked_again"
    NO_PROGRESS = "no_progress"


class StuckEventKind(StrEnum):
    SAID = "said"
    SCENARIO_STARTED = "scenario_started"
    SUGGESTION_DECLINED = "suggestion_declined"
    TRIAGE_REJECTED = "triage_rejected"
    WAITED = "waited"  # only in replays of a labelled conversation: time passing between entries


@dataclass(frozen=True)
class StuckEvent:
    kind: StuckEventKind
    text: str = ""  # SAID: what the customer typed
    scenario: str = ""  # SCENARIO_STARTED: its ID
    when: float | None = None  # seconds (a Slack ts or a replay's clock); None: unknown
    waited_seconds: float = 0.0

    @classmethod
    def said(cls, text: str, when: float | None = None) -> StuckEvent:
        return cls(StuckEventKind.SAID, text=text, when=when)

    @classmethod
    def scenario_started(cls, scenario: str) -> StuckEvent:
        return cls(StuckEventKind.SCENARIO_STARTED, scenario=scenario)

    @classmethod
    def suggestion_declined(cls) -> StuckEvent:
        return cls(StuckEventKind.SUGGESTION_DECLINED)

    @classmethod
    def triage_rejected(cls) -> StuckEvent:
        return cls(StuckEventKind.TRIAGE_REJECTED)

    @classmethod
    def waited(cls, seconds: float) -> StuckEvent:
        return cls(StuckEventKind.WAITED, waited_seconds=seconds)

    def at(self, when: float | None) -> StuckEvent:
        return replace(self, when=when)


@dataclass(frozen=True)
class StuckState:
    """What the stuck signals remember of the visit; saved as JSON with the bot's state."""

    scenarios: tuple[str, ...] = ()  # scenarios started in this visit, oldest first
    declines: int = 0  # "did you mean" declined
    rejections: int = 0  # triage answers rejected
    requests: tuple[tuple[str, ...], ...] = ()  # content words of the customer's latest requests
    visit_started: float | None = None  # when the visit's first message came
    last_seen: float | None = None  # when the latest message came

    def to_json(self) -> dict[str, Any]:
        return {
            "scenarios": list(self.scenarios),
            "declines": self.declines,
            "rejections": self.rejections,
            "requests": [list(r) for r in self.requests],
            "visit_started": self.visit_started,
            "last_seen": self.last_seen,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> StuckState:
        if not data:
            return cls()
        started, seen = data.get("visit_started"), data.get("last_seen")
        return cls(
            scenarios=tuple(str(s) for s in data.get("scenarios") or ())[-_KEPT_REQUESTS * 2 :],
            declines=int(data.get("declines") or 0),
            rejections=int(data.get("rejections") or 0),
            requests=tuple(tuple(str(w) for w in r) for r in data.get("requests") or ())[-_KEPT_REQUESTS:],
            visit_started=float(started) if started is not None else None,
            last_seen=float(seen) if seen is not None else None,
        )


class StuckDetector:
    def observe(self, state: StuckState, event: StuckEvent) -> tuple[StuckState, tuple[StuckSignal, ...]]:
        """The state after `event`, and the signals it fired (empty: not stuck)."""
        kind = event.kind
        if kind is StuckEventKind.SCENARIO_STARTED:
            again = event.scenario in state.scenarios
            state = replace(state, scenarios=(*state.scenarios, event.scenario)[-_KEPT_REQUESTS * 2 :])
            return state, (StuckSignal.SCENARIO_RESTARTED,) if again else ()
        if kind is StuckEventKind.SUGGESTION_DECLINED:
            state = replace(state, declines=state.declines + 1)
            return state, (StuckSignal.SUGGESTION_DECLINED,) if state.declines >= SECOND_TIME else ()
        if kind is StuckEventKind.TRIAGE_REJECTED:
            state = replace(state, rejections=state.rejections + 1)
            return state, (StuckSignal.TRIAGE_REJECTED,) if state.rejections >= SECOND_TIME else ()
        if kind is StuckEventKind.SAID:
            return self._said(state, event.text, event.when)
        return state, ()

    def _said(self, state: StuckState, text: str, when: float | None) -> tuple[StuckState, tuple[StuckSignal, ...]]:
        if when is not None and state.last_seen is not None and when - state.last_seen > VISIT_GAP_SECONDS:
            state = StuckState()  # a new visit
        if when is not None:
            started = state.visit_started if state.visit_started is not None else when
            state = replace(state, visit_started=started, last_seen=when)
        words = normalised_prefix(text)
        if _PROGRESS.search(words):
            return state, ()
        content = content_words(words)
        fired: list[StuckSignal] = []
        if _SAYS_AGAIN.search(words) or any(_same_request(content, earlier) for earlier in state.requests):
            fired.append(StuckSignal.ASKED_AGAIN)
        if when is not None and state.visit_started is not None and when - state.visit_started >= NO_PROGRESS_SECONDS:
            fired.append(StuckSignal.NO_PROGRESS)
        if content:
            state = replace(state, requests=(*state.requests, content)[-_KEPT_REQUESTS:])
        return state, tuple(fired)


def content_words(normalised: str) -> tuple[str, ...]:
    """The words that carry a request's meaning, crudely stemmed ("accounts" → "account"), unique, in order."""
    stems = (_stem(w) for w in normalised.split() if w not in _STOP_WORDS and not w.isdigit())
    return tuple(dict.fromkeys(s for s in stems if len(s) > 1))


def _stem(word: str) -> str:
    for suffix in ("ation", "ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _same_request(new: tuple[str, ...], earlier: tuple[str, ...]) -> bool:
    if not new or not earlier:
        return False
    shared = len(set(new) & set(earlier))
    shorter = min(len(new), len(earlier))
    return shared >= min(2, shorter) and shared / shorter >= _OVERLAP and shared / max(len(new), len(earlier)) >= 0.34
