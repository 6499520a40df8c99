"""What routing needs from storage (implemented by storage.offers): offers, the pointer, ended rounds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from handoff_slack.core.eligibility import TicketNeeds


@dataclass(frozen=True)
class TicketRound:
    """A waiting ticket as routing weighs it: what it needs, when its current round of offers began
    (its creation, or its latest release back to the queue), and whether its filters were dropped."""

    needs: TicketNeeds
    started_at: datetime
    filters_dropped: bool = False


@dataclass(frozen=True)
class WaitingTicket:
    """A ticket a routing pass may offer (waiting, none pending, its round not ended), as read once."""

    ticket_id: int
    priority: int  # with the ID, the queue's order: the next page starts after it
    round: TicketRound
    tried: frozenset[str] = frozenset()  # offered in this round before (declined or timed out)


class StoredOffer(Protocol):
    """A ticket's offer to an agent (core.routing)."""

    @property
    def id(self) -> int | None: ...
    @property
    def ticket_id(self) -> int: ...
    @property
    def agent_user_id(self) -> str: ...
    @property
    def outcome(self) -> str: ...
    @property
    def expires_at(self) -> datetime: ...
    @property
    def dm_channel_id(self) -> str | None: ...
    @property
    def dm_ts(self) -> str | None: ...


class Offers(Protocol):
    """Routing's offers, pointer and ended rounds, in the install's workspace (storage.offers)."""

    def get(self, offer_id: int, fresh: bool = False) -> StoredOffer | None: ...
    def to_route(self, limit: int) -> Sequence[tuple[int, datetime]]:
        """Waiting tickets with no offer pending and offers not ended: (ID, created), oldest first."""
        ...

    def waiting(self, after: tuple[int, int] | None, limit: int) -> Sequence[WaitingTicket]:
        """Like `to_route`, with each ticket's needs, round and tried agents: up to `limit`, in the
        queue's order, after the (priority, ID) `after` (None: from the head)."""
        ...

    def rechecked(self, ticket_id: int, agent_user_id: str) -> tuple[WaitingTicket, int] | None:
        """The ticket as `waiting` reads it (None: no longer routable) and the agent's load, at once."""
        ...

    def pointer_locked(self) -> str | None:
        """Round robin's last offered agent, row-locked: routing decisions take turns across replicas."""
        ...

    def move_pointer(self, user_id: str, now: datetime) -> None: ...
    def is_routable(self, ticket_id: int) -> bool:
        """Still waiting, with no offer pending and its offers not ended."""
        ...

    def tried(self, ticket_id: int, since: datetime | None = None) -> set[str]:
        """Agents who were offered the ticket before (and declined, or let the offer time out), in
        its round begun at `since` (None: ever)."""
        ...

    def round_of(self, ticket_id: int) -> TicketRound: ...
    def drop_filters(self, ticket_id: int, started_at: datetime, now: datetime) -> bool:
        """Mark the ticket's round as offered to everyone; False when it was already."""
        ...

    def new_round(self, ticket_id: int, now: datetime) -> None:
        """A ticket back in the queue is offered afresh: its round's end, tried agents and dropped
        filters are forgotten (their offers stay, as history)."""
        ...

    def to_look_up(self, limit: int) -> Sequence[tuple[int, str]]:
        """Waiting tickets whose customer's locale and time zone were not looked up: (ID, customer)."""
        ...

    def looked_up(self, ticket_id: int, language: str | None, utc_offset: int | None) -> None:
        """Record the customer's locale's language (unless the ticket has one) and UTC offset."""
        ...

    def loads(self) -> dict[str, int]:
        """Per agent: connected conversations and offers awaiting their answer."""
        ...

    def last_taken(self) -> dict[str, datetime]:
        """Per agent: when they last claimed or accepted a ticket."""
        ...

    def add(self, ticket_id: int, agent_user_id: str, now: datetime, expires_at: datetime) -> int | None:
        """A pending offer's ID; None when the ticket has one pending already."""
        ...

    def answer(self, offer_id: int, outcome: str, now: datetime, from_outcome: str = "pending") -> bool:
        """Record the outcome of a pending offer (`from_outcome`); False when it was answered (or
        moved on) before."""
        ...

    def pending_for(self, ticket_id: int) -> Sequence[tuple[str, datetime]]:
        """The ticket's pending offer, if any: its agent and until when."""
        ...

    def end_round(self, ticket_id: int, reason: str, now: datetime) -> bool: ...
    def expired(self, now: datetime, limit: int) -> list[int]:
        """Pending offers past their time, or whose ticket no longer waits, oldest first."""
        ...

    def capacity_locked(self, user_id: str) -> int | None:
        """The agent's own capacity (None: the default), their profile's row locked: one agent's
        accepts take turns, so none takes them over capacity."""
        ...

    def availability(self, user_id: str) -> str | None:
        """The agent's stored availability (an Availability's value); None: they never set a status."""
        ...

    def connected_count(self, user_id: str) -> int: ...
