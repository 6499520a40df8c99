"""The waiting timers' buttons: the waiting timeout's offer at the customer's door (keep waiting,
leave a message for later, cancel: core.waiting_offers) and Snooze on an idle conversation's
warning in the ticket's thread (core.idle_close).

Whoever presses an offer's button is the one who answers: in a DM its customer (the core checks), in
a thread of a shared channel anyone of the customer's organisation there (as every customer button
in threads, listeners.customers); an internal person pressing there is told it is not theirs.
Forged values (another customer's offer, a notice that is not an offer) change nothing, quietly.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from handoff_slack.blocks.action_ids import IDLE_SNOOZE, WAIT_CANCEL, WAIT_KEEP, WAIT_LATER
from handoff_slack.blocks.waiting import already_chosen, snoozed_until
from handoff_slack.core.idle_close import SnoozeOutcome, SnoozeResult
from handoff_slack.core.waiting_offers import OfferState, WaitAnswer, WaitAnswerResult, WaitChoice
from handoff_slack.listeners.customers import customer_from_action
from handoff_slack.listeners.payloads import OUTCOME_KEY, acting_user, action_door, tell, ticket_id_from_action
from handoff_slack.services import Services

NOT_YOURS = "That button is for the customer who is waiting, so nothing was changed."
NOT_WAITING = "Your request is no longer waiting (an agent has picked it up, or it has ended), so nothing was changed."
NOT_OPEN = "This conversation is no longer open, so there is nothing to snooze."
_INTERNAL = "internal"  # pressed in a customer's thread by someone of the installing organisation
CHOICES = {WAIT_KEEP: WaitChoice.KEEP, WAIT_LATER: WaitChoice.LATER, WAIT_CANCEL: WaitChoice.CANCEL}


def _action_id(body: dict[str, Any]) -> str:
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions else None
    found = first.get("action_id") if isinstance(first, dict) else None
    return found if isinstance(found, str) else ""


def register(app: App, services: Services) -> None:
    def choose(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        door = action_door(body)
        thread = door if door is not None and door.is_thread else None
        offer_id = ticket_id_from_action(body)  # a positive database ID, like a ticket's
        choice = CHOICES.get(_action_id(body))
        user = acting_user(body)
        if thread is not None and customer_from_action(services, body) is None:
            context[OUTCOME_KEY] = _INTERNAL
        elif offer_id is not None and choice is not None and user:
            context[OUTCOME_KEY] = services.helpdesk.answer_wait_offer(offer_id, choice, user, thread)
        ack()

    def chosen(context: BoltContext, respond: Respond) -> None:
        outcome: WaitAnswer | str | None = context.get(OUTCOME_KEY)
        if outcome == _INTERNAL:
            tell(respond, NOT_YOURS)
            return
        if not isinstance(outcome, WaitAnswer):
            return
        if outcome.result is WaitAnswerResult.ALREADY:
            tell(respond, already_chosen(outcome.chosen))
        elif outcome.result is WaitAnswerResult.NOT_WAITING:
            tell(respond, NOT_WAITING)
        elif outcome.conversation_id is not None and outcome.ticket_id is not None:
            if outcome.chosen is OfferState.CANCELLED:
                services.effects.cancelled(outcome.conversation_id, outcome.ticket_id)
                return
            services.outbox.deliver(outcome.conversation_id)
            if outcome.chosen is OfferState.LATER:  # the ticket message shows it
                services.board.refresh(outcome.ticket_id)

    def snooze(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        warning_id = ticket_id_from_action(body)
        user = acting_user(body)
        if warning_id is not None and user:
            context[OUTCOME_KEY] = services.helpdesk.snooze_idle(warning_id, user, services.agents.is_admin(user))
        ack()

    def snoozed(context: BoltContext, respond: Respond) -> None:
        outcome: SnoozeOutcome | None = context.get(OUTCOME_KEY)
        if outcome is None or outcome.result is SnoozeResult.REFUSED:
            return
        if outcome.result is SnoozeResult.SNOOZED and outcome.conversation_id is not None:
            services.outbox.deliver(outcome.conversation_id)  # the warning's copy says who snoozed, until when
        elif outcome.result is SnoozeResult.ALREADY:
            tell(respond, snoozed_until(outcome.until, outcome.by_user_id))
        elif outcome.result is SnoozeResult.NOT_ALLOWED:
            tell(respond, "Only the agent who has this conversation, or an admin, can snooze it.")
        elif outcome.result is SnoozeResult.NOT_OPEN:
            tell(respond, NOT_OPEN)

    for action_id in CHOICES:
        app.action(action_id)(ack=choose, lazy=[chosen])
    app.action(IDLE_SNOOZE)(ack=snooze, lazy=[snoozed])
