"""`/handoff-queue`: the waiting tickets in queue order, for agents and admins only.

`/handoff-queue` shows the queue, `/handoff-queue help` the usage and the queue,
`/handoff-queue org:<name>` (or `org:"Acme Corp"`) only the waiting tickets of that organisation's
customers, matched without case; any other text gets a short "unknown option" with the usage.
Non-agents get the same polite refusal whatever they type.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk.models.blocks import SectionBlock

from handoff_slack.blocks.mrkdwn import make_safe
from handoff_slack.blocks.queue import org_queue_listing, queue_listing
from handoff_slack.listeners.agent_check import require_agent
from handoff_slack.listeners.payloads import can_respond
from handoff_slack.services import Services

COMMAND = "/handoff-queue"
SHOWN_ENTRIES = 20
REFUSAL = "Sorry, the queue is only visible to the support team."
HELP_WORDS = frozenset({"help", "?", "-h", "--help"})
USAGE = (
    f"Usage: `{COMMAND}` shows the waiting tickets in queue order, with a Claim button for each "
    f"(only you see it). `{COMMAND} org:<name>` shows only those of one organisation's customers, "
    f'e.g. `{COMMAND} org:"Acme Corp"`. `{COMMAND} help` shows this help.'
)
BAD_ORG = f'Which organisation? Write its name after `org:`, e.g. `{COMMAND} org:"Acme Corp"`. {USAGE}'
SHOWN_OPTION_CHARS = 40
ORG_PREFIX = "org:"
QUOTES = '"“”'  # straight quotes, and the curly ones clients may type instead
_QUOTED = re.compile(f"[{QUOTES}]([^{QUOTES}]*)[{QUOTES}]")
# Slack escapes these three in a command's text.
_SLACK_ESCAPES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


def register(app: App, services: Services) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()  # the agent check may call Slack: the answer follows via response_url

    def show_queue(command: dict[str, Any], respond: Respond) -> None:
        respond = can_respond(respond)
        if not require_agent(services, str(command.get("user_id") or ""), respond, REFUSAL):
            return
        option = str(command.get("text") or "").strip()
        if option[: len(ORG_PREFIX)].lower() == ORG_PREFIX:
            org = org_name(option[len(ORG_PREFIX) :])
            if org is None:
                respond(text=BAD_ORG, response_type="ephemeral")
                return
            orgs, snapshot = services.helpdesk.org_queue(org, SHOWN_ENTRIES)
            listing = org_queue_listing(orgs, snapshot, services.clock(), shown(org))
            respond(text=listing.text, blocks=listing.blocks or None, response_type="ephemeral")
            return
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


def org_name(argument: str) -> str | None:
    """The organisation named after `org:`: quoted (`"Acme Corp"`) or the rest of the text as it is,
    spaces collapsed; None when there is none, or its quotes do not pair up."""
    argument = argument.strip()
    quoted = _QUOTED.fullmatch(argument)
    if quoted is not None:
        argument = quoted.group(1)
    elif any(quote in argument for quote in QUOTES):
        return None
    for escaped, char in _SLACK_ESCAPES:
        argument = argument.replace(escaped, char)
    name = " ".join(argument.split())
    return name or None


def unknown_option(option: str) -> str:
    return f"Unknown option “{shown(option)}”. {USAGE}"


def shown(text: str) -> str:
    """`text` safe to echo in mrkdwn: short, one line, no control characters, nothing that pings."""
    printable = "".join(" " if unicodedata.category(char).startswith("C") else char for char in text)
    short = " ".join(printable.split())
    if len(short) > SHOWN_OPTION_CHARS:
        short = short[:SHOWN_OPTION_CHARS].rstrip() + "…"
    return make_safe(short, plain=True)
