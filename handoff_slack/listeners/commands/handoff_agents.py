"""`/handoff-agents`: who is on, for agents and admins: each agent's availability, connected
conversations against capacity, languages and skills; the available first. `/handoff-agents 2`
shows the second page (100 agents a page); `help` the usage. Non-agents get a polite refusal (the
listener: listing_command).
"""

from __future__ import annotations

from slack_bolt import App
from slack_sdk.models.blocks import SectionBlock

from handoff_slack.blocks import Rendered
from handoff_slack.blocks.agents import agents_listing
from handoff_slack.core.agent_profiles import roster
from handoff_slack.listeners.agent_check import CHECK_UNAVAILABLE, the_team
from handoff_slack.listeners.commands.handoff_queue import HELP_WORDS
from handoff_slack.listeners.commands.listing_command import register_listing, unknown_option_answer
from handoff_slack.services import Services
from handoff_slack.slack.directory import AgentCheckUnavailable

COMMAND = "/handoff-agents"
REFUSAL = "Sorry, this command is only for the support team."
USAGE = (
    f"Usage: `{COMMAND}` lists the agents, the available first, with their open conversations, capacity, "
    f"languages and skills (only you see it); `{COMMAND} 2` shows the next page. Set your own with "
    "`/handoff-status`."
)
MAX_PAGE = 1000


def register(app: App, services: Services) -> None:
    def listing(user: str, text: str, bot_user_id: str | None) -> Rendered:
        option = text.strip()
        if option.lower() in HELP_WORDS:
            return Rendered(text=USAGE, blocks=[])
        page = int(option) if option.isascii() and option.isdigit() and 0 < int(option) <= MAX_PAGE else None
        if option and page is None:
            return unknown_option_answer(option, USAGE)
        try:
            agent_ids, profiles = the_team(services, bot_user_id)
        except AgentCheckUnavailable:
            return Rendered(text=CHECK_UNAVAILABLE, blocks=[])
        statuses = roster(agent_ids, profiles, services.profiles.open_counts(), services.settings.agent_capacity)
        listed = agents_listing(statuses, page or 1)
        return Rendered(text=listed.text, blocks=listed.blocks or [SectionBlock(text=listed.text).to_dict()])

    register_listing(app, services, COMMAND, REFUSAL, listing)
