"""The hand-off state machine: conversations, tickets and the queue.

Each public method is one database transaction. State changes that can race (escalate, cancel,
claim, close) are conditional UPDATEs, so concurrent callers, in one process or many, see exactly
one winner. Nothing here knows about Slack or SQL: callers pass plain IDs and text, and get back
outcomes that say what happened so the Slack edge can render it: plain frozen values
(core.helpdesk_outcomes, core.views), never database rows. The statements are storage's
(core.helpdesk_storage says what the helpdesk needs; storage.helpdesk_store provides it).

Its parts, by concern: customer_intake (a customer's messages, flood control, buttons and forms,
leaving the queue), agent_desk (claim, close, an agent's replies), ticket_records (ticket and
queue reads, the ticket message's bookkeeping), supervision (decisions on the bot's proposals in
supervised mode, and their records), handoff_steps (what they share: the bot's turn,
opening and cancelling a ticket, the bot's notices), assist (suggested replies while connected),
watching (`/handoff-watch`: watch a bot conversation, take it over), reaction_tickets (a ticket
from an internal person's reaction to a customer's message in a shared channel), queue_priority (a waiting
ticket's priority: `/handoff-priority`, and a frustrated waiting customer's), transfers (transfer,
release and reassign a ticket; its history of owners), queue_listing (`/handoff-queue`'s pages,
with who could take each ticket), reminder_desk (reminders of waiting tickets and first-response
targets: the scheduler leader's job), and the waiting timers: waiting_offers (the waiting timeout's
offer), queue_updates (a waiting customer's better place), idle_close (a quiet connected
conversation warned, then closed; Snooze).
"""

from __future__ import annotations

from handoff_slack.core.agent_desk import AgentDesk
from handoff_slack.core.assist import AgentAssist
from handoff_slack.core.customer_intake import CustomerIntake
from handoff_slack.core.handoff_steps import DEFAULT_FLOOD_WINDOW
from handoff_slack.core.helpdesk_outcomes import (
    AgentMessageAction,
    AgentMessageOutcome,
    CancelResult,
    ClaimOutcome,
    ClaimResult,
    CloseOutcome,
    CloseResult,
    Customer,
    CustomerInputOutcome,
    CustomerMessageAction,
    CustomerMessageOutcome,
)
from handoff_slack.core.idle_close import IdleClose
from handoff_slack.core.queue_listing import QueueListing
from handoff_slack.core.queue_updates import QueueUpdates
from handoff_slack.core.reaction_tickets import ReactionTickets
from handoff_slack.core.reminder_desk import ReminderDesk
from handoff_slack.core.routing_desk import RoutingDesk
from handoff_slack.core.supervision import Supervision
from handoff_slack.core.ticket_records import TicketRecords
from handoff_slack.core.transfers import Transfers
from handoff_slack.core.waiting_offers import WaitingOffers
from handoff_slack.core.watching import Watching

__all__ = [
    "DEFAULT_FLOOD_WINDOW",
    "AgentMessageAction",
    "AgentMessageOutcome",
    "CancelResult",
    "ClaimOutcome",
    "ClaimResult",
    "CloseOutcome",
    "CloseResult",
    "Customer",
    "CustomerInputOutcome",
    "CustomerMessageAction",
    "CustomerMessageOutcome",
    "Helpdesk",
]


class Helpdesk(
    RoutingDesk,
    CustomerIntake,
    IdleClose,
    AgentDesk,
    Supervision,
    TicketRecords,
    AgentAssist,
    Watching,
    ReactionTickets,
    Transfers,
    QueueListing,
    ReminderDesk,
    WaitingOffers,
    QueueUpdates,
):
    """The hand-off, on the storage it is given (handoff_slack.storage.helpdesk_store.SqlHelpdesk
    is this on the app's database)."""
