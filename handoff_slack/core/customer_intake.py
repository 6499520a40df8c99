"""A customer's side of the hand-off: their messages (with flood control and the early bot
turn), button presses and forms, leaving the queue, and notices outside any step of theirs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from handoff_slack.core import watch_mirror
from handoff_slack.core.accounts import profile_unknown
from handoff_slack.core.bot import (
    BotState,
    ButtonAction,
    CustomerFacts,
    FormFilled,
    Pressed,
    Reply,
    Said,
)
from handoff_slack.core.bot_config import TriageQuestion
from handoff_slack.core.clock import as_utc
from handoff_slack.core.deliveries import SharedFile
from handoff_slack.core.early_turns import EarlyTurn
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.helpdesk_outcomes import (
    CancelResult,
    Customer,
    CustomerInputOutcome,
    CustomerMessageAction,
    CustomerMessageOutcome,
)
from handoff_slack.core.helpdesk_storage import HelpdeskTransaction, LockedConversation, StoredConversation
from handoff_slack.core.message_authors import author_columns
from handoff_slack.core.notices import Audience, Notice, NoticeKind
from handoff_slack.core.phrases import asks_for_human, asks_to_cancel
from handoff_slack.core.proposals import ProposalOutcome
from handoff_slack.core.queue_priority import QueuePriority
from handoff_slack.core.states import ConversationMode, DeliveryState, Direction, EscalationReason
from handoff_slack.core.supervision import ProposalDecisions

# Outcomes after which the customer is waiting or connected (their next message skips the early turn).
_AWAY_FROM_BOT = frozenset(
    {
        CustomerMessageAction.RELAY,
        CustomerMessageAction.WAITING,
        CustomerMessageAction.ESCALATED,
        CustomerMessageAction.PROPOSED,
    }
)


class CustomerIntake(ProposalDecisions, QueuePriority):
    # -- customers ------------------------------------------------------------------------------

    def receive_customer_message(
        self,
        customer: Customer,
        ts: str,
        text: str,
        event_id: str | None = None,
        files: Sequence[SharedFile] = (),
        flushing_now: bool = True,
    ) -> CustomerMessageOutcome:
        """Store a customer's message at their door (and the files shared with it) and move its conversation on.

        The caller renders the outcome. A file share's text may be empty. `flushing_now`: the
        caller flushes the conversation's outbox as soon as this commits (the relay's fast path),
        so a relayed message's first attempt is counted and reserved here. False when the delivery
        is left to the scheduler (a full backlog): then nothing is counted, and whichever process
        or replica delivers it posts it without first looking for a copy.
        """
        # The bot's decision, made before the write lock (core.early_turns); not for the relay's hot path.
        early = None if customer.door in self._away_from_bot else self._early_turn(customer, Said.sent(text, ts))
        outcome = self._receive_customer_message(customer, ts, text, event_id, files, flushing_now, early)
        if outcome.action is not CustomerMessageAction.DUPLICATE:
            self._away_from_bot.seen(customer.door, outcome.action in _AWAY_FROM_BOT)
        return outcome

    def _receive_customer_message(
        self,
        customer: Customer,
        ts: str,
        text: str,
        event_id: str | None,
        files: Sequence[SharedFile],
        flushing_now: bool,
        early: EarlyTurn | None,
    ) -> CustomerMessageOutcome:
        with self.storage.transaction(reserving=True) as tx:
            found = tx.conversations.locked_for_message(customer.door)
            flooding = found is not None and self._flooding(found.flood_probe)
            if found is not None and self._is_for_the_agent(ConversationMode(found.mode), text):
                # The relay's hot path records no event ID: the message's own unique source
                # (channel, ts) recognises a redelivery, under any event ID.
                outcome = self._store_for_agent(tx, found, customer, ts, text, files, flushing_now, quiet=flooding)
            else:
                if not self._first_delivery(tx, event_id):
                    return CustomerMessageOutcome(CustomerMessageAction.DUPLICATE)
                # New, with the bot, or leaving the queue: the bot's turn runs on the ORM models.
                conversation = self._conversation_for(tx, customer)
                # (Checked again: a request racing this one may have created the conversation meanwhile.)
                if self._is_for_the_agent(ConversationMode(conversation.mode), text):
                    outcome = self._store_for_agent(
                        tx, conversation, customer, ts, text, files, flushing_now, quiet=flooding
                    )
                else:
                    if tx.messages.exists(customer.door.channel_id, ts):
                        return CustomerMessageOutcome(CustomerMessageAction.DUPLICATE)
                    outcome = self._route_customer_message(tx, conversation, customer, ts, text, files, flooding, early)
                    tx.flush()
            if outcome.action is CustomerMessageAction.DUPLICATE or found is None or not flooding:
                return outcome
            return self._with_flood_control(tx, outcome, found.flood_notice_at)

    @staticmethod
    def _is_for_the_agent(mode: ConversationMode, text: str) -> bool:
        """Waiting or supervised (unless leaving: "never mind"; supervised, unless asking for a person),
        or connected: the message is stored for the agent."""
        if mode is ConversationMode.CONNECTED:
            return True
        if mode is ConversationMode.SUPERVISED and asks_for_human(text):
            return False  # a person at once: the proposal ends (`_hand_over_proposal`)
        return mode in (ConversationMode.WAITING, ConversationMode.SUPERVISED) and not asks_to_cancel(text)

    def _store_for_agent(
        self,
        tx: HelpdeskTransaction,
        conversation: LockedConversation | StoredConversation,
        customer: Customer,
        ts: str,
        text: str,
        files: Sequence[SharedFile],
        flushing_now: bool,
        quiet: bool = False,
    ) -> CustomerMessageOutcome:
        """Store the message for the agent: the relay's hot path, in Core statements.

        While waiting, the customer is told it was passed on and their place now (unless flooding:
        an answer per message would flood back).
        """
        relayed_now = conversation.mode == ConversationMode.CONNECTED
        message = self._customer_message(
            conversation, customer, ts, text, files, first_attempt_reserved=relayed_now and flushing_now
        )
        if self._store_new(tx, message) is None:  # the same message, redelivered under another event ID
            return CustomerMessageOutcome(CustomerMessageAction.DUPLICATE)
        ticket_id = conversation.active_ticket_id
        unnamed = profile_unknown(conversation)  # their name or organisation's: the board asks again
        if relayed_now:
            self._connected_mood(tx, conversation.id, ticket_id, text)  # a note for the agent only
            return CustomerMessageOutcome(
                CustomerMessageAction.RELAY, conversation.id, ticket_id, customer_unnamed=unnamed
            )
        assert ticket_id is not None  # waiting or supervised: its ticket is open
        if conversation.mode == ConversationMode.SUPERVISED:
            # Shown in the proposal's thread like a waiting customer's; the bot does not answer it.
            if not quiet:
                self._notify(tx, conversation.id, ticket_id, Audience.CUSTOMER, Notice.still_checking(ticket_id))
            return CustomerMessageOutcome(
                CustomerMessageAction.WAITING, conversation.id, ticket_id, customer_unnamed=unnamed
            )
        waiting = self._still_waiting(tx, conversation.id, ticket_id, text, quiet)  # priority: core.queue_priority
        return replace(waiting, customer_unnamed=unnamed)

    def _customer_message(
        self,
        conversation: LockedConversation | StoredConversation,
        customer: Customer,
        ts: str,
        text: str,
        files: Sequence[SharedFile],
        **row: Any,
    ) -> dict[str, Any]:
        """A customer's message (in the DM, or in the thread) as a new row of the door's conversation
        (see `_new_message`)."""
        assert conversation.id is not None  # stored: the caller read or flushed it
        message = self._new_message(
            conversation.id,
            conversation.active_ticket_id,
            Direction.FROM_CUSTOMER,
            customer.user_id,
            customer.door.channel_id,
            ts,
            text,
            files,
            **row,
        )
        return message | author_columns(customer.author)  # a DM's: none (no other author)

    def _flooding(self, earlier: datetime | None) -> bool:
        """The customer's message `flood_limit` before this one (`earlier`) is inside the window."""
        return earlier is not None and as_utc(earlier) > self.clock() - self.flood_window

    def _with_flood_control(
        self, tx: HelpdeskTransaction, outcome: CustomerMessageOutcome, flood_notice_at: datetime | None
    ) -> CustomerMessageOutcome:
        """A flooding customer's message: no answer of its own, and a request to slow down once per window."""
        now = self.clock()
        ask = flood_notice_at is None or now - as_utc(flood_notice_at) > self.flood_window
        if ask:
            tx.conversations.asked_to_slow_down(outcome.conversation_id, now)
            self._notify(
                tx, outcome.conversation_id, outcome.ticket_id, Audience.CUSTOMER, Notice(NoticeKind.SLOW_DOWN)
            )
        return replace(outcome, quiet=True, ask_to_slow_down=ask)

    def _route_customer_message(
        self,
        tx: HelpdeskTransaction,
        conversation: StoredConversation,
        customer: Customer,
        ts: str,
        text: str,
        files: Sequence[SharedFile] = (),
        flooding: bool = False,
        early: EarlyTurn | None = None,
    ) -> CustomerMessageOutcome:
        """With the bot (its turn), or waiting and asking to leave the queue: not relayed."""
        assert conversation.id is not None
        message = self._customer_message(
            conversation, customer, ts, text, files, delivery_state=DeliveryState.NOT_RELAYED
        )
        # An agent may watch the conversation with the bot: then it is mirrored (core.watch_mirror).
        watch_id = watch_mirror.watched(tx, conversation.id) if conversation.mode == ConversationMode.BOT else None
        outcome: CustomerMessageOutcome
        if conversation.mode == ConversationMode.BOT and flooding and not asks_for_human(text):
            # Over the rate the bot answers nothing, so it takes nothing as an answer either: the
            # question the customer last saw (a triage question, a scenario's step) is still the
            # one it waits on. The message is kept (the ticket's transcript shows it); asking
            # for a person still works.
            outcome = CustomerMessageOutcome(CustomerMessageAction.BOT_REPLY, conversation.id)
        elif conversation.mode == ConversationMode.BOT:
            turn = self._turn(conversation, Said.sent(text, ts), customer, early)
            new_ticket_id = self._apply_turn(tx, conversation, conversation.id, turn)
            queued = None
            if new_ticket_id is None:
                outcome = CustomerMessageOutcome(CustomerMessageAction.BOT_REPLY, conversation.id, replies=turn.replies)
            elif turn.proposal is not None:
                message["ticket_id"] = new_ticket_id
                outcome = CustomerMessageOutcome(
                    CustomerMessageAction.PROPOSED, conversation.id, new_ticket_id, replies=turn.replies
                )
            else:
                message["ticket_id"] = new_ticket_id
                queued = (new_ticket_id, tx.tickets.position(new_ticket_id))
                outcome = CustomerMessageOutcome(
                    CustomerMessageAction.ESCALATED, conversation.id, *queued, replies=turn.replies
                )
            self._bot_says(tx, conversation.id, turn, queued)
        else:  # waiting, and leaving the queue; or supervised, and taking the question back or asking for a person
            ticket_id = conversation.active_ticket_id
            assert ticket_id is not None  # waiting or supervised: its ticket is open
            supervised = conversation.mode == ConversationMode.SUPERVISED
            if supervised and not asks_to_cancel(text):  # asking for a person (`_is_for_the_agent`)
                position = self._hand_over_proposal(tx, conversation, ticket_id, EscalationReason.ASKED_FOR_HUMAN)
                action = CustomerMessageAction.ESCALATED if position is not None else CustomerMessageAction.WAITING
                outcome = CustomerMessageOutcome(action, conversation.id, ticket_id, position)
            else:
                if supervised:
                    self._withdraw(tx, conversation, ticket_id)
                else:
                    self._cancel(tx, conversation, ticket_id)
                outcome = CustomerMessageOutcome(CustomerMessageAction.CANCELLED, conversation.id, ticket_id)
        if watch_id is not None:
            watch_mirror.mirror_message(message, watch_id)
        tx.messages.store_new(message)  # the caller checked it is not there yet
        if watch_id is not None:
            watch_mirror.after_turn(tx, self.clock(), conversation.id, watch_id, outcome.replies, outcome.ticket_id)
        return outcome

    def receive_customer_input(self, customer: Customer, received: Pressed | FormFilled) -> CustomerInputOutcome:
        """A bot button pressed or the triage form sent, at the customer's door (where it was pressed).

        Only bot mode runs the bot: a double click, or an old button pressed while waiting or
        connected, changes nothing (one ticket per conversation) and says where they are.
        """
        early = self._early_turn(customer, received)
        with self.storage.transaction() as tx:
            conversation = self._conversation_for(tx, customer)
            assert conversation.id is not None
            ticket_id = conversation.active_ticket_id
            if conversation.mode == ConversationMode.SUPERVISED and ticket_id is not None:
                # "Talk to an agent" (from an earlier bot message) while an agent checks the answer.
                position = self._asked_by_button(tx, conversation, ticket_id, received)
                if position is not None:
                    mode = ConversationMode.WAITING
                    return CustomerInputOutcome(True, conversation.id, ticket_id, mode, position, handled_by_bot=False)
            if conversation.mode != ConversationMode.BOT:
                position = (
                    tx.tickets.position(ticket_id)
                    if conversation.mode == ConversationMode.WAITING and ticket_id
                    else None
                )
                self._tell_where_they_are(tx, conversation, position)
                return CustomerInputOutcome(
                    False,
                    conversation.id,
                    ticket_id,
                    ConversationMode(conversation.mode),
                    position,
                    handled_by_bot=False,
                )
            watch_id = watch_mirror.watched(tx, conversation.id)
            turn = self._turn(conversation, received, customer, early)
            new_ticket_id = self._apply_turn(tx, conversation, conversation.id, turn)
            if new_ticket_id is None:
                self._bot_says(tx, conversation.id, turn)
                self._mirror_input(tx, conversation.id, watch_id, received, turn.replies, None)
                return CustomerInputOutcome(False, conversation.id, None, ConversationMode.BOT, replies=turn.replies)
            if turn.proposal is not None:  # supervised: the proposal's card is posted like a ticket's
                self._bot_says(tx, conversation.id, turn)
                self._mirror_input(tx, conversation.id, watch_id, received, turn.replies, new_ticket_id)
                return CustomerInputOutcome(
                    True, conversation.id, new_ticket_id, ConversationMode.SUPERVISED, replies=turn.replies
                )
            position = tx.tickets.position(new_ticket_id)
            self._bot_says(tx, conversation.id, turn, (new_ticket_id, position))
            self._mirror_input(tx, conversation.id, watch_id, received, turn.replies, new_ticket_id)
            return CustomerInputOutcome(
                True, conversation.id, new_ticket_id, ConversationMode.WAITING, position, replies=turn.replies
            )

    def _mirror_input(
        self,
        tx: HelpdeskTransaction,
        conversation_id: int,
        watch_id: int | None,
        received: Pressed | FormFilled,
        replies: Sequence[Reply],
        new_ticket_id: int | None,
    ) -> None:
        """A watched conversation: the press (or form) and the bot's replies in the watch's thread."""
        if watch_id is not None:
            watch_mirror.after_turn(tx, self.clock(), conversation_id, watch_id, replies, new_ticket_id, received)

    def _asked_by_button(
        self,
        tx: HelpdeskTransaction,
        conversation: StoredConversation,
        ticket_id: int,
        received: Pressed | FormFilled,
    ) -> int | None:
        """A "Talk to an agent" press while supervised: the hand-over (`_hand_over_proposal`), for the
        reason the button carries ("menu"); None for any other input."""
        if not isinstance(received, Pressed) or received.action is not ButtonAction.TALK_TO_AGENT:
            return None
        known = received.value in set(EscalationReason)
        reason = EscalationReason(received.value) if known else EscalationReason.MENU
        return self._hand_over_proposal(tx, conversation, ticket_id, reason)

    def _hand_over_proposal(
        self, tx: HelpdeskTransaction, conversation: StoredConversation, ticket_id: int, reason: EscalationReason
    ) -> int | None:
        """The customer asked for a person while an agent checks the bot's answer: the proposal ends
        (handed over, or timed out if its time ran out first) and the ticket waits in the queue, the
        customer told their place; decided like an agent's click (core.supervision). Their place, or
        None when the proposal was decided before (the conversation's lock makes that unlikely)."""
        handed = self._decide_locked(
            tx, conversation, ticket_id, ProposalOutcome.HANDED_OVER, conversation.customer_user_id, reason=reason
        )
        return tx.tickets.position(ticket_id) if handed is not None else None

    def triage_form(self, door: FrontDoor, facts: CustomerFacts) -> list[tuple[TriageQuestion, str | None]] | None:
        """The triage questions with what is known so far; None unless the door's conversation is with the bot."""
        with self.storage.transaction() as tx:
            conversation = tx.conversations.at_door(door)
            if conversation is not None and conversation.mode != ConversationMode.BOT:
                return None
            state = BotState.from_json(conversation.bot_state if conversation else None)
        return self.responder.form_questions(state, facts)

    def cancel_waiting(self, customer_user_id: str, ticket_id: int, door: FrontDoor | None = None) -> CancelResult:
        """The customer leaves the queue. The ticket must be theirs; pressed in a thread (`door`), of that
        thread's conversation, which anyone of the customer's organisation there may leave (the edge checks who)."""
        with self.storage.transaction() as tx:
            ticket = tx.tickets.get(ticket_id)
            conversation = tx.conversations.locked(ticket.conversation_id) if ticket else None  # first, as `claim`
            if ticket is None or conversation is None:
                return CancelResult.NOT_YOURS
            elsewhere = door is not None and door != FrontDoor(conversation.channel_id, conversation.thread_ts)
            someone_else = conversation.customer_user_id != customer_user_id and not (door and door.is_thread)
            if elsewhere or someone_else:
                return CancelResult.NOT_YOURS
            if not self._cancel(tx, conversation, ticket_id):
                self._notify(tx, conversation.id, ticket_id, Audience.CUSTOMER, Notice(NoticeKind.CANCEL_TOO_LATE))
                return CancelResult.NOT_WAITING
            return CancelResult.CANCELLED

    def tell_customer(self, customer: Customer, notice: Notice) -> int:
        """Store a notice for a customer outside any step of theirs (e.g. a message the guard could
        not take); their conversation, to flush."""
        with self.storage.transaction() as tx:
            conversation = self._conversation_for(tx, customer)
            tx.flush()
            self._notify(tx, conversation.id, conversation.active_ticket_id, Audience.CUSTOMER, notice)
            assert conversation.id is not None
            return int(conversation.id)
