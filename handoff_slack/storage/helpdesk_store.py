"""The helpdesk's storage: one transaction with its repositories, as core.helpdesk uses it.

`transaction()` is one unit of work of the helpdesk (one per public Helpdesk method): the
conversations, tickets and messages repositories share its session, and the bot's notices are
stored in it too, so a state change and what the bot says about it commit together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from handoff_slack.storage.conversations import BOT_STATE, ConversationRepository, ConversationStatements
from handoff_slack.storage.database import Database
from handoff_slack.storage.delivery_ledger import DeliveryLedger
from handoff_slack.storage.messages import MessageRepository
from handoff_slack.storage.tickets import TicketRepository


def _reserve_nothing(_message_id: int) -> None:
    pass


@dataclass(frozen=True)
class HelpdeskTransaction:
    """One open transaction and the repositories that run their statements in it."""

    session: Session
    conversations: ConversationRepository
    tickets: TicketRepository
    messages: MessageRepository
    # Reserve a stored message's counted first attempt for this process (DeliveryLedger.first_attempts).
    reserve: Callable[[int], None] = _reserve_nothing

    def flush(self) -> None:
        """Send the pending ORM changes now (e.g. to learn a new row's ID), inside the transaction."""
        self.session.flush()

    def store_notices(self, rows: Sequence[Mapping[str, Any]]) -> None:
        DeliveryLedger.store_notices(self.session, rows)


class HelpdeskStore:
    def __init__(self, db: Database, deliveries: DeliveryLedger, flood_limit: int) -> None:
        self.db = db
        self.deliveries = deliveries
        self._statements = ConversationStatements(flood_limit)

    @contextmanager
    def transaction(self, reserving: bool = False) -> Iterator[HelpdeskTransaction]:
        """One transaction; `reserving`: first attempts counted in it are reserved once it commits."""
        if not reserving:
            with self.db.transaction() as session:
                yield self._in(session)
            return
        with self.deliveries.first_attempts.reserving() as reserve, self.db.transaction() as session:
            yield self._in(session, reserve)

    def _in(self, session: Session, reserve: Callable[[int], None] = _reserve_nothing) -> HelpdeskTransaction:
        return HelpdeskTransaction(
            session,
            ConversationRepository(session, self._statements),
            TicketRepository(session),
            MessageRepository(session),
            reserve,
        )

    def bot_state(self, customer_user_id: str) -> tuple[str, dict[str, Any] | None] | None:
        """The customer's mode and bot state, read without a transaction (the early turn's read)."""
        with self.db.autocommit() as connection:
            row = connection.execute(BOT_STATE, {"customer_user_id": customer_user_id}).first()
        return None if row is None else (row.mode, row.bot_state)
