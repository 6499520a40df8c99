"""`/handoff-status`: an agent's availability, capacity, languages and skills; agents and admins only.

With no text it shows your status and open conversations; `available`, `away` or `offline`,
`capacity N`, `languages de,fr` and `skills billing,hardware` (any of them, in any order) change it.
An admin may name someone first (`/handoff-status @alice away`) to see or change theirs. Every change
is written to the audit log with the profile, in one transaction. Answers are ephemeral; a bad
argument gets what is wrong, the usage and an example; a non-agent gets a refusal that tells nothing.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from handoff_slack.blocks.agents import status_answer
from handoff_slack.core.agent_profiles import Availability, ProfileChange
from handoff_slack.listeners.agent_check import require_agent
from handoff_slack.listeners.commands.handoff_queue import HELP_WORDS
from handoff_slack.listeners.commands.status_arguments import BadArguments, read_status_arguments
from handoff_slack.listeners.payloads import can_respond
from handoff_slack.services import Services
from handoff_slack.slack.directory import AgentCheckUnavailable

COMMAND = "/handoff-status"
REFUSAL = "Sorry, this command is only for the support team."
USAGE = (
    f"Usage: `{COMMAND}` shows your status. `{COMMAND} available` (or `away`, `offline`) says whether "
    "you take new conversations; `capacity N` (1–50) is the most you have at once; `languages de,fr` "
    "and `skills billing,hardware` say what you can help with (`none` clears them). Any of them, in any "
    f"order: e.g. `{COMMAND} available capacity 4 languages de,pt-BR skills billing`. Admins can name "
    f"someone first: `{COMMAND} @alice away`. Going away keeps the conversations you have."
)
ADMINS_ONLY = "Only the helpdesk's admins can see or set someone else's status."
NOT_AN_AGENT = "<@{user}> is not on the support team, so they have no status here."


def register(app: App, services: Services) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()  # the agent check may call Slack: the answer follows via response_url

    def answer(command: dict[str, Any], respond: Respond) -> None:
        respond = can_respond(respond)
        user = str(command.get("user_id") or "")
        if not require_agent(services, user, respond, REFUSAL):
            return
        said, change = _answer(services, user, str(command.get("text") or "").strip())
        respond(text=said, response_type="ephemeral")
        if change is not None and may_take_more(change):
            services.effects.capacity_changed()  # the oldest eligible ticket goes to them now

    app.command(COMMAND)(ack=acknowledge, lazy=[answer])


def may_take_more(change: ProfileChange) -> bool:
    """Whether the change may let routing offer someone a ticket: anything but going away or offline
    (availability, capacity, languages or skills)."""
    leaving = change.availability is not None and change.availability is not Availability.AVAILABLE
    return not change.is_empty and not leaving


def _answer(services: Services, user: str, text: str) -> tuple[str, ProfileChange | None]:
    """What to answer, and the change made (None: nothing changed)."""
    if text.lower() in HELP_WORDS:
        return USAGE, None
    try:
        request = read_status_arguments(text)
    except BadArguments as error:
        return f"{error} {USAGE}", None
    target = request.target_user_id or user
    if target != user:
        if not services.agents.is_admin(user):
            return ADMINS_ONLY, None
        try:
            if not services.agents.is_agent(target):
                return NOT_AN_AGENT.format(user=target), None
        except AgentCheckUnavailable:
            return "I couldn't check with Slack who is on the support team. Please try again in a moment.", None
    default = services.settings.agent_capacity
    changed = not request.change.is_empty
    if changed:
        services.profiles.change(target, request.change, user, services.clock())
    status = services.profiles.status(target, default)
    return status_answer(status, yours=target == user, changed=changed), request.change if changed else None
