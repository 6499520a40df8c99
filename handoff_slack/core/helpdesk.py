"""The hand-off state machine: conversations, tickets and the queue.

Each public method is one database transaction. State changes that can race (escalate, cancel,
claim, close) are conditional UPDATEs, so concurrent callers, in one process or many, see exactly
one winner. Nothing here knows about Slack: callers pass plain IDs and text, and get back
outcomes that say what happened so the Slack edge can render it: plain frozen values (here and in
core.views), never database rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from handoff_slack.core.bot import (
    BotEngine,
    BotInput,
    BotResponder,
    BotState,
    BotTurn,
    CustomerFacts,
    FormFilled,
    Handover,
    Pressed,
    Reply,
    Said,
)
from handoff_slack.core.bot_config import TriageQuestion
from handoff_slack.core.clock import Clock, as_utc, utcnow
from handoff_slack.core.deliveries import SharedFile, files_to_json, has_text_part
from handoff_slack.core.early_turns import AwayFromBot, EarlyTurn
from handoff_slack.core.notices import Audience, Notice, NoticeKind
from handoff_slack.core.phrases import asks_for_human, asks_to_cancel
from handoff_slack.core.states import ConversationMode, DeliveryState, Direction, TicketState
from handoff_slack.core.views import QueueEntry, QueueSnapshot, TicketView, TranscriptLine
from handoff_slack.storage.database import Database
from handoff_slack.storage.delivery_ledger import DeliveryLedger
from handoff_slack.storage.helpdesk_store import HelpdeskStore, HelpdeskTransaction

DEFAULT_FLOOD_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class Customer:
    """Who wrote to the app, and from where."""

    user_id: str
    dm_channel_id: str
    team_id: str | None = None
    facts: CustomerFacts = field(default_factory=CustomerFacts)  # what Slack knows: triage won't ask it


class CustomerMessageAction(StrEnum):
    DUPLICATE = "duplicate"  # already handled (Slack redelivery)
    BOT_REPLY = "bot_reply"  # bot mode: the bot answers
    ESCALATED = "escalated"  # bot mode: the message asked for a person; a ticket now waits
    WAITING = "waiting"  # waiting: kept for the agent, the customer gets a waiting notice
    CANCELLED = "cancelled"  # waiting: the customer left the queue
    RELAY = "relay"  # connected: goes to the agent


# Outcomes after which the customer is waiting or connected (their next message skips the early turn).
_AWAY_FROM_BOT = frozenset(
    {CustomerMessageAction.RELAY, CustomerMessageAction.WAITING, CustomerMessageAction.ESCALATED}
)


@dataclass(frozen=True)
class CustomerMessageOutcome:
    action: CustomerMessageAction
    conversation_id: int | None = None
    ticket_id: int | None = None
    position: int | None = None
    # Flood control: over the rate the bot stops answering each message (they are still kept
    # and relayed) and asks the customer, once per window, to slow down.
    quiet: bool = False
    ask_to_slow_down: bool = False
    replies: tuple[Reply, ...] = ()  # the bot's answer (bot mode; also before a hand-off)


@dataclass(frozen=True)
class CustomerInputOutcome:
    """What a customer's button press or form gave: the bot's replies, maybe a new ticket."""

    created: bool  # a ticket was opened (False too when one was already waiting or connected)
    conversation_id: int
    ticket_id: int | None
    mode: ConversationMode  # where the customer is now
    position: int | None = None
    replies: tuple[Reply, ...] = ()
    handled_by_bot: bool = True  # False: the customer was already waiting or connected


class CancelResult(StrEnum):
    CANCELLED = "cancelled"
    NOT_WAITING = "not_waiting"  # already claimed, closed or cancelled
    NOT_YOURS = "not_yours"


class ClaimResult(StrEnum):
    CLAIMED = "claimed"
    ALREADY_CLAIMED = "already_claimed"
    NOT_WAITING = "not_waiting"  # cancelled or closed before anyone claimed it
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class ClaimOutcome:
    result: ClaimResult
    ticket: TicketView | None = None  # as it is after the claim; None only when not found


class CloseResult(StrEnum):
    CLOSED = "closed"
    NOT_ALLOWED = "not_allowed"  # neither the owning agent nor an admin
    NOT_OPEN = "not_open"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class CloseOutcome:
    result: CloseResult
    ticket: TicketView | None = None  # as it is after the close; None only when not found


class AgentMessageAction(StrEnum):
    IGNORED = "ignored"  # not a reply in a ticket's thread
    DUPLICATE = "duplicate"
    INTERNAL = "internal"  # stays in the support channel (note, other agent, ticket not connected)
    RELAY = "relay"


@dataclass(frozen=True)
class AgentMessageOutcome:
    action: AgentMessageAction
    conversation_id: int | None = None
    ticket_id: int | None = None


class Helpdesk:
    def __init__(
        self,
        db: Database,
        responder: BotResponder | None = None,
        note_prefix: str = "note:",
        clock: Clock = utcnow,
        flood_limit: int = 20,
        flood_window: timedelta = DEFAULT_FLOOD_WINDOW,
    ) -> None:
        self.db = db
        self.responder = responder or BotEngine()
        self.note_prefix = note_prefix.lower()
        self.clock = clock
        self.flood_limit = flood_limit
        self.flood_window = flood_window
        self.deliveries = DeliveryLedger(db, clock)
        self.store = HelpdeskStore(db, self.deliveries, flood_limit)
        self._away_from_bot = AwayFromBot()

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
        """Store a customer's DM (and the files shared with it) and move their conversation on.

        The caller renders the outcome. A file share's text may be empty. `flushing_now`: the
        caller flushes the conversation's outbox as soon as this commits (the relay's fast path),
        so a relayed message's first attempt is counted and reserved here. False when the delivery
        is left to the scheduler (a full backlog): then nothing is counted, and whichever process
        or replica delivers it posts it without first looking for a copy.
        """
        # The bot's decision, made before the write lock (core.early_turns); not for the relay's hot path.
        early = None if customer.user_id in self._away_from_bot else self._early_turn(customer, Said(text))
        outcome = self._receive_customer_message(customer, ts, text, event_id, files, flushing_now, early)
        if outcome.action is not CustomerMessageAction.DUPLICATE:
            self._away_from_bot.seen(customer.user_id, outcome.action in _AWAY_FROM_BOT)
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
        with self.store.transaction(reserving=True) as tx:
            found = tx.conversations.locked_for_message(customer.user_id)
            flooding = found is not None and self._flooding(found.flood_probe)
            if found is not None and self._is_for_the_agent(ConversationMode(found.mode), text):
                # The relay's hot path records no event ID: the message's own unique source
                # (channel, ts) recognises a redelivery, under any event ID.
                if found.dm_channel_id != customer.dm_channel_id:
                    tx.conversations.move_dm(found.id, customer.dm_channel_id)
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
                    if tx.messages.exists(customer.dm_channel_id, ts):
                        return CustomerMessageOutcome(CustomerMessageAction.DUPLICATE)
                    outcome = self._route_customer_message(tx, conversation, customer, ts, text, files, flooding, early)
                    tx.flush()
            if outcome.action is CustomerMessageAction.DUPLICATE or found is None or not flooding:
                return outcome
            return self._with_flood_control(tx, outcome, found.flood_notice_at)

    @staticmethod
    def _is_for_the_agent(mode: ConversationMode, text: str) -> bool:
        """Waiting (unless leaving the queue) or connected: the message is stored for the agent."""
        return mode is ConversationMode.CONNECTED or (mode is ConversationMode.WAITING and not asks_to_cancel(text))

    def _store_for_agent(
        self,
        tx: HelpdeskTransaction,
        conversation: Any,
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
        if relayed_now:
            return CustomerMessageOutcome(CustomerMessageAction.RELAY, conversation.id, ticket_id)
        position = tx.tickets.position(ticket_id)
        if not quiet:
            self._notify(tx, conversation.id, ticket_id, Audience.CUSTOMER, Notice.still_waiting(position, ticket_id))
        return CustomerMessageOutcome(CustomerMessageAction.WAITING, conversation.id, ticket_id, position)

    def _customer_message(
        self, conversation: Any, customer: Customer, ts: str, text: str, files: Sequence[SharedFile], **row: Any
    ) -> dict[str, Any]:
        """A customer's DM as a new message row of their conversation (see `_new_message`)."""
        return self._new_message(
            conversation.id,
            conversation.active_ticket_id,
            Direction.FROM_CUSTOMER,
            customer.user_id,
            customer.dm_channel_id,
            ts,
            text,
            files,
            **row,
        )

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
        conversation: Any,
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
        outcome: CustomerMessageOutcome
        if conversation.mode == ConversationMode.BOT and flooding and not asks_for_human(text):
            # Over the rate the bot answers nothing, so it takes nothing as an answer either: the
            # question the customer last saw (a triage question, a scenario's step) is still the
            # one it waits on. The message is kept (the ticket's transcript shows it); asking
            # for a person still works.
            outcome = CustomerMessageOutcome(CustomerMessageAction.BOT_REPLY, conversation.id)
        elif conversation.mode == ConversationMode.BOT:
            turn = self._turn(conversation, Said(text), customer, early)
            new_ticket_id = self._apply_turn(tx, conversation, conversation.id, turn)
            queued = None
            if new_ticket_id is None:
                outcome = CustomerMessageOutcome(CustomerMessageAction.BOT_REPLY, conversation.id, replies=turn.replies)
            else:
                message["ticket_id"] = new_ticket_id
                queued = (new_ticket_id, tx.tickets.position(new_ticket_id))
                outcome = CustomerMessageOutcome(
                    CustomerMessageAction.ESCALATED, conversation.id, *queued, replies=turn.replies
                )
            self._bot_says(tx, conversation.id, turn, queued)
        else:  # waiting, and leaving the queue
            ticket_id = conversation.active_ticket_id
            assert ticket_id is not None  # waiting: its ticket is open
            self._cancel(tx, conversation, ticket_id)
            outcome = CustomerMessageOutcome(CustomerMessageAction.CANCELLED, conversation.id, ticket_id)
        tx.messages.store_new(message)  # the caller checked it is not there yet
        return outcome

    def receive_customer_input(self, customer: Customer, received: Pressed | FormFilled) -> CustomerInputOutcome:
        """A bot button pressed or the triage form sent, in the customer's DM.

        Only bot mode runs the bot: a double click, or an old button pressed while waiting or
        connected, changes nothing (one ticket per conversation) and says where they are.
        """
        early = self._early_turn(customer, received)
        with self.store.transaction() as tx:
            conversation = self._conversation_for(tx, customer)
            assert conversation.id is not None
            if conversation.mode != ConversationMode.BOT:
                ticket_id = conversation.active_ticket_id
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
            turn = self._turn(conversation, received, customer, early)
            new_ticket_id = self._apply_turn(tx, conversation, conversation.id, turn)
            if new_ticket_id is None:
                self._bot_says(tx, conversation.id, turn)
                return CustomerInputOutcome(False, conversation.id, None, ConversationMode.BOT, replies=turn.replies)
            position = tx.tickets.position(new_ticket_id)
            self._bot_says(tx, conversation.id, turn, (new_ticket_id, position))
            return CustomerInputOutcome(
                True, conversation.id, new_ticket_id, ConversationMode.WAITING, position, replies=turn.replies
            )

    def triage_form(
        self, customer_user_id: str, facts: CustomerFacts
    ) -> list[tuple[TriageQuestion, str | None]] | None:
        """The triage questions with what is known so far; None unless the customer is with the bot."""
        with self.store.transaction() as tx:
            conversation = tx.conversations.of_customer(customer_user_id)
            if conversation is not None and conversation.mode != ConversationMode.BOT:
                return None
            state = BotState.from_json(conversation.bot_state if conversation else None)
        return self.responder.form_questions(state, facts)

    def cancel_waiting(self, customer_user_id: str, ticket_id: int) -> CancelResult:
        with self.store.transaction() as tx:
            ticket = tx.tickets.get(ticket_id)
            conversation = tx.conversations.get(ticket.conversation_id) if ticket else None
            if ticket is None or conversation is None or conversation.customer_user_id != customer_user_id:
                return CancelResult.NOT_YOURS
            if not self._cancel(tx, conversation, ticket_id):
                self._notify(tx, conversation.id, ticket_id, Audience.CUSTOMER, Notice(NoticeKind.CANCEL_TOO_LATE))
                return CancelResult.NOT_WAITING
            return CancelResult.CANCELLED

    def tell_customer(self, customer: Customer, notice: Notice) -> int:
        """Store a notice for a customer outside any step of theirs (e.g. a message the guard could
        not take); their conversation, to flush."""
        with self.store.transaction() as tx:
            conversation = self._conversation_for(tx, customer)
            tx.flush()
            self._notify(tx, conversation.id, conversation.active_ticket_id, Audience.CUSTOMER, notice)
            assert conversation.id is not None
            return int(conversation.id)

    def set_customer_profile(
        self, conversation_id: int, name: str | None, avatar_url: str | None, org_name: str | None
    ) -> None:
        with self.store.transaction() as tx:
            tx.conversations.set_profile(conversation_id, name, avatar_url, org_name, self.clock())

    # -- agents ---------------------------------------------------------------------------------

    def claim(
        self, ticket_id: int, agent_user_id: str, agent_name: str | None = None, agent_avatar_url: str | None = None
    ) -> ClaimOutcome:
        """Give a waiting ticket to an agent; of many simultaneous claims exactly one wins."""
        now = self.clock()
        with self.store.transaction() as tx:
            won = tx.tickets.claim(ticket_id, agent_user_id, agent_name, agent_avatar_url, now)
            ticket = tx.tickets.get(ticket_id, fresh=True)
            if ticket is None:
                return ClaimOutcome(ClaimResult.NOT_FOUND)
            conversation = tx.conversations.get(ticket.conversation_id)
            view = TicketView.from_rows(ticket, conversation)
            if won:
                tx.conversations.connected(ticket.conversation_id, now)
                # The agents' thread first: the agent may reply before the customer's notice is out.
                self._notify(tx, ticket.conversation_id, ticket_id, Audience.AGENTS, Notice.claimed_note(agent_user_id))
                self._notify(tx, ticket.conversation_id, ticket_id, Audience.CUSTOMER, Notice.connected(agent_name))
                return ClaimOutcome(ClaimResult.CLAIMED, view)
            if ticket.state == TicketState.CONNECTED:
                return ClaimOutcome(ClaimResult.ALREADY_CLAIMED, view)
            return ClaimOutcome(ClaimResult.NOT_WAITING, view)

    def close(self, ticket_id: int, user_id: str, is_admin: bool) -> CloseOutcome:
        now = self.clock()
        with self.store.transaction() as tx:
            ticket = tx.tickets.get(ticket_id)
            if ticket is None:
                return CloseOutcome(CloseResult.NOT_FOUND)
            conversation = tx.conversations.get(ticket.conversation_id)
            if not is_admin and ticket.agent_user_id != user_id:
                return CloseOutcome(CloseResult.NOT_ALLOWED, TicketView.from_rows(ticket, conversation))
            closed = tx.tickets.close(ticket_id, user_id, now)
            tx.tickets.reload(ticket)
            view = TicketView.from_rows(ticket, conversation)
            if not closed:
                return CloseOutcome(CloseResult.NOT_OPEN, view)
            tx.conversations.back_to_bot(ticket.conversation_id, ticket_id, self.clock())
            self._notify(tx, ticket.conversation_id, ticket_id, Audience.AGENTS, Notice.closed_note(user_id))
            self._notify(tx, ticket.conversation_id, ticket_id, Audience.CUSTOMER, Notice.closed(ticket.agent_name))
            return CloseOutcome(CloseResult.CLOSED, view)

    def receive_agent_message(
        self,
        channel_id: str,
        thread_ts: str,
        user_id: str,
        ts: str,
        text: str,
        event_id: str | None = None,
        files: Sequence[SharedFile] = (),
        flushing_now: bool = True,
    ) -> AgentMessageOutcome:
        """Decide what a reply in the support channel is: relayed to the customer, or internal.

        `flushing_now`: as for `receive_customer_message`.
        """
        with self.store.transaction(reserving=True) as tx:
            ticket = tx.tickets.in_thread(channel_id, thread_ts)
            if ticket is None:
                return AgentMessageOutcome(AgentMessageAction.IGNORED)
            relayed = (
                ticket.state == TicketState.CONNECTED
                and ticket.agent_user_id == user_id
                and not self.is_internal_note(text)
            )
            if not relayed:
                if not self._first_delivery(tx, event_id) or tx.messages.exists(channel_id, ts):
                    return AgentMessageOutcome(AgentMessageAction.DUPLICATE, ticket.conversation_id, ticket.id)
                return AgentMessageOutcome(AgentMessageAction.INTERNAL, ticket.conversation_id, ticket.id)
            # Relayed: as for a customer's message, the stored message's source recognises a redelivery.
            message = self._new_message(
                ticket.conversation_id,
                ticket.id,
                Direction.FROM_AGENT,
                user_id,
                channel_id,
                ts,
                text,
                files,
                first_attempt_reserved=flushing_now,
            )
            if self._store_new(tx, message) is None:  # the same reply, redelivered under another event ID
                return AgentMessageOutcome(AgentMessageAction.DUPLICATE, ticket.conversation_id, ticket.id)
            return AgentMessageOutcome(AgentMessageAction.RELAY, ticket.conversation_id, ticket.id)

    def is_internal_note(self, text: str) -> bool:
        return text.lstrip().lower().startswith(self.note_prefix)

    # -- the ticket message ---------------------------------------------------------------------

    def attach_ticket_message(self, ticket_id: int, channel_id: str, ts: str) -> None:
        with self.store.transaction() as tx:
            tx.tickets.attach_message(ticket_id, channel_id, ts)

    def begin_ticket_message(self, ticket_id: int) -> int:
        """Count a post of the ticket message before it is made; the posts begun before this one.

        More than none: an earlier post may have reached Slack (its answer lost, or the app died),
        so the channel is searched for it before posting again.
        """
        with self.store.transaction() as tx:
            return tx.tickets.count_message_post(ticket_id)

    def ticket_message_shown(self, ticket_id: int, state: TicketState) -> None:
        """The ticket message shows `state`: up to date, unless the ticket moved on meanwhile."""
        with self.store.transaction() as tx:
            tx.tickets.message_shown(ticket_id, state)

    def tickets_with_stale_message(self) -> list[int]:
        """Posted ticket messages that show an older state than their ticket's (an update failed)."""
        with self.store.transaction() as tx:
            return tx.tickets.with_stale_message()

    def ticket(self, ticket_id: int) -> TicketView | None:
        with self.store.transaction() as tx:
            ticket = tx.tickets.get(ticket_id)
            if ticket is None:
                return None
            return TicketView.from_rows(ticket, tx.conversations.get(ticket.conversation_id))

    def transcript(self, ticket: TicketView, limit: int = 5) -> list[TranscriptLine]:
        """What the customer said to the bot before this ticket, since any earlier ticket ended."""
        with self.store.transaction() as tx:
            previous_end = tx.tickets.previous_end(ticket.conversation_id, ticket.id)
            rows = tx.messages.said_to_bot(ticket.conversation_id, ticket.created_at, previous_end, limit)
            return [TranscriptLine.from_row(row.text, row.files) for row in reversed(rows)]

    def tickets_missing_their_message(self, created_before: datetime) -> list[int]:
        """Tickets whose support-channel message was never posted (e.g. the app died mid-way)."""
        with self.store.transaction() as tx:
            return tx.tickets.missing_their_message(created_before)

    # -- the queue ------------------------------------------------------------------------------

    def queue(self, limit: int = 20) -> QueueSnapshot:
        with self.store.transaction() as tx:
            total = tx.tickets.waiting_count()
            rows = tx.tickets.waiting(limit)
            entries = tuple(
                QueueEntry(i + 1, TicketView.from_rows(ticket, conversation))
                for i, (ticket, conversation) in enumerate(rows)
            )
            return QueueSnapshot(entries, total)

    # -- internals ------------------------------------------------------------------------------

    def _first_delivery(self, tx: HelpdeskTransaction, event_id: str | None) -> bool:
        """Record the event ID; False when it was recorded before (Slack retried the delivery)."""
        if not event_id:
            return True
        return tx.messages.first_delivery(event_id, self.clock())

    def _conversation_for(self, tx: HelpdeskTransaction, customer: Customer) -> Any:
        """The customer's conversation, row-locked (created if new)."""
        return tx.conversations.for_customer(customer.user_id, customer.dm_channel_id, customer.team_id, self.clock())

    def _early_turn(self, customer: Customer, received: BotInput) -> EarlyTurn | None:
        """The bot's turn, decided from a read of the customer's state before the write transaction
        (core.early_turns). None: not with the bot."""
        found = self.store.bot_state(customer.user_id)
        if found is not None and found[0] != ConversationMode.BOT:
            return None
        bot_state = found[1] if found is not None else None
        return EarlyTurn(bot_state, self.responder.respond(BotState.from_json(bot_state), received, customer.facts))

    def _turn(self, conversation: Any, received: BotInput, customer: Customer, early: EarlyTurn | None) -> BotTurn:
        """The early turn if the state it was decided on is still the conversation's; else decided again."""
        if early is not None and early.bot_state == conversation.bot_state:
            return early.turn
        return self.responder.respond(BotState.from_json(conversation.bot_state), received, customer.facts)

    def _apply_turn(
        self, tx: HelpdeskTransaction, conversation: Any, conversation_id: int, turn: BotTurn
    ) -> int | None:
        """Save the bot's new state; open the ticket when the turn hands over (its ID)."""
        tx.conversations.save_bot_state(conversation, turn.state.to_json())
        if turn.handover is None:
            return None
        return self._open_ticket(tx, conversation, conversation_id, turn.handover)

    def _open_ticket(self, tx: HelpdeskTransaction, conversation: Any, conversation_id: int, handover: Handover) -> int:
        """The new waiting ticket's ID (`conversation_id`: the stored conversation's, `conversation.id`)."""
        return tx.tickets.open(
            conversation,
            conversation_id,
            handover.reason,
            [answer.to_json() for answer in handover.triage] or None,
            handover.frustration_score,
            self.clock(),
        )

    def _cancel(self, tx: HelpdeskTransaction, conversation: Any, ticket_id: int) -> bool:
        cancelled = tx.tickets.cancel(ticket_id, conversation.customer_user_id, self.clock())
        if cancelled:
            assert conversation.id is not None
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
        rows = [self.deliveries.notice_row(conversation_id, ticket_id, audience, notice) for notice in said]
        tx.store_notices(rows)

    def _bot_says(
        self, tx: HelpdeskTransaction, conversation_id: int | None, turn: BotTurn, queued: tuple[int, int] | None = None
    ) -> None:
        """The bot's replies of a turn, and when it handed over (`queued`: the ticket and the
        customer's place in the queue), that place."""
        said = [Notice.bot_reply(reply) for reply in turn.replies]
        ticket_id = None
        if queued is not None:
            ticket_id, position = queued
            said.append(Notice.queued(position, ticket_id))
        self._notify(tx, conversation_id, ticket_id, Audience.CUSTOMER, *said)

    def _tell_where_they_are(self, tx: HelpdeskTransaction, conversation: Any, position: int | None) -> None:
        """A bot button pressed while waiting or connected changes nothing: the customer hears where they are."""
        ticket_id = conversation.active_ticket_id
        if conversation.mode == ConversationMode.WAITING and ticket_id is not None:
            notice = Notice.still_waiting(position or 1, ticket_id)
        else:
            ticket = tx.tickets.get(ticket_id) if ticket_id is not None else None
            notice = Notice.already_connected(ticket.agent_name if ticket else None)
        self._notify(tx, conversation.id, ticket_id, Audience.CUSTOMER, notice)
