"""The triage form sent: checked (errors shown in the modal), then the hand-off goes on."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from handoff_slack.blocks.action_ids import TRIAGE_FORM
from handoff_slack.blocks.triage_form import answers_from_view
from handoff_slack.core.bot import FormFilled
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.helpdesk import Customer, CustomerInputOutcome
from handoff_slack.listeners.customers import facts_about, may_act_at
from handoff_slack.listeners.payloads import OUTCOME_KEY, acting_team, acting_user
from handoff_slack.services import Services


def register(app: App, services: Services) -> None:
    def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
        user, team = acting_user(body), acting_team(body)
        metadata = view.get("private_metadata") if isinstance(view, dict) else None
        door = FrontDoor.from_text(metadata) if isinstance(metadata, str) else None
        if not user or door is None or not may_act_at(services, door, team):
            ack()  # not a form of ours in a DM or a customer's thread: close it, change nothing
            return
        answers = answers_from_view(view)
        errors = services.helpdesk.responder.form_errors(answers)
        if errors:
            ack(response_action="errors", errors=errors)  # block IDs are the question IDs
            return
        channel = services.channels.settings_at(door)  # a served channel's own triage switch
        customer = Customer(user, door, team, facts_about(services, user, team), channel=channel)
        context[OUTCOME_KEY] = services.helpdesk.receive_customer_input(customer, FormFilled(answers))
        ack()

    def answer(view: dict[str, Any], context: BoltContext) -> None:
        outcome: CustomerInputOutcome | None = context.get(OUTCOME_KEY)
        if outcome is not None:
            services.effects.after_customer_input(outcome)

    app.view(TRIAGE_FORM)(ack=submit, lazy=[answer])
