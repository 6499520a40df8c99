"""`/handoff-watch`: the conversations with the bot now, each with a Watch button; agents and admins only.

`/handoff-watch` lists them (latest first, like `/handoff-queue`: the first entries and how many
more), `/handoff-watch help` adds the usage; any other text gets "unknown option" with the usage.
Non-agents get the same polite refusal whatever they type (the listener: listing_command).
"""

from __future__ import annotations

from slack_bolt import App
from slack_sdk.models.blocks import SectionBlock

from handoff_slack.blocks import Rendered
from handoff_slack.blocks.watch import watch_list
from handoff_slack.listeners.commands.handoff_queue import HELP_WORDS
from handoff_slack.listeners.commands.listing_command import register_listing, unknown_option_answer
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
    def listing(user: str, text: str, bot_user_id: str | None) -> Rendered:
        option = text.strip()
        if option and option.lower() not in HELP_WORDS:
            return unknown_option_answer(option, USAGE)
        listed = watch_list(services.helpdesk.bot_conversations(SHOWN_ENTRIES), services.clock())
        if not option:
            return listed
        # help: the usage above the list
        blocks = [SectionBlock(text=USAGE).to_dict(), *listed.blocks] if listed.blocks else listed.blocks
        return Rendered(text=f"{USAGE}\n\n{listed.text}", blocks=blocks)

    register_listing(app, services, COMMAND, REFUSAL, listing)
