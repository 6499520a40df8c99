"""The survey's comment modal sent (core.satisfaction): the comment is stored on the rated ticket, once."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from handoff_slack.blocks.action_ids import SURVEY_COMMENT_FORM, SURVEY_COMMENT_TEXT
from handoff_slack.blocks.satisfaction import comment_metadata, submitted_comment
from handoff_slack.core.satisfaction import MAX_COMMENT_CHARS, RatingOutcome, RatingResult
from handoff_slack.listeners.actions.survey_buttons import published
from handoff_slack.listeners.customers import may_act_at
from handoff_slack.listeners.payloads import OUTCOME_KEY, acting_team, acting_user
from handoff_slack.services import Services

EMPTY = f"Please write your comment here (at most {MAX_COMMENT_CHARS:,} characters)."
ALREADY_SENT = "You already sent a comment on this conversation. Thank you!"
CLOSED = "This survey is no longer open, so your comment was not recorded."


def register(app: App, services: Services) -> None:
    def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
        user = acting_user(body)
        found = comment_metadata(view.get("private_metadata")) if isinstance(view, dict) else None
        text = submitted_comment(view) if isinstance(view, dict) else None
        if not user or found is None or text is None:
            ack(response_action="errors", errors={SURVEY_COMMENT_TEXT: CLOSED})
            return
        survey_id, door = found
        if door is not None and not may_act_at(services, door, acting_team(body)):
            ack(response_action="errors", errors={SURVEY_COMMENT_TEXT: CLOSED})  # an internal person
            return
        outcome = services.helpdesk.comment(survey_id, text, user, door)
        context[OUTCOME_KEY] = outcome
        said = _refusal(outcome)
        if said:  # shown under the text box: they keep what they wrote
            ack(response_action="errors", errors={SURVEY_COMMENT_TEXT: said})
            return
        ack()

    def passed_on(context: BoltContext) -> None:
        outcome: RatingOutcome | None = context.get(OUTCOME_KEY)
        if outcome is not None and outcome.result is RatingResult.COMMENTED:
            published(services, outcome)

    app.view(SURVEY_COMMENT_FORM)(ack=submit, lazy=[passed_on])


def _refusal(outcome: RatingOutcome) -> str | None:
    if outcome.result is RatingResult.COMMENTED:
        return None
    if outcome.result is RatingResult.EMPTY:
        return EMPTY
    if outcome.result is RatingResult.ALREADY:
        return ALREADY_SENT
    return CLOSED
