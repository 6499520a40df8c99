"""The agents' side of the configuration file: `priority` (core.priority) and `routing`
(core.routing, its filters core.routing_filters), as pydantic models like schema.py's."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, Strict

from handoff_slack.config.errors import Expected, Says, rule
from handoff_slack.config.schema import (
    GIVEN,
    READ,
    TEXT,
    AcceptedAnswers,
    Identifier,
    Part,
    SkillTags,
)
from handoff_slack.core.agent_profiles import InvalidProfile, language_from
from handoff_slack.core.priority import FrustrationRaise, PriorityConfig
from handoff_slack.core.routing import RoutingConfig, Strategy
from handoff_slack.core.transfer_config import TransferConfig


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


Level = Annotated[PriorityName, Strict(False), TEXT, Expected.one_of(PriorityName)]
UserId = Annotated[str, TEXT, _slack_id(USER_ID_PATTERN, "a Slack user ID (U… or W…)"), Expected("a user ID")]
TeamId = Annotated[
    str, TEXT, _slack_id(TEAM_ID_PATTERN, "a Slack team ID of an organisation (T… or E…)"), Expected("a team ID")
]
_PRIORITY = PriorityConfig()


class PriorityTriageEntry(Part):
    """A triage answer that sets the level: `question`'s answer contains one of `answers`."""

    question: Identifier
    answers: AcceptedAnswers
    level: Level


class VipEntry(Part):
    users: Annotated[tuple[UserId, ...], GIVEN, Expected("a list of user IDs")] = ()
    organisations: Annotated[tuple[TeamId, ...], GIVEN, Expected("a list of team IDs")] = ()
    level: Level = PriorityName(_PRIORITY.vip_level.label)


class PriorityEntry(Part):
    triage: Annotated[tuple[PriorityTriageEntry, ...], GIVEN, Expected("a list of rules")] = ()
    vip: VipEntry = VipEntry()
    frustration: Annotated[FrustrationRaise, Strict(False), TEXT, Expected.one_of(FrustrationRaise)] = (
        _PRIORITY.frustration
    )


_ROUTING = RoutingConfig()
_FILTERS = _ROUTING.filters


OfferTimeout = Annotated[
    int,
    Field(ge=10, le=3600),
    READ,
    Expected("a whole number"),
    Says(out_of_range="must be between 10 and 3600 seconds, got {value}"),
]
FallbackWait = Annotated[
    int,
    Field(ge=10, le=86400),
    READ,
    Expected("a whole number"),
    Says(out_of_range="must be between 10 and 86400 seconds, got {value}"),
]
ZoneHours = Annotated[
    int,
    Field(ge=0, le=26),
    READ,
    Expected("a whole number"),
    Says(out_of_range="must be between 0 and 26 hours, got {value}"),
]


def _language_code(value: str) -> str:
    try:
        return language_from(value.strip())
    except InvalidProfile:
        raise rule(f"must be a language code like de, fr or pt-BR, got {value!r}") from None


LanguageCode = Annotated[str, TEXT, AfterValidator(_language_code), Expected("a language code")]
LanguagePhrase = Annotated[str, TEXT, AfterValidator(lambda v: v if v.strip() else _empty()), Expected("text")]


def _empty() -> str:
    raise rule("must not be empty")


class SkillRuleEntry(Part):
    """A triage answer that needs skills: `question`'s answer contains one of `answers`."""

    question: Identifier
    answers: AcceptedAnswers
    skills: SkillTags


class RoutingEntry(Part):
    """Who is offered a waiting ticket (core.routing): manual keeps today's Claim button alone."""

    strategy: Annotated[Strategy, Strict(False), TEXT, Expected.one_of(Strategy)] = _ROUTING.strategy
    offer_timeout_seconds: OfferTimeout = _ROUTING.offer_timeout_seconds
    fallback_after_seconds: FallbackWait = _ROUTING.fallback_after_seconds
    # Filters (core.eligibility): the triage question naming the language, and its answers' codes.
    language_question: Annotated[Identifier | None, GIVEN] = None
    languages: Annotated[dict[LanguagePhrase, LanguageCode], GIVEN, Expected("a mapping of answers to codes")] = Field(
        default_factory=dict
    )
    skills: Annotated[tuple[SkillRuleEntry, ...], GIVEN, Expected("a list of rules")] = ()
    time_zone_hours: Annotated[ZoneHours | None, GIVEN] = None
    filters_fallback_after_seconds: FallbackWait = _FILTERS.fallback_after_seconds


class TransfersEntry(Part):
    """An owner's offer of their ticket to another agent (core.transfers)."""

    offer_timeout_seconds: Annotated[
        int,
        Field(ge=60, le=86400),
        READ,
        Expected("a whole number"),
        Says(out_of_range="must be between 60 and 86400 seconds, got {value}"),
    ] = TransferConfig().offer_timeout_seconds
