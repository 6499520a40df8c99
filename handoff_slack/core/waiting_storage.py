"""What the waiting timers need from storage (implemented by storage.waiting_timers): the due
waiting-timeout offers, the queue in order, the connected conversations' quiet, and the conditional
UPDATEs that fire each timer once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol


class TicketTimers(Protocol):
    """A ticket's timer columns (storage.models.Ticket)."""

    @property
    def id(self) -> int: ...
    @property
    def conversation_id(self) -> int: ...
    @property
    def state(self) -> str: ...
    @property
    def agent_user_id(self) -> str | None: ...
    @property
    def wait_offers(self) -> int: ...
    @property
    def async_at(self) -> datetime | None: ...
    @property
    def idle_warned_at(self) -> datetime | None: ...
    @property
    def idle_snoozed_until(self) -> datetime | None: ...


class QueuedTicket(Protocol):
    """A waiting ticket, read in queue order (its place is its rank)."""

    @property
    def id(self) -> int: ...
    @property
    def conversation_id(self) -> int: ...
    @property
    def async_at(self) -> datetime | None: ...
    @property
    def position_told(self) -> int | None: ...
    @property
    def position_told_at(self) -> datetime | None: ...


class ConnectedTicket(Protocol):
    """A connected ticket and when its conversation last moved (claimed, or a message from either side)."""

    @property
    def id(self) -> int: ...
    @property
    def conversation_id(self) -> int: ...
    @property
    def claimed_at(self) -> datetime | None: ...
    @property
    def last_message_at(self) -> datetime | None: ...
    @property
    def idle_warned_at(self) -> datetime | None: ...
    @property
    def idle_snoozed_until(self) -> datetime | None: ...


class WaitingTimers(Protocol):
    def timers(self, ticket_id: int) -> TicketTimers | None: ...
    def due_offers(
        self, first_before: datetime, again_before: datetime, limit: int, ticket_id: int | None = None
    ) -> Sequence[int]:
        """Waiting tickets, not answered later, whose first offer is due (in the queue since before
        `first_before`) or whose second is (kept waiting since before `again_before`); oldest first.
        `ticket_id`: that ticket only, if due."""
        ...

    def offer_made(self, ticket_id: int, number: int) -> bool:
        """Count offer `number` (1 or 2) if the ticket still waits, not answered later, with one fewer made."""
        ...

    def keep_waiting(self, ticket_id: int, now: datetime) -> bool: ...
    def answer_later(self, ticket_id: int, now: datetime) -> bool:
        """Mark the waiting ticket async (once); its message is marked stale to show it."""
        ...

    def queue(self) -> Sequence[QueuedTicket]:
        """Every waiting ticket, in queue order (priority, then age: storage.tickets.QUEUE_ORDER)."""
        ...

    def tell_position(self, ticket_id: int, position: int, was: int | None, now: datetime | None) -> bool:
        """Record the place told (`now` None: a first reading, told nobody), if still `was` and waiting."""
        ...

    def position_said(self, ticket_id: int, position: int, now: datetime | None) -> None:
        """Another notice told the waiting customer their place (`now`: an update they did not ask
        for, which restarts the interval; None: an answer to their own message)."""
        ...

    def connected(self) -> Sequence[ConnectedTicket]: ...
    def connected_one(self, ticket_id: int) -> ConnectedTicket | None:
        """The ticket as `connected` reads it, if it is connected."""
        ...

    def warn_idle(self, ticket_id: int, was: datetime | None, now: datetime) -> bool: ...
    def snooze_idle(self, ticket_id: int, until: datetime) -> bool:
        """Hold off the connected ticket's idle warning and close until `until` (a pending warning ends)."""
        ...
