"""The Assign modal of a `/handoff-queue` line, sent (admins): core.transfers.assign, as
`/handoff-assign` does it; then the queue page the modal was opened from is shown again (through
its response_url, carried in the modal), with what happened above it.

The agent is checked before the ack (someone who is not an agent is refused in the modal itself);
the admin is checked again after it: the modal's payload is input like any other.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from handoff_slack.blocks.action_ids import QUEUE_ASSIGN_FORM, QUEUE_ASSIGN_TARGET
from handoff_slack.blocks.queue_assign import AssignContext, chosen
from handoff_slack.core.errors import StorageUnavailable
from handoff_slack.core.queue_filter import QueueRequest
from handoff_slack.core.states import TicketState
from handoff_slack.core.transfer_values import TransferOutcome, TransferResult
from handoff_slack.listeners.actions.queue_buttons import NOT_ADMIN, page_request
from handoff_slack.listeners.payloads import MAX_TICKET_ID, OUTCOME_KEY, acting_user
from handoff_slack.listeners.queue_pages import page_for
from handoff_slack.listeners.transfer_answers import FAILED, answer, show, tell_privately
from handoff_slack.listeners.views.transfer_forms import CHECK_UNAVAILABLE, CHOOSE, NOT_AN_AGENT
from handoff_slack.services import Services
from handoff_slack.slack.directory import AgentCheckUnavailable


def register(app: App, services: Services) -> None:
    def check_target(ack: Ack, view: dict[str, Any], context: BoltContext) -> None:
        target = chosen(view)
        problem = None
        if target is None:
            problem = CHOOSE
        elif target == context.bot_user_id:  # the app is a member of the support channel, not an agent
            problem = NOT_AN_AGENT
        else:
            try:
                if not services.agents.is_agent(target):
                    problem = NOT_AN_AGENT
            except AgentCheckUnavailable:
                problem = CHECK_UNAVAILABLE
        if problem is not None:
            ack(response_action="errors", errors={QUEUE_ASSIGN_TARGET: problem})
            return
        context[OUTCOME_KEY] = target  # the lazy listener runs after a refusal too: only this one acts
        ack()

    def assign(body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
        user, target = acting_user(body), context.get(OUTCOME_KEY)
        form = AssignContext.from_metadata(view.get("private_metadata"), MAX_TICKET_ID)
        if not user or form is None or not isinstance(target, str):
            return  # not a form of ours, or refused in the modal
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

    app.view(QUEUE_ASSIGN_FORM)(ack=check_target, lazy=[assign])


def _said(outcome: TransferOutcome, ticket_id: int, target: str) -> str:
    ticket = outcome.ticket
    if outcome.result is TransferResult.NOT_OPEN and ticket is not None and ticket.state is TicketState.CONNECTED:
        return f"Ticket {ticket_id} was claimed by <@{ticket.agent_user_id}> meanwhile, so nothing changed."
    return answer(outcome, ticket_id) or f"Ticket {ticket_id} is now with <@{target}>."
