"""What the bot knows and how it behaves, as support teams configure it (no YAML or Slack here).

`handoff_slack.config_file` reads and validates the YAML file into these objects; the bot's
conversation engine (`core.bot`) only ever sees them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from handoff_slack.core.business_hours import BusinessHours
from handoff_slack.core.priority import PriorityConfig
from handoff_slack.core.reminders import RemindersConfig
from handoff_slack.core.routing import RoutingConfig
from handoff_slack.core.transfer_config import TransferConfig
from handoff_slack.core.waiting_config import WaitingTimersConfig

# One reasonable e-mail shape: something@something.tld (no spaces). Deliverability is not ours to judge.
EMAIL_PATTERN = r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]{2,}$"


class TriageMode(StrEnum):
    OFF = "off"  # no triage questions
    TRIAGE_FIRST = "triage_first"  # every new conversation: questions, then a person (help-desk call)
    BEFORE_HANDOFF = "before_handoff"  # questions only once the bot has decided to hand over


class FrustrationAction(StrEnum):
    OFFER = "offer"  # ask "Would you like to talk to a person?" with buttons
    ESCALATE = "escalate"  # hand over at once
    OFF = "off"  # don't measure


class Prefill(StrEnum):
    """Facts Slack already knows about a customer, used instead of asking."""

    PROFILE_NAME = "profile_name"  # the Slack profile's display or real name
    ORGANISATION = "organisation"  # the customer's organisation, for Slack Connect customers


@dataclass(frozen=True)
class Validation:
    """A check on a typed answer; `message` tells the customer what was wrong."""

    pattern: str
    message: str

    def accepts(self, value: str) -> bool:
        return re.fullmatch(self.pattern, value.strip(), flags=re.IGNORECASE) is not None

    @classmethod
    def email(cls, message: str = "That doesn't look like an e-mail address (like name@example.com).") -> Validation:
        return cls(EMAIL_PATTERN, message)


@dataclass(frozen=True)
class Choice:
    """A button on a scenario question; typing its label works too."""

    label: str
    goto: str  # the ID of the scenario step that follows


DEFAULT_DIAGNOSIS_THRESHOLD = 0.5
DEFAULT_UNSURE_MESSAGE = "I'm not sure what's causing this, so I'm passing you to a colleague with what you've told me."
PLACEHOLDER = re.compile(r"\{([a-z0-9_]{1,40})\}")


def fill(template: str, answers: Mapping[str, str]) -> str:
    """`{step_id}` in an answer or question replaced by the customer's answer to that step."""
    return PLACEHOLDER.sub(lambda m: answers.get(m.group(1), m.group(0)), template)


@dataclass(frozen=True)
class AnswerClue:
    """A cause's condition on an earlier answer: the step's answer is one of `accepted`.

    For a question with choices, `accepted` are choice labels; for a typed answer, phrases the
    answer contains (core.diagnosis says how words are compared).
    """

    step_id: str
    accepted: tuple[str, ...]
    weight: float = 1.0


@dataclass(frozen=True)
class Cause:
    """One possible cause in a `diagnose` step: the clues that point to it and the answer for it."""

    id: str
    title: str  # shown to agents ("A network driver problem")
    answer: str  # what the customer is told when this is the likely cause
    when: tuple[AnswerClue, ...] = ()
    said: tuple[str, ...] = ()  # phrases in what the customer wrote during the scenario; any one counts
    said_weight: float = 1.0


@dataclass(frozen=True)
class Diagnose:
    """A scenario's last step that works out the likely cause from the answers (core.diagnosis)."""

    causes: tuple[Cause, ...]
    threshold: float = DEFAULT_DIAGNOSIS_THRESHOLD  # a best score below this: the bot is not sure
    unsure: str = DEFAULT_UNSURE_MESSAGE  # said before handing over when it is not (unsupervised)


@dataclass(frozen=True)
class Step:
    """One step of a scenario: a question (buttons or free text), an answer that ends it, or a
    diagnosis that ends it with the answer for the likeliest cause.

    A question with `choices` branches on the choice; a free-text question (optionally checked by
    `expect`) goes on to `goto`. An answer may end with a hand-over (`escalate`). Answer texts may
    quote earlier free-text answers as `{step_id}`.
    """

    id: str
    ask: str | None = None
    choices: tuple[Choice, ...] = ()
    expect: Validation | None = None
    goto: str | None = None
    answer: str | None = None
    escalate: bool = False
    diagnose: Diagnose | None = None

    @property
    def is_question(self) -> bool:
        return self.ask is not None


@dataclass(frozen=True)
class Scenario:
    """Something the bot can help with: found by its triggers, run step by step from the first."""

    id: str
    title: str  # the menu button's label
    triggers: tuple[str, ...]
    steps: tuple[Step, ...]
    supervised: bool | None = None  # None: as `supervision.default` says
    skills: tuple[str, ...] = ()  # routing: a ticket from this scenario needs agents with these

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)


@dataclass(frozen=True)
class TriageQuestion:
    id: str
    label: str  # short: the ticket field and the form's label ("Name")
    prompt: str  # what the bot asks in the DM ("What's your name?")
    validation: Validation | None = None
    skippable: bool = False
    prefill: Prefill | None = None
    multiline: bool = False


@dataclass(frozen=True)
class TriageConfig:
    mode: TriageMode = TriageMode.BEFORE_HANDOFF
    intro: str = "Before I hand you over, a few quick questions so our team doesn't have to ask again."
    questions: tuple[TriageQuestion, ...] = ()


@dataclass(frozen=True)
class FrustrationConfig:
    action: FrustrationAction = FrustrationAction.OFFER
    window: int = 3  # how many of the customer's latest messages are read together
    threshold: float = 0.5  # the score (0..1) at which the customer counts as frustrated


@dataclass(frozen=True)
class EscalationConfig:
    no_match_limit: int = 2  # unmatched messages in a row before the bot hands over; 0 = never
    match_threshold: float = 0.8  # a trigger this similar (0..1) runs its scenario
    suggest_threshold: float = 0.55  # a weaker match than the above, but at least this: "did you mean"
    frustration: FrustrationConfig = field(default_factory=FrustrationConfig)
    # Going nowhere with the bot (core.stuck): offer a person before the customer is frustrated.
    stuck: FrustrationAction = FrustrationAction.OFFER


class SupervisionDefault(StrEnum):
    OFF = "off"  # only scenarios marked `supervised: true` wait for an agent's approval
    ALL = "all"  # every scenario does, unless marked `supervised: false`


AGENTS_APPROVE = "agents"  # anyone in the support channel may approve (else a user group's ID, S…)
DEFAULT_CHECKING_MESSAGE = "Let me check my answer with a colleague before I send it. It won't be long."


@dataclass(frozen=True)
class SupervisionConfig:
    """Supervised mode: the bot's answer waits for an agent's Approve before the customer sees it."""

    default: SupervisionDefault = SupervisionDefault.OFF
    approvers: str = AGENTS_APPROVE  # "agents", or the ID of the user group whose members may decide
    timeout_seconds: int = 300  # unanswered this long: a normal hand-off (reason supervision_timeout)
    checking_message: str = DEFAULT_CHECKING_MESSAGE  # what the customer is told meanwhile


class AssistMode(StrEnum):
    ON = "on"  # while connected, a customer message matching a fixed answer gets a suggested reply for the agent
    OFF = "off"


@dataclass(frozen=True)
class SharedChannelsConfig:
    """Served shared channels (README "For agents and admins"): what turns a customer's message into a ticket."""

    ticket_emoji: str = "ticket"  # an internal person's reaction with it opens a ticket quoting the message


@dataclass(frozen=True)
class SatisfactionConfig:
    """The `satisfaction` section (core.satisfaction): the survey after a close. On by default: a
    support team expects to hear how it did; `enabled: false` sends none."""

    enabled: bool = True
    question: str = "How did we do? Please rate this conversation from 1 (poor) to 5 (excellent)."
    thanks: str = "Thanks for your feedback!"
    comment_prompt: str = "Anything you'd like to add?"


DEFAULT_GREETING = (
    "Hi! I'm the help desk assistant. Tell me what you need, or pick an option below. "
    "You can ask for a person at any time by typing *agent*."
)


@dataclass(frozen=True)
class BotConfig:
    greeting: str = DEFAULT_GREETING
    talk_to_agent_label: str = "Talk to an agent"
    no_match: str = "Sorry, I can't help with that one. Try rephrasing, pick an option below, or talk to a person."
    scenarios: tuple[Scenario, ...] = ()
    triage: TriageConfig = field(default_factory=TriageConfig)
    escalation: EscalationConfig = field(default_factory=EscalationConfig)
    supervision: SupervisionConfig = field(default_factory=SupervisionConfig)
    assist: AssistMode = AssistMode.ON  # agent assist: suggested replies in a connected ticket's thread
    shared_channels: SharedChannelsConfig = field(default_factory=SharedChannelsConfig)
    priority: PriorityConfig = field(default_factory=PriorityConfig)  # core.priority
    routing: RoutingConfig = field(default_factory=RoutingConfig)  # who is offered a waiting ticket
    transfers: TransferConfig = field(default_factory=TransferConfig)  # an owner's offer to another agent
    satisfaction: SatisfactionConfig = field(default_factory=SatisfactionConfig)  # the survey after a close
    business_hours: BusinessHours = field(default_factory=BusinessHours.always_open)  # core.business_hours
    reminders: RemindersConfig = field(default_factory=RemindersConfig)  # core.reminders
    waiting: WaitingTimersConfig = field(default_factory=WaitingTimersConfig)  # core.waiting_config

    def is_supervised(self, scenario: Scenario) -> bool:
        if scenario.supervised is not None:
            return scenario.supervised
        return self.supervision.default is SupervisionDefault.ALL

    def scenario(self, scenario_id: str) -> Scenario | None:
        return next((s for s in self.scenarios if s.id == scenario_id), None)

    def question(self, question_id: str) -> TriageQuestion | None:
        return next((q for q in self.triage.questions if q.id == question_id), None)
