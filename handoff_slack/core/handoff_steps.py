"""The steps the hand-off's operations share: the bot's turn, opening and cancelling a ticket,
new message rows, and storing the bot's notices, each inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from handoff_slack.core.bot import (
    BotEngine,
    BotInput,
    BotResponder,
    BotState,
    BotTurn,
    Handover,
    Reply,
    ReplyKind,
)
from handoff_slack.core.bot_config import SupervisionConfig
from handoff_slack.core.bot_turn import Proposal
from handoff_slack.core.business_hours import AgentsAway, BusinessHours
from handoff_slack.core.clock import Clock, utcnow
from handoff_slack.core.deliveries import SharedFile, files_to_json, has_text_part
from handoff_slack.core.early_turns import AwayFromBot, EarlyTurn
from handoff_slack.core.first_response import decide_first_response
from handoff_slack.core.helpdesk_outcomes import Customer
from handoff_slack.core.helpdesk_storage import HelpdeskStorage, HelpdeskTransaction, StoredConversation, StoredTicket
from handoff_slack.core.notices import Audience, Notice, NoticeKind
from handoff_slack.core.priority_rules import PriorityRules
from handoff_slack.core.proposals import ProposalOutcome, diagnosis_to_json
from handoff_slack.core.reminders import ReminderRules
from handoff_slack.core.states import ConversationMode, DeliveryState, Direction, EscalationReason, TicketState
from handoff_slack.core.ticket_needs import NeedsRules

DEFAULT_FLOOD_WINDOW = timedelta(minutes=1)


class HandoffSteps:
    """The state and steps that Helpdesk's parts (intake, agent desk, ticket records) share."""

    needs: NeedsRules = NeedsRules()  # a new ticket's language and skills (routing's filters); set by the app
    business_hours: BusinessHours = BusinessHours.always_open()  # the YAML's `business_hours` (set by the app)
    # The YAML's `reminders` (core.reminders; set by the app): the first-response targets a ticket's
    # way out of the queue is measured against, in its own transaction (core.first_response).
    reminder_rules: ReminderRules = ReminderRules()

    def __init__(
        self,
        storage: HelpdeskStorage,
        responder: BotResponder | None = None,
        note_prefix: str = "note:",
        clock: Clock = utcnow,
        flood_window: timedelta = DEFAULT_FLOOD_WINDOW,
        supervision: SupervisionConfig | None = None,
        priorities: PriorityRules | None = None,
    ) -> None:
        self.storage = storage
        self.priorities = priorities or PriorityRules()  # a new ticket's priority (core.priority)
        self.supervision = supervision or SupervisionConfig()
        self.responder = responder or BotEngine()
        self.note_prefix = note_prefix.lower()
        self.clock = clock
        self.flood_window = flood_window
        self._away_from_bot = AwayFromBot()

    @staticmethod
    def _store_new(tx: HelpdeskTransaction, message: dict[str, Any]) -> int | None:
        """Store a new message row: its ID, or None when it was there already (a redelivery).

        A first attempt counted in the row is reserved for this process (see DeliveryLedger.first_attempts).
        """
        message_id = tx.messages.store_new(message)
        if message_id is not None and message["attempts"]:
            tx.reserve(message_id)
        return message_id

    def _new_message(
        self,
        conversation_id: int,
        ticket_id: int | None,
        direction: Direction,
        author_user_id: str,
        channel_id: str,
        ts: str,
        text: str,
        files: Sequence[SharedFile],
        delivery_state: DeliveryState = DeliveryState.PENDING,
        first_attempt_reserved: bool = False,
    ) -> dict[str, Any]:
        """A new message's row (received now), for `_store_new`.

        `first_attempt_reserved`: the message is relayed right away, and its text's first attempt is
        counted now, to be reserved in `DeliveryLedger.first_attempts` once stored (a file share
        without words has no text: its files count their own attempts).
        """
        row: dict[str, Any] = {
            "conversation_id": conversation_id,
            "ticket_id": ticket_id,
            "direction": direction.value,
            "author_user_id": author_user_id,
            "source_channel_id": channel_id,
            "source_ts": ts,
            "text": text,
            "delivery_state": delivery_state.value,
            "dest_files_done": 0,
            "attempts": int(first_attempt_reserved and has_text_part(text, files)),
            "copy_stale": False,
            "created_at": self.clock(),
        }
        if files:  # else SQL NULL, as the ORM stores it (not JSON null)
            row["files"] = files_to_json(files)
        return row

    # -- internals ------------------------------------------------------------------------------

    def _first_delivery(self, tx: HelpdeskTransaction, event_id: str | None) -> bool:
        """Record the event ID; False when it was recorded before (Slack retried the delivery)."""
        if not event_id:
            return True
        return tx.events.first_delivery(event_id, self.clock())

    def _locked_ticket(
        self, tx: HelpdeskTransaction, ticket_id: int
    ) -> tuple[StoredTicket, StoredConversation | None] | None:
        """The ticket and its conversation, the conversation row-locked first (as a customer's steps
        lock it: the opposite order could deadlock on PostgreSQL), the ticket read as it is now."""
        ticket = tx.tickets.get(ticket_id)
        if ticket is None:
            return None
        conversation = tx.conversations.locked(ticket.conversation_id)
        tx.tickets.reload(ticket)  # as it is now that nothing else can change it
        return ticket, conversation

    def _conversation_for(self, tx: HelpdeskTransaction, customer: Customer) -> StoredConversation:
        """The conversation at the customer's door, row-locked (created, as theirs, if new)."""
        return tx.conversations.for_door(customer.door, customer.user_id, customer.team_id, self.clock())

    def _early_turn(self, customer: Customer, received: BotInput) -> EarlyTurn | None:
        """The bot's turn, decided from a read of the door's state before the write transaction
        (core.early_turns). None: not with the bot."""
        found = self.storage.bot_state(customer.door)
        if found is not None and found[0] != ConversationMode.BOT:
            return None
        bot_state = found[1] if found is not None else None
        bot = self._bot_for(customer)
        return EarlyTurn(bot_state, bot.respond(BotState.from_json(bot_state), received, customer.facts))

    def _turn(
        self, conversation: StoredConversation, received: BotInput, customer: Customer, early: EarlyTurn | None
    ) -> BotTurn:
        """The early turn if the state it was decided on is still the conversation's; else decided again."""
        if early is not None and early.bot_state == conversation.bot_state:
            return early.turn
        return self._bot_for(customer).respond(BotState.from_json(conversation.bot_state), received, customer.facts)

    def _bot_for(self, customer: Customer) -> BotResponder:
        """The bot, with the greeting and triage switch of the served channel the customer writes in."""
        if customer.channel is None or not isinstance(self.responder, BotEngine):
            return self.responder
        return self.responder.in_channel(customer.channel)

    def _apply_turn(
        self, tx: HelpdeskTransaction, conversation: StoredConversation, conversation_id: int, turn: BotTurn
    ) -> int | None:
        """Save the bot's new state; open the ticket when the turn hands over or proposes (its ID:
        the caller tells them apart by `turn.proposal`)."""
        tx.conversations.save_bot_state(conversation, turn.state.to_json())
        if turn.proposal is not None:
            return self._open_proposal(tx, conversation, conversation_id, turn.proposal)
        if turn.handover is None:
            return None
        return self._open_ticket(tx, conversation, conversation_id, turn.handover)

    def _open_proposal(
        self, tx: HelpdeskTransaction, conversation: StoredConversation, conversation_id: int, proposal: Proposal
    ) -> int:
        """Supervised: a proposed ticket (in no queue) and its proposal, pending until an agent
        decides or its time runs out (core.supervision)."""
        now = self.clock()
        priority = self.priorities.for_new_ticket((), conversation.customer_user_id, conversation.customer_team_id)
        needs = self.needs.for_new_ticket((), proposal.scenario_id)  # if handed to the queue later
        ticket_id = tx.tickets.open(
            conversation,
            conversation_id,
            EscalationReason.SUPERVISED,
            None,
            None,
            now,
            TicketState.PROPOSED,
            priority,
            needs,
            outside_hours=not self.business_hours.is_open(now),
        )
        diagnosis = proposal.diagnosis
        tx.proposals.add(
            {
                "ticket_id": ticket_id,
                "conversation_id": conversation_id,
                "scenario_id": proposal.scenario_id,
                "scenario_title": proposal.scenario_title,
                "proposed_text": proposal.text,
                "answers": [list(pair) for pair in proposal.answers],
                "diagnosis": diagnosis_to_json(diagnosis),
                "cause_id": diagnosis.best.cause_id if diagnosis else None,
                "cause_score": diagnosis.best.score if diagnosis else None,
                "outcome": ProposalOutcome.PENDING.value,
                "created_at": now,
                "expires_at": now + timedelta(seconds=self.supervision.timeout_seconds),
            }
        )
        return ticket_id

    def _open_ticket(
        self, tx: HelpdeskTransaction, conversation: StoredConversation, conversation_id: int, handover: Handover
    ) -> int:
        """The new waiting ticket's ID (`conversation_id`: the stored conversation's, `conversation.id`)."""
        answers = [(answer.question_id, answer.answer) for answer in handover.triage]
        now = self.clock()
        return tx.tickets.open(
            conversation,
            conversation_id,
            handover.reason,
            [answer.to_json() for answer in handover.triage] or None,
            handover.frustration_score,
            now,
            priority=self.priorities.for_new_ticket(
                answers, conversation.customer_user_id, conversation.customer_team_id
            ),
            needs=self.needs.for_new_ticket(answers, handover.scenario_id),
            outside_hours=not self.business_hours.is_open(now),
            signals=handover.signals,
        )

    def _claim_waiting(
        self,
        tx: HelpdeskTransaction,
        ticket_id: int,
        agent_user_id: str,
        agent_name: str | None,
        agent_avatar_url: str | None,
        now: datetime,
    ) -> bool:
        """Give the ticket to the agent if it still waits (Claim, a routing offer accepted, an admin's
        assignment), its first response decided with it: the claim's update of the ticket message shows it."""
        if not tx.tickets.claim(ticket_id, agent_user_id, agent_name, agent_avatar_url, now):
            return False
        self._first_response(tx, ticket_id)
        return True

    def _first_response(self, tx: HelpdeskTransaction, ticket_id: int) -> None:
        """In the transaction that took the ticket out of the queue (or supervision): its first
        response's outcome (core.first_response), so the timers job has nothing left to decide."""
        decide_first_response(tx, self.reminder_rules, ticket_id)

    def _cancel(self, tx: HelpdeskTransaction, conversation: StoredConversation, ticket_id: int) -> bool:
        cancelled = tx.tickets.cancel(ticket_id, conversation.customer_user_id, self.clock())
        if cancelled:
            assert conversation.id is not None
            self._first_response(tx, ticket_id)  # none, or breached if it waited past its target
            tx.conversations.back_to_bot(conversation.id, ticket_id, self.clock())
            self._notify(
                tx,
                conversation.id,
                ticket_id,
                Audience.CUSTOMER,
                Notice(NoticeKind.LEFT_QUEUE),
                Notice.bot_reply(self.responder.menu()),
            )
        return cancelled

    def _withdraw(self, tx: HelpdeskTransaction, conversation: StoredConversation, ticket_id: int) -> bool:
        """The customer takes back their question while an agent checks the bot's answer ("never mind")."""
        now = self.clock()
        withdrawn = tx.tickets.from_proposal(
            ticket_id, TicketState.CANCELLED, now, by_user_id=conversation.customer_user_id
        )
        if withdrawn:
            assert conversation.id is not None
            self._first_response(tx, ticket_id)  # none: a proposal never waited in the queue
            tx.proposals.decide(ticket_id, ProposalOutcome.WITHDRAWN.value, conversation.customer_user_id, now)
            tx.conversations.back_to_bot(conversation.id, ticket_id, now)
            note = Reply(ReplyKind.NOTE, "OK, I won't send that answer.")
            self._notify(
                tx,
                conversation.id,
                ticket_id,
                Audience.CUSTOMER,
                Notice.bot_reply(note),
                Notice.bot_reply(self.responder.menu()),
            )
        return withdrawn

    # -- the bot's notices ----------------------------------------------------------------------

    def _notify(
        self,
        tx: HelpdeskTransaction,
        conversation_id: int | None,
        ticket_id: int | None,
        audience: Audience,
        *said: Notice,
    ) -> None:
        """Store notices in this transaction: the outbox sends them, in order, once (core.notices)."""
        assert conversation_id is not None
        tx.store_notices(conversation_id, ticket_id, audience, said)

    def _bot_says(
        self, tx: HelpdeskTransaction, conversation_id: int | None, turn: BotTurn, queued: tuple[int, int] | None = None
    ) -> None:
        """The bot's replies of a turn, and when it handed over (`queued`: the ticket and the
        customer's place in the queue), that place."""
        hours = self.business_hours
        note = AgentsAway.at(hours, self.clock(), hours.greeting_note)  # None while open
        said = [Notice.bot_reply(reply, note if reply.greeting else None) for reply in turn.replies]
        ticket_id = None
        if queued is not None:
            ticket_id, position = queued
            said.append(self._queued(position, ticket_id))
            tx.waiting_timers.position_said(ticket_id, position, None)  # core.queue_updates measures from it
        self._notify(tx, conversation_id, ticket_id, Audience.CUSTOMER, *said)

    def _queued(self, position: int, ticket_id: int) -> Notice:
        """The customer's place in the queue; outside business hours, also when agents are back."""
        hours = self.business_hours
        return Notice.queued(position, ticket_id, AgentsAway.at(hours, self.clock(), hours.outside_hours_message))

    def _tell_where_they_are(
        self, tx: HelpdeskTransaction, conversation: StoredConversation, position: int | None
    ) -> None:
        """A bot button pressed while waiting or connected changes nothing: the customer hears where they are."""
        ticket_id = conversation.active_ticket_id
        if conversation.mode == ConversationMode.WAITING and ticket_id is not None:
            notice = Notice.still_waiting(position or 1, ticket_id)
        elif conversation.mode == ConversationMode.SUPERVISED and ticket_id is not None:
            notice = Notice.still_checking(ticket_id)
        else:
            ticket = tx.tickets.get(ticket_id) if ticket_id is not None else None
            notice = Notice.already_connected(ticket.agent_name if ticket else None)
        self._notify(tx, conversation.id, ticket_id, Audience.CUSTOMER, notice)
