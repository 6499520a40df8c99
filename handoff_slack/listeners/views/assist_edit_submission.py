"""Agent assist's Edit modal sent: the edited reply goes to the customer as the agent's own (core.assist)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from handoff_slack.blocks.action_ids import ASSIST_EDIT_FORM, ASSIST_REPLY
from handoff_slack.blocks.assist import edited_text
from handoff_slack.core.assist import SuggestionOutcome
from handoff_slack.listeners.actions.assist_buttons import NOT_FOUND, refusal
from handoff_slack.listeners.payloads import MAX_TICKET_ID, OUTCOME_KEY, acting_user
from handoff_slack.services import Services


def _suggestion_id(view: dict[str, Any]) -> int | None:
    value = view.get("private_metadata")
    if not (isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10):
        return None
    number = int(value)
    return number if 0 < number <= MAX_TICKET_ID else None


def register(app: App, services: Services) -> None:
    def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
        user = acting_user(body)
        suggestion_id = _suggestion_id(view) if isinstance(view, dict) else None
        text = edited_text(view) if isinstance(view, dict) else None
        if not user or suggestion_id is None or text is None:
            ack(response_action="errors", errors={ASSIST_REPLY: NOT_FOUND})
            return
        outcome = services.helpdesk.send_suggestion(suggestion_id, user, text)
        context[OUTCOME_KEY] = outcome
        said = refusal(outcome)
        if said:
            # Shown in the modal, under the text box: the agent sees why, and keeps what they wrote.
            ack(response_action="errors", errors={ASSIST_REPLY: said})
            return
        ack()

    def relay(context: BoltContext) -> None:
        outcome: SuggestionOutcome | None = context.get(OUTCOME_KEY)
        if outcome is not None and outcome.conversation_id is not None:
            services.outbox.deliver(outcome.conversation_id)

    app.view(ASSIST_EDIT_FORM)(ack=submit, lazy=[relay])
