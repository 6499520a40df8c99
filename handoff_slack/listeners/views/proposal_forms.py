"""Supervised mode's modals sent: the edited answer, or the rejection (to the queue, or taken).

The modal closes at once; the decision is made after the ack (the approver check may call Slack)
like a button's. A modal has no response_url: a refusal or a lost race is told as an ephemeral
message in the support channel.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from slack_bolt import Ack, App
from slack_sdk.errors import SlackApiError

from handoff_slack.blocks.action_ids import PROPOSAL_EDIT_FORM, PROPOSAL_REJECT_FORM
from handoff_slack.blocks.proposal import edited_text, rejects_to_take
from handoff_slack.listeners.actions.proposal_buttons import answer_decision
from handoff_slack.listeners.agent_check import require_approver
from handoff_slack.listeners.payloads import MAX_TICKET_ID, acting_user
from handoff_slack.services import Services

logger = logging.getLogger(__name__)


def _tell_privately(services: Services, user_id: str, text: str) -> None:
    """A modal's answer: an ephemeral message to the user in the support channel."""
    try:
        services.client.chat_postEphemeral(channel=services.settings.support_channel, user=user_id, text=text)
    except SlackApiError as error:
        logger.warning("could not answer a proposal form privately: %s", error.response.get("error"))


def _ticket_id(view: dict[str, Any]) -> int | None:
    value = view.get("private_metadata") if isinstance(view, dict) else None
    if not isinstance(value, str) or not (value.isascii() and value.isdigit() and len(value) <= 10):
        return None
    number = int(value)
    return number if 0 < number <= MAX_TICKET_ID else None


def register(app: App, services: Services) -> None:
    def close(ack: Ack) -> None:
        ack()

    def decide(body: dict[str, Any], view: dict[str, Any], editing: bool) -> None:
        user, ticket_id = acting_user(body), _ticket_id(view)
        if not user or ticket_id is None:
            return  # not a form of ours: nothing to decide
        say = partial(_tell_privately, services, user)
        if not require_approver(services, user, say):
            return
        if editing:
            decision = services.helpdesk.approve(ticket_id, user, edited_text=edited_text(view) or None)
        else:
            take = rejects_to_take(view)
            person = services.people.person(user) if take else None
            decision = services.helpdesk.reject(
                ticket_id, user, take, person.name if person else None, person.avatar_url if person else None
            )
        answer_decision(services, say, decision)

    def edited(body: dict[str, Any], view: dict[str, Any]) -> None:
        decide(body, view, editing=True)

    def rejected(body: dict[str, Any], view: dict[str, Any]) -> None:
        decide(body, view, editing=False)

    app.view(PROPOSAL_EDIT_FORM)(ack=close, lazy=[edited])
    app.view(PROPOSAL_REJECT_FORM)(ack=close, lazy=[rejected])
