"""The server-side check that a button or command is used by an agent (or admin)."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import Respond

from handoff_slack.core.agent_profiles import AgentProfile
from handoff_slack.services import Services
from handoff_slack.slack.directory import AgentCheckUnavailable

CHECK_UNAVAILABLE = "I couldn't check with Slack whether you're on the support team. Please try again in a moment."


def require_agent(services: Services, user_id: str, respond: Respond, refusal: str) -> bool:
    """True for agents; everyone else gets `refusal` (only they see it) and nothing else happens."""
    try:
        if services.agents.is_agent(user_id):
            return True
        respond(text=refusal, response_type="ephemeral", replace_original=False)
    except AgentCheckUnavailable:
        respond(text=CHECK_UNAVAILABLE, response_type="ephemeral", replace_original=False)
    return False


def the_team(services: Services, bot_user_id: str | None) -> tuple[frozenset[str], dict[str, AgentProfile]]:
    """Who is on the support team, and everyone's profile: the members (the app is one of the support
    channel's, not an agent) and admins who set a status. Raises AgentCheckUnavailable."""
    members = services.agents.agent_ids()
    profiles = services.profiles.profiles()
    return (members | (services.agents.admins & profiles.keys())) - {bot_user_id}, profiles


def agents_are(services: Services) -> str:
    """Who the agents are, for a refusal: "members of <#C…>", or of the agents' user group."""
    if services.agents.group_id is not None:
        return f"members of <!subteam^{services.agents.group_id}>"
    return f"members of <#{services.settings.support_channel}>"


def require_approver(services: Services, user_id: str, say: Callable[[str], None]) -> bool:
    """True for whoever may decide on the bot's proposals (supervision.approvers); everyone else is
    told so (`say`: only they see it) and nothing else happens."""
    approvers = services.approvers
    who = agents_are(services) if approvers.group_id is None else approvers.who
    try:
        if approvers.may_decide(user_id):
            return True
        say(f"Only {who} can approve, edit or reject the bot's answers.")
    except AgentCheckUnavailable:
        say(CHECK_UNAVAILABLE)
    return False
