from __future__ import annotations

from slack_bolt import App

from handoff_slack.listeners.events import (
    customer_message,
    message_edits,
    support_channel_membership,
    support_thread_reply,
    unhandled_message,
)
from handoff_slack.services import Services


def register(app: App, services: Services) -> None:
    customer_message.register(app, services)
    support_thread_reply.register(app, services)
    message_edits.register(app, services)
    support_channel_membership.register(app, services)
    unhandled_message.register(app)  # must stay last: Bolt runs the first listener that matches
