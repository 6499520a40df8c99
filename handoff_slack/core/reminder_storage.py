"""What reminders and first-response targets need from storage (implemented by storage.reminders)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol


class TicketTiming(Protocol):
    """A ticket's wait, as the reminders' job reads it."""

    @property
    def id(self) -> int | None: ...
    @property
    def conversation_id(self) -> int: ...
    @property
    def state(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def waiting_since(self) -> datetime | None: ...  # None: since it was created
    @property
    def claimed_at(self) -> datetime | None: ...
    @property
    def closed_at(self) -> datetime | None: ...
    @property
    def priority(self) -> int: ...
    @property
    def priority_source(self) -> str | None: ...
    @property
    def reminder_steps(self) -> int: ...
    @property
    def sla_outcome(self) -> str | None: ...
    @property
    def sla_target_minutes(self) -> int | None: ...


class ReminderStore(Protocol):
    """Waiting tickets' reminder steps and first-response outcomes, each moved on by a conditional UPDATE."""

    def waiting_due(
        self, step_cutoffs: Sequence[datetime], target_cutoffs: Mapping[int, datetime], limit: int
    ) -> list[int]:
        """Waiting tickets that entered the queue before `step_cutoffs[n]` with n steps fired, or before
        `target_cutoffs[priority]` with no first-response outcome yet (by wall time: a superset of
        what is due by business hours), oldest first."""
        ...

    def left_queue_undecided(self, states: Sequence[str], limit: int) -> list[int]:
        """Tickets in `states` whose first-response outcome is undecided (or still 'breaching')."""
        ...

    def timing(self, ticket_id: int) -> TicketTiming | None:
        """As the database has it now."""
        ...

    def steps_fired(self, ticket_id: int, was: int, now_fired: int) -> bool:
        """Count steps fired, if the ticket still waits with `was` fired (of racing runs, one wins)."""
        ...

    def decide_sla(
        self, ticket_id: int, was: str | None, outcome: str, target_minutes: int | None, waited_seconds: int
    ) -> bool:
        """Record the first response's outcome, if it is still `was`; `shown` outcomes mark the message stale."""
        ...

    def raise_level(self, ticket_id: int, was: int, level: int, source: str) -> bool:
        """Set the waiting ticket's level if it is still `was` and no agent chose it."""
        ...
