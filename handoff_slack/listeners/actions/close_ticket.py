"""The Close button: the owning agent or an admin ends the session."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from handoff_slack.blocks.action_ids import CLOSE_TICKET
from handoff_slack.core.helpdesk import CloseOutcome, CloseResult
from handoff_slack.listeners.payloads import OUTCOME_KEY, acting_user, tell, ticket_id_from_action
from handoff_slack.services import Services

NOT_A_TICKET = "That button doesn't belong to any ticket, so nothing was closed."
ONLY_OWNER = "Only the agent who claimed this ticket, or an admin, can close it."


def register(app: App, services: Services) -> None:
    def close(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        ticket_id = ticket_id_from_action(body)
        user = acting_user(body)
        if ticket_id is not None and user:
            # The core checks that `user` owns the ticket (or is an admin), whatever the button says.
            context[OUTCOME_KEY] = services.helpdesk.close(ticket_id, user, services.agents.is_admin(user))
        ack()

    def announce(body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
        outcome: CloseOutcome | None = context.get(OUTCOME_KEY)
        if outcome is None:
            tell(respond, NOT_A_TICKET)
        elif outcome.result is CloseResult.CLOSED and outcome.ticket is not None:
            services.effects.closed(outcome.ticket)
        elif outcome.result is CloseResult.NOT_ALLOWED and outcome.ticket is not None:
            owner = outcome.ticket.agent_user_id
            tell(respond, f"Only <@{owner}> or an admin can close this ticket." if owner else ONLY_OWNER)
        elif outcome.result is CloseResult.NOT_OPEN:
            tell(respond, "This ticket is already closed.")
        elif outcome.result is CloseResult.NOT_FOUND:
            tell(respond, f"Ticket {ticket_id_from_action(body)} does not exist.")

    app.action(CLOSE_TICKET)(ack=close, lazy=[announce])
