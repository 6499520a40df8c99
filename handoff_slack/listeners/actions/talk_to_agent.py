"""The "Talk to an agent" button (menus, "can't help", the frustration offer): a certain request."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from handoff_slack.blocks.action_ids import TALK_TO_AGENT
from handoff_slack.core.bot import ButtonAction, Pressed
from handoff_slack.core.helpdesk import CustomerInputOutcome
from handoff_slack.core.states import EscalationReason
from handoff_slack.listeners.customers import customer_from_action
from handoff_slack.listeners.payloads import OUTCOME_KEY, action_channel, action_value, tell
from handoff_slack.services import Services

ONLY_IN_DM = "That button only works in your direct messages with me."


def reason_from(body: dict[str, Any]) -> EscalationReason:
    """Why the button was shown (it says, in its value); an unknown value counts as the menu."""
    value = action_value(body)
    return EscalationReason(value) if value in set(EscalationReason) else EscalationReason.MENU


def register(app: App, services: Services) -> None:
    def escalate(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        customer = customer_from_action(services, body)
        if customer is not None:
            pressed = Pressed(ButtonAction.TALK_TO_AGENT, reason_from(body).value)
            context[OUTCOME_KEY] = services.helpdesk.receive_customer_input(customer, pressed)
        ack()

    def announce(body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
        outcome: CustomerInputOutcome | None = context.get(OUTCOME_KEY)
        channel = action_channel(body)
        if outcome is None or channel is None:
            tell(respond, ONLY_IN_DM)
            return
        services.effects.after_customer_input(outcome, channel)

    app.action(TALK_TO_AGENT)(ack=escalate, lazy=[announce])
