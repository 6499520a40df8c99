"""`/handoff-watch`: the conversations with the bot now, each with a Watch button; agents and admins only.

`/handoff-watch` lists them (latest first, like `/handoff-queue`: the first entries and how many
more), `/handoff-watch help` adds the usage; any other text gets "unknown option" with the usage.
Non-agents get the same polite refusal whatever they type.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk.models.blocks import SectionBlock

from handoff_slack.blocks.watch import watch_list
from handoff_slack.listeners.agent_check import require_agent
from handoff_slack.listeners.commands.handoff_queue import HELP_WORDS, shown
from handoff_slack.listeners.payloads import can_respond
from handoff_slack.services import Services

COMMAND = "/handoff-watch"
SHOWN_ENTRIES = 20
REFUSAL = "Sorry, watching the bot's conversations is only for the support team."
USAGE = (
    f"Usage: `{COMMAND}` lists the customers talking with the bot now, with a Watch button for each "
    "(only you see it): watching mirrors their conversation into a read-only thread in the support "
    f"channel, where you can take it over. `{COMMAND} help` shows this help."
)


def register(app: App, services: Services) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()  # the agent check may call Slack: the answer follows via response_url

    def show_list(command: dict[str, Any], respond: Respond) -> None:
        respond = can_respond(respond)
        if not require_agent(services, str(command.get("user_id") or ""), respond, REFUSAL):
            return
        option = str(command.get("text") or "").strip()
        if option and option.lower() not in HELP_WORDS:
            respond(text=f"Unknown option “{shown(option)}”. {USAGE}", response_type="ephemeral")
            return
        listing = watch_list(services.helpdesk.bot_conversations(SHOWN_ENTRIES), services.clock())
        text, blocks = listing.text, listing.blocks
        if option:  # help: the usage above the list
            text = f"{USAGE}\n\n{text}"
            blocks = [SectionBlock(text=USAGE).to_dict(), *blocks] if blocks else blocks
        respond(text=text, blocks=blocks or None, response_type="ephemeral")

    app.command(COMMAND)(ack=acknowledge, lazy=[show_list])
