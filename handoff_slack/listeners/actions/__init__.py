from __future__ import annotations

from slack_bolt import App

from handoff_slack.listeners.actions import (
    assist_buttons,
    bot_buttons,
    cancel_waiting,
    claim_ticket,
    close_ticket,
    fill_in_form,
    offer_buttons,
    proposal_buttons,
    queue_buttons,
    survey_buttons,
    talk_to_agent,
    transfer_buttons,
    unknown_action,
    waiting_buttons,
    watch_buttons,
)
from handoff_slack.services import Services


def register(app: App, services: Services) -> None:
    talk_to_agent.register(app, services)
    bot_buttons.register(app, services)
    fill_in_form.register(app, services)
    cancel_waiting.register(app, services)
    claim_ticket.register(app, services)
    close_ticket.register(app, services)
    proposal_buttons.register(app, services)
    assist_buttons.register(app, services)
    watch_buttons.register(app, services)
    transfer_buttons.register(app, services)
    offer_buttons.register(app, services)
    survey_buttons.register(app, services)
    queue_buttons.register(app, services)
    waiting_buttons.register(app, services)
    unknown_action.register(app)  # must stay last: Bolt runs the first listener that matches
