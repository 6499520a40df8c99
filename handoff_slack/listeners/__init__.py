"""Slack listeners, grouped by kind like Bolt's starter template.

Each listener is a thin adapter: an `ack` phase that parses the payload and makes the step in the
core (committed before Slack gets its 200), and a lazy phase, run after the ack, that does the
Slack calls.
"""

from __future__ import annotations

from slack_bolt import App

from handoff_slack.listeners import actions, agent_groups, commands, events, views
from handoff_slack.listeners.private_answers import answer_privately
from handoff_slack.services import Services


def register_listeners(app: App, services: Services) -> None:
    app.middleware(answer_privately)  # a response_url that fails falls back to an ephemeral message
    # Bolt tries listeners in this order, building kwargs for each one's matchers; the kinds never
    # match each other's payloads, so messages (most of the traffic) come first.
    events.register(app, services)
    agent_groups.register(app, services)  # user groups' membership events
    actions.register(app, services)
    commands.register(app, services)
    views.register(app, services)
