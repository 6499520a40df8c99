"""What the configuration file may hold, as pydantic models (the YAML keys, in the file's order).

The models are strict: YAML's guesses don't slip through (`escalate: 'yes'` is text, not true;
`no_match_limit: 2.5` is not a whole number), unknown keys are refused, and a key written with no
value is an error (leave it out for the default). Texts are read as written (`title: 1.10`).
Checks between keys (a `goto` to an existing step, no duplicate IDs, …) are the models' own
validators, in `scenario_rules.py`. `load.py` turns a valid file into `core.bot_config` objects.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from handoff_slack.config import scenario_rules
from handoff_slack.config.errors import NO_VALUE, Expected, Says, rule
from handoff_slack.config.waiting_schema import IdleCloseEntry, QueueUpdatesEntry, WaitingTimeoutEntry
from handoff_slack.config.yaml_source import Scalar
from handoff_slack.core.bot_config import (
    AGENTS_APPROVE,
    DEFAULT_DIAGNOSIS_THRESHOLD,
    DEFAULT_UNSURE_MESSAGE,
    AssistMode,
    BotConfig,
    EscalationConfig,
    FrustrationAction,
    FrustrationConfig,
    Prefill,
    SatisfactionConfig,
    SharedChannelsConfig,
    SupervisionConfig,
    SupervisionDefault,
    TriageConfig,
    TriageMode,
    Validation,
)
from handoff_slack.core.priority import FrustrationRaise, PriorityConfig
from handoff_slack.core.routing import RoutingConfig, Strategy

ID_PATTERN = r"^[a-z0-9_]{1,40}$"  # IDs travel in Slack button values and block IDs
MAX_BUTTON_TEXT = 75  # Slack's limit for a button's text
MAX_SECTION_TEXT = 3000  # Slack's limit for a section block's text
MAX_LABEL_TEXT = 2000  # Slack's limit for an input block's label (the survey's comment box)
MAX_BUTTONS = 24  # one row of buttons holds 25; one is kept for "Talk to an agent"
MAX_TRIAGE_QUESTIONS = 10  # a longer form is a survey, not triage
MAX_CAUSES = 20  # a diagnosis between more causes is a decision tree: split the scenario
MIN_WEIGHT, MAX_WEIGHT = 0.1, 10


def _as_written(value: object) -> object:
    """A scalar's text as written, whatever YAML made of it: `label: Yes` is the word Yes."""
    return str(value) if isinstance(value, Scalar) else value


def _as_yaml_reads_it(value: object) -> object:
    """A scalar as YAML reads it (true, 2, 0.5); the strict types then refuse the wrong kind."""
    return value.resolved if isinstance(value, Scalar) else value


def _given(value: object) -> object:
    """Optional keys: left out is the default, but `key:` with nothing after it is a mistake."""
    if value is None:
        raise PydanticCustomError(NO_VALUE, "has no value")
    return value


def _validation(value: object) -> object:
    """`email`, or {pattern, message}: the check on a typed answer and what to say when it fails."""
    if isinstance(value, dict):
        return value
    if isinstance(value, Scalar) and str(value) == "email":
        email = Validation.email()
        return {"pattern": email.pattern, "message": email.message}
    got = repr(str(value)) if isinstance(value, Scalar) else "a list" if isinstance(value, tuple) else "nothing"
    raise rule(f"must be email or a mapping with pattern and message, got {got}")


def _compiles(pattern: str) -> str:
    if not pattern.strip():
        raise rule("must not be empty")
    try:
        re.compile(pattern, re.IGNORECASE)
    except re.error as error:
        raise rule(f"invalid regular expression {pattern!r}: {error}") from None
    return pattern


_TEXT = BeforeValidator(_as_written)
_READ = BeforeValidator(_as_yaml_reads_it)
GIVEN = BeforeValidator(_given)

# Constraints come before the validators, so pydantic applies them to the string itself.
SectionText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_SECTION_TEXT), _TEXT, Expected("text")
]
ButtonText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_BUTTON_TEXT), _TEXT, Expected("text")
]
Identifier = Annotated[str, StringConstraints(pattern=ID_PATTERN), _TEXT, Expected("an ID")]
Flag = Annotated[bool, _READ, Expected("true or false")]
Fraction = Annotated[
    float,
    Field(ge=0, le=1, allow_inf_nan=False),
    _READ,
    Expected("a number from 0 to 1"),
    Says(out_of_range="must be between 0 and 1, got {value}"),
]
Count = Annotated[int, Field(ge=0), _READ, Expected("a whole number")]
PositiveCount = Annotated[int, Field(ge=1), _READ, Expected("a whole number")]
RegularExpression = Annotated[str, _TEXT, AfterValidator(_compiles), Expected("a regular expression")]
# A YAML 1.1 word like `off` is the word, not false: enums take the text as written.
Mode = Annotated[TriageMode, Strict(False), _TEXT, Expected.one_of(TriageMode)]
Action = Annotated[FrustrationAction, Strict(False), _TEXT, Expected.one_of(FrustrationAction)]
PrefillFact = Annotated[Prefill, Strict(False), _TEXT, Expected.one_of(Prefill)]


class _Part(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class ValidationRule(_Part):
    pattern: RegularExpression
    message: SectionText


TypedAnswerCheck = Annotated[ValidationRule | None, GIVEN, BeforeValidator(_validation)]


class ChoiceEntry(_Part):
    label: ButtonText
    goto: Identifier


def _one_or_more(value: object) -> object:
    """`wifi_light: Off` or `wifi_light: [Off, Blinking]`: one accepted answer or a list of them."""
    return (value,) if isinstance(value, Scalar) else value


Weight = Annotated[
    float,
    Field(ge=MIN_WEIGHT, le=MAX_WEIGHT, allow_inf_nan=False),
    _READ,
    Expected(f"a number from {MIN_WEIGHT} to {MAX_WEIGHT}"),
    Says(out_of_range=f"must be between {MIN_WEIGHT} and {MAX_WEIGHT}, got {{value}}"),
]
AcceptedAnswers = Annotated[
    tuple[SectionText, ...],
    Field(min_length=1),
    BeforeValidator(_one_or_more),
    Says(too_short="needs at least one accepted answer"),
]


class CauseEntry(_Part):
    """One cause in a `diagnose` step: clues on earlier answers (`when`) and words (`said`)."""

    id: Identifier
    title: ButtonText
    when: Annotated[dict[str, AcceptedAnswers] | None, GIVEN] = None  # step ID -> accepted answers
    said: Annotated[
        tuple[SectionText, ...] | None, GIVEN, Field(min_length=1), Says(too_short="list at least one phrase")
    ] = None
    weights: Annotated[dict[str, Weight] | None, GIVEN] = None  # a `when` step ID or `said` -> weight
    answer: SectionText

    @model_validator(mode="after")
    def _clues(self) -> Self:
        scenario_rules.check_cause(self)
        return self


class DiagnoseEntry(_Part):
    # Its length is checked by `check_causes`: a length constraint here would also report "no
    # causes" whenever one cause has a mistake (pydantic counts the causes that validated).
    causes: tuple[CauseEntry, ...]
    threshold: Fraction = DEFAULT_DIAGNOSIS_THRESHOLD
    unsure: SectionText = DEFAULT_UNSURE_MESSAGE

    @field_validator("causes", mode="after")
    @classmethod
    def _distinct(cls, causes: tuple[CauseEntry, ...]) -> tuple[CauseEntry, ...]:
        scenario_rules.check_causes(causes, MAX_CAUSES)
        return causes


class StepEntry(_Part):
    id: Identifier
    ask: Annotated[SectionText | None, GIVEN] = None
    choices: Annotated[
        tuple[ChoiceEntry, ...] | None,
        GIVEN,
        Field(min_length=1, max_length=MAX_BUTTONS),
        Says(
            too_short="a question with choices needs at least one choice",
            too_long="at most {max_length} choices fit in one row of buttons, got {actual_length}",
        ),
    ] = None
    expect: TypedAnswerCheck = None
    goto: Annotated[Identifier | None, GIVEN] = None
    answer: Annotated[SectionText | None, GIVEN] = None
    escalate: Flag = False
    diagnose: Annotated[DiagnoseEntry | None, GIVEN] = None

    @model_validator(mode="after")
    def _question_or_answer(self) -> Self:
        scenario_rules.check_step(self)
        return self


class ScenarioEntry(_Part):
    id: Identifier
    title: ButtonText
    triggers: Annotated[
        tuple[SectionText, ...], Field(min_length=1), Says(too_short="a scenario needs at least one trigger")
    ]
    answer: Annotated[SectionText | None, GIVEN] = None
    escalate: Flag = False
    steps: Annotated[
        tuple[StepEntry, ...] | None, GIVEN, Field(min_length=1), Says(too_short="a scenario needs at least one step")
    ] = None
    supervised: Annotated[Flag | None, GIVEN] = None  # left out: as supervision.default says

    @model_validator(mode="after")
    def _a_conversation_that_ends(self) -> Self:
        scenario_rules.check_scenario(self)
        return self


class QuestionEntry(_Part):
    id: Identifier
    label: ButtonText
    prompt: SectionText
    validation: Annotated[TypedAnswerCheck, Field(alias="validate")] = None
    skippable: Flag = False
    prefill: Annotated[PrefillFact | None, GIVEN] = None
    multiline: Flag = False


_TRIAGE = TriageConfig()


class TriageEntry(_Part):
    mode: Mode = _TRIAGE.mode
    intro: SectionText = _TRIAGE.intro
    questions: Annotated[
        tuple[QuestionEntry, ...],
        Field(max_length=MAX_TRIAGE_QUESTIONS),
        Says(too_long="at most {max_length} triage questions, got {actual_length}"),
    ] = ()

    @field_validator("questions", mode="after")
    @classmethod
    def _distinct(cls, questions: tuple[QuestionEntry, ...]) -> tuple[QuestionEntry, ...]:
        scenario_rules.check_questions(questions)
        return questions


_FRUSTRATION = FrustrationConfig()
_ESCALATION = EscalationConfig()


class FrustrationEntry(_Part):
    action: Action = _FRUSTRATION.action
    window: PositiveCount = _FRUSTRATION.window
    threshold: Fraction = _FRUSTRATION.threshold


class EscalationEntry(_Part):
    no_match_limit: Count = _ESCALATION.no_match_limit
    match_threshold: Fraction = _ESCALATION.match_threshold
    suggest_threshold: Fraction = _ESCALATION.suggest_threshold
    frustration: FrustrationEntry = FrustrationEntry()

    @model_validator(mode="after")
    def _guess_below_match(self) -> Self:
        if self.suggest_threshold > self.match_threshold:
            blame = "suggest_threshold" if "suggest_threshold" in self.model_fields_set else "match_threshold"
            raise rule(
                f"suggest_threshold ({self.suggest_threshold}) must not be above match_threshold "
                f"({self.match_threshold}): a guess needs less similarity than a sure match",
                (blame,),
            )
        return self


_SUPERVISION = SupervisionConfig()
USER_GROUP_PATTERN = r"^S[A-Z0-9]{2,30}$"


def _approvers(value: object) -> object:
    text = str(value) if isinstance(value, Scalar) else value
    if text == AGENTS_APPROVE or (isinstance(text, str) and re.fullmatch(USER_GROUP_PATTERN, text)):
        return text
    raise rule(f"must be {AGENTS_APPROVE} or a user group's ID (S…), got {text!r}")


class SupervisionEntry(_Part):
    default: Annotated[SupervisionDefault, Strict(False), _TEXT, Expected.one_of(SupervisionDefault)] = (
        _SUPERVISION.default
    )
    approvers: Annotated[str, BeforeValidator(_approvers), Expected("agents or a user group ID")] = (
        _SUPERVISION.approvers
    )
    timeout_seconds: Annotated[
        int,
        Field(ge=10, le=86400),
        _READ,
        Expected("a whole number"),
        Says(out_of_range="must be between 10 and 86400 seconds, got {value}"),
    ] = _SUPERVISION.timeout_seconds
    checking_message: SectionText = _SUPERVISION.checking_message


_SHARED_CHANNELS = SharedChannelsConfig()
EMOJI_NAME = re.compile(r"[a-z0-9_+'\-]{1,100}")  # Slack's custom emoji names: lower case, digits, _ - + '


def _emoji_name(value: object) -> object:
    """`ticket` or `:ticket:`: the name Slack sends in reaction events (no colons)."""
    text = str(value) if isinstance(value, Scalar) else _given(value)
    if isinstance(text, str):
        name = text.strip().removeprefix(":").removesuffix(":")
        if EMOJI_NAME.fullmatch(name):
            return name
    raise rule(f"must be an emoji's name like ticket or :ticket: (lower case, digits, _ - + '), got {text!r}")


class SharedChannelsEntry(_Part):
    ticket_emoji: Annotated[str, BeforeValidator(_emoji_name), Expected("an emoji's name")] = (
        _SHARED_CHANNELS.ticket_emoji
    )


class PriorityName(StrEnum):
    """The levels as the file names them (core.priority.Priority)."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


USER_ID_PATTERN = r"^[UW][A-Z0-9]{2,30}$"
TEAM_ID_PATTERN = r"^[TE][A-Z0-9]{2,30}$"


def _slack_id(pattern: str, what: str) -> AfterValidator:
    def check(value: str) -> str:
        if re.fullmatch(pattern, value) is None:
            raise rule(f"must be {what}, got {value!r}")
        return value

    return AfterValidator(check)


Level = Annotated[PriorityName, Strict(False), _TEXT, Expected.one_of(PriorityName)]
UserId = Annotated[str, _TEXT, _slack_id(USER_ID_PATTERN, "a Slack user ID (U… or W…)"), Expected("a user ID")]
TeamId = Annotated[
    str, _TEXT, _slack_id(TEAM_ID_PATTERN, "a Slack team ID of an organisation (T… or E…)"), Expected("a team ID")
]
_PRIORITY = PriorityConfig()


class PriorityTriageEntry(_Part):
    """A triage answer that sets the level: `question`'s answer contains one of `answers`."""

    question: Identifier
    answers: AcceptedAnswers
    level: Level


class VipEntry(_Part):
    users: Annotated[tuple[UserId, ...], GIVEN, Expected("a list of user IDs")] = ()
    organisations: Annotated[tuple[TeamId, ...], GIVEN, Expected("a list of team IDs")] = ()
    level: Level = PriorityName(_PRIORITY.vip_level.label)


class PriorityEntry(_Part):
    triage: Annotated[tuple[PriorityTriageEntry, ...], GIVEN, Expected("a list of rules")] = ()
    vip: VipEntry = VipEntry()
    frustration: Annotated[FrustrationRaise, Strict(False), _TEXT, Expected.one_of(FrustrationRaise)] = (
        _PRIORITY.frustration
    )


_ROUTING = RoutingConfig()


OfferTimeout = Annotated[
    int,
    Field(ge=10, le=3600),
    _READ,
    Expected("a whole number"),
    Says(out_of_range="must be between 10 and 3600 seconds, got {value}"),
]
FallbackWait = Annotated[
    int,
    Field(ge=10, le=86400),
    _READ,
    Expected("a whole number"),
    Says(out_of_range="must be between 10 and 86400 seconds, got {value}"),
]


class RoutingEntry(_Part):
    """Who is offered a waiting ticket (core.routing): manual keeps today's Claim button alone."""

    strategy: Annotated[Strategy, Strict(False), _TEXT, Expected.one_of(Strategy)] = _ROUTING.strategy
    offer_timeout_seconds: OfferTimeout = _ROUTING.offer_timeout_seconds
    fallback_after_seconds: FallbackWait = _ROUTING.fallback_after_seconds


_SATISFACTION = SatisfactionConfig()
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_LABEL_TEXT), _TEXT, Expected("text")
]


class SatisfactionEntry(_Part):
    """The survey after a close (core.satisfaction): on or off, and its wording."""

    enabled: Flag = _SATISFACTION.enabled
    question: SectionText = _SATISFACTION.question
    thanks: SectionText = _SATISFACTION.thanks
    comment_prompt: ShortText = _SATISFACTION.comment_prompt


_BOT = BotConfig()


class BotFile(_Part):
    """The whole file; every key is optional."""

    greeting: SectionText = _BOT.greeting
    talk_to_agent_label: ButtonText = _BOT.talk_to_agent_label
    no_match: SectionText = _BOT.no_match
    scenarios: Annotated[
        tuple[ScenarioEntry, ...],
        Field(max_length=MAX_BUTTONS),
        Says(too_long="at most {max_length} scenarios fit in the menu, got {actual_length}"),
    ] = ()
    triage: TriageEntry = TriageEntry()
    escalation: EscalationEntry = EscalationEntry()
    supervision: SupervisionEntry = SupervisionEntry()
    assist: Annotated[AssistMode, Strict(False), _TEXT, Expected.one_of(AssistMode)] = _BOT.assist
    shared_channels: SharedChannelsEntry = SharedChannelsEntry()
    priority: PriorityEntry = PriorityEntry()
    routing: RoutingEntry = RoutingEntry()
    satisfaction: SatisfactionEntry = SatisfactionEntry()
    waiting_timeout: WaitingTimeoutEntry = WaitingTimeoutEntry()  # config.waiting_schema
    queue_updates: QueueUpdatesEntry = QueueUpdatesEntry()
    idle_close: IdleCloseEntry = IdleCloseEntry()

    @field_validator("scenarios", mode="after")
    @classmethod
    def _distinct(cls, scenarios: tuple[ScenarioEntry, ...]) -> tuple[ScenarioEntry, ...]:
        scenario_rules.check_scenarios(scenarios)
        return scenarios

    @model_validator(mode="after")
    def _priority_of_asked_questions(self) -> Self:
        """A priority rule's question is one of the triage questions."""
        asked = [question.id for question in self.triage.questions]
        for index, entry in enumerate(self.priority.triage):
            if entry.question not in asked:
                known = f"the triage questions are: {', '.join(asked)}" if asked else "there are no triage questions"
                at = ("priority", "triage", index, "question")
                raise rule(f"no triage question {entry.question!r} ({known})", at)
        return self
