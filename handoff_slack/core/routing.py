"""Routing strategies: who is offered a waiting ticket next, as a plain choice.

`manual` offers nothing (anyone claims with the button, as always). `round_robin` offers the
ticket to the next available agent with room after the last one offered (by user ID, wrapping
round; the pointer is stored, so it survives restarts and is shared by replicas); `least_busy`
to the available agent with the fewest open conversations, ties to the one idle longest (since
their last claim or accept; never is longest). An agent's load counts their connected
conversations and the offers waiting on their answer, so no one is offered more than they can take.
Agents who declined this ticket or let its offer time out are not offered it again: when no one
is left, the round is over and the ticket stays open to anyone's Claim.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from handoff_slack.core.agent_profiles import AgentProfile, Availability
from handoff_slack.core.routing_filters import RoutingFilters


class Strategy(StrEnum):
    MANUAL = "manual"  # today's Claim button only
    ROUND_ROBIN = "round_robin"
    LEAST_BUSY = "least_busy"


DEFAULT_OFFER_TIMEOUT_SECONDS = 120
DEFAULT_FALLBACK_AFTER_SECONDS = 300


@dataclass(frozen=True)
class RoutingConfig:
    """The bot's YAML `routing` section."""

    strategy: Strategy = Strategy.MANUAL
    offer_timeout_seconds: int = DEFAULT_OFFER_TIMEOUT_SECONDS  # unanswered this long: the next agent
    # A ticket no agent could be offered (nobody available with room) for this long is opened to all.
    fallback_after_seconds: int = DEFAULT_FALLBACK_AFTER_SECONDS
    # Language, skills and time zone (core.eligibility), and their own fallback to everyone.
    filters: RoutingFilters = field(default_factory=RoutingFilters)

    @property
    def offers(self) -> bool:
        return self.strategy is not Strategy.MANUAL


class OfferOutcome(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    TIMED_OUT = "timed_out"
    WITHDRAWN = "withdrawn"  # the ticket was claimed by someone else, or left the queue, first


class RoundEnd(StrEnum):
    """Why a ticket's offers stopped and it was left open to anyone's Claim."""

    FULL_ROUND = "full_round"  # everyone who could take it was offered it, and nobody accepted
    FALLBACK = "fallback"  # nobody could be offered it for fallback_after_seconds


@dataclass(frozen=True)
class Candidate:
    """An agent as routing sees them."""

    user_id: str
    available: bool
    load: int  # connected conversations and offers awaiting their answer
    capacity: int
    idle_since: datetime | None = None  # their last claim or accept; None: never
    languages: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    utc_offset: int | None = None  # seconds east of UTC, from Slack; None: unknown

    @property
    def has_room(self) -> bool:
        return self.load < self.capacity


def candidates(
    agent_ids: Iterable[str],
    profiles: Mapping[str, AgentProfile],
    loads: Mapping[str, int],
    last_taken: Mapping[str, datetime],
    default_capacity: int,
    utc_offsets: Mapping[str, int] | None = None,
) -> list[Candidate]:
    """The agents (by membership) with their profiles, loads and UTC offsets (when known); an agent
    with no profile is offline."""
    found = []
    for user_id in set(agent_ids):
        profile = profiles.get(user_id) or AgentProfile(user_id)
        found.append(
            Candidate(
                user_id,
                profile.availability is Availability.AVAILABLE,
                loads.get(user_id, 0),
                profile.capacity_or(default_capacity),
                last_taken.get(user_id),
                profile.languages,
                profile.skills,
                (utc_offsets or {}).get(user_id),
            )
        )
    return found


def choose(
    strategy: Strategy, agents: Iterable[Candidate], tried: Collection[str], pointer: str | None = None
) -> str | None:
    """Who is offered the ticket now: an available agent with room who was not `tried` on it
    (declined, or let the offer time out); None when there is no one. `pointer`: round robin's
    last offered agent."""
    if strategy is Strategy.MANUAL:
        return None
    eligible = [agent for agent in agents if agent.available and agent.has_room and agent.user_id not in tried]
    if not eligible:
        return None
    if strategy is Strategy.LEAST_BUSY:
        # Never idle (no claim yet) sorts first among equals: they waited longest.
        return min(
            eligible, key=lambda a: (a.load, a.idle_since is not None, a.idle_since or _EPOCH, a.user_id)
        ).user_id
    in_order = sorted(agent.user_id for agent in eligible)
    if pointer is None:
        return in_order[0]
    return next((user_id for user_id in in_order if user_id > pointer), in_order[0])


_EPOCH = datetime.min
