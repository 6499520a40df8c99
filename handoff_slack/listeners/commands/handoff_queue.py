"""`/handoff-queue`: the waiting tickets in queue order, for agents and admins only.

`/handoff-queue` shows the queue, `/handoff-queue help` the usage and the queue; any other text
gets a short "unknown option" with the usage. Non-agents get the same polite refusal whatever
they type.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk.models.blocks import SectionBlock

from handoff_slack.blocks.mrkdwn import make_safe
from handoff_slack.blocks.queue import queue_listing
from handoff_slack.listeners.agent_check import require_agent
from handoff_slack.listeners.payloads import can_respond
from handoff_slack.services import Services

COMMAND = "/handoff-queue"
SHOWN_ENTRIES = 20
REFUSAL = "Sorry, the queue is only visible to the support team."
HELP_WORDS = frozenset({"help", "?", "-h", "--help"})
USAGE = (
    f"Usage: `{COMMAND}` shows the waiting tickets in queue order, with a Claim button for each "
    f"(only you see it). `{COMMAND} help` shows this help."
)
SHOWN_OPTION_CHARS = 40


def register(app: App, services: Services) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()  # the agent check may call Slack: the answer follows via response_url

    def show_queue(command: dict[str, Any], respond: Respond) -> None:
        respond = can_respond(respond)
        if not require_agent(services, str(command.get("user_id") or ""), respond, REFUSAL):
            return
        option = str(command.get("text") or "").strip()
        if option and option.lower() not in HELP_WORDS:
            respond(text=unknown_option(option), response_type="ephemeral")
            return
        listing = queue_listing(services.helpdesk.queue(SHOWN_ENTRIES), services.clock())
        text, blocks = listing.text, listing.blocks
        if option:  # help: the usage above the queue
            text = f"{USAGE}\n\n{text}"
            blocks = [SectionBlock(text=USAGE).to_dict(), *blocks] if blocks else blocks
        respond(text=text, blocks=blocks or None, response_type="ephemeral")

    app.command(COMMAND)(ack=acknowledge, lazy=[show_queue])


def unknown_option(option: str) -> str:
    return f"Unknown option “{shown(option)}”. {USAGE}"


def shown(text: str) -> str:
    """`text` safe to echo in mrkdwn: short, one line, no control characters, nothing that pings."""
    printable = "".join(" " if unicodedata.category(char).startswith("C") else char for char in text)
    short = " ".join(printable.split())
    if len(short) > SHOWN_OPTION_CHARS:
        short = short[:SHOWN_OPTION_CHARS].rstrip() + "…"
    return make_safe(short, plain=True)
