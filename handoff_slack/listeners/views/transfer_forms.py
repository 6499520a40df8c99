"""The Transfer / Assign and Release modals sent (core.transfers).

The Transfer modal's agent is checked before the ack, as every agent form's (agent_forms). The step
is then made after the ack, and its answer is an ephemeral message in the support channel (a modal
has no response_url). An admin's modal assigns at once; the owner's offers.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from handoff_slack.blocks.action_ids import RELEASE_FORM, TRANSFER_FORM, TRANSFER_TARGET
from handoff_slack.blocks.transfer import written_note
from handoff_slack.core.transfer_values import TransferOutcome
from handoff_slack.listeners.payloads import MAX_TICKET_ID, acting_user
from handoff_slack.listeners.transfer_answers import answer, show, tell_privately
from handoff_slack.listeners.views.agent_forms import register_agent_form
from handoff_slack.services import Services


def ticket_of(view: dict[str, Any]) -> int | None:
    value = view.get("private_metadata") if isinstance(view, dict) else None
    if not isinstance(value, str) or not (value.isascii() and value.isdigit() and len(value) <= 10):
        return None
    number = int(value)
    return number if 0 < number <= MAX_TICKET_ID else None


def register(app: App, services: Services) -> None:
    def settle(user: str, ticket_id: int, outcome: TransferOutcome) -> None:
        """Slack shows what the step did, and the person who acted is told what it did not show."""
        show(services, outcome)
        said = answer(outcome, ticket_id)
        if said:
            tell_privately(services, user, said)

    def transfer(user: str, target: str, view: dict[str, Any], context: BoltContext) -> None:
        ticket_id = ticket_of(view)
        if ticket_id is None:
            return  # not a form of ours
        note = written_note(view)
        if services.agents.is_admin(user):
            person = services.people.person(target)
            outcome = services.helpdesk.assign(ticket_id, user, target, person.name, person.avatar_url, note)
        else:
            outcome = services.helpdesk.offer_transfer(ticket_id, user, target, note)
        settle(user, ticket_id, outcome)

    def close(ack: Ack) -> None:
        ack()

    def release(body: dict[str, Any], view: dict[str, Any]) -> None:
        user, ticket_id = acting_user(body), ticket_of(view)
        if not user or ticket_id is None:
            return
        settle(
            user,
            ticket_id,
            services.helpdesk.release(ticket_id, user, services.agents.is_admin(user), written_note(view)),
        )

    register_agent_form(app, services, TRANSFER_FORM, TRANSFER_TARGET, transfer)
    app.view(RELEASE_FORM)(ack=close, lazy=[release])
