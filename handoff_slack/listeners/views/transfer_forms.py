"""The Transfer / Assign and Release modals sent (core.transfers).

The Transfer modal's agent is checked before the ack: someone who is not an agent is refused in
the modal itself (Slack shows the error under the picker). The step is then made after the ack
(the new owner's name may need Slack), and its answer is an ephemeral message in the support
channel (a modal has no response_url). An admin's modal assigns at once; the owner's offers.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt import Ack, App, BoltContext

from handoff_slack.blocks.action_ids import RELEASE_FORM, TRANSFER_FORM, TRANSFER_TARGET
from handoff_slack.blocks.transfer import chosen_agent, written_note
from handoff_slack.listeners.payloads import MAX_TICKET_ID, OUTCOME_KEY, acting_user
from handoff_slack.listeners.transfer_answers import answer, show, tell_privately
from handoff_slack.services import Services
from handoff_slack.slack.directory import AgentCheckUnavailable

NOT_AN_AGENT = "Pick an agent: a member of the support channel."
CHOOSE = "Choose an agent."
CHECK_UNAVAILABLE = "I couldn't check with Slack who is on the support team. Please try again in a moment."


def ticket_of(view: dict[str, Any]) -> int | None:
    value = view.get("private_metadata") if isinstance(view, dict) else None
    if not isinstance(value, str) or not (value.isascii() and value.isdigit() and len(value) <= 10):
        return None
    number = int(value)
    return number if 0 < number <= MAX_TICKET_ID else None


def register(app: App, services: Services) -> None:
    def check_target(ack: Ack, view: dict[str, Any], context: BoltContext) -> None:
        target = chosen_agent(view)
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
            ack(response_action="errors", errors={TRANSFER_TARGET: problem})
            return
        context[OUTCOME_KEY] = target  # the lazy listener runs after a refusal too: only this one acts
        ack()

    def transfer(body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
        user, ticket_id, target = acting_user(body), ticket_of(view), context.get(OUTCOME_KEY)
        if not user or ticket_id is None or not isinstance(target, str):
            return  # not a form of ours, or refused in the modal
        say = partial(tell_privately, services, user)
        note = written_note(view)
        if services.agents.is_admin(user):
            person = services.people.person(target)
            outcome = services.helpdesk.assign(ticket_id, user, target, person.name, person.avatar_url, note)
        else:
            outcome = services.helpdesk.offer_transfer(ticket_id, user, target, note)
        show(services, outcome)
        said = answer(outcome, ticket_id)
        if said:
            say(said)

    def close(ack: Ack) -> None:
        ack()

    def release(body: dict[str, Any], view: dict[str, Any]) -> None:
        user, ticket_id = acting_user(body), ticket_of(view)
        if not user or ticket_id is None:
            return
        outcome = services.helpdesk.release(ticket_id, user, services.agents.is_admin(user), written_note(view))
        show(services, outcome)
        said = answer(outcome, ticket_id)
        if said:
            tell_privately(services, user, said)

    app.view(TRANSFER_FORM)(ack=check_target, lazy=[transfer])
    app.view(RELEASE_FORM)(ack=close, lazy=[release])
