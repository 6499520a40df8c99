"""`/handoff-agents`: who is on, for agents and admins: each agent's availability, connected
conversations against capacity, languages and skills; the available first. `/handoff-agents 2`
shows the second page (100 agents a page); `help` the usage. Non-agents get a polite refusal.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk.models.blocks import SectionBlock

from handoff_slack.blocks.agents import agents_listing
from handoff_slack.core.agent_profiles import roster
from handoff_slack.listeners.agent_check import CHECK_UNAVAILABLE, require_agent
from handoff_slack.listeners.commands.handoff_queue import HELP_WORDS, shown
from handoff_slack.listeners.payloads import can_respond
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
    def acknowledge(ack: Ack) -> None:
        ack()  # the agent check calls Slack: the answer follows via response_url

    def show_agents(command: dict[str, Any], respond: Respond, context: BoltContext) -> None:
        respond = can_respond(respond)
        if not require_agent(services, str(command.get("user_id") or ""), respond, REFUSAL):
            return
        option = str(command.get("text") or "").strip()
        if option.lower() in HELP_WORDS:
            respond(text=USAGE, response_type="ephemeral")
            return
        page = int(option) if option.isascii() and option.isdigit() and 0 < int(option) <= MAX_PAGE else None
        if option and page is None:
            respond(text=f"Unknown option “{shown(option)}”. {USAGE}", response_type="ephemeral")
            return
        try:
            members = services.agents.agent_ids()
        except AgentCheckUnavailable:
            respond(text=CHECK_UNAVAILABLE, response_type="ephemeral")
            return
        profiles = services.profiles.profiles()
        # The members (the bot is one of the support channel's), and admins who set a status.
        agent_ids = (members | (services.agents.admins & profiles.keys())) - {context.bot_user_id}
        statuses = roster(agent_ids, profiles, services.profiles.open_counts(), services.settings.agent_capacity)
        listing = agents_listing(statuses, page or 1)
        blocks = listing.blocks or [SectionBlock(text=listing.text).to_dict()]
        respond(text=listing.text, blocks=blocks, response_type="ephemeral")

    app.command(COMMAND)(ack=acknowledge, lazy=[show_agents])
