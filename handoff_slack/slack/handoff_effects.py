"""What Slack sees after each step of the hand-off, once the core has made the step."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from handoff_slack.blocks import customer as customer_blocks
from handoff_slack.blocks.ticket import claimed_note
from handoff_slack.core.bot import BotResponder, Reply
from handoff_slack.core.helpdesk import (
    ClaimOutcome,
    ClaimResult,
    CloseOutcome,
    CloseResult,
    CustomerInputOutcome,
    CustomerMessageAction,
    CustomerMessageOutcome,
    Helpdesk,
)
from handoff_slack.core.states import ConversationMode
from handoff_slack.slack.customer_dm import CustomerDM
from handoff_slack.slack.outbox import Outbox
from handoff_slack.slack.ticket_board import TicketBoard

logger = logging.getLogger(__name__)


class HandoffEffects:
    def __init__(
        self,
        board: TicketBoard,
        customers: CustomerDM,
        outbox: Outbox,
        note_prefix: str,
        bot: BotResponder,
        helpdesk: Helpdesk,
    ) -> None:
        self.board = board
        self.customers = customers
        self.outbox = outbox
        self.note_prefix = note_prefix
        self.bot = bot
        self.helpdesk = helpdesk

    def bot_says(self, dm_channel_id: str, replies: Iterable[Reply]) -> None:
        for reply in replies:
            self.customers.send(dm_channel_id, customer_blocks.bot_reply(reply))

    def after_customer_input(self, outcome: CustomerInputOutcome, dm_channel_id: str) -> None:
        """After a bot button or the triage form: the bot's replies, the queue, or where they are."""
        if not outcome.handled_by_bot:
            if outcome.mode is ConversationMode.WAITING:
                notice = customer_blocks.still_waiting(outcome.position or 1, outcome.ticket_id)  # type: ignore[arg-type]
            else:
                found = self.helpdesk.ticket(outcome.ticket_id) if outcome.ticket_id else None
                notice = customer_blocks.already_connected(found[0].agent_name if found else None)
            self.customers.send(dm_channel_id, notice)
            return
        self.bot_says(dm_channel_id, outcome.replies)
        if outcome.created:
            self.escalated(outcome.ticket_id, dm_channel_id, outcome.position)  # type: ignore[arg-type]

    @staticmethod
    def only_flushes(outcome: CustomerMessageOutcome) -> bool:
        """Whether `after_customer_message` does nothing but flush the outbox (or nothing at all):
        work the scheduler's delivery retry also does, so under overload it may wait for that."""
        action = outcome.action
        if action is CustomerMessageAction.DUPLICATE:
            return True
        if outcome.ask_to_slow_down:
            return False
        return action is CustomerMessageAction.RELAY or (action is CustomerMessageAction.WAITING and outcome.quiet)

    def after_customer_message(self, outcome: CustomerMessageOutcome, dm_channel_id: str) -> None:
        action = outcome.action
        if outcome.ask_to_slow_down:
            self.customers.send(dm_channel_id, customer_blocks.slow_down())
        if outcome.quiet and action in (CustomerMessageAction.BOT_REPLY, CustomerMessageAction.WAITING):
            # Flooding: no answer per message (that would flood back), but nothing is dropped.
            if action is CustomerMessageAction.WAITING:
                self.outbox.flush_coalesced(outcome.conversation_id)  # type: ignore[arg-type]
            return
        if action is CustomerMessageAction.BOT_REPLY:
            self.bot_says(dm_channel_id, outcome.replies)
        elif action is CustomerMessageAction.ESCALATED:
            self.bot_says(dm_channel_id, outcome.replies)  # e.g. a scenario's last answer
            self.escalated(outcome.ticket_id, dm_channel_id, outcome.position)  # type: ignore[arg-type]
        elif action is CustomerMessageAction.WAITING:
            self.customers.send(
                dm_channel_id,
                customer_blocks.still_waiting(outcome.position or 1, outcome.ticket_id),  # type: ignore[arg-type]
            )
            self.outbox.flush_coalesced(outcome.conversation_id)  # type: ignore[arg-type]
        elif action is CustomerMessageAction.CANCELLED:
            self.cancelled(outcome.ticket_id, dm_channel_id)  # type: ignore[arg-type]
        elif action is CustomerMessageAction.RELAY:
            self.outbox.flush_coalesced(outcome.conversation_id)  # type: ignore[arg-type]

    def escalated(self, ticket_id: int, dm_channel_id: str, position: int | None) -> None:
        # The customer hears first: the ticket message needs Slack look-ups that may be slow.
        self.customers.send(dm_channel_id, customer_blocks.queued(position or 1, ticket_id))
        ticket = self.board.publish(ticket_id)
        if ticket is not None:
            # Messages the customer sent while the ticket message was being posted.
            self.outbox.flush(ticket.conversation_id)

    def cancelled(self, ticket_id: int, dm_channel_id: str) -> None:
        self.board.refresh(ticket_id)
        self.customers.send(dm_channel_id, customer_blocks.left_queue())
        self.customers.send(dm_channel_id, customer_blocks.bot_reply(self.bot.menu()))

    def claimed(self, outcome: ClaimOutcome) -> None:
        assert outcome.result is ClaimResult.CLAIMED and outcome.ticket and outcome.conversation
        ticket, conversation = outcome.ticket, outcome.conversation
        # The refreshed ticket knows its message even when the claim beat the first post.
        ticket = self.board.refresh(ticket.id) or ticket  # type: ignore[arg-type]
        self.board.note_in_thread(ticket, claimed_note(ticket.agent_user_id, self.note_prefix))  # type: ignore[arg-type]
        self.customers.send(conversation.dm_channel_id, customer_blocks.connected(ticket.agent_name or "an agent"))
        self.outbox.flush(conversation.id)  # type: ignore[arg-type]

    def closed(self, outcome: CloseOutcome) -> None:
        assert outcome.result is CloseResult.CLOSED and outcome.ticket and outcome.conversation
        ticket, conversation = outcome.ticket, outcome.conversation
        # Anything the agent wrote before closing reaches the customer before the goodbye.
        self.outbox.flush(conversation.id)  # type: ignore[arg-type]
        ticket = self.board.refresh(ticket.id) or ticket  # type: ignore[arg-type]
        self.board.note_in_thread(ticket, f"<@{ticket.closed_by_user_id}> closed this ticket.")
        self.customers.send(conversation.dm_channel_id, customer_blocks.closed(ticket.agent_name))
