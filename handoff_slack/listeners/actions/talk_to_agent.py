"""The menu's "Talk to an agent" button: a certain request for a person."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from handoff_slack.blocks import customer as customer_blocks
from handoff_slack.blocks.action_ids import TALK_TO_AGENT
from handoff_slack.core.helpdesk import Customer, EscalationOutcome
from handoff_slack.core.states import ConversationMode, EscalationReason
from handoff_slack.listeners.payloads import (
    OUTCOME_KEY,
    acting_team,
    acting_user,
    action_channel,
    is_direct_message,
    tell,
)
from handoff_slack.services import Services

ONLY_IN_DM = "That button only works in your direct messages with me."


def register(app: App, services: Services) -> None:
    def escalate(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        channel = action_channel(body)
        user = acting_user(body)
        if is_direct_message(channel) and user:
            # The customer is whoever clicked, in their own DM: nobody can queue someone else.
            customer = Customer(user_id=user, dm_channel_id=channel, team_id=acting_team(body))  # type: ignore[arg-type]
            context[OUTCOME_KEY] = services.helpdesk.escalate(customer, EscalationReason.MENU)
        ack()

    def announce(body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
        outcome: EscalationOutcome | None = context.get(OUTCOME_KEY)
        channel = action_channel(body)
        if outcome is None or channel is None:
            tell(respond, ONLY_IN_DM)
            return
        if outcome.created:
            services.effects.escalated(outcome.ticket_id, channel, outcome.position)  # type: ignore[arg-type]
        elif outcome.mode is ConversationMode.WAITING:
            services.customers.send(channel, customer_blocks.still_waiting(outcome.position or 1, outcome.ticket_id))  # type: ignore[arg-type]
        else:
            found = services.helpdesk.ticket(outcome.ticket_id) if outcome.ticket_id else None
            services.customers.send(channel, customer_blocks.already_connected(found[0].agent_name if found else None))

    app.action(TALK_TO_AGENT)(ack=escalate, lazy=[announce])
