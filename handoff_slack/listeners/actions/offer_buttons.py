"""An offer's Accept and Decline buttons in an agent's DM (core.routing_desk): only the agent
offered may answer; of an accept, a decline, the timeout and a Claim button exactly one wins."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from handoff_slack.blocks.action_ids import OFFER_ACCEPT, OFFER_DECLINE
from handoff_slack.core.errors import StorageUnavailable
from handoff_slack.core.routing_desk import AnswerResult, OfferAnswer
from handoff_slack.listeners.payloads import acting_user, tell, ticket_id_from_action
from handoff_slack.services import Services
from handoff_slack.slack.directory import AgentCheckUnavailable

NOT_AN_OFFER = "That button doesn't belong to any offer, so nothing changed."
NOT_YOURS = "This offer was made to someone else, so nothing changed."
CHECK_UNAVAILABLE = (
    "I couldn't check with Slack who is on the support team just now, so nothing changed. Please press again."
)
ANSWER_FAILED = "I couldn't record your answer just now (the help desk's database did not answer). Please press again."


def _said(answer: OfferAnswer) -> str:
    ticket = answer.offer.ticket_id if answer.offer is not None else "?"
    if answer.result is AnswerResult.ACCEPTED:
        return f"Ticket #{ticket} is yours: reply in its thread in the support channel."
    if answer.result is AnswerResult.DECLINED:
        return f"Declined: ticket #{ticket} goes to the next agent."
    if answer.result is AnswerResult.TAKEN:
        who = f"<@{answer.owner_user_id}>" if answer.owner_user_id else "someone else"
        return f"Ticket #{ticket} no longer needs you: {who} has it, or the customer left the queue."
    if answer.result is AnswerResult.FULL:
        return f"You are at your capacity, so ticket #{ticket} goes to the next agent. Close a conversation first."
    if answer.result is AnswerResult.NOT_AN_AGENT:
        return f"You are no longer an agent (a member of the support team), so ticket #{ticket} goes to the next agent."
    if answer.result is AnswerResult.NOT_YOURS:
        return NOT_YOURS
    if answer.result is AnswerResult.NOT_FOUND:
        return NOT_AN_OFFER
    return f"This offer of ticket #{ticket} has moved on (answered before, or its time ran out); nothing changed."


def register(app: App, services: Services) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    def answer(body: dict[str, Any], respond: Respond, accept: bool) -> None:
        user = acting_user(body)
        offer_id = ticket_id_from_action(body)  # a positive database ID, as a ticket's
        if not user or offer_id is None:
            tell(respond, NOT_AN_OFFER)
            return
        helpdesk = services.helpdesk
        try:
            if accept:
                try:
                    is_agent = services.agents.is_agent(user)  # as they are now: they may have left the team
                except AgentCheckUnavailable:
                    tell(respond, CHECK_UNAVAILABLE)
                    return
                agent = services.people.person(user)
                capacity = services.settings.agent_capacity
                outcome = helpdesk.accept_offer(
                    offer_id, user, capacity, agent.name, agent.avatar_url, is_agent=is_agent
                )
            else:
                outcome = helpdesk.decline_offer(offer_id, user)
        except StorageUnavailable:
            tell(respond, ANSWER_FAILED)  # acked already: Slack will not send it again
            raise
        tell(respond, _said(outcome))
        if outcome.offer is not None and outcome.result is not AnswerResult.NOT_YOURS:
            services.offers.show_ended(outcome.offer)
        if outcome.result is AnswerResult.ACCEPTED and outcome.offer is not None:
            ticket = helpdesk.ticket(outcome.offer.ticket_id)
            if ticket is not None:
                services.effects.claimed(ticket)
        if outcome.result in (
            AnswerResult.DECLINED,
            AnswerResult.FULL,
            AnswerResult.NOT_AN_AGENT,
            AnswerResult.MOVED_ON,
        ):
            services.offers.route()  # the next agent now, not at the scheduler's next run
        if outcome.offer is not None and outcome.result is not AnswerResult.NOT_YOURS:
            services.offers.show_on_ticket(outcome.offer.ticket_id)  # the ticket message drops the offer

    def accept(body: dict[str, Any], respond: Respond) -> None:
        answer(body, respond, accept=True)

    def decline(body: dict[str, Any], respond: Respond) -> None:
        answer(body, respond, accept=False)

    app.action(OFFER_ACCEPT)(ack=acknowledge, lazy=[accept])
    app.action(OFFER_DECLINE)(ack=acknowledge, lazy=[decline])
