"""The Cancel button on a waiting notice: leave the queue and go back to the bot."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from handoff_slack.blocks.action_ids import CANCEL_WAITING
from handoff_slack.core.helpdesk import CancelResult
from handoff_slack.listeners.customers import customer_from_action
from handoff_slack.listeners.payloads import OUTCOME_KEY, acting_user, action_door, tell, ticket_id_from_action
from handoff_slack.services import Services

NOT_YOURS = "That button isn't for a request of yours, so nothing was cancelled."


def register(app: App, services: Services) -> None:
    def cancel(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        ticket_id = ticket_id_from_action(body)
        user = acting_user(body)
        door = action_door(body)
        thread = door if door is not None and door.is_thread else None
        if thread is not None and customer_from_action(services, body) is None:
            context[OUTCOME_KEY] = CancelResult.NOT_YOURS  # an internal person, or a channel not served
        elif ticket_id is not None and user:
            # The core checks the ticket is the clicking customer's own, or pressed in a thread, that
            # thread's (anyone of the customer's organisation there takes part in its conversation).
            # A DM's channel in the payload is not needed (nor trusted): the ticket's customer is
            # who may cancel it, and the notices go to their own DM.
            context[OUTCOME_KEY] = services.helpdesk.cancel_waiting(user, ticket_id, thread)
        ack()

    def announce(body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
        result: CancelResult | None = context.get(OUTCOME_KEY)
        ticket_id = ticket_id_from_action(body)
        if result is None or result is CancelResult.NOT_YOURS or ticket_id is None:
            tell(respond, NOT_YOURS)
            return
        ticket = services.helpdesk.ticket(ticket_id)
        if ticket is None:
            return
        # What to tell the customer was stored with the outcome; it goes to their own DM.
        if result is CancelResult.CANCELLED:
            services.effects.cancelled(ticket.conversation_id, ticket_id)
        else:
            services.outbox.deliver(ticket.conversation_id)

    app.action(CANCEL_WAITING)(ack=cancel, lazy=[announce])
