"""`/handoff-queue`'s cuts by what tickets ask of their agent (storage.queue_pages uses them):
`lang:` (the ticket's language, by primary language as core.eligibility compares them: `pt` keeps
`pt` and `pt-BR`), `skill:` (the ticket needs one of them) and `mine` (the agent is eligible for the
ticket by core.eligibility's filters, or routing dropped its filters: core.queue_eligibility).

Skills are read from `ticket_skill` (a row per skill, written with the ticket) with EXISTS / NOT
EXISTS: the same SQL on SQLite and PostgreSQL. Languages are stored as core.agent_profiles writes
them (primary in lower case, then `-REGION`), so a primary language is `= 'pt' OR LIKE 'pt-%'`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, exists, or_, select
from sqlmodel import SQLModel

from handoff_slack.core.eligibility import HOUR_SECONDS, primary_language
from handoff_slack.core.queue_filter import AgentFit, QueueFilter
from handoff_slack.storage.models import ticket_table
from handoff_slack.storage.routing_tables import RoutingRoundRow, ticket_skill_table

_tickets = ticket_table
_skills = ticket_skill_table
_rounds: Table = SQLModel.metadata.tables[RoutingRoundRow.__tablename__]
_ITS_SKILLS = _skills.c.ticket_id == _tickets.c.id


def topic_conditions(cut: QueueFilter) -> list[ColumnElement[bool]]:
    """The WHERE conditions on `ticket` for the cut's `lang:`, `skill:` and `mine` (none: no cut)."""
    found: list[ColumnElement[bool]] = []
    if cut.languages:
        found.append(in_languages(cut.languages))
    if cut.skills:
        found.append(exists().where(_ITS_SKILLS, _skills.c.skill.in_(cut.skills)))
    if cut.mine is not None:
        found.append(eligible(cut.mine))
    return found


def in_languages(codes: Iterable[str]) -> ColumnElement[bool]:
    """The ticket's language has the primary language of one of `codes`."""
    language = _tickets.c.language
    primaries = sorted({primary_language(code) for code in codes})
    return or_(*(or_(language == primary, language.like(f"{primary}-%")) for primary in primaries))


def eligible(agent: AgentFit) -> ColumnElement[bool]:
    """core.eligibility's filters for `agent` (availability and room aside), or filters dropped."""
    fits: list[ColumnElement[bool]] = []
    if agent.languages:  # an agent with no languages speaks any (core.eligibility.speaks)
        fits.append(or_(_tickets.c.language.is_(None), in_languages(agent.languages)))
    # Every skill the ticket needs is the agent's: no skill of the ticket is outside theirs.
    lacking: list[Any] = [_ITS_SKILLS]
    if agent.skills:
        lacking.append(_skills.c.skill.not_in(agent.skills))
    fits.append(~exists().where(*lacking))
    if agent.time_zone_hours is not None and agent.utc_offset is not None:
        window = agent.time_zone_hours * HOUR_SECONDS
        offset = _tickets.c.customer_utc_offset
        fits.append(or_(offset.is_(None), offset.between(agent.utc_offset - window, agent.utc_offset + window)))
    return or_(and_(*fits), FILTERS_DROPPED)


# Routing dropped the ticket's filters: offered to everyone available (core.queue_eligibility).
FILTERS_DROPPED = exists(
    select(_rounds.c.ticket_id).where(_rounds.c.ticket_id == _tickets.c.id, _rounds.c.filters_dropped_at.is_not(None))
)
