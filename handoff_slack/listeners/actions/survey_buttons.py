"""The satisfaction survey's buttons at the customer's door (core.satisfaction): 1-5, and "Add a comment".

Whoever presses is the one who answers: in a DM its customer (the core checks), in a thread of a
shared channel anyone of the customer's organisation there (the rule of every customer button in
threads, listeners.customers); an internal person pressing there is told politely it is not theirs.
Forged values (a rating no button has, another customer's survey, an old survey of a conversation
that has moved on) change nothing, and nothing is said.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk.errors import SlackApiError

from handoff_slack.blocks.action_ids import SURVEY_COMMENT, SURVEY_RATE
from handoff_slack.blocks.satisfaction import comment_modal, thanks_again
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.satisfaction import RatingOutcome, RatingResult
from handoff_slack.listeners.customers import customer_from_action
from handoff_slack.listeners.payloads import (
    OUTCOME_KEY,
    acting_user,
    action_door,
    action_value,
    tell,
    ticket_id_from_action,
)
from handoff_slack.services import Services

logger = logging.getLogger(__name__)

NOT_YOURS = "Thanks for looking! This survey is for the customer to answer, so nothing was recorded."
NO_EDITOR = "Sorry, I couldn't open the comment box. Please press “Add a comment” again."
RATE_BUTTON = re.compile("^" + re.escape(SURVEY_RATE) + r":\d{1,2}$")
RATE_VALUE = re.compile(r"^(\d{1,10}):(\d{1,2})$")
_INTERNAL = "internal"  # pressed in a customer's thread by someone of the installing organisation


def thread_door(services: Services, body: dict[str, Any]) -> FrontDoor | str | None:
    """The thread pressed in (its customer's organisation only), None for a DM, or `_INTERNAL`."""
    door = action_door(body)
    if door is None or not door.is_thread:
        return None
    return door if customer_from_action(services, body) is not None else _INTERNAL


def rating_from_value(value: str) -> tuple[int, int] | None:
    """The survey ID and rating a button carries ("12:4"), else None."""
    found = RATE_VALUE.fullmatch(value)
    if found is None or not 0 < int(found.group(1)) < 2**31:
        return None
    return int(found.group(1)), int(found.group(2))


def register(app: App, services: Services) -> None:
    def rate(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        door = thread_door(services, body)
        parsed = rating_from_value(action_value(body))
        user = acting_user(body)
        if door == _INTERNAL:
            context[OUTCOME_KEY] = _INTERNAL
        elif parsed is not None and user and not isinstance(door, str):
            context[OUTCOME_KEY] = services.helpdesk.rate(*parsed, user, door)
        ack()

    def rated(context: BoltContext, respond: Respond) -> None:
        answer(services, context.get(OUTCOME_KEY), respond)

    def check(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        door = thread_door(services, body)
        survey_id = ticket_id_from_action(body)  # a positive database ID, like a ticket's
        user = acting_user(body)
        if door == _INTERNAL:
            context[OUTCOME_KEY] = _INTERNAL
        elif survey_id is not None and user and not isinstance(door, str):
            context[OUTCOME_KEY] = (survey_id, door, services.helpdesk.check_comment(survey_id, user, door))
        ack()

    def open_comment_box(body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
        checked = context.get(OUTCOME_KEY)
        if not isinstance(checked, tuple):
            answer(services, checked, respond)
            return
        survey_id, door, outcome = checked
        trigger_id = body.get("trigger_id")
        if outcome.result is not RatingResult.MAY_COMMENT or not isinstance(trigger_id, str):
            answer(services, outcome, respond)
            return
        try:  # the trigger ID is valid for 3 s: this runs right after the ack
            services.client.views_open(
                trigger_id=trigger_id, view=comment_modal(survey_id, door, outcome.comment_prompt)
            )
        except SlackApiError as error:
            logger.warning("could not open the survey's comment box: %s", error.response.get("error"))
            tell(respond, NO_EDITOR)

    app.block_action(RATE_BUTTON)(ack=rate, lazy=[rated])
    app.action(SURVEY_COMMENT)(ack=check, lazy=[open_comment_box])


def answer(services: Services, outcome: RatingOutcome | str | None, respond: Respond) -> None:
    """After a press or a comment: the copy and the thread's note go out, the ticket message shows the
    rating; a repeated answer is thanked again; an internal person is told it is not theirs."""
    if outcome == _INTERNAL:
        tell(respond, NOT_YOURS)
        return
    if not isinstance(outcome, RatingOutcome):
        return
    published(services, outcome)
    if outcome.result is RatingResult.ALREADY:
        tell(respond, thanks_again(outcome.rating, outcome.thanks))


def published(services: Services, outcome: RatingOutcome) -> None:
    """The survey's updated copy and the thread's note go out; the ticket message shows the rating."""
    if outcome.conversation_id is not None:
        services.outbox.deliver(outcome.conversation_id)
    if outcome.ticket_id is not None:
        services.board.refresh(outcome.ticket_id)
