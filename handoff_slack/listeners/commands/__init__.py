from __future__ import annotations

from slack_bolt import App

from handoff_slack.listeners.commands import (
    handoff_agents,
    handoff_assign,
    handoff_channel,
    handoff_priority,
    handoff_queue,
    handoff_status,
    handoff_watch,
)
from handoff_slack.services import Services


def register(app: App, services: Services) -> None:
    handoff_queue.register(app, services)
    handoff_watch.register(app, services)
    handoff_channel.register(app, services)
    handoff_status.register(app, services)
    handoff_agents.register(app, services)
    handoff_priority.register(app, services)
    handoff_assign.register(app, services)
