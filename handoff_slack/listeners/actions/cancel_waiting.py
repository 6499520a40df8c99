"""The Cancel button on a waiting notice: leave the queue and go back to the bot."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from handoff_slack.blocks import customer as customer_blocks
from handoff_slack.blocks.action_ids import CANCEL_WAITING
from handoff_slack.core.helpdesk import CancelResult
from handoff_slack.listeners.payloads import OUTCOME_KEY, acting_user, action_channel, ticket_id_from_action
from handoff_slack.services import Services


def register(app: App, services: Services) -> None:
    def cancel(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        ticket_id = ticket_id_from_action(body)
        if ticket_id is not None:
            # The core checks the ticket is the clicking customer's own.
            context[OUTCOME_KEY] = services.helpdesk.cancel_waiting(acting_user(body), ticket_id)
        ack()

    def announce(body: dict[str, Any], context: BoltContext) -> None:
        result: CancelResult | None = context.get(OUTCOME_KEY)
        channel = action_channel(body)
        if channel is None:
            return
        if result is CancelResult.CANCELLED:
            services.effects.cancelled(ticket_id_from_action(body), channel)  # type: ignore[arg-type]
        elif result is CancelResult.NOT_WAITING:
            services.customers.send(channel, customer_blocks.cancel_too_late())

    app.action(CANCEL_WAITING)(ack=cancel, lazy=[announce])
