"""The `reminders` section of the bot's YAML file (core.reminders): the reminder steps of a waiting
ticket and the first-response targets per priority. Strict like config.schema: wrong kinds, unknown
keys and keys with no value stop start-up with the line and key."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, model_validator
from pydantic_core import PydanticCustomError

from handoff_slack.config.errors import NO_VALUE, Expected, Says, rule
from handoff_slack.config.yaml_source import Scalar
from handoff_slack.core.priority import Priority
from handoff_slack.core.reminders import DEFAULT_STEPS, DEFAULT_TARGETS, Mention, RaiseBy, ReminderStep

MAX_MINUTES = 10080  # a week: a longer wait is no reminder
MAX_STEPS = 10


def _as_yaml_reads_it(value: object) -> object:
    return value.resolved if isinstance(value, Scalar) else value


def _as_written(value: object) -> object:
    return str(value) if isinstance(value, Scalar) else value


def _given(value: object) -> object:
    if value is None:
        raise PydanticCustomError(NO_VALUE, "has no value")
    return value


Minutes = Annotated[
    int,
    Field(ge=1, le=MAX_MINUTES),
    BeforeValidator(_as_yaml_reads_it),
    Expected("a whole number"),
    Says(out_of_range=f"must be between 1 and {MAX_MINUTES} minutes, got {{value}}"),
]


class RaiseName(StrEnum):
    """What a step's `raise_priority` may say: one level up, or a level."""

    ONE_LEVEL = RaiseBy.ONE_LEVEL.value
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Part(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class ReminderStepEntry(Part):
    after_minutes: Minutes
    mention: Annotated[Mention, Strict(False), BeforeValidator(_as_written), Expected.one_of(Mention)] = Mention.AGENTS
    raise_priority: Annotated[
        RaiseName | None,
        Strict(False),
        BeforeValidator(_given),
        BeforeValidator(_as_written),
        Expected.one_of(RaiseName),
    ] = None

    def step(self) -> ReminderStep:
        raise_to: Priority | RaiseBy | None = None
        if self.raise_priority is RaiseName.ONE_LEVEL:
            raise_to = RaiseBy.ONE_LEVEL
        elif self.raise_priority is not None:
            raise_to = Priority[self.raise_priority.name]
        return ReminderStep(timedelta(minutes=self.after_minutes), self.mention, raise_to)


def _default_minutes(level: Priority) -> int:
    return int(DEFAULT_TARGETS[level].total_seconds() // 60)


class FirstResponseEntry(Part):
    """Minutes from entering the queue to the first claim, per priority."""

    urgent: Minutes = _default_minutes(Priority.URGENT)
    high: Minutes = _default_minutes(Priority.HIGH)
    normal: Minutes = _default_minutes(Priority.NORMAL)
    low: Minutes = _default_minutes(Priority.LOW)


def _default_step_entries() -> tuple[ReminderStepEntry, ...]:
    entries = []
    for step in DEFAULT_STEPS:
        minutes = int(step.after.total_seconds() // 60)
        entries.append(ReminderStepEntry(after_minutes=minutes, mention=step.mention))
    return tuple(entries)


class RemindersEntry(Part):
    """`steps`: in order of `after_minutes` (each later than the one before); `[]` sends no reminders."""

    steps: Annotated[
        tuple[ReminderStepEntry, ...],
        BeforeValidator(_given),
        Field(max_length=MAX_STEPS),
        Expected("a list of steps"),
        Says(too_long="at most {max_length} steps, got {actual_length}"),
    ] = Field(default_factory=_default_step_entries)
    first_response_minutes: FirstResponseEntry = FirstResponseEntry()

    @model_validator(mode="after")
    def _in_order(self) -> Self:
        for index in range(1, len(self.steps)):
            before, this = self.steps[index - 1].after_minutes, self.steps[index].after_minutes
            if this <= before:
                problem = f"must be later than the step before it ({before} minutes), got {this}"
                raise rule(problem, ("steps", index, "after_minutes"))
        return self
