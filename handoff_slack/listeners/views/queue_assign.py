"""The Assign modal of a `/handoff-queue` line, sent (admins): core.transfers.assign, as
`/handoff-assign` does it; then the queue page the modal was opened from is shown again (through
its response_url, carried in the modal), with what happened above it.

The agent is checked before the ack, as every agent form's (agent_forms: someone who is not an
agent is refused in the modal itself); the admin is checked again after it: the modal's payload is
input like any other.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext, Respond

from handoff_slack.blocks.action_ids import QUEUE_ASSIGN_FORM, QUEUE_ASSIGN_TARGET
from handoff_slack.blocks.queue_assign import AssignContext
from handoff_slack.core.errors import StorageUnavailable
from handoff_slack.core.queue_filter import QueueRequest
from handoff_slack.core.states import TicketState
from handoff_slack.core.transfer_values import TransferOutcome, TransferResult
from handoff_slack.listeners.actions.queue_buttons import NOT_ADMIN, page_request
from handoff_slack.listeners.payloads import MAX_TICKET_ID
from handoff_slack.listeners.queue_pages import page_for
from handoff_slack.listeners.transfer_answers import FAILED, answer, show, tell_privately
from handoff_slack.listeners.views.agent_forms import register_agent_form
from handoff_slack.services import Services


def register(app: App, services: Services) -> None:
    def assign(user: str, target: str, view: dict[str, Any], context: BoltContext) -> None:
        form = AssignContext.from_metadata(view.get("private_metadata"), MAX_TICKET_ID)
        if form is None:
            return  # not a form of ours
        if not services.agents.is_admin(user):
            tell_privately(services, user, NOT_ADMIN)
            return
        person = services.people.person(target)
        try:
            outcome = services.helpdesk.assign(
                form.ticket_id, user, target, person.name, person.avatar_url, only_waiting=True
            )
        except StorageUnavailable:
            tell_privately(services, user, FAILED)
            raise
        show(services, outcome)
        said = _said(outcome, form.ticket_id, target)
        request = page_request(form.state) if form.state else QueueRequest()
        if form.response_url is None or request is None:
            tell_privately(services, user, said)
            return
        page = page_for(services, user, request, context.bot_user_id, notice=said)
        try:
            sent = Respond(response_url=form.response_url)(
                text=page.text, blocks=page.blocks or None, response_type="ephemeral", replace_original=True
            )
            shown = sent.status_code == 200
        except OSError:
            shown = False
        if not shown:  # the page's response_url expired (30 minutes) or failed: say it another way
            tell_privately(services, user, said)

    register_agent_form(app, services, QUEUE_ASSIGN_FORM, QUEUE_ASSIGN_TARGET, assign)


def _said(outcome: TransferOutcome, ticket_id: int, target: str) -> str:
    ticket = outcome.ticket
    if outcome.result is TransferResult.NOT_OPEN and ticket is not None and ticket.state is TicketState.CONNECTED:
        return f"Ticket {ticket_id} was claimed by <@{ticket.agent_user_id}> meanwhile, so nothing changed."
    return answer(outcome, ticket_id) or f"Ticket {ticket_id} is now with <@{target}>."
