"""A bot turn's inputs, outputs and state: what the customer did, what the bot says, where they are.

Plain values, saved as JSON with the conversation (`BotState`) and the ticket (`TriageAnswer`); the
engine that decides a turn is handoff_slack.core.bot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol

from handoff_slack.core.bot_config import Prefill, TriageQuestion
from handoff_slack.core.states import EscalationReason
from handoff_slack.core.stuck import StuckState

# -- what the customer did ----------------------------------------------------------------------


class ButtonAction(StrEnum):
    """What a bot button does; the Slack edge maps each to an action ID."""

    SCENARIO = "scenario"  # value: scenario ID (menu entries, "did you mean" guesses)
    CHOICE = "choice"  # value: "scenario_id:step_id:choice_index"
    SKIP = "skip"  # value: triage question ID
    FORM = "form"  # open the triage form (handled at the edge, which then submits FormFilled)
    TALK_TO_AGENT = "talk_to_agent"  # value: why ("menu", "frustration", "no_scenario", ...)
    NO_THANKS = "no_thanks"  # decline the offer of a person
    MENU = "menu"  # show the menu again


@dataclass(frozen=True)
class Said:
    text: str
    at: float | None = None  # when it was sent (seconds, a Slack ts); None: unknown

    @classmethod
    def sent(cls, text: str, ts: str) -> Said:
        """A message as Slack delivered it: its ts is its time in seconds."""
        try:
            return cls(text, float(ts))
        except ValueError:
            return cls(text)


@dataclass(frozen=True)
class Pressed:
    action: ButtonAction
    value: str = ""


@dataclass(frozen=True)
class FormFilled:
    """The triage form's answers by question ID; "" (or absent) for a skipped question."""

    answers: Mapping[str, str]


BotInput = Said | Pressed | FormFilled


@dataclass(frozen=True)
class CustomerFacts:
    """What Slack knows about the customer (None: unknown), looked up before the bot's step."""

    name: str | None = None
    organisation: str | None = None

    def value_for(self, prefill: Prefill | None) -> str | None:
        if prefill is Prefill.PROFILE_NAME:
            return self.name
        if prefill is Prefill.ORGANISATION:
            return self.organisation
        return None


# -- what the bot does --------------------------------------------------------------------------


@dataclass(frozen=True)
class Button:
    label: str
    action: ButtonAction
    value: str = ""


class ReplyKind(StrEnum):
    MENU = "menu"  # text, then the menu's buttons (scenarios, "Talk to an agent" last)
    ANSWER = "answer"  # a scenario's answer
    QUESTION = "question"  # a scenario's question
    SUGGESTIONS = "suggestions"  # "did you mean …?"
    NO_MATCH = "no_match"
    TRIAGE_QUESTION = "triage_question"  # with "Skip" where allowed and "Fill in the form"
    OFFER = "offer"  # "Would you like to talk to a person?"
    NOTE = "note"  # a plain line ("OK, I won't hand you over.")


@dataclass(frozen=True)
class Reply:
    kind: ReplyKind
    text: str
    buttons: tuple[Button, ...] = ()
    # The menu with the bot's greeting (not another text): outside business hours it gets a note.
    greeting: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class TriageAnswer:
    """One triage question's outcome, as shown on the ticket (labels copied: config may change later)."""

    question_id: str
    label: str
    answer: str | None  # None: skipped or not asked
    source: str  # "typed", "form", "slack" (prefilled), "skipped", "not_asked"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.question_id, "label": self.label, "answer": self.answer, "source": self.source}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TriageAnswer:
        return cls(str(data.get("id", "")), str(data.get("label", "")), data.get("answer"), str(data.get("source", "")))


@dataclass(frozen=True)
class Handover:
    """The bot hands the customer to a person: the ticket's reason, triage answers and frustration score."""

    reason: EscalationReason
    triage: tuple[TriageAnswer, ...] = ()
    frustration_score: float | None = None
    scenario_id: str | None = None  # the scenario it came from, if any (routing: its skills)
    signals: tuple[str, ...] = ()  # what fired the offer or the escalation (frustration's or stuck's signals)


MAX_SCENARIO_TEXTS = 6
SCENARIO_TEXT_LIMIT = 500  # characters of each; a symptom is named near the start of a message


@dataclass(frozen=True)
class BotState:
    """Where the customer is with the bot; saved as JSON on the conversation."""

    scenario_id: str | None = None  # a scenario question waiting for an answer
    step_id: str | None = None
    scenario_answers: dict[str, str] = field(default_factory=dict)
    misses: int = 0  # unmatched messages in a row
    suggestions: tuple[str, ...] = ()  # the last "did you mean" guesses
    triage_reason: str | None = None  # set while triage questions are being asked
    triage_answers: dict[str, dict[str, Any]] = field(default_factory=dict)  # question ID → TriageAnswer JSON
    triage_done: bool = False  # triage_first: the opening questions were answered (or declined)
    recent: tuple[str, ...] = ()  # the customer's latest texts, for frustration
    greeted: bool = False  # the conversation's first message has been answered
    offered: bool = False  # a person was offered for the current frustration
    frustration_score: float | None = None
    signals: tuple[str, ...] = ()  # what fired the latest frustration or stuck reading that offered a person
    stuck: StuckState = field(default_factory=StuckState)  # core.stuck: what this visit went through
    stuck_fired: tuple[str, ...] = ()  # stuck signals fired during the current turn (cleared at its end)
    stuck_offered: bool = False  # a person was offered (or handed over) for being stuck, once a conversation
    # What the customer wrote during the current scenario (the message that started it, typed
    # answers), for a diagnosis's phrases: the latest MAX_SCENARIO_TEXTS, each cut to SCENARIO_TEXT_LIMIT.
    scenario_texts: tuple[str, ...] = ()
    # The scenario a hand-over came from, kept while triage asks its questions (its skills, routing).
    handover_scenario: str | None = None

    @property
    def in_triage(self) -> bool:
        return self.triage_reason is not None

    def fresh(self) -> BotState:
        """Out of any scenario, guess or run of misses (mood and triage kept)."""
        return replace(
            self, scenario_id=None, step_id=None, scenario_answers={}, misses=0, suggestions=(), scenario_texts=()
        )

    def wrote(self, text: str) -> BotState:
        """The state with `text` kept among the scenario's texts (bounded: the state is saved every turn)."""
        kept = (*self.scenario_texts, text.strip()[:SCENARIO_TEXT_LIMIT])
        return replace(self, scenario_texts=kept[-MAX_SCENARIO_TEXTS:])

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario_id": self.scenario_id,
            "step_id": self.step_id,
            "scenario_answers": dict(self.scenario_answers),
            "misses": self.misses,
            "suggestions": list(self.suggestions),
            "triage_reason": self.triage_reason,
            "triage_answers": dict(self.triage_answers),
            "triage_done": self.triage_done,
            "recent": list(self.recent),
            "greeted": self.greeted,
            "offered": self.offered,
            "frustration_score": self.frustration_score,
            "scenario_texts": list(self.scenario_texts),
            "handover_scenario": self.handover_scenario,
            "signals": list(self.signals),
            "stuck": self.stuck.to_json(),
            "stuck_offered": self.stuck_offered,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> BotState:
        if not data:
            return cls()
        score = data.get("frustration_score")
        return cls(
            scenario_id=data.get("scenario_id"),
            step_id=data.get("step_id"),
            scenario_answers=dict(data.get("scenario_answers") or {}),
            misses=int(data.get("misses") or 0),
            suggestions=tuple(data.get("suggestions") or ()),
            triage_reason=data.get("triage_reason"),
            triage_answers=dict(data.get("triage_answers") or {}),
            triage_done=bool(data.get("triage_done")),
            recent=tuple(data.get("recent") or ()),
            greeted=bool(data.get("greeted")),
            offered=bool(data.get("offered")),
            frustration_score=float(score) if score is not None else None,
            scenario_texts=tuple(str(t) for t in data.get("scenario_texts") or ())[-MAX_SCENARIO_TEXTS:],
            handover_scenario=data.get("handover_scenario"),
            signals=tuple(str(s) for s in data.get("signals") or ()),
            stuck=StuckState.from_json(data.get("stuck")),
            stuck_offered=bool(data.get("stuck_offered")),
        )


@dataclass(frozen=True)
class CauseScore:
    """One likely cause of a diagnosis: how strongly the answers and words point to it, and which did."""

    cause_id: str
    title: str
    score: float  # 0..1
    evidence: tuple[str, ...] = ()  # e.g. "Is the Wi-Fi light on? → Off", "said “driver”"
    answer: str = ""  # the answer configured for this cause, as the customer would see it


@dataclass(frozen=True)
class Diagnosis:
    """The likeliest cause and the next one (core.diagnosis scores them)."""

    best: CauseScore
    runner_up: CauseScore | None = None
    threshold: float = 0.0  # the diagnose step's: below it the bot does not trust `best`

    @property
    def sure(self) -> bool:
        """The best cause clears the threshold and is not tied with the runner-up."""
        tied = self.runner_up is not None and self.runner_up.score >= self.best.score
        return self.best.score > 0 and self.best.score >= self.threshold and not tied


@dataclass(frozen=True)
class Proposal:
    """A supervised scenario's answer, held back until an agent approves it (nothing here is sent)."""

    scenario_id: str
    scenario_title: str
    text: str  # the answer exactly as the customer would see it
    answers: tuple[tuple[str, str], ...] = ()  # (the bot's question, the customer's answer), in order
    diagnosis: Diagnosis | None = None


@dataclass(frozen=True)
class BotTurn:
    state: BotState
    replies: tuple[Reply, ...] = ()
    handover: Handover | None = None
    proposal: Proposal | None = None  # supervised: an answer for an agent to approve; replies say so


class BotResponder(Protocol):
    """Decides the bot's turns; `BotEngine` is the configured one, tests may bring their own."""

    def respond(self, state: BotState, received: BotInput, facts: CustomerFacts) -> BotTurn: ...

    def menu(self, text: str | None = None) -> Reply: ...

    def answer(self, text: str) -> Reply: ...

    @property
    def needs_customer_facts(self) -> bool: ...

    def form_questions(self, state: BotState, facts: CustomerFacts) -> list[tuple[TriageQuestion, str | None]]: ...

    def form_errors(self, answers: Mapping[str, str]) -> dict[str, str]: ...
