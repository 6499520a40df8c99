"""What the helpdesk tells the edge about tickets: plain frozen values, never database rows.

Built from the rows inside the helpdesk's transactions (the `from_rows` helpers take any object
with the rows' attributes, so this module needs nothing from storage). The Block Kit builders and
the ticket board render these; IDs of stored rows are never None here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from handoff_slack.core.accounts import of_another_org
from handoff_slack.core.bot import TriageAnswer
from handoff_slack.core.eligibility import TicketNeeds
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.priority import Priority
from handoff_slack.core.reminders import SlaOutcome, SlaState
from handoff_slack.core.states import TicketState


@dataclass(frozen=True)
class TicketCustomer:
    """Who the ticket is for, where they wrote (their conversation's door) and, once looked up, their profile."""

    user_id: str
    door: FrontDoor
    team_id: str | None = None
    name: str | None = None  # None until the profile was looked up (the ticket board does it)
    avatar_url: str | None = None
    # Set only for customers of another organisation (Slack Connect), once team.info told it: None
    # while it could not (never a placeholder with the team ID: core.accounts.UNNAMED_ORG is shown).
    org_name: str | None = None
    external: bool = False  # of another organisation: `team_id` is their account, named or not

    @property
    def org_unknown(self) -> bool:
        """Of another organisation whose name Slack has not told us yet (the ticket board asks again)."""
        return self.external and not self.org_name

    @classmethod
    def from_row(cls, conversation: Any) -> TicketCustomer:
        return cls(
            user_id=conversation.customer_user_id,
            door=FrontDoor(conversation.channel_id, conversation.thread_ts),
            team_id=conversation.customer_team_id,
            name=conversation.customer_name,
            avatar_url=conversation.customer_avatar_url,
            org_name=conversation.customer_org_name,
            external=of_another_org(conversation.customer_team_id, getattr(conversation, "workspace_id", None)),
        )


PriorityShown = tuple[int, str | None, str | None]  # level, source, set by (TicketView.priority_shown)
RatingShown = tuple[int | None, str | None]  # the customer's rating and comment (TicketView.rating_shown)
SlaShown = tuple[str | None, int | None]  # first response's outcome and wait (TicketView.sla_shown)


@dataclass(frozen=True)
class TicketView:
    """One ticket as the support channel shows it, with its customer."""

    id: int
    conversation_id: int
    state: TicketState
    reason: str  # an EscalationReason's value (kept as stored: an unknown one is shown as written)
    customer: TicketCustomer
    created_at: datetime
    triage: tuple[TriageAnswer, ...] = ()
    frustration_score: float | None = None
    escalation_signals: tuple[str, ...] = ()  # what fired the bot's unasked offer of a person (core.bot_signals)
    mood_signals: tuple[str, ...] = ()  # sounded frustrated since the hand-over: what fired (empty: no)
    agent_user_id: str | None = None
    agent_name: str | None = None
    agent_avatar_url: str | None = None
    message_channel_id: str | None = None  # where the ticket message is, once posted
    message_ts: str | None = None
    message_stale: bool = False  # the ticket message shows an older state than this
    closed_by_user_id: str | None = None
    claimed_at: datetime | None = None
    closed_at: datetime | None = None
    watched_by_user_id: str | None = None  # a watch (core.watching): who started it
    priority: Priority = Priority.NORMAL  # core.priority: the queue's order
    priority_source: str | None = None  # why (a PrioritySource's value; None: the default)
    priority_set_by: str | None = None  # who chose it with /handoff-priority
    offer_revision: int = 0  # changes of its offers, counted (its message shows the pending ones)
    rating: int | None = None  # core.satisfaction: the customer's 1-5 after the close
    rating_comment: str | None = None
    outside_hours: bool = False  # it arrived outside business hours (core.business_hours)
    sla: SlaState = field(default_factory=SlaState)  # core.reminders: the first response measured against its target

    @property
    def sla_shown(self) -> SlaShown:
        """What the ticket message shows of its first-response target: outcome and wait."""
        outcome = self.sla.outcome.value if self.sla.outcome is not None else None
        return (outcome, self.sla.waited_seconds)

    async_at: datetime | None = None  # core.waiting_offers: the customer left a message to be answered later
    # What it asks of its agent (core.eligibility.TicketNeeds): language, skills, the customer's UTC offset.
    language: str | None = None
    skills: tuple[str, ...] = ()
    customer_utc_offset: int | None = None

    @property
    def needs(self) -> TicketNeeds:
        return TicketNeeds(self.language, self.skills, self.customer_utc_offset)

    @property
    def priority_shown(self) -> PriorityShown:
        """What the ticket message shows of its priority: level, why, and who chose it."""
        return (int(self.priority), self.priority_source, self.priority_set_by)

    @property
    def rating_shown(self) -> RatingShown:
        """What the ticket message shows of the customer's survey: rating and comment."""
        return (self.rating, self.rating_comment)

    @property
    def answer_later(self) -> bool:
        """Whether the ticket message shows the customer chose to be answered later (core.waiting_offers)."""
        return self.async_at is not None

    @classmethod
    def from_rows(cls, ticket: Any, conversation: Any) -> TicketView:
        """From a stored ticket row and its conversation's row."""
        return cls(
            id=int(ticket.id),
            conversation_id=int(ticket.conversation_id),
            state=TicketState(ticket.state),
            reason=str(ticket.reason),
            customer=TicketCustomer.from_row(conversation),
            created_at=ticket.created_at,
            triage=tuple(TriageAnswer.from_json(answer) for answer in ticket.triage or ()),
            frustration_score=ticket.frustration_score,
            escalation_signals=tuple(s for s in (getattr(ticket, "escalation_signals", None) or "").split(",") if s),
            mood_signals=tuple(s for s in (getattr(ticket, "mood_signals", None) or "").split(",") if s),
            agent_user_id=ticket.agent_user_id,
            agent_name=ticket.agent_name,
            agent_avatar_url=ticket.agent_avatar_url,
            message_channel_id=ticket.message_channel_id,
            message_ts=ticket.message_ts,
            message_stale=bool(ticket.message_stale),
            closed_by_user_id=ticket.closed_by_user_id,
            claimed_at=ticket.claimed_at,
            closed_at=ticket.closed_at,
            watched_by_user_id=getattr(ticket, "watched_by_user_id", None),
            priority=Priority(getattr(ticket, "priority", Priority.NORMAL)),
            priority_source=getattr(ticket, "priority_source", None),
            priority_set_by=getattr(ticket, "priority_set_by", None),
            offer_revision=int(getattr(ticket, "offer_revision", 0) or 0),
            rating=getattr(ticket, "rating", None),
            rating_comment=getattr(ticket, "rating_comment", None),
            outside_hours=bool(getattr(ticket, "outside_hours", False)),
            sla=_sla(ticket),
            async_at=getattr(ticket, "async_at", None),
            language=getattr(ticket, "language", None),
            skills=tuple(getattr(ticket, "skills", None) or ()),
            customer_utc_offset=getattr(ticket, "customer_utc_offset", None),
        )


def _sla(ticket: Any) -> SlaState:
    outcome = getattr(ticket, "sla_outcome", None)
    return SlaState(
        SlaOutcome(outcome) if outcome else None,
        getattr(ticket, "sla_target_minutes", None),
        getattr(ticket, "sla_waited_seconds", None),
    )


@dataclass(frozen=True)
class PendingOffer:
    """An offer of the ticket awaiting its answer, as the ticket message shows it: routing's to an
    agent by DM (a waiting ticket), or its owner's transfer (a claimed one)."""

    to_user_id: str
    until: datetime  # its timeout (routing), or when it lapses (a transfer)
    from_user_id: str | None = None  # a transfer's owner; None: routing's offer


@dataclass(frozen=True)
class TranscriptLine:
    """A customer's message to the bot, as the ticket quotes it: its text and the files it shared."""

    text: str
    file_names: tuple[str | None, ...] = ()  # None: Slack gave the file neither a name nor a title
    author: str | None = None  # shown for someone other than the ticket's customer (a colleague in the thread)

    @classmethod
    def from_row(
        cls, text: str, files: Sequence[Mapping[str, Any]] | None, author: str | None = None
    ) -> TranscriptLine:
        names = tuple(_file_name(file) for file in files or ())
        return cls(text, names, author)


@dataclass(frozen=True)
class ConversationLine:
    """One message of a conversation with the bot, as a proposal's card quotes it."""

    from_customer: bool  # else the bot's reply
    line: TranscriptLine


def _file_name(file: Mapping[str, Any]) -> str | None:
    name = file.get("name") or file.get("title")
    return str(name) if name else None


@dataclass(frozen=True)
class QueueEntry:
    position: int  # 1 is next
    ticket: TicketView


@dataclass(frozen=True)
class QueueSnapshot:
    entries: tuple[QueueEntry, ...]
    total: int  # all waiting tickets, also those beyond `entries`
