from __future__ import annotations

from slack_bolt import App

from handoff_slack.listeners.events import app_mentions, message_routing, reaction_ticket, support_channel_membership
from handoff_slack.services import Services


def register(app: App, services: Services) -> None:
    message_routing.register(app, services)  # every `message` event, unhandled ones included
    support_channel_membership.register(app, services)
    app_mentions.register(app, services)  # a customer's mention of the app in a served channel
    reaction_ticket.register(app, services)  # the ticket emoji in a served shared channel
