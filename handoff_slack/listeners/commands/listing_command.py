"""The listener of a command that lists something for agents (`/handoff-queue`, `/handoff-watch`,
`/handoff-agents`).

Each is acknowledged at once (the agent check may call Slack: the answer follows via the
response_url), refuses non-agents the same way whatever they typed, and answers once, only to the
person who asked: the listing (or a page of it), the usage on `help`, or what is wrong with the
options, with the usage. What is listed, and how the options read, is each command's own: its
`Listing`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from handoff_slack.blocks import Rendered
from handoff_slack.listeners.agent_check import require_agent
from handoff_slack.listeners.commands.queue_arguments import shown
from handoff_slack.listeners.payloads import can_respond
from handoff_slack.services import Services

# The answer to an agent: (who asked, the command's text as Slack sent it, the app's own user ID).
Listing = Callable[[str, str, str | None], Rendered]


def register_listing(app: App, services: Services, name: str, refusal: str, listing: Listing) -> None:
    """Answer the command `name` with `listing`; non-agents get `refusal`."""

    def acknowledge(ack: Ack) -> None:
        ack()  # the agent check may call Slack: the answer follows via response_url

    def answer(command: dict[str, Any], respond: Respond, context: BoltContext) -> None:
        respond = can_respond(respond)
        user = str(command.get("user_id") or "")
        if not require_agent(services, user, respond, refusal):
            return
        said = listing(user, str(command.get("text") or ""), context.bot_user_id)
        respond(text=said.text, blocks=said.blocks or None, response_type="ephemeral")

    app.command(name)(ack=acknowledge, lazy=[answer])


def unknown_option_answer(option: str, usage: str) -> Rendered:
    """The answer to text a command does not take as options."""
    return Rendered(text=f"Unknown option “{shown(option)}”. {usage}", blocks=[])
