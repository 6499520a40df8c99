"""The Claim button (on the ticket message and in `/handoff-queue`): only agents, one winner."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from handoff_slack.blocks.action_ids import CLAIM_TICKET
from handoff_slack.core.errors import StorageUnavailable
from handoff_slack.core.helpdesk import ClaimResult
from handoff_slack.listeners.agent_check import agents_are, require_agent
from handoff_slack.listeners.payloads import acting_user, can_respond, tell, ticket_id_from_action
from handoff_slack.services import Services

NOT_A_TICKET = "That button doesn't belong to any ticket, so nothing was claimed."


CLAIM_FAILED = (
    "I couldn't claim that ticket just now (the help desk's database did not answer). Please press Claim again."
)


def register(app: App, services: Services) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()  # checking membership may call Slack: that happens after the ack

    def claim(body: dict[str, Any], respond: Respond) -> None:
        user = acting_user(body)
        refusal = f"Only {agents_are(services)} can claim tickets."
        if not user or not require_agent(services, user, can_respond(respond), refusal):
            return
        ticket_id = ticket_id_from_action(body)
        if ticket_id is None:
            tell(respond, NOT_A_TICKET)
            return
        try:
            said = claim_for(services, user, ticket_id)
        except StorageUnavailable:
            # The click was acked before this ran, so Slack will not send it again: say so.
            tell(respond, CLAIM_FAILED)
            raise
        if said is not None:
            tell(respond, said)

    app.action(CLAIM_TICKET)(ack=acknowledge, lazy=[claim])


def claim_for(services: Services, user: str, ticket_id: int) -> str | None:
    """Agent `user` claims the ticket: what they are told (None when claimed: the ticket message and
    thread say so). Raises StorageUnavailable."""
    agent = services.people.person(user)
    outcome = services.helpdesk.claim(ticket_id, user, agent.name, agent.avatar_url)
    if outcome.result is ClaimResult.CLAIMED and outcome.ticket is not None:
        services.effects.claimed(outcome.ticket)
        return None
    if outcome.result is ClaimResult.ALREADY_CLAIMED and outcome.ticket is not None:
        owner = outcome.ticket.agent_user_id
        if owner == user:
            return f"You already have ticket {ticket_id}."
        return f"Ticket {ticket_id} was already claimed by <@{owner}>."
    if outcome.result is ClaimResult.NOT_WAITING:
        return f"Ticket {ticket_id} is no longer waiting (the customer cancelled or it was closed)."
    return f"Ticket {ticket_id} does not exist."
