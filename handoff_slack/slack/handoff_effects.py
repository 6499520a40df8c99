"""What Slack sees after each step of the hand-off, once the core has made the step.

The core stored what the bot says with the step (core.notices); here the outbox sends it, in
order with the conversation's relayed messages, and the ticket message is posted or brought up
to date.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from handoff_slack.core.helpdesk import CustomerInputOutcome, CustomerMessageAction, CustomerMessageOutcome
from handoff_slack.core.states import TicketState
from handoff_slack.core.views import TicketView
from handoff_slack.slack.outbox import Outbox
from handoff_slack.slack.ticket_board import TicketBoard

# A new ticket's message to post: a hand-off's, or a supervised proposal's.
logger = logging.getLogger(__name__)

_NEW_TICKET = frozenset({CustomerMessageAction.ESCALATED, CustomerMessageAction.PROPOSED})


class HandoffEffects:
    def __init__(
        self,
        board: TicketBoard,
        outbox: Outbox,
        route: Callable[[], object] | None = None,
        withdraw: Callable[[], object] | None = None,
    ) -> None:
        self.board = board
        self.outbox = outbox
        # Routing's pass (slack.offer_dms): a ticket that starts waiting, or an agent with room again,
        # gets its offer now rather than at the scheduler's next run.
        self.route = route
        # Routing's offers of tickets that no longer wait (claimed with the button, cancelled) are
        # withdrawn, their DMs' buttons replaced, now rather than at the scheduler's next run.
        self.withdraw = withdraw

    def _route(self) -> None:
        self._run(self.route, "the routing pass failed")

    @staticmethod
    def _run(step: Callable[[], object] | None, failed: str) -> None:
        if step is None:
            return
        try:
            step()
        except Exception:  # the scheduler's routing job runs it again
            logger.exception(failed)

    def after_customer_input(self, outcome: CustomerInputOutcome) -> None:
        """After a bot button or the triage form: the bot's replies, the queue, or where they are."""
        if outcome.created and outcome.ticket_id is not None:
            self.escalated(outcome.conversation_id, outcome.ticket_id)
        else:
            self.outbox.deliver(outcome.conversation_id)

    @staticmethod
    def only_flushes(outcome: CustomerMessageOutcome) -> bool:
        """Whether `after_customer_message` does nothing but flush the outbox (or nothing at all):
        work the scheduler's delivery retry also does, so under overload it may wait for that."""
        return outcome.action not in (
            CustomerMessageAction.ESCALATED,
            CustomerMessageAction.PROPOSED,
            CustomerMessageAction.CANCELLED,
        )

    def after_customer_message(self, outcome: CustomerMessageOutcome) -> None:
        if outcome.conversation_id is None:  # a redelivery of a message handled before
            return
        if outcome.action in _NEW_TICKET and outcome.ticket_id is not None:
            self.escalated(outcome.conversation_id, outcome.ticket_id)
        elif outcome.action is CustomerMessageAction.CANCELLED and outcome.ticket_id is not None:
            self.cancelled(outcome.conversation_id, outcome.ticket_id)
        else:  # the bot's replies, waiting notices, relays: all in the outbox
            self.outbox.deliver_new(outcome.conversation_id)
            if outcome.priority_raised and outcome.ticket_id is not None:  # a frustrated waiting customer
                self.board.refresh(outcome.ticket_id)

    def escalated(self, conversation_id: int, ticket_id: int) -> None:
        # The customer hears first (the bot's last words, their place in the queue): the ticket
        # message needs Slack look-ups that may be slow.
        self.outbox.deliver(conversation_id)
        ticket = self.board.publish(ticket_id)
        if ticket is not None:
            if ticket.message_stale:  # a proposal's card, handed over to the queue: now a ticket's
                self.board.refresh(ticket_id)
            # What the customer sent while the ticket message was being posted now has a thread.
            self.outbox.deliver(conversation_id)
        self._route()

    def cancelled(self, conversation_id: int, ticket_id: int) -> None:
        self.outbox.deliver(conversation_id)
        self.board.refresh(ticket_id)
        self._run(self.withdraw, "withdrawing the offers of a cancelled ticket failed")

    def claimed(self, ticket: TicketView) -> None:
        """After a won claim (`ticket`: as the claim left it)."""
        # Posted now if the claim beat the first post: the thread note needs the ticket message.
        self.board.refresh(ticket.id)
        self.outbox.deliver(ticket.conversation_id)
        self._run(self.withdraw, "withdrawing the offers of a claimed ticket failed")

    def decided(self, ticket: TicketView) -> None:
        """After a decision on a proposal (`ticket`: as it left it), or a click that found one."""
        if ticket.state is TicketState.CONNECTED:  # taken: the thread note needs the message, as for a claim
            self.board.refresh(ticket.id)
            self.outbox.deliver(ticket.conversation_id)
            return
        # The customer hears first (the answer, or their place in the queue); then the card shows it.
        self.outbox.deliver(ticket.conversation_id)
        self.board.refresh(ticket.id)
        if ticket.state is TicketState.WAITING:
            self._route()

    def capacity_changed(self) -> None:
        """An agent has room again or came back (a release, a transfer or reassignment away, now
        available): routing offers the oldest eligible ticket now, not at the scheduler's next run."""
        self._route()

    def closed(self, ticket: TicketView) -> None:
        """After a close (`ticket`: as the close left it)."""
        # Anything the agent wrote before closing reaches the customer before the goodbye (stored after).
        self.outbox.deliver(ticket.conversation_id)
        self.board.refresh(ticket.id)
        self._route()  # the agent has room again: the oldest waiting ticket may go to them
