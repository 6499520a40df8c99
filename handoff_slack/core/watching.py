"""Watching a bot conversation, and taking it over: the Helpdesk's part for `/handoff-watch`.

A watch is a ticket in state `watched`: never in the queue, never claimable (the queue and claims
read `waiting` tickets only; the conversation stays with the bot and its `active_ticket_id` stays
empty). Its support-channel message is the read-only root of the mirror (core.watch_mirror) with
**Take over** and **Stop watching**. Taking over makes it the agent's connected ticket at once
(reason `taken_over`), in the same thread; stopping ends it. Both are conditional UPDATEs under
the conversation's row lock, taken in the same order as the customer's own steps take it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from handoff_slack.core.audit import AuditAction
from handoff_slack.core.bot import BotEngine, BotState
from handoff_slack.core.handoff_steps import HandoffSteps
from handoff_slack.core.helpdesk_storage import HelpdeskTransaction
from handoff_slack.core.notices import Audience, Notice
from handoff_slack.core.states import ConversationMode, EscalationReason, TicketState
from handoff_slack.core.views import TicketCustomer, TicketView, TranscriptLine
from handoff_slack.core.watch_mirror import RECAP_LINES, WatchNote, watch_note, watch_recap

WATCH_WINDOW = timedelta(hours=1)  # a bot conversation is current while its customer wrote within this
_WATCH_REASONS = frozenset({EscalationReason.WATCHED.value, EscalationReason.TAKEN_OVER.value})


@dataclass(frozen=True)
class BotConversationView:
    """A conversation with the bot, as `/handoff-watch` lists it."""

    conversation_id: int
    customer: TicketCustomer
    first_at: datetime  # the customer's first message within the window ("how long")
    last_at: datetime
    last_message: TranscriptLine | None  # the customer's last message (raw: the edge escapes it)
    scenario: str | None = None  # the title of the scenario they are in, if any
    in_triage: bool = False  # answering the triage questions before a hand-over
    watch_ticket_id: int | None = None  # watched now, by `watched_by_user_id`
    watched_by_user_id: str | None = None


@dataclass(frozen=True)
class BotConversations:
    entries: tuple[BotConversationView, ...]
    total: int  # all current bot conversations, also those beyond `entries`


class WatchResult(StrEnum):
    STARTED = "started"
    ALREADY_WATCHED = "already_watched"
    NOT_WITH_BOT = "not_with_bot"  # waiting, connected, or awaiting approval meanwhile
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class WatchOutcome:
    result: WatchResult
    conversation_id: int | None = None
    ticket_id: int | None = None  # the watch (started, or the one already on)
    watched_by_user_id: str | None = None
    mode: ConversationMode | None = None


class WatchActionResult(StrEnum):
    DONE = "done"  # taken over, or stopped
    TAKEN_OVER = "taken_over"  # someone took it over already
    ENDED = "ended"  # stopped, or the customer was handed over meanwhile
    NOT_A_WATCH = "not_a_watch"


@dataclass(frozen=True)
class WatchActionOutcome:
    result: WatchActionResult
    ticket: TicketView | None = None  # as the step left it


class Watching(HandoffSteps):
    def bot_conversations(self, limit: int = 20, window: timedelta = WATCH_WINDOW) -> BotConversations:
        """The conversations with the bot now (the customer wrote within `window`), latest first."""
        with self.storage.transaction() as tx:
            total, rows = tx.watches.bot_conversations(self.clock() - window, limit)
            entries = []
            for conversation, first_at, last_at in rows:
                assert conversation.id is not None  # stored rows
                state = BotState.from_json(conversation.bot_state)
                last = tx.watches.last_customer_text(conversation.id)
                watch = tx.watches.watch_of(conversation.id)
                entries.append(
                    BotConversationView(
                        conversation_id=conversation.id,
                        customer=TicketCustomer.from_row(conversation),
                        first_at=first_at,
                        last_at=last_at,
                        last_message=TranscriptLine.from_row(last.text, last.files) if last else None,
                        scenario=self._scenario_title(state.scenario_id),
                        in_triage=state.in_triage,
                        watch_ticket_id=watch.id if watch else None,
                        watched_by_user_id=watch.watched_by_user_id if watch else None,
                    )
                )
            return BotConversations(tuple(entries), total)

    def watch(self, conversation_id: int, agent_user_id: str) -> WatchOutcome:
        """Start mirroring the conversation with the bot into a watch's thread (one watch at a time)."""
        now = self.clock()
        with self.storage.transaction() as tx:
            conversation = tx.conversations.locked(conversation_id)
            if conversation is None:
                return WatchOutcome(WatchResult.NOT_FOUND)
            mode = ConversationMode(conversation.mode)
            if mode is not ConversationMode.BOT:
                return WatchOutcome(WatchResult.NOT_WITH_BOT, conversation_id, mode=mode)
            ticket_id = tx.watches.start(conversation_id, agent_user_id, now)
            if ticket_id is None:  # watched already (the unique index: concurrent clicks on any replica)
                on = tx.watches.watch_of(conversation_id)
                return WatchOutcome(
                    WatchResult.ALREADY_WATCHED,
                    conversation_id,
                    on.id if on else None,
                    on.watched_by_user_id if on else None,
                    mode,
                )
            # The recap: what was said with the bot since the last hand-off ended.
            since = tx.tickets.previous_end(conversation_id, ticket_id)
            recent = tx.watches.recent_bot_chat(conversation_id, since, RECAP_LINES)
            recap = watch_recap(recent, conversation.customer_name)
            if recap is not None:
                self._notify(tx, conversation_id, ticket_id, Audience.AGENTS, recap)
            return WatchOutcome(WatchResult.STARTED, conversation_id, ticket_id, agent_user_id, mode)

    def take_over(
        self, ticket_id: int, agent_user_id: str, agent_name: str | None = None, agent_avatar_url: str | None = None
    ) -> WatchActionOutcome:
        """The watched conversation is connected to the agent at once, without the queue; of
        concurrent presses (any replica) exactly one wins."""
        now = self.clock()
        with self.storage.transaction() as tx:
            conversation_id = self._watch_conversation(tx, ticket_id)
            if conversation_id is None:
                return WatchActionOutcome(WatchActionResult.NOT_A_WATCH)
            conversation = tx.conversations.locked(conversation_id)
            assert conversation is not None  # a ticket's conversation is never deleted
            with_bot = conversation.mode == ConversationMode.BOT
            if not with_bot or not tx.watches.take_over(ticket_id, agent_user_id, agent_name, agent_avatar_url, now):
                return self._watch_moved_on(tx, ticket_id, conversation_id, now, ended_here=not with_bot)
            tx.watches.connect(conversation_id, ticket_id, now)
            self._first_response(tx, ticket_id)  # none: not a claim from the queue (core.first_response)
            tx.audit.record(agent_user_id, AuditAction.CLAIM, now, ticket_id=ticket_id, details={"via": "take_over"})
            # The thread first: the agent may reply before the customer's notice is out.
            self._notify(
                tx, conversation_id, ticket_id, Audience.AGENTS, watch_note(WatchNote.TAKEN_OVER, user_id=agent_user_id)
            )
            self._notify(tx, conversation_id, ticket_id, Audience.CUSTOMER, Notice.joined(agent_name))
            return WatchActionOutcome(WatchActionResult.DONE, self._watch_view(tx, ticket_id))

    def stop_watching(self, ticket_id: int, user_id: str) -> WatchActionOutcome:
        """End the mirror: later messages with the bot stay out of the thread."""
        now = self.clock()
        with self.storage.transaction() as tx:
            conversation_id = self._watch_conversation(tx, ticket_id)
            if conversation_id is None:
                return WatchActionOutcome(WatchActionResult.NOT_A_WATCH)
            # Locked like the customer's steps: a message of theirs is mirrored before the stop, or not at all.
            tx.conversations.locked(conversation_id)
            if not tx.watches.end(ticket_id, user_id, now):
                return self._watch_moved_on(tx, ticket_id, conversation_id, now)
            self._notify(
                tx, conversation_id, ticket_id, Audience.AGENTS, watch_note(WatchNote.STOPPED, user_id=user_id)
            )
            return WatchActionOutcome(WatchActionResult.DONE, self._watch_view(tx, ticket_id))

    # -- internals ------------------------------------------------------------------------------

    @staticmethod
    def _watch_conversation(tx: HelpdeskTransaction, ticket_id: int) -> int | None:
        ticket = tx.tickets.get(ticket_id)
        if ticket is None or ticket.reason not in _WATCH_REASONS:
            return None
        return ticket.conversation_id

    def _watch_moved_on(
        self, tx: HelpdeskTransaction, ticket_id: int, conversation_id: int, now: datetime, ended_here: bool = False
    ) -> WatchActionOutcome:
        """A stale press: the watch was taken over or ended. `ended_here`: the conversation left the
        bot by a way that did not end its watch; it ends now (the thread says so)."""
        if ended_here and tx.watches.end(ticket_id, None, now):
            self._notify(tx, conversation_id, ticket_id, Audience.AGENTS, watch_note(WatchNote.HANDED_OVER))
        view = self._watch_view(tx, ticket_id)
        taken = view.reason == EscalationReason.TAKEN_OVER and view.state is not TicketState.WATCH_ENDED
        return WatchActionOutcome(WatchActionResult.TAKEN_OVER if taken else WatchActionResult.ENDED, view)

    @staticmethod
    def _watch_view(tx: HelpdeskTransaction, ticket_id: int) -> TicketView:
        ticket = tx.tickets.get(ticket_id, fresh=True)
        assert ticket is not None
        return TicketView.from_rows(ticket, tx.conversations.get(ticket.conversation_id))

    def _scenario_title(self, scenario_id: str | None) -> str | None:
        if scenario_id is None:
            return None
        if isinstance(self.responder, BotEngine):
            for scenario in self.responder.config.scenarios:
                if scenario.id == scenario_id:
                    return scenario.title
        return scenario_id
