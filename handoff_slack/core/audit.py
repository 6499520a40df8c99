"""The audit log: who did what to which ticket, and when (one row per action by an agent or admin)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class AuditAction(StrEnum):
    CLAIM = "claim"
    CLOSE = "close"
    STATUS = "status"  # an agent's availability, capacity, languages or skills changed
    PRIORITY = "priority"  # a waiting ticket's level set by an agent or admin (/handoff-priority)
    TRANSFER = "transfer"  # an owner offered their ticket to another agent (subject: the target)
    ACCEPT = "accept"  # the target of a transfer, or an agent offered a ticket by routing, took it
    DECLINE = "decline"  # ... or declined it
    RELEASE = "release"  # back to the queue, by its owner or an admin
    ASSIGN = "assign"  # an admin gave a ticket to an agent (subject) without asking them
    # Routing (core.routing): a ticket offered to an agent by DM (answered with ACCEPT or DECLINE).
    OFFER = "offer"  # by the bot (actor BOT_ACTOR); the agent offered is the subject
    OFFER_TIMEOUT = "offer_timeout"  # unanswered in time (actor BOT_ACTOR, subject the agent)
    # No eligible agent (language, skills, time zone) took it in time: offered to everyone (actor BOT_ACTOR).
    FILTERS_DROPPED = "filters_dropped"
    # Idle auto-close (core.idle_close): an agent held off the close of a quiet conversation; the close
    # itself is a CLOSE by BOT_ACTOR with details {"reason": "idle", "agent_user_id": the owner}.
    SNOOZE = "snooze"


BOT_ACTOR = "bot"  # the actor of what the bot does on its own (offers, their timeouts)


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor_user_id: str  # who did it
    action: str  # an AuditAction's value (stored as text: later actions need no migration)
    ticket_id: int | None = None
    subject_user_id: str | None = None  # whom it was about, when not the actor alone (a status set by an admin)
    details: dict[str, Any] | None = None


class AuditTrail(Protocol):
    """Writes audit rows in the caller's transaction, so an action and its record commit together."""

    def record(
        self,
        actor_user_id: str,
        action: AuditAction,
        at: datetime,
        ticket_id: int | None = None,
        subject_user_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None: ...
