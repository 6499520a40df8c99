"""The waiting timeout: after `after_minutes` in the queue the customer is offered three ways on.

- **Keep waiting**: they stay where they are; one more offer comes `after_minutes` after this
  choice, and that is the last (two offers per ticket: a customer who keeps choosing to wait is
  not asked again and again).
- **Leave a message for later**: the ticket stays in the queue, marked async (the ticket message
  and the queue's data show it); the customer is told an agent will answer right there, in their
  DM or their thread, and that they need not wait; the agents' thread hears it too. No more offers
  or queue updates for it.
- **Cancel**: they leave the queue, as with Cancel or "never mind".

A timer is a row and a due time (scheduler_leader.py): the offer is due when the ticket has waited
(since `waiting_since`, else its creation) long enough, or was kept waiting long enough; the
leader's job makes it with a conditional UPDATE of `wait_offers` under the conversation's lock
(taken first, as a claim takes it), so a claim racing the offer either wins (no offer) or comes
after it (the offer, if still unsent, is dropped as untrue; if sent, its buttons answer "no longer
waiting"). The offer is a notice whose buttons carry its own message ID; a choice is stored once
(the notice's state moves from open), so a second click or an old copy is told what was chosen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.handoff_steps import HandoffSteps
from handoff_slack.core.helpdesk_storage import HelpdeskTransaction, StoredConversation
from handoff_slack.core.notices import Audience, Notice, NoticeKind
from handoff_slack.core.states import TicketState
from handoff_slack.core.waiting_config import WaitingTimersConfig

MAX_OFFERS = 2
OFFER_BATCH = 100  # offers made per run (the next run makes the rest)


class WaitChoice(StrEnum):
    KEEP = "keep"
    LATER = "later"
    CANCEL = "cancel"


class OfferState(StrEnum):
    OPEN = "open"
    KEPT = "kept"
    LATER = "later"
    CANCELLED = "cancelled"


CHOSEN = {WaitChoice.KEEP: OfferState.KEPT, WaitChoice.LATER: OfferState.LATER, WaitChoice.CANCEL: OfferState.CANCELLED}


class WaitAnswerResult(StrEnum):
    CHOSEN = "chosen"
    ALREADY = "already"  # chosen before: `chosen` says what
    NOT_WAITING = "not_waiting"  # claimed, closed or cancelled since the offer
    REFUSED = "refused"  # not an offer, not theirs: quietly nothing


@dataclass(frozen=True)
class WaitAnswer:
    result: WaitAnswerResult
    chosen: OfferState | None = None
    conversation_id: int | None = None  # its outbox has news
    ticket_id: int | None = None


def wait_offer(offer_id: int, ticket_id: int, number: int, minutes: int) -> Notice:
    facts = {"offer_id": offer_id, "ticket_id": ticket_id, "number": number, "minutes": minutes}
    return Notice(NoticeKind.WAIT_OFFER, {**facts, "state": OfferState.OPEN.value})


def may_answer_at(conversation: StoredConversation, user_id: str, door: FrontDoor | None) -> bool:
    """A DM's notice is its customer's; a thread's is everyone's of the customer's organisation there
    (the edge lets only them through, with the thread as `door`), pressed in that very thread."""
    home = FrontDoor(conversation.channel_id, conversation.thread_ts)
    if home.is_thread:
        return door == home
    return door is None and conversation.customer_user_id == user_id


class WaitingOffers(HandoffSteps):
    """The Helpdesk's part for the waiting timeout (a mixin: the helpdesk's storage and clock)."""

    waiting_config: WaitingTimersConfig = WaitingTimersConfig()  # the YAML's sections (set by the app)

    def offer_waiting_options(self) -> list[int]:
        """The scheduler leader's job: make the offers that are due. The conversations to flush."""
        config = self.waiting_config.waiting_timeout
        if not config.enabled:
            return []
        now = self.clock()
        cutoff = now - timedelta(minutes=config.after_minutes)
        with self.storage.transaction() as tx:
            due = tx.waiting_timers.due_offers(cutoff, cutoff, OFFER_BATCH)
        made = [self._make_wait_offer(ticket_id, cutoff, config.after_minutes) for ticket_id in due]
        return [conversation_id for conversation_id in made if conversation_id is not None]

    def _make_wait_offer(self, ticket_id: int, cutoff: datetime, minutes: int) -> int | None:
        with self.storage.transaction() as tx:
            found = tx.waiting_timers.timers(ticket_id)
            if found is None:
                return None
            tx.conversations.locked(found.conversation_id)  # first, as a claim and the customer's steps
            timers = tx.waiting_timers.timers(ticket_id)  # as it is now
            assert timers is not None
            number = timers.wait_offers + 1
            still_due = tx.waiting_timers.due_offers(cutoff, cutoff, 1, ticket_id=ticket_id)  # e.g. not released since
            if number > MAX_OFFERS or not still_due or not tx.waiting_timers.offer_made(ticket_id, number):
                return None  # claimed, cancelled, answered later, back in the queue, or offered meanwhile
            # Its own ID goes on its buttons: stored first, then told it (nothing is posted before the commit).
            offer_id = tx.store_notice(
                timers.conversation_id, ticket_id, Audience.CUSTOMER, wait_offer(0, ticket_id, number, minutes)
            )
            told = wait_offer(offer_id, ticket_id, number, minutes)
            tx.messages.replace_notice(offer_id, told.to_json(), revision="")
            return timers.conversation_id

    def answer_wait_offer(
        self, offer_id: int, choice: WaitChoice, user_id: str, door: FrontDoor | None = None
    ) -> WaitAnswer:
        """`user_id` pressed `choice` on the offer `offer_id` (at `door`, when in a shared channel's thread)."""
        refused = WaitAnswer(WaitAnswerResult.REFUSED)
        with self.storage.transaction() as tx:
            unlocked = tx.messages.notice_of(offer_id)
            if unlocked is None:
                return refused
            conversation = tx.conversations.locked(unlocked.conversation_id)  # first, then the offer's row
            offer = tx.messages.locked_notice(offer_id)
            notice = Notice.from_json(offer.notice) if offer is not None and offer.notice else None
            if offer is None or notice is None or notice.kind is not NoticeKind.WAIT_OFFER or conversation is None:
                return refused
            facts = dict(notice.facts)
            ticket_id = int(facts.get("ticket_id") or 0)
            if offer.ticket_id != ticket_id or not may_answer_at(conversation, user_id, door):
                return refused
            if facts.get("state") != OfferState.OPEN:
                return WaitAnswer(WaitAnswerResult.ALREADY, OfferState(str(facts["state"])))
            ticket = tx.tickets.get(ticket_id, fresh=True)
            if ticket is None or ticket.state != TicketState.WAITING or conversation.active_ticket_id != ticket_id:
                return WaitAnswer(WaitAnswerResult.NOT_WAITING)
            if not self._wait_choice(tx, conversation, ticket_id, choice):
                return WaitAnswer(WaitAnswerResult.NOT_WAITING)
            extra: dict[str, Any] = {}
            if choice is WaitChoice.KEEP:  # the offer's copy then says their place
                extra["position"] = tx.tickets.position(ticket_id)
                tx.waiting_timers.position_said(ticket_id, extra["position"], None)
            said = Notice(NoticeKind.WAIT_OFFER, {**facts, "state": CHOSEN[choice].value, **extra})
            tx.messages.replace_notice(offer_id, said.to_json(), revision=CHOSEN[choice].value)
            return WaitAnswer(WaitAnswerResult.CHOSEN, CHOSEN[choice], offer.conversation_id, ticket_id)

    def _wait_choice(
        self, tx: HelpdeskTransaction, conversation: StoredConversation, ticket_id: int, choice: WaitChoice
    ) -> bool:
        now = self.clock()
        if choice is WaitChoice.CANCEL:
            return self._cancel(tx, conversation, ticket_id)  # "left the queue", and the bot's menu
        if choice is WaitChoice.KEEP:
            return tx.waiting_timers.keep_waiting(ticket_id, now)
        if not tx.waiting_timers.answer_later(ticket_id, now):
            return False
        where = "thread" if conversation.thread_ts else "dm"
        self._notify(
            tx, conversation.id, ticket_id, Audience.CUSTOMER, Notice(NoticeKind.ANSWER_LATER, {"where": where})
        )
        self._notify(tx, conversation.id, ticket_id, Audience.AGENTS, Notice(NoticeKind.ANSWER_LATER_NOTE))
        return True
