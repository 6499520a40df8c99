"""`/handoff-queue`'s buttons: Previous / Next / Refresh show another page in place of this one;
Claim takes a line's ticket and Assign… (admins) opens the Assign modal (listeners/views/queue_assign).
After a claim the page is shown again, with what happened above it.

Every value comes back as forged input would: the ticket ID and the options are read again
(queue_arguments.parse); a value that is not ours gets a short answer and changes nothing. Anyone
who is not an agent gets the queue's refusal, and an agent who is not an admin a polite no to Assign.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk.errors import SlackApiError

from handoff_slack.blocks.action_ids import QUEUE_ASSIGN, QUEUE_CLAIM, QUEUE_NEXT, QUEUE_PREVIOUS, QUEUE_REFRESH
from handoff_slack.blocks.queue_assign import AssignContext, assign_form
from handoff_slack.core.errors import StorageUnavailable
from handoff_slack.core.queue_filter import QueueRequest
from handoff_slack.core.states import TicketState
from handoff_slack.listeners.actions.claim_ticket import CLAIM_FAILED, claim_for
from handoff_slack.listeners.agent_check import require_agent
from handoff_slack.listeners.commands.handoff_queue import REFUSAL
from handoff_slack.listeners.commands.queue_arguments import BadQueueArguments, carried, parse
from handoff_slack.listeners.payloads import MAX_TICKET_ID, acting_user, action_value, can_respond, tell
from handoff_slack.listeners.queue_pages import eligible_now, page_for
from handoff_slack.services import Services

logger = logging.getLogger(__name__)

NOT_OURS = "That button doesn't belong to a queue page, so nothing changed. `/handoff-queue` shows the queue."
NOT_ADMIN = "Sorry, only the helpdesk's admins can assign tickets. Press Claim to take one yourself."
FORM_FAILED = "Sorry, I couldn't open that form. Please press the button again."
MAX_VALUE = 2000  # Slack's limit for a button's value


def page_request(value: str) -> QueueRequest | None:
    """The options a page button carries; None when they are not options we write."""
    if not value or len(value) > MAX_VALUE:
        return None
    try:
        return parse(value).request
    except BadQueueArguments:
        return None


def line_value(value: str) -> tuple[int, QueueRequest] | None:
    """A line's button value: the ticket ID, then the page's options (maybe none)."""
    number, _, state = value.partition(" ")
    if not (number.isascii() and number.isdigit() and len(number) <= 10) or not 0 < int(number) <= MAX_TICKET_ID:
        return None
    request = page_request(state) if state else QueueRequest()
    return None if request is None else (int(number), request)


def register(app: App, services: Services) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()  # the agent check may call Slack: after the ack

    def show_page(body: dict[str, Any], respond: Respond, context: BoltContext) -> None:
        respond, user = can_respond(respond), acting_user(body)
        if not user or not require_agent(services, user, respond, REFUSAL):
            return
        request = page_request(action_value(body))
        if request is None:
            tell(respond, NOT_OURS)
            return
        listing = page_for(services, user, request, context.bot_user_id)
        respond(text=listing.text, blocks=listing.blocks or None, response_type="ephemeral", replace_original=True)

    def claim(body: dict[str, Any], respond: Respond, context: BoltContext) -> None:
        respond, user = can_respond(respond), acting_user(body)
        if not user or not require_agent(services, user, respond, REFUSAL):
            return
        found = line_value(action_value(body))
        if found is None:
            tell(respond, NOT_OURS)
            return
        ticket_id, request = found
        try:
            said = claim_for(services, user, ticket_id)
        except StorageUnavailable:
            tell(respond, CLAIM_FAILED)  # acked already: Slack will not send the click again
            raise
        notice = (
            said or f"You claimed ticket {ticket_id}: answer in its thread in <#{services.settings.support_channel}>."
        )
        listing = page_for(services, user, request, context.bot_user_id, notice=notice)
        respond(text=listing.text, blocks=listing.blocks or None, response_type="ephemeral", replace_original=True)

    def open_assign(body: dict[str, Any], respond: Respond, context: BoltContext) -> None:
        respond, user = can_respond(respond), acting_user(body)
        if not user or not require_agent(services, user, respond, REFUSAL):
            return
        if not services.agents.is_admin(user):
            tell(respond, NOT_ADMIN)
            return
        found = line_value(action_value(body))
        if found is None:
            tell(respond, NOT_OURS)
            return
        ticket_id, request = found
        ticket = services.helpdesk.ticket(ticket_id)
        if ticket is None or ticket.state is not TicketState.WAITING:
            notice = f"Ticket {ticket_id} is no longer waiting." if ticket else f"Ticket {ticket_id} does not exist."
            listing = page_for(services, user, request, context.bot_user_id, notice=notice)
            respond(text=listing.text, blocks=listing.blocks or None, response_type="ephemeral", replace_original=True)
            return
        trigger_id, url = body.get("trigger_id"), body.get("response_url")
        if not isinstance(trigger_id, str):
            tell(respond, FORM_FAILED)
            return
        form_context = AssignContext(ticket_id, carried(request), url if isinstance(url, str) else None)
        form = assign_form(
            ticket_id, ticket.customer, eligible_now(services, ticket_id, context.bot_user_id), form_context
        )
        try:
            services.client.views_open(trigger_id=trigger_id, view=form)
        except SlackApiError as error:
            logger.warning("could not open the queue's assign form: %s", error.response.get("error"))
            tell(respond, FORM_FAILED)

    for action_id in (QUEUE_PREVIOUS, QUEUE_NEXT, QUEUE_REFRESH):
        app.action(action_id)(ack=acknowledge, lazy=[show_page])
    app.action(QUEUE_CLAIM)(ack=acknowledge, lazy=[claim])
    app.action(QUEUE_ASSIGN)(ack=acknowledge, lazy=[open_assign])
