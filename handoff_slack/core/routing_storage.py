"""What routing needs from storage (implemented by storage.offers): offers, the pointer, ended rounds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol


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

    def pointer_locked(self) -> str | None:
        """Round robin's last offered agent, row-locked: routing decisions take turns across replicas."""
        ...

    def move_pointer(self, user_id: str, now: datetime) -> None: ...
    def is_routable(self, ticket_id: int) -> bool:
        """Still waiting, with no offer pending and its offers not ended."""
        ...

    def tried(self, ticket_id: int) -> set[str]:
        """Agents who were offered the ticket before (and declined, or let the offer time out)."""
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
