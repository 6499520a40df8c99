"""The agents' side of the hand-off: claiming and closing tickets, and replies in a ticket's thread."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from handoff_slack.core.audit import AuditAction
from handoff_slack.core.deliveries import SharedFile
from handoff_slack.core.helpdesk_outcomes import (
    AgentMessageAction,
    AgentMessageOutcome,
    ClaimOutcome,
    ClaimResult,
    CloseOutcome,
    CloseResult,
)
from handoff_slack.core.helpdesk_storage import HelpdeskTransaction
from handoff_slack.core.notices import Audience, Notice
from handoff_slack.core.satisfaction import Satisfaction
from handoff_slack.core.states import Direction, TicketState
from handoff_slack.core.transfer_offers import end_pending_offers
from handoff_slack.core.transfer_values import OfferEnd
from handoff_slack.core.views import TicketView
from handoff_slack.core.watch_mirror import note_read_only


class AgentDesk(Satisfaction):
    # -- agents ---------------------------------------------------------------------------------

    def claim(
        self, ticket_id: int, agent_user_id: str, agent_name: str | None = None, agent_avatar_url: str | None = None
    ) -> ClaimOutcome:
        """Give a waiting ticket to an agent; of many simultaneous claims exactly one wins."""
        now = self.clock()
        with self.storage.transaction() as tx:
            found = tx.tickets.get(ticket_id)
            if found is None:
                return ClaimOutcome(ClaimResult.NOT_FOUND)
            # The conversation first, as the customer's own steps lock it: locking the ticket first
            # (the claim's UPDATE) while a customer's "never mind" holds the conversation and waits for
            # the ticket would be a deadlock on PostgreSQL.
            conversation = tx.conversations.locked(found.conversation_id)
            won = self._claim_waiting(tx, ticket_id, agent_user_id, agent_name, agent_avatar_url, now)
            ticket = tx.tickets.get(ticket_id, fresh=True)
            assert ticket is not None  # tickets are never deleted while their conversation lives
            view = TicketView.from_rows(ticket, conversation)
            if won:
                self._claimed(tx, ticket.conversation_id, ticket_id, agent_user_id, agent_name, AuditAction.CLAIM, now)
                return ClaimOutcome(ClaimResult.CLAIMED, view)
            if ticket.state == TicketState.CONNECTED:
                return ClaimOutcome(ClaimResult.ALREADY_CLAIMED, view)
            return ClaimOutcome(ClaimResult.NOT_WAITING, view)

    def _claimed(
        self,
        tx: HelpdeskTransaction,
        conversation_id: int,
        ticket_id: int,
        agent_user_id: str,
        agent_name: str | None,
        action: AuditAction,
        now: datetime,
    ) -> None:
        """After a won claim (the Claim button, or an offer's Accept), in its transaction."""
        tx.conversations.connected(conversation_id, now)
        tx.audit.record(agent_user_id, action, now, ticket_id=ticket_id)
        # The agents' thread first: the agent may reply before the customer's notice is out.
        self._notify(tx, conversation_id, ticket_id, Audience.AGENTS, Notice.claimed_note(agent_user_id))
        self._notify(tx, conversation_id, ticket_id, Audience.CUSTOMER, Notice.connected(agent_name))

    def close(self, ticket_id: int, user_id: str, is_admin: bool) -> CloseOutcome:
        now = self.clock()
        with self.storage.transaction() as tx:
            found = self._locked_ticket(tx, ticket_id)
            if found is None:
                return CloseOutcome(CloseResult.NOT_FOUND)
            ticket, conversation = found
            if not is_admin and ticket.agent_user_id != user_id:
                return CloseOutcome(CloseResult.NOT_ALLOWED, TicketView.from_rows(ticket, conversation))
            closed = tx.tickets.close(ticket_id, user_id, now)
            tx.tickets.reload(ticket)
            view = TicketView.from_rows(ticket, conversation)
            if not closed:
                return CloseOutcome(CloseResult.NOT_OPEN, view)
            # Whose conversation it was, when an admin closed someone else's.
            owner = {"agent_user_id": ticket.agent_user_id} if ticket.agent_user_id not in (None, user_id) else None
            said = (Notice.closed_note(user_id), Notice.closed(ticket.agent_name))
            self._after_close(tx, ticket.conversation_id, ticket_id, user_id, owner, said)
            return CloseOutcome(CloseResult.CLOSED, view)

    def _after_close(
        self,
        tx: HelpdeskTransaction,
        conversation_id: int,
        ticket_id: int,
        user_id: str,
        details: dict[str, Any] | None,
        said: tuple[Notice, Notice],
    ) -> None:
        """In a won close's transaction: back to the bot, the audit row, the agents' note and the
        customer's goodbye (`said`), then the survey (an agent's close, and an idle close: core.idle_close)."""
        tx.conversations.back_to_bot(conversation_id, ticket_id, self.clock())
        tx.audit.record(user_id, AuditAction.CLOSE, self.clock(), ticket_id=ticket_id, details=details)
        end_pending_offers(tx, ticket_id, OfferEnd.CLOSED, self.clock())  # a transfer offer's buttons go
        to_agents, to_customer = said
        self._notify(tx, conversation_id, ticket_id, Audience.AGENTS, to_agents)
        self._notify(tx, conversation_id, ticket_id, Audience.CUSTOMER, to_customer)
        self._survey_after_close(tx, conversation_id, ticket_id)  # after the goodbye, if on

    def receive_agent_message(
        self,
        channel_id: str,
        thread_ts: str,
        user_id: str,
        ts: str,
        text: str,
        event_id: str | None = None,
        files: Sequence[SharedFile] = (),
        flushing_now: bool = True,
    ) -> AgentMessageOutcome:
        """Decide what a reply in the support channel is: relayed to the customer, or internal.

        `flushing_now`: as for `receive_customer_message`.
        """
        with self.storage.transaction(reserving=True) as tx:
            ticket = tx.tickets.in_thread(channel_id, thread_ts)
            if ticket is None:
                return AgentMessageOutcome(AgentMessageAction.IGNORED)
            relayed = (
                ticket.state == TicketState.CONNECTED
                and ticket.agent_user_id == user_id
                and not self.is_internal_note(text)
            )
            if not relayed:
                if not self._first_delivery(tx, event_id) or tx.messages.exists(channel_id, ts):
                    return AgentMessageOutcome(AgentMessageAction.DUPLICATE, ticket.conversation_id, ticket.id)
                # A watch's thread is read-only: the bot says so, once per thread.
                noted = ticket.state == TicketState.WATCHED and note_read_only(tx, ticket.conversation_id, ticket.id)
                return AgentMessageOutcome(AgentMessageAction.INTERNAL, ticket.conversation_id, ticket.id, noted)
            # Relayed: as for a customer's message, the stored message's source recognises a redelivery.
            message = self._new_message(
                ticket.conversation_id,
                ticket.id,
                Direction.FROM_AGENT,
                user_id,
                channel_id,
                ts,
                text,
                files,
                first_attempt_reserved=flushing_now,
            )
            if self._store_new(tx, message) is None:  # the same reply, redelivered under another event ID
                return AgentMessageOutcome(AgentMessageAction.DUPLICATE, ticket.conversation_id, ticket.id)
            return AgentMessageOutcome(AgentMessageAction.RELAY, ticket.conversation_id, ticket.id)

    def is_internal_note(self, text: str) -> bool:
        return text.lstrip().lower().startswith(self.note_prefix)
