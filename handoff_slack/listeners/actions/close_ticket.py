"""The Close button: the owning agent or an admin ends the session."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from handoff_slack.blocks.action_ids import CLOSE_TICKET
from handoff_slack.core.helpdesk import CloseOutcome, CloseResult
from handoff_slack.listeners.payloads import OUTCOME_KEY, acting_user, ticket_id_from_action
from handoff_slack.services import Services


def register(app: App, services: Services) -> None:
    def close(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        ticket_id = ticket_id_from_action(body)
        if ticket_id is not None:
            user = acting_user(body)
            context[OUTCOME_KEY] = services.helpdesk.close(ticket_id, user, services.agents.is_admin(user))
        ack()

    def announce(context: BoltContext, respond: Respond) -> None:
        outcome: CloseOutcome | None = context.get(OUTCOME_KEY)
        if outcome is None:
            return
        if outcome.result is CloseResult.CLOSED:
            services.effects.closed(outcome)
        elif outcome.result is CloseResult.NOT_ALLOWED and outcome.ticket is not None:
            respond(
                text=f"Only <@{outcome.ticket.agent_user_id}> or an admin can close this ticket.",
                response_type="ephemeral",
                replace_original=False,
            )
        elif outcome.result is CloseResult.NOT_OPEN:
            respond(text="This ticket is already closed.", response_type="ephemeral", replace_original=False)

    app.action(CLOSE_TICKET)(ack=close, lazy=[announce])
