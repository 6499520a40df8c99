"""What the helpdesk's methods take and give back: who wrote, and what happened (plain values)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from handoff_slack.core.bot import (
    CustomerFacts,
    Reply,
)
from handoff_slack.core.channel_settings import ChannelSettings
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.message_authors import Author
from handoff_slack.core.states import ConversationMode
from handoff_slack.core.views import TicketView


@dataclass(frozen=True)
class Customer:
    """Who wrote to the app, and from where: the door is the conversation's (core.front_doors)."""

    user_id: str
    door: FrontDoor
    team_id: str | None = None
    facts: CustomerFacts = field(default_factory=CustomerFacts)  # what Slack knows: triage won't ask it
    # How their messages are shown to agents: set at a thread's door, where colleagues write too
    # (core.message_authors); None in a DM (the conversation's customer is shown).
    author: Author | None = None
    channel: ChannelSettings | None = None  # a served shared channel's own greeting and triage switch


class CustomerMessageAction(StrEnum):
    DUPLICATE = "duplicate"  # already handled (Slack redelivery)
    BOT_REPLY = "bot_reply"  # bot mode: the bot answers
    ESCALATED = "escalated"  # bot mode: the message asked for a person; a ticket now waits
    PROPOSED = "proposed"  # bot mode: a supervised answer now awaits an agent's decision (its ticket)
    WAITING = "waiting"  # waiting or supervised: kept for the agent, the customer gets a notice
    CANCELLED = "cancelled"  # waiting: the customer left the queue (supervised: withdrew the question)
    RELAY = "relay"  # connected: goes to the agent


@dataclass(frozen=True)
class CustomerMessageOutcome:
    action: CustomerMessageAction
    conversation_id: int | None = None
    ticket_id: int | None = None
    position: int | None = None
    # Flood control: over the rate the bot stops answering each message (they are still kept
    # and relayed) and asks the customer, once per window, to slow down.
    quiet: bool = False
    ask_to_slow_down: bool = False
    replies: tuple[Reply, ...] = ()  # the bot's answer (bot mode; also before a hand-off)
    priority_raised: bool = False  # waiting: the message sounded frustrated and raised the ticket (core.priority)
    # Kept for the agent while Slack had not told us the customer's name, or their organisation's
    # (users.info or team.info failed when their ticket message was posted): the lazy phase asks
    # again (slack.ticket_board.name_customer).
    customer_unnamed: bool = False


@dataclass(frozen=True)
class CustomerInputOutcome:
    """What a customer's button press or form gave: the bot's replies, maybe a new ticket."""

    created: bool  # a ticket was opened (False too when one was already waiting or connected)
    conversation_id: int
    ticket_id: int | None
    mode: ConversationMode  # where the customer is now
    position: int | None = None
    replies: tuple[Reply, ...] = ()
    handled_by_bot: bool = True  # False: the customer was already waiting or connected


class CancelResult(StrEnum):
    CANCELLED = "cancelled"
    NOT_WAITING = "not_waiting"  # already claimed, closed or cancelled
    NOT_YOURS = "not_yours"


class ClaimResult(StrEnum):
    CLAIMED = "claimed"
    ALREADY_CLAIMED = "already_claimed"
    NOT_WAITING = "not_waiting"  # cancelled or closed before anyone claimed it
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class ClaimOutcome:
    result: ClaimResult
    ticket: TicketView | None = None  # as it is after the claim; None only when not found


class CloseResult(StrEnum):
    CLOSED = "closed"
    NOT_ALLOWED = "not_allowed"  # neither the owning agent nor an admin
    NOT_OPEN = "not_open"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class CloseOutcome:
    result: CloseResult
    ticket: TicketView | None = None  # as it is after the close; None only when not found


class AgentMessageAction(StrEnum):
    IGNORED = "ignored"  # not a reply in a ticket's thread
    DUPLICATE = "duplicate"
    INTERNAL = "internal"  # stays in the support channel (note, other agent, ticket not connected)
    RELAY = "relay"


@dataclass(frozen=True)
class AgentMessageOutcome:
    action: AgentMessageAction
    conversation_id: int | None = None
    ticket_id: int | None = None
    # The bot stored a note for the thread (a watch's: replies here are not relayed; a snooze's until when).
    noted: bool = False
