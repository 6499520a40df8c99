"""Transfer and release's plain values: an offer, a period of ownership, outcomes, and the notices
they store (core.transfers decides; blocks.transfer renders)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from handoff_slack.core.notices import Notice, NoticeKind
from handoff_slack.core.views import TicketView


class OfferState(StrEnum):
    PENDING = "pending"  # Accept and Decline shown to the target
    ACCEPTED = "accepted"
    DECLINED = "declined"
    STALE = "stale"  # the ticket closed, was released or changed hands first: nothing changed
    LAPSED = "lapsed"  # not answered in time (transfers.offer_timeout_seconds): the ticket stays with its owner
    REFUSED = "refused"  # the target pressed Accept but could not take it (CannotAccept): it stays with its owner


class OfferEnd(StrEnum):
    """Why a pending offer went stale: what happened to its ticket first."""

    CLOSED = "closed"
    RELEASED = "released"
    CHANGED_HANDS = "changed_hands"  # reassigned by an admin, or another offer of it accepted


class CannotAccept(StrEnum):
    """Why the target of a transfer could not accept it when they pressed Accept (checked then, not
    when it was offered: they may have left the team, gone away or filled up meanwhile)."""

    NOT_AN_AGENT = "not_an_agent"
    AWAY = "away"  # their status (/handoff-status); someone who never set one is not refused for it
    OFFLINE = "offline"
    AT_CAPACITY = "at_capacity"


class OwnershipStart(StrEnum):
    CLAIMED = "claimed"
    TAKEN_OVER = "taken_over"  # from a watch (core.watching)
    TRANSFERRED = "transferred"  # accepted an owner's offer
    ASSIGNED = "assigned"  # an admin gave it


class OwnershipEnd(StrEnum):
    TRANSFERRED = "transferred"
    RELEASED = "released"  # back to the queue
    REASSIGNED = "reassigned"  # an admin gave it to someone else


class TransferResult(StrEnum):
    ALLOWED = "allowed"  # only checked (the modal may open)
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    RELEASED = "released"
    ASSIGNED = "assigned"
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"  # neither the owning agent nor an admin
    NOT_OPEN = "not_open"  # closed, cancelled, or not in a state this step applies to
    SAME_AGENT = "same_agent"  # the target has the ticket already
    NOT_TARGET = "not_target"  # someone other than the offer's target pressed Accept / Decline
    ANSWERED = "answered"  # the offer was answered already
    STALE = "stale"  # the ticket changed hands, was released or closed since the offer
    CANNOT_ACCEPT = "cannot_accept"  # the target is no longer an agent, is away or offline, or at capacity


@dataclass(frozen=True)
class OfferView:
    id: int
    ticket_id: int
    from_user_id: str
    to_user_id: str
    state: OfferState

    @classmethod
    def from_row(cls, row: Any) -> OfferView:
        return cls(int(row.id), int(row.ticket_id), row.from_user_id, row.to_user_id, OfferState(row.state))


@dataclass(frozen=True)
class OwnerPeriod:
    """One agent's time with a ticket."""

    agent_user_id: str
    agent_name: str | None
    began_how: OwnershipStart
    began_at: datetime | None
    ended_how: OwnershipEnd | None  # None: the ticket's current owner
    ended_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> OwnerPeriod:
        ended = OwnershipEnd(row.ended_how) if row.ended_how else None
        return cls(row.agent_user_id, row.agent_name, OwnershipStart(row.began_how), row.began_at, ended, row.ended_at)


@dataclass(frozen=True)
class TransferOutcome:
    result: TransferResult
    ticket: TicketView | None = None  # as the step left it (None: not found)
    offer: OfferView | None = None
    position: int | None = None  # released: its place in the queue
    cannot_accept: CannotAccept | None = None  # CANNOT_ACCEPT: why

    @property
    def changed(self) -> bool:
        """Whether the ticket or an offer changed: Slack is to show it (outbox, ticket message)."""
        return self.result in _CHANGES


_CHANGES = frozenset(
    {
        TransferResult.OFFERED,
        TransferResult.ACCEPTED,
        TransferResult.DECLINED,
        TransferResult.RELEASED,
        TransferResult.ASSIGNED,
        TransferResult.STALE,
        TransferResult.CANNOT_ACCEPT,
    }
)


class StoredOffer(Protocol):
    @property
    def id(self) -> int | None: ...
    @property
    def ticket_id(self) -> int: ...
    @property
    def conversation_id(self) -> int: ...
    @property
    def from_user_id(self) -> str: ...
    @property
    def to_user_id(self) -> str: ...
    @property
    def note(self) -> str | None: ...
    @property
    def state(self) -> str: ...
    @property
    def notice_id(self) -> int | None: ...
    @property
    def created_at(self) -> datetime: ...


# -- the notices (kinds in core.notices; blocks.transfer renders them) -----------------------------


def offer_notice(
    offer_id: int,
    from_user_id: str,
    to_user_id: str,
    note: str | None,
    state: OfferState,
    why: OfferEnd | CannotAccept | None = None,
) -> Notice:
    """In the ticket's thread: the offer to its target, with Accept / Decline while pending; once it
    ended, what became of it (`why`: what happened to the ticket, or why the target could not accept)."""
    facts: dict[str, Any] = {"offer_id": offer_id, "from": from_user_id, "to": to_user_id, "note": note}
    facts["state"] = state.value
    if why is not None:
        facts["why"] = why.value
    return Notice(NoticeKind.TRANSFER_OFFER, facts)


def handed_note(
    from_user_id: str | None, to_user_id: str, by_user_id: str, how: OwnershipStart, note: str | None
) -> Notice:
    """In the ticket's thread: who has the ticket now, how, and the note for them."""
    facts = {"from": from_user_id, "to": to_user_id, "by": by_user_id, "how": how.value, "note": note}
    return Notice(NoticeKind.HANDED_NOTE, facts)


def declined_note(from_user_id: str, to_user_id: str, cannot: CannotAccept | None = None) -> Notice:
    """In the ticket's thread, to the owner: the target declined (or could not accept: `cannot`)."""
    facts = {"from": from_user_id, "to": to_user_id}
    if cannot is not None:
        facts["cannot"] = cannot.value
    return Notice(NoticeKind.DECLINED_NOTE, facts)


def lapsed_note(from_user_id: str, to_user_id: str, seconds: int) -> Notice:
    return Notice(NoticeKind.LAPSED_NOTE, {"from": from_user_id, "to": to_user_id, "seconds": seconds})


def released_note(by_user_id: str, note: str | None) -> Notice:
    return Notice(NoticeKind.RELEASED_NOTE, {"by": by_user_id, "note": note})


def back_in_queue(position: int, ticket_id: int) -> Notice:
    """To the customer: plain words, and their place (no names, no notes)."""
    return Notice(NoticeKind.BACK_IN_QUEUE, {"position": position, "ticket_id": ticket_id})
