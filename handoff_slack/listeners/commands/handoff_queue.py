"""`/handoff-queue [org:…] [lang:…] [skill:…] [mine] [page N] [help]`: the waiting tickets in queue
order, a page at a time, for agents and admins only (the listener: listing_command; the options:
queue_arguments; the page: listeners.queue_pages). A bad argument gets what is wrong, the usage and
an example; non-agents get the same polite refusal whatever they type.
"""

from __future__ import annotations

from slack_bolt import App

from handoff_slack.blocks import Rendered
from handoff_slack.listeners.commands.listing_command import register_listing
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
from handoff_slack.listeners.queue_pages import page_for
from handoff_slack.services import Services

# Other commands share the help words and the echo of what was typed.
__all__ = ["BAD_ORG", "COMMAND", "HELP_WORDS", "REFUSAL", "USAGE", "org_name", "register", "shown", "unknown_option"]

REFUSAL = "Sorry, the queue is only visible to the support team."


def register(app: App, services: Services) -> None:
    def listing(user: str, text: str, bot_user_id: str | None) -> Rendered:
        try:
            asked = parse(text)
        except BadQueueArguments as bad:
            return Rendered(text=str(bad), blocks=[])
        usage = USAGE if asked.help else None
        return page_for(services, user, asked.request, bot_user_id, usage=usage)

    register_listing(app, services, COMMAND, REFUSAL, listing)
