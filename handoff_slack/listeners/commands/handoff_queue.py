"""`/handoff-queue`: the waiting tickets in queue order, for agents and admins only."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from handoff_slack.blocks.queue import queue_listing
from handoff_slack.listeners.agent_check import require_agent
from handoff_slack.services import Services

COMMAND = "/handoff-queue"
SHOWN_ENTRIES = 20
REFUSAL = "Sorry, the queue is only visible to the support team."


def register(app: App, services: Services) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()  # the agent check may call Slack: the answer follows via response_url

    def show_queue(command: dict[str, Any], respond: Respond) -> None:
        if not require_agent(services, command.get("user_id", ""), respond, REFUSAL):
            return
        listing = queue_listing(services.helpdesk.queue(SHOWN_ENTRIES), services.clock())
        respond(text=listing.text, blocks=listing.blocks or None, response_type="ephemeral")

    app.command(COMMAND)(ack=acknowledge, lazy=[show_queue])
