"""`/handoff-assign <ticket> @agent`: an admin gives a waiting or connected ticket to an agent at
once (core.transfers.assign). Everyone else gets a polite refusal that says nothing about tickets
or agents; a bad argument gets the usage with an example."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from handoff_slack.core.errors import StorageUnavailable
from handoff_slack.listeners.payloads import MAX_TICKET_ID, can_respond
from handoff_slack.listeners.transfer_answers import FAILED, answer, show
from handoff_slack.services import Services
from handoff_slack.slack.directory import AgentCheckUnavailable

COMMAND = "/handoff-assign"
REFUSAL = "Sorry, only the helpdesk's admins can use this command."
USAGE = (
    f"Usage: `{COMMAND} <ticket number> @agent` gives the ticket (waiting or claimed) to that agent now; "
    f"they are not asked first, and the customer is told who they are talking with. "
    f"Example: `{COMMAND} 42 @alice`. `{COMMAND} help` shows this."
)
# Slack escapes the mention (the manifest's should_escape): <@U123> or <@U123|alice>.
_ARGUMENTS = re.compile(r"#?(\d{1,10})\s+<@([UW][A-Z0-9]{2,30})(?:\|[^>]*)?>", re.ASCII)
MAX_TEXT = 500  # longer is never a ticket and a mention


def parse(text: str) -> tuple[int, str] | None:
    """The ticket number and the agent's user ID, or None when `text` is not that."""
    found = _ARGUMENTS.fullmatch(text.strip()[:MAX_TEXT])
    if found is None:
        return None
    number = int(found.group(1))
    return (number, found.group(2)) if 0 < number <= MAX_TICKET_ID else None


def register(app: App, services: Services) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()  # the answer follows via response_url

    def assign(command: dict[str, Any], respond: Respond, context: BoltContext) -> None:
        respond = can_respond(respond)
        user = str(command.get("user_id") or "")
        text = str(command.get("text") or "")
        if not services.agents.is_admin(user):
            respond(text=REFUSAL, response_type="ephemeral")
            return
        respond(text=_assign(services, user, text, context.bot_user_id), response_type="ephemeral")

    app.command(COMMAND)(ack=acknowledge, lazy=[assign])


def _assign(services: Services, admin: str, text: str, bot_user_id: str | None) -> str:
    if text.strip().lower() in ("", "help"):
        return USAGE
    found = parse(text)
    if found is None:
        return f"I couldn't read that. {USAGE}"
    ticket_id, target = found
    try:
        if target == bot_user_id or not services.agents.is_agent(target):  # the app is no agent
            return f"<@{target}> is not an agent (a member of <#{services.settings.support_channel}>). {USAGE}"
    except AgentCheckUnavailable:
        return "I couldn't check with Slack who is on the support team. Please try again in a moment."
    person = services.people.person(target)
    try:
        outcome = services.helpdesk.assign(ticket_id, admin, target, person.name, person.avatar_url)
    except StorageUnavailable:
        return FAILED
    show(services, outcome)
    return answer(outcome, ticket_id) or f"Ticket {ticket_id} is now with <@{target}>."
