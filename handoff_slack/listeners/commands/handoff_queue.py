"""`/handoff-queue [org:…] [lang:…] [skill:…] [mine] [page N] [help]`: the waiting tickets in queue
order, a page at a time, for agents and admins only (the options: queue_arguments; the page:
listeners.queue_pages). A bad argument gets what is wrong, the usage and an example; non-agents
get the same polite refusal whatever they type.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from handoff_slack.listeners.agent_check import require_agent
from handoff_slack.listeners.commands.queue_arguments import (
    BAD_ORG,
    COMMAND,
    HELP_WORDS,
    USAGE,
    BadQueueArguments,
    org_name,
    parse,
    shown,
    unknown_option,
)
from handoff_slack.listeners.payloads import can_respond
from handoff_slack.listeners.queue_pages import page_for
from handoff_slack.services import Services

# Other commands share the help words and the echo of what was typed.
__all__ = ["BAD_ORG", "COMMAND", "HELP_WORDS", "REFUSAL", "USAGE", "org_name", "register", "shown", "unknown_option"]

REFUSAL = "Sorry, the queue is only visible to the support team."


def register(app: App, services: Services) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()  # the agent check may call Slack: the answer follows via response_url

    def show_queue(command: dict[str, Any], respond: Respond, context: BoltContext) -> None:
        respond = can_respond(respond)
        user = str(command.get("user_id") or "")
        if not require_agent(services, user, respond, REFUSAL):
            return
        try:
            asked = parse(str(command.get("text") or ""))
        except BadQueueArguments as bad:
            respond(text=str(bad), response_type="ephemeral")
            return
        usage = USAGE if asked.help else None
        listing = page_for(services, user, asked.request, context.bot_user_id, usage=usage)
        respond(text=listing.text, blocks=listing.blocks or None, response_type="ephemeral")

    app.command(COMMAND)(ack=acknowledge, lazy=[show_queue])
