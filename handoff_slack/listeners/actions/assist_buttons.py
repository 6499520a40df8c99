"""Agent assist's buttons on a suggested reply (core.assist): Send, and Edit (a modal first)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk.errors import SlackApiError

from handoff_slack.blocks.action_ids import ASSIST_EDIT, ASSIST_SEND
from handoff_slack.blocks.assist import edit_modal
from handoff_slack.core.assist import SuggestionOutcome, SuggestionResult
from handoff_slack.listeners.payloads import OUTCOME_KEY, acting_user, tell, ticket_id_from_action
from handoff_slack.services import Services

logger = logging.getLogger(__name__)

NOT_FOUND = "That suggestion isn't there any more, so nothing was sent."
STALE = "This suggestion no longer applies: the ticket is closed or with someone else now. Nothing was sent."
EMPTY = "There is nothing to send: write the reply first."


def refusal(outcome: SuggestionOutcome) -> str | None:
    """What the person who clicked is told when nothing was sent (None: it was, or may be)."""
    result = outcome.result
    if result is SuggestionResult.ALREADY_SENT:
        by = f" by <@{outcome.sent_by}>" if outcome.sent_by else ""
        return f"This suggested reply was already sent{by}."
    if result is SuggestionResult.NOT_OWNER:
        owner = f"<@{outcome.owner_user_id}>" if outcome.owner_user_id else "the agent who has this ticket"
        return f"Only {owner}, who has this ticket, can send this suggested reply."
    if result is SuggestionResult.STALE:
        return STALE
    if result is SuggestionResult.EMPTY:
        return EMPTY
    if result is SuggestionResult.NOT_FOUND:
        return NOT_FOUND
    return None


def register(app: App, services: Services) -> None:
    def send(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        suggestion_id = ticket_id_from_action(body)  # a positive database ID, like a ticket's
        user = acting_user(body)
        if suggestion_id is not None and user:
            context[OUTCOME_KEY] = services.helpdesk.send_suggestion(suggestion_id, user)
        ack()

    def sent(context: BoltContext, respond: Respond) -> None:
        outcome: SuggestionOutcome | None = context.get(OUTCOME_KEY)
        if outcome is None:
            tell(respond, NOT_FOUND)
            return
        if outcome.conversation_id is not None:  # the reply to relay, the suggestion to update
            services.outbox.deliver(outcome.conversation_id)
        said = refusal(outcome)
        if said:
            tell(respond, said)

    def check(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        suggestion_id = ticket_id_from_action(body)
        user = acting_user(body)
        if suggestion_id is not None and user:
            context[OUTCOME_KEY] = (suggestion_id, services.helpdesk.check_suggestion(suggestion_id, user))
        ack()

    def open_editor(body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
        checked: tuple[int, SuggestionOutcome] | None = context.get(OUTCOME_KEY)
        if checked is None:
            tell(respond, NOT_FOUND)
            return
        suggestion_id, outcome = checked
        if outcome.conversation_id is not None:  # marked expired: its copy loses its buttons
            services.outbox.deliver(outcome.conversation_id)
        if outcome.result is not SuggestionResult.MAY_SEND:
            tell(respond, refusal(outcome) or NOT_FOUND)
            return
        trigger_id = body.get("trigger_id")
        if not isinstance(trigger_id, str):
            tell(respond, NOT_FOUND)
            return
        try:  # the trigger ID is valid for 3 s: this runs right after the ack
            services.client.views_open(trigger_id=trigger_id, view=edit_modal(suggestion_id, outcome.text))
        except SlackApiError as error:
            logger.warning("could not open the suggestion's editor: %s", error.response.get("error"))
            tell(respond, "Sorry, I couldn't open the editor. Press Edit again, or Send the reply as it is.")

    app.action(ASSIST_SEND)(ack=send, lazy=[sent])
    app.action(ASSIST_EDIT)(ack=check, lazy=[open_editor])
