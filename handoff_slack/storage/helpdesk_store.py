"""The helpdesk's storage (core.helpdesk_storage's interfaces on SQL), and SqlHelpdesk: the
Helpdesk on the app's database.

`transaction()` is one unit of work of the helpdesk (one per public Helpdesk method): the
conversations, tickets and messages repositories share its session, and the bot's notices are
stored in it too, so a state change and what the bot says about it commit together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from handoff_slack.core.bot import BotResponder
from handoff_slack.core.bot_config import SupervisionConfig
from handoff_slack.core.clock import Clock, utcnow
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.helpdesk import DEFAULT_FLOOD_WINDOW, Helpdesk
from handoff_slack.core.notices import Audience, Notice
from handoff_slack.core.priority_rules import PriorityRules
from handoff_slack.storage.accounts import AccountRepository
from handoff_slack.storage.audit_log import AuditRecorder
from handoff_slack.storage.conversations import (
    BOT_STATE,
    ConversationRepository,
    ConversationStatements,
    door_parameters,
    record_workspace,
)
from handoff_slack.storage.database import Database
from handoff_slack.storage.delivery_ledger import DeliveryLedger
from handoff_slack.storage.events import EventRepository
from handoff_slack.storage.locks import TICKET_MESSAGE, replica_lock
from handoff_slack.storage.messages import MessageRepository
from handoff_slack.storage.offers import OfferRepository
from handoff_slack.storage.proposals import ProposalRepository
from handoff_slack.storage.queue_pages import QueueRepository
from handoff_slack.storage.reminders import ReminderRepository
from handoff_slack.storage.retention import prune_processed_events
from handoff_slack.storage.tickets import TicketRepository
from handoff_slack.storage.transfers import TransferRepository
from handoff_slack.storage.waiting_timers import WaitingTimerRepository
from handoff_slack.storage.watches import WatchRepository


def _reserve_nothing(_message_id: int) -> None:
    pass


@dataclass(frozen=True)
class SqlTransaction:
    """One open transaction and the repositories that run their statements in it."""

    session: Session
    deliveries: DeliveryLedger
    conversations: ConversationRepository
    tickets: TicketRepository
    messages: MessageRepository
    events: EventRepository
    proposals: ProposalRepository
    # Reserve a stored message's counted first attempt for this process (DeliveryLedger.first_attempts).
    reserve: Callable[[int], None] = _reserve_nothing
    workspace_id: str = ""  # the installing team's (HelpdeskStore.workspace_id)

    @property
    def watches(self) -> WatchRepository:
        return WatchRepository(self.session)

    @property
    def accounts(self) -> AccountRepository:
        return AccountRepository(self.session, self.workspace_id)

    @property
    def offers(self) -> OfferRepository:
        return OfferRepository(self.session, self.workspace_id)

    @property
    def queue(self) -> QueueRepository:
        return QueueRepository(self.session, self.workspace_id)

    @property
    def audit(self) -> AuditRecorder:
        return AuditRecorder(self.session, self.workspace_id)

    @property
    def transfers(self) -> TransferRepository:
        return TransferRepository(self.session)

    @property
    def reminders(self) -> ReminderRepository:
        return ReminderRepository(self.session)

    @property
    def waiting_timers(self) -> WaitingTimerRepository:
        return WaitingTimerRepository(self.session)

    def flush(self) -> None:
        """Send the pending ORM changes now (e.g. to learn a new row's ID), inside the transaction."""
        self.session.flush()

    def store_notices(
        self, conversation_id: int, ticket_id: int | None, audience: Audience, notices: Sequence[Notice]
    ) -> None:
        """Store the bot's notices in this transaction: the outbox sends them, in order, once."""
        rows = [self.deliveries.notice_row(conversation_id, ticket_id, audience, notice) for notice in notices]
        self.deliveries.store_notices(self.session, rows)

    def store_notice(self, conversation_id: int, ticket_id: int | None, audience: Audience, notice: Notice) -> int:
        """Store one notice in this transaction, like `store_notices`; its message ID."""
        row = self.deliveries.notice_row(conversation_id, ticket_id, audience, notice)
        message_id = self.messages.store_new(row)  # a notice has no source: never a conflict
        assert message_id is not None
        return message_id


class HelpdeskStore:
    """core.helpdesk_storage.HelpdeskStorage on the app's database."""

    def __init__(self, db: Database, deliveries: DeliveryLedger, flood_limit: int, workspace_id: str = "") -> None:
        self.db = db
        self.deliveries = deliveries
        self.workspace_id = workspace_id
        self._statements = ConversationStatements(flood_limit)

    @contextmanager
    def transaction(self, reserving: bool = False) -> Iterator[SqlTransaction]:
        """One transaction; `reserving`: first attempts counted in it are reserved once it commits."""
        if not reserving:
            with self.db.transaction() as session:
                yield self._in(session)
            return
        with self.deliveries.first_attempts.reserving() as reserve, self.db.transaction() as session:
            yield self._in(session, reserve)

    def _in(self, session: Session, reserve: Callable[[int], None] = _reserve_nothing) -> SqlTransaction:
        return SqlTransaction(
            session,
            self.deliveries,
            ConversationRepository(session, self._statements, self.workspace_id),
            TicketRepository(session),
            MessageRepository(session),
            EventRepository(session),
            ProposalRepository(session),
            reserve,
            self.workspace_id,
        )

    def bot_state(self, door: FrontDoor) -> tuple[str, dict[str, Any] | None] | None:
        """The door's mode and bot state, read without a transaction (the early turn's read)."""
        with self.db.autocommit() as connection:
            row = connection.execute(BOT_STATE[door.is_thread], door_parameters(self.workspace_id, door)).first()
        return None if row is None else (row.mode, row.bot_state)


class SqlHelpdesk(Helpdesk):
    """The Helpdesk on a database, with what the delivery side and the scheduler also need of it:
    the outbox's ledger, the ticket message's lock across replicas, and forgetting old event IDs."""

    def __init__(
        self,
        db: Database,
        responder: BotResponder | None = None,
        note_prefix: str = "note:",
        clock: Clock = utcnow,
        flood_limit: int = 20,
        flood_window: timedelta = DEFAULT_FLOOD_WINDOW,
        supervision: SupervisionConfig | None = None,
        workspace_id: str = "",
        priorities: PriorityRules | None = None,
    ) -> None:
        """`workspace_id`: the installing team (auth.test's), recorded on every conversation and
        part of its door ('' where no Slack is asked, e.g. the core's tests)."""
        self.db = db
        self.deliveries = DeliveryLedger(db, clock)
        self.flood_limit = flood_limit
        store = HelpdeskStore(db, self.deliveries, flood_limit, workspace_id)
        super().__init__(store, responder, note_prefix, clock, flood_window, supervision, priorities)
        self.workspace_id = workspace_id

    def record_workspace(self) -> int:
        """At start-up: conversations migrated without a workspace (migration 0009) are this
        install's. How many were."""
        if not self.workspace_id:
            return 0
        with self.db.transaction() as session:
            return record_workspace(session, self.workspace_id)

    def ticket_message_lock(self, ticket_id: int) -> AbstractContextManager[None]:
        """Held while a ticket's support-channel message is posted or updated, across replicas."""
        return replica_lock(self.db, TICKET_MESSAGE, ticket_id)

    def forget_events_before(self, cutoff: datetime) -> int:
        """Delete the processed-event IDs received before `cutoff`; returns how many."""
        return prune_processed_events(self.db, cutoff)
