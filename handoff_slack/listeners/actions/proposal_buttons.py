"""Supervised mode's buttons on a proposal: Approve (decided here), Edit and Reject (a modal first).

Only approvers act (listeners.agent_check.require_approver); anyone else, and a click on a
proposal decided already, gets an answer only they see, and nothing changes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk.errors import SlackApiError

from handoff_slack.blocks.action_ids import PROPOSAL_APPROVE, PROPOSAL_EDIT, PROPOSAL_REJECT
from handoff_slack.blocks.proposal import already_decided, edit_form, reject_form
from handoff_slack.core.errors import StorageUnavailable
from handoff_slack.core.proposals import ProposalDecision
from handoff_slack.listeners.agent_check import require_approver
from handoff_slack.listeners.payloads import acting_user, tell, ticket_id_from_action
from handoff_slack.services import Services

logger = logging.getLogger(__name__)

NOT_A_PROPOSAL = "That button doesn't belong to any proposal, so nothing changed."
DECISION_FAILED = (
    "I couldn't record that just now (the help desk's database did not answer). Nothing was sent; please try again."
)
FORM_FAILED = "Sorry, I couldn't open that form. Please press the button again."


def answer_decision(services: Services, say: Callable[[str], None], decision: ProposalDecision) -> None:
    """After a decision: Slack shows what it did (the winner's), or the clicker hears who was first."""
    if decision.ticket is not None:
        services.effects.decided(decision.ticket)  # a late click may have set the timeout off
    if not decision.decided:
        say(already_decided(decision.proposal))


def register(app: App, services: Services) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()  # the approver check may call Slack: that happens after the ack

    def approver_and_ticket(body: dict[str, Any], respond: Respond) -> tuple[str, int] | None:
        user = acting_user(body)
        if not user or not require_approver(services, user, partial(tell, respond)):
            return None
        ticket_id = ticket_id_from_action(body)
        if ticket_id is None:
            tell(respond, NOT_A_PROPOSAL)
            return None
        return user, ticket_id

    def approve(body: dict[str, Any], respond: Respond) -> None:
        found = approver_and_ticket(body, respond)
        if found is None:
            return
        user, ticket_id = found
        try:
            decision = services.helpdesk.approve(ticket_id, user)
        except StorageUnavailable:
            tell(respond, DECISION_FAILED)  # acked already: Slack will not send the click again
            raise
        answer_decision(services, partial(tell, respond), decision)

    def open_form(body: dict[str, Any], respond: Respond, editing: bool) -> None:
        found = approver_and_ticket(body, respond)
        trigger_id = body.get("trigger_id")
        if found is None or not isinstance(trigger_id, str):
            return
        proposal = services.helpdesk.proposal(found[1])
        if proposal is None or not proposal.pending:
            tell(respond, already_decided(proposal))
            return
        try:
            services.client.views_open(
                trigger_id=trigger_id, view=edit_form(proposal) if editing else reject_form(proposal)
            )
        except SlackApiError as error:
            logger.warning("could not open the proposal form: %s", error.response.get("error"))
            tell(respond, FORM_FAILED)

    def edit(body: dict[str, Any], respond: Respond) -> None:
        open_form(body, respond, editing=True)

    def reject(body: dict[str, Any], respond: Respond) -> None:
        open_form(body, respond, editing=False)

    app.action(PROPOSAL_APPROVE)(ack=acknowledge, lazy=[approve])
    app.action(PROPOSAL_EDIT)(ack=acknowledge, lazy=[edit])
    app.action(PROPOSAL_REJECT)(ack=acknowledge, lazy=[reject])
