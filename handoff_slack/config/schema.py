"""What the configuration file may hold, as pydantic models (the YAML keys, in the file's order).

The models are strict: YAML's guesses don't slip through (`escalate: 'yes'` is text, not true;
`no_match_limit: 2.5` is not a whole number), unknown keys are refused, and a key written with no
value is an error (leave it out for the default). Texts are read as written (`title: 1.10`).
Checks between keys (a `goto` to an existing step, no duplicate IDs, …) are the models' own
validators, in `scenario_rules.py`. `load.py` turns a valid file into `core.bot_config` objects.
"""

from __future__ import annotations

import re
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
from handoff_slack.config.yaml_source import Scalar
from handoff_slack.core.agent_profiles import MAX_SKILL_CHARS, MAX_SKILLS, InvalidProfile, skill_from
from handoff_slack.core.bot_config import (
    AGENTS_APPROVE,
    DEFAULT_DIAGNOSIS_THRESHOLD,
    DEFAULT_UNSURE_MESSAGE,
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


TEXT = BeforeValidator(_as_written)
READ = BeforeValidator(_as_yaml_reads_it)
GIVEN = BeforeValidator(_given)

# Constraints come before the validators, so pydantic applies them to the string itself.
SectionText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_SECTION_TEXT), TEXT, Expected("text")
]
ButtonText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_BUTTON_TEXT), TEXT, Expected("text")
]
Identifier = Annotated[str, StringConstraints(pattern=ID_PATTERN), TEXT, Expected("an ID")]
Flag = Annotated[bool, READ, Expected("true or false")]
Fraction = Annotated[
    float,
    Field(ge=0, le=1, allow_inf_nan=False),
    READ,
    Expected("a number from 0 to 1"),
    Says(out_of_range="must be between 0 and 1, got {value}"),
]
Count = Annotated[int, Field(ge=0), READ, Expected("a whole number")]
PositiveCount = Annotated[int, Field(ge=1), READ, Expected("a whole number")]
RegularExpression = Annotated[str, TEXT, AfterValidator(_compiles), Expected("a regular expression")]
# A YAML 1.1 word like `off` is the word, not false: enums take the text as written.
Mode = Annotated[TriageMode, Strict(False), TEXT, Expected.one_of(TriageMode)]
Action = Annotated[FrustrationAction, Strict(False), TEXT, Expected.one_of(FrustrationAction)]
PrefillFact = Annotated[Prefill, Strict(False), TEXT, Expected.one_of(Prefill)]


class Part(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class ValidationRule(Part):
    pattern: RegularExpression
    message: SectionText


TypedAnswerCheck = Annotated[ValidationRule | None, GIVEN, BeforeValidator(_validation)]


class ChoiceEntry(Part):
    label: ButtonText
    goto: Identifier


def _one_or_more(value: object) -> object:
    """`wifi_light: Off` or `wifi_light: [Off, Blinking]`: one accepted answer or a list of them."""
    return (value,) if isinstance(value, Scalar) else value


Weight = Annotated[
    float,
    Field(ge=MIN_WEIGHT, le=MAX_WEIGHT, allow_inf_nan=False),
    READ,
    Expected(f"a number from {MIN_WEIGHT} to {MAX_WEIGHT}"),
    Says(out_of_range=f"must be between {MIN_WEIGHT} and {MAX_WEIGHT}, got {{value}}"),
]


def _skill_tag(value: str) -> str:
    try:
        return skill_from(value.strip())
    except InvalidProfile:
        raise rule(
            f"must be a skill tag like billing (letters, digits, - and _; at most {MAX_SKILL_CHARS}), got {value!r}"
        ) from None


SkillTag = Annotated[str, TEXT, AfterValidator(_skill_tag), Expected("a skill tag")]
SkillTags = Annotated[
    tuple[SkillTag, ...],
    GIVEN,
    BeforeValidator(_one_or_more),
    Field(min_length=1, max_length=MAX_SKILLS),
    Expected("a list of skill tags"),
    Says(too_short="needs at least one skill", too_long="at most {max_length} skills, got {actual_length}"),
]
AcceptedAnswers = Annotated[
    tuple[SectionText, ...],
    Field(min_length=1),
    BeforeValidator(_one_or_more),
    Says(too_short="needs at least one accepted answer"),
]


class CauseEntry(Part):
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


class DiagnoseEntry(Part):
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


class StepEntry(Part):
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


class ScenarioEntry(Part):
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
    skills: SkillTags = ()  # routing: a ticket from this scenario needs agents with these skills

    @model_validator(mode="after")
    def _a_conversation_that_ends(self) -> Self:
        scenario_rules.check_scenario(self)
        return self


class QuestionEntry(Part):
    id: Identifier
    label: ButtonText
    prompt: SectionText
    validation: Annotated[TypedAnswerCheck, Field(alias="validate")] = None
    skippable: Flag = False
    prefill: Annotated[PrefillFact | None, GIVEN] = None
    multiline: Flag = False


_TRIAGE = TriageConfig()


class TriageEntry(Part):
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


class FrustrationEntry(Part):
    action: Action = _FRUSTRATION.action
    window: PositiveCount = _FRUSTRATION.window
    threshold: Fraction = _FRUSTRATION.threshold


class EscalationEntry(Part):
    no_match_limit: Count = _ESCALATION.no_match_limit
    match_threshold: Fraction = _ESCALATION.match_threshold
    suggest_threshold: Fraction = _ESCALATION.suggest_threshold
    frustration: FrustrationEntry = FrustrationEntry()
    stuck: Action = _ESCALATION.stuck  # offer | escalate | off, as frustration's action

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


class SupervisionEntry(Part):
    default: Annotated[SupervisionDefault, Strict(False), TEXT, Expected.one_of(SupervisionDefault)] = (
        _SUPERVISION.default
    )
    approvers: Annotated[str, BeforeValidator(_approvers), Expected("agents or a user group ID")] = (
        _SUPERVISION.approvers
    )
    timeout_seconds: Annotated[
        int,
        Field(ge=10, le=86400),
        READ,
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


class SharedChannelsEntry(Part):
    ticket_emoji: Annotated[str, BeforeValidator(_emoji_name), Expected("an emoji's name")] = (
        _SHARED_CHANNELS.ticket_emoji
    )


_SATISFACTION = SatisfactionConfig()
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_LABEL_TEXT), TEXT, Expected("text")
]


class SatisfactionEntry(Part):
    """The survey after a close (core.satisfaction): on or off, and its wording."""

    enabled: Flag = _SATISFACTION.enabled
    question: SectionText = _SATISFACTION.question
    thanks: SectionText = _SATISFACTION.thanks
    comment_prompt: ShortText = _SATISFACTION.comment_prompt
