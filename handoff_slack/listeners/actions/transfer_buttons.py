"""Transfer and release's buttons (core.transfers): Transfer… / Assign… and Release… on the ticket
message open their modals; Accept and Decline on an offer in the ticket's thread answer it.

Only the ticket's owner (or an admin) opens the modals; only the offer's target answers it. Anyone
else gets an answer only they see, and nothing changes.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk.errors import SlackApiError

from handoff_slack.blocks.action_ids import RELEASE_TICKET, TRANSFER_ACCEPT, TRANSFER_DECLINE, TRANSFER_TICKET
from handoff_slack.blocks.transfer import release_form, transfer_form
from handoff_slack.core.errors import StorageUnavailable
from handoff_slack.core.states import TicketState
from handoff_slack.core.transfer_values import TransferOutcome, TransferResult
from handoff_slack.listeners.payloads import OUTCOME_KEY, acting_user, tell, ticket_id_from_action
from handoff_slack.listeners.transfer_answers import FAILED, answer, show
from handoff_slack.services import Services
from handoff_slack.slack.directory import AgentCheckUnavailable

logger = logging.getLogger(__name__)

NOT_A_TICKET = "That button doesn't belong to any ticket, so nothing changed."
NOT_AN_OFFER = "That button doesn't belong to any transfer offer, so nothing changed."
FORM_FAILED = "Sorry, I couldn't open that form. Please press the button again."
CHECK_UNAVAILABLE = (
    "I couldn't check with Slack who is on the support team just now, so nothing changed. Please press again."
)


def register(app: App, services: Services) -> None:
    def check(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        # The database only: the modal must open within the trigger's 3 seconds, right after the ack.
        ticket_id, user = ticket_id_from_action(body), acting_user(body)
        if ticket_id is not None and user:
            context[OUTCOME_KEY] = services.helpdesk.may_transfer(ticket_id, user, services.agents.is_admin(user))
        ack()

    def open_form(body: dict[str, Any], context: BoltContext, respond: Respond, releasing: bool) -> None:
        outcome: TransferOutcome | None = context.get(OUTCOME_KEY)
        trigger_id = body.get("trigger_id")
        if outcome is None or outcome.ticket is None or not isinstance(trigger_id, str):
            tell(respond, NOT_A_TICKET if outcome is None else answer(outcome) or NOT_A_TICKET)
            return
        ticket = outcome.ticket
        if releasing and outcome.result is TransferResult.ALLOWED and ticket.state is not TicketState.CONNECTED:
            outcome = TransferOutcome(TransferResult.NOT_OPEN, ticket)  # an admin's Release on a waiting ticket
        if outcome.result is not TransferResult.ALLOWED:
            tell(respond, answer(outcome, ticket.id) or NOT_A_TICKET)
            return
        user = acting_user(body)
        view = release_form(ticket) if releasing else transfer_form(ticket, services.agents.is_admin(user))
        try:
            services.client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as error:
            logger.warning("could not open the transfer form: %s", error.response.get("error"))
            tell(respond, FORM_FAILED)

    def transfer(body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
        open_form(body, context, respond, releasing=False)

    def release(body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
        open_form(body, context, respond, releasing=True)

    def answer_offer(body: dict[str, Any], respond: Respond, accept: bool) -> None:
        offer_id, user = ticket_id_from_action(body), acting_user(body)  # a positive database ID, like a ticket's
        if offer_id is None or not user:
            tell(respond, NOT_AN_OFFER)
            return
        person = services.people.person(user) if accept else None
        try:
            # Checked as they are now: they may have left the team since the offer.
            is_agent = services.agents.is_agent(user) if accept else True
        except AgentCheckUnavailable:
            tell(respond, CHECK_UNAVAILABLE)
            return
        try:
            outcome = services.helpdesk.answer_offer(
                offer_id,
                user,
                accept,
                person.name if person else None,
                person.avatar_url if person else None,
                is_agent=is_agent,
                default_capacity=services.settings.agent_capacity,
            )
        except StorageUnavailable:
            tell(respond, FAILED)  # acked already: Slack will not send the click again
            raise
        show(services, outcome)
        said = answer(outcome)
        if said:
            tell(respond, said)

    def accept(body: dict[str, Any], respond: Respond) -> None:
        answer_offer(body, respond, accept=True)

    def decline(body: dict[str, Any], respond: Respond) -> None:
        answer_offer(body, respond, accept=False)

    def acknowledge(ack: Ack) -> None:
        ack()  # the accepting agent's name may need Slack: after the ack

    app.action(TRANSFER_TICKET)(ack=check, lazy=[transfer])
    app.action(RELEASE_TICKET)(ack=check, lazy=[release])
    app.action(TRANSFER_ACCEPT)(ack=acknowledge, lazy=[accept])
    app.action(TRANSFER_DECLINE)(ack=acknowledge, lazy=[decline])
