"""Who may be offered a waiting ticket: a plain decision from plain values (no SQL, no Slack).

An agent is eligible for a ticket when they are available with room (as routing always required)
and pass its filters:

- **Language**: a ticket with a language goes to agents who speak it, compared by the primary
  language (an agent with `pt-BR` speaks a `pt` ticket, one with `pt` a `pt-BR` ticket). An agent
  with *no languages set* counts as speaking any: most teams never set them, and the customer's
  Slack locale gives nearly every ticket a language, so the opposite would leave such teams with
  nobody eligible. Setting languages narrows an agent to them. A ticket with no language: anyone.
- **Skills**: the agent has every one of the ticket's skills. An agent with no skills takes only
  tickets that need none (a skill is a specialty the ticket requires, unlike a spoken language).
- **Time zone** (`routing.time_zone_hours`, off by default): the agent's UTC offset is within that
  many hours of the customer's (both as Slack gives them, `tz_offset`). An offset that is not known,
  on either side, does not exclude anyone.

`eligibility` gives one agent's decision with every reason they fail (routing offers among those
who pass; `/handoff-queue` names them per line through core.queue_eligibility, and cuts `mine` by
the same rule in SQL, storage.queue_topics); `eligible_agents` the IDs that pass, sorted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

HOUR_SECONDS = 3600


class Unfit(StrEnum):
    """Why an agent is not eligible for a ticket."""

    UNAVAILABLE = "unavailable"  # away or offline (or never said they are on)
    FULL = "full"  # at capacity (open conversations and offers awaiting their answer)
    LANGUAGE = "language"
    SKILLS = "skills"
    TIME_ZONE = "time_zone"


FILTERS = frozenset({Unfit.LANGUAGE, Unfit.SKILLS, Unfit.TIME_ZONE})


@dataclass(frozen=True)
class TicketNeeds:
    """What a ticket asks of its agent (stored on the ticket; core.routing_filters derives it)."""

    language: str | None = None  # a code like de or pt-BR; None: any
    skills: tuple[str, ...] = ()
    utc_offset: int | None = None  # the customer's, in seconds east of UTC; None: unknown

    def filters(self, time_zone_hours: int | None) -> bool:
        """Whether any filter applies to this ticket at all."""
        zoned = time_zone_hours is not None and self.utc_offset is not None
        return self.language is not None or bool(self.skills) or zoned


class EligibleAgent(Protocol):
    """An agent as eligibility sees them (core.routing.Candidate is one)."""

    @property
    def user_id(self) -> str: ...
    @property
    def available(self) -> bool: ...
    @property
    def has_room(self) -> bool: ...
    @property
    def languages(self) -> tuple[str, ...]: ...
    @property
    def skills(self) -> tuple[str, ...]: ...
    @property
    def utc_offset(self) -> int | None: ...


@dataclass(frozen=True)
class Eligibility:
    user_id: str
    unfit: tuple[Unfit, ...] = ()  # every reason, in Unfit's order; empty: eligible

    @property
    def eligible(self) -> bool:
        return not self.unfit

    @property
    def fits_filters(self) -> bool:
        """Passes language, skills and time zone (availability and room aside)."""
        return not FILTERS.intersection(self.unfit)


def primary_language(code: str) -> str:
    return code.split("-", 1)[0].lower()


def speaks(languages: Iterable[str], language: str | None) -> bool:
    """Whether an agent with `languages` takes a ticket in `language` (no languages: any)."""
    spoken = {primary_language(code) for code in languages}
    return language is None or not spoken or primary_language(language) in spoken


def has_skills(skills: Iterable[str], needed: Iterable[str]) -> bool:
    return set(needed) <= set(skills)


def within_hours(agent_offset: int | None, customer_offset: int | None, hours: int | None) -> bool:
    if hours is None or agent_offset is None or customer_offset is None:
        return True
    return abs(agent_offset - customer_offset) <= hours * HOUR_SECONDS


def eligibility(needs: TicketNeeds, agent: EligibleAgent, time_zone_hours: int | None = None) -> Eligibility:
    """One agent's decision for one ticket, with every reason they fail."""
    unfit = []
    if not agent.available:
        unfit.append(Unfit.UNAVAILABLE)
    if not agent.has_room:
        unfit.append(Unfit.FULL)
    if not speaks(agent.languages, needs.language):
        unfit.append(Unfit.LANGUAGE)
    if not has_skills(agent.skills, needs.skills):
        unfit.append(Unfit.SKILLS)
    if not within_hours(agent.utc_offset, needs.utc_offset, time_zone_hours):
        unfit.append(Unfit.TIME_ZONE)
    return Eligibility(agent.user_id, tuple(unfit))


def eligible_agents(
    needs: TicketNeeds, agents: Iterable[EligibleAgent], time_zone_hours: int | None = None
) -> list[str]:
    """The IDs of the agents eligible for the ticket, sorted (the queue's "eligible agents")."""
    return sorted(agent.user_id for agent in agents if eligibility(needs, agent, time_zone_hours).eligible)
