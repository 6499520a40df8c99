"""A ticket opened by an internal person's reaction to a customer's message in a served shared channel.

The reacted message's thread is the conversation's door (core.front_doors): the conversation there
(created for the message's author if the app had none) is handed to the queue at once, without the
bot or triage (a person of ours already decided), and from then on the relay runs between that
thread and the ticket's thread as after any escalation.

Once per message, in one transaction: a redelivered event is recognised by its ID; the note that
tells the ticket's thread who reacted is stored with the message's source and a mark
(`TICKETED_MARK`), so the database's unique source lets one ticket come of a message, whoever
reacts, however often (a second reaction after the ticket closed opens none either). A thread whose
conversation already has an open ticket gets no second one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from handoff_slack.core import watch_mirror
from handoff_slack.core.bot import BotState
from handoff_slack.core.deliveries import SharedFile
from handoff_slack.core.handoff_steps import HandoffSteps
from handoff_slack.core.helpdesk_outcomes import Customer
from handoff_slack.core.notices import Audience, Notice
from handoff_slack.core.states import ConversationMode, DeliveryState, Direction, EscalationReason

TICKETED_MARK = ":ticketed"  # after the message's ts, as the thread note's source: one note (and ticket) per message
QUOTED_TEXT_CHARS = 4000  # of the message, kept in the note (the message row keeps all of it)


class ReactionTicketResult(StrEnum):
    OPENED = "opened"
    DUPLICATE = "duplicate"  # the same event again (Slack redelivered it)
    ALREADY_TICKETED = "already_ticketed"  # this message opened a ticket before
    ALREADY_OPEN = "already_open"  # the thread's conversation has an open ticket (or awaits an answer's approval)


@dataclass(frozen=True)
class ReactionTicketOutcome:
    result: ReactionTicketResult
    conversation_id: int | None = None
    ticket_id: int | None = None  # the new ticket, or the thread's open one
    position: int | None = None  # in the queue, when opened


class ReactionTickets(HandoffSteps):
    def ticket_from_reaction(
        self,
        customer: Customer,
        ts: str,
        text: str,
        reacted_by: str,
        emoji: str,
        event_id: str | None = None,
        files: Sequence[SharedFile] = (),
    ) -> ReactionTicketOutcome:
        """`reacted_by` reacted with `emoji` to `customer`'s message `ts` (its `text` and `files`, as
        Slack has them now); the customer's door is the message's thread."""
        door = customer.door
        with self.storage.transaction() as tx:
            if not self._first_delivery(tx, event_id):
                return ReactionTicketOutcome(ReactionTicketResult.DUPLICATE)
            conversation = self._conversation_for(tx, customer)  # row-locked: reactions on one thread take turns
            assert conversation.id is not None
            if conversation.mode != ConversationMode.BOT:
                return ReactionTicketOutcome(
                    ReactionTicketResult.ALREADY_OPEN, conversation.id, conversation.active_ticket_id
                )
            if tx.messages.exists(door.channel_id, ts + TICKETED_MARK):
                return ReactionTicketOutcome(ReactionTicketResult.ALREADY_TICKETED, conversation.id)
            if not tx.messages.exists(door.channel_id, ts):  # a message the app had not kept: the ticket quotes it
                row = self._new_message(
                    conversation.id,
                    None,
                    Direction.FROM_CUSTOMER,
                    customer.user_id,
                    door.channel_id,
                    ts,
                    text,
                    files,
                    delivery_state=DeliveryState.NOT_RELAYED,
                )
                tx.messages.store_new(row)
            # Whatever the bot was asking is moot: the next time they are back with the bot, it starts afresh.
            tx.conversations.save_bot_state(conversation, BotState(triage_done=True).to_json())
            now = self.clock()
            ticket_id = tx.tickets.open(
                conversation,
                conversation.id,
                EscalationReason.REACTION,
                None,
                None,
                now,
                outside_hours=not self.business_hours.is_open(now),
            )
            note = self._new_message(
                conversation.id,
                ticket_id,
                Direction.TO_AGENTS,
                reacted_by,
                door.channel_id,
                ts + TICKETED_MARK,
                "",
                (),
            )
            note["notice"] = Notice.ticketed_note(reacted_by, emoji, text[:QUOTED_TEXT_CHARS]).to_json()
            tx.messages.store_new(note)
            watch_id = watch_mirror.watched(tx, conversation.id)
            if watch_id is not None:  # handed over: the watch ends, as after the customer's own request
                watch_mirror.after_turn(tx, self.clock(), conversation.id, watch_id, (), ticket_id)
            position = tx.tickets.position(ticket_id)
            self._notify(tx, conversation.id, ticket_id, Audience.CUSTOMER, self._queued(position, ticket_id))
            return ReactionTicketOutcome(ReactionTicketResult.OPENED, conversation.id, ticket_id, position)
