"""Tickets: every SQL statement of escalation, claim, close and cancel, the queue, and the
bookkeeping of each ticket's support-channel message.

State changes that can race (cancel, claim, close) are conditional UPDATEs: of concurrent callers,
in one process or many, exactly one changes the row. The relay's hot path (an agent's reply, a
waiting customer's place) runs Core statements built once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Result, Update, bindparam, func, insert, or_, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from handoff_slack.core.eligibility import TicketNeeds
from handoff_slack.core.helpdesk_storage import StoredConversation, StoredTicket, ThreadTicket
from handoff_slack.core.priority import DEFAULT_PRIORITY, Prioritised, Priority, PrioritySource
from handoff_slack.core.states import ConversationMode, TicketState
from handoff_slack.core.views import PriorityShown, RatingShown, SlaShown
from handoff_slack.storage.models import Conversation, Ticket, ticket_table
from handoff_slack.storage.routing_tables import ticket_skill_table

_tickets = ticket_table

_THREAD_TICKET = core_select(
    _tickets.c.id, _tickets.c.conversation_id, _tickets.c.state, _tickets.c.agent_user_id
).where(_tickets.c.message_channel_id == bindparam("channel_id"), _tickets.c.message_ts == bindparam("thread_ts"))
# The queue's order: priority (urgent first), then age (the older ticket first); ix_ticket_queue.
QUEUE_ORDER: tuple[ColumnElement[Any], ...] = (_tickets.c.priority.desc(), _tickets.c.id)
_MY_PRIORITY = core_select(_tickets.c.priority).where(_tickets.c.id == bindparam("ticket_id")).scalar_subquery()
# A waiting ticket's place: the waiting tickets of a higher priority, and those of its own as old or
# older. `priority >= mine` bounds the index range; one statement, so the count is one snapshot.
_QUEUE_POSITION = (
    core_select(func.count())
    .select_from(_tickets)
    .where(
        _tickets.c.state == TicketState.WAITING.value,
        _tickets.c.priority >= _MY_PRIORITY,
        or_(_tickets.c.priority > _MY_PRIORITY, _tickets.c.id <= bindparam("ticket_id")),
    )
)


def rows_changed(result: Result[Any]) -> int:
    """Rows an UPDATE changed (SQLAlchemy types `execute` as a plain Result; an UPDATE's is a CursorResult)."""
    return cast(CursorResult[Any], result).rowcount


# A mood mark shows on a waiting ticket's message (the queue): re-rendered then, and a pending re-render kept.
_STALE_IF_WAITING = or_(col(Ticket.message_stale), col(Ticket.state) == TicketState.WAITING)


class TicketRepository:
    """The tickets, inside one transaction (`session`)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def _changed(self, statement: Update) -> bool:
        """Run a conditional UPDATE: whether it changed a row (of racing callers, one does)."""
        return bool(rows_changed(self._session.execute(statement)))

    # -- reads ----------------------------------------------------------------------------------

    def get(self, ticket_id: int, fresh: bool = False) -> Ticket | None:
        """`fresh`: as the database has it now (after a conditional UPDATE), not as first loaded."""
        return self._session.get(Ticket, ticket_id, populate_existing=fresh)

    def reload(self, ticket: StoredTicket) -> None:
        """Read the ticket again (after a conditional UPDATE)."""
        self._session.refresh(ticket)

    def in_thread(self, channel_id: str, thread_ts: str) -> ThreadTicket | None:
        """The ticket whose message starts this thread (id, conversation, state, agent)."""
        return self._session.execute(_THREAD_TICKET, {"channel_id": channel_id, "thread_ts": thread_ts}).first()

    def position(self, ticket_id: int) -> int:
        """The waiting ticket's place in the queue (1 is next): by priority, then age."""
        return int(self._session.execute(_QUEUE_POSITION, {"ticket_id": ticket_id}).scalar_one())

    def previous_end(self, conversation_id: int, ticket_id: int) -> datetime | None:
        """When the conversation's last ticket before this one ended (an ended watch is no hand-off)."""
        return self._session.exec(
            select(func.max(Ticket.closed_at)).where(
                col(Ticket.conversation_id) == conversation_id,
                col(Ticket.id) < ticket_id,
                col(Ticket.state) != TicketState.WATCH_ENDED,
            )
        ).one()

    def waiting_count(self) -> int:
        return int(
            self._session.exec(
                select(func.count()).select_from(Ticket).where(col(Ticket.state) == TicketState.WAITING)
            ).one()
        )

    def waiting(self, limit: int) -> list[tuple[Ticket, Conversation]]:
        """The first `limit` waiting tickets, in queue order, with their conversations."""
        rows = self._session.exec(
            select(Ticket, Conversation)
            .join(Conversation, col(Conversation.id) == col(Ticket.conversation_id))
            .where(col(Ticket.state) == TicketState.WAITING)
            .order_by(*QUEUE_ORDER)
            .limit(limit)
        ).all()
        return [(ticket, conversation) for ticket, conversation in rows]

    # -- state changes --------------------------------------------------------------------------

    def open(
        self,
        conversation: StoredConversation,
        conversation_id: int,
        reason: str,
        triage: list[Any] | None,
        frustration_score: float | None,
        now: datetime,
        state: TicketState = TicketState.WAITING,
        priority: Prioritised = DEFAULT_PRIORITY,
        needs: TicketNeeds | None = None,
        outside_hours: bool = False,
        signals: Sequence[str] = (),
    ) -> int:
        """A new ticket for the conversation, now waiting on it: the ticket's ID.

        `state`: waiting (the queue), or proposed (a supervised answer awaits a decision: the
        conversation is supervised, and the ticket is in no queue). `outside_hours`: it arrived
        outside business hours (core.business_hours).
        """
        ticket = Ticket(
            conversation_id=conversation_id,
            state=state,
            reason=reason,
            triage=triage,
            frustration_score=frustration_score,
            escalation_signals=",".join(signals)[:255] or None,
            created_at=now,
            priority=int(priority.level),
            priority_source=None if priority.source is PrioritySource.DEFAULT else priority.source.value,
            language=None if needs is None else needs.language,
            skills=list(needs.skills) if needs is not None and needs.skills else None,
            outside_hours=outside_hours,
        )
        self._session.add(ticket)
        self._session.flush()  # the partial unique index refuses a second open ticket here
        assert ticket.id is not None  # stored by the flush
        if ticket.skills:  # as rows too, for the queue's skill: and mine (storage.queue_topics)
            skill_rows = [{"ticket_id": ticket.id, "skill": skill} for skill in dict.fromkeys(ticket.skills)]
            self._session.execute(insert(ticket_skill_table), skill_rows)
        assert isinstance(conversation, Conversation)  # one the conversations repository gave out
        conversation.mode = ConversationMode.SUPERVISED if state is TicketState.PROPOSED else ConversationMode.WAITING
        conversation.active_ticket_id = ticket.id
        conversation.updated_at = now
        self._session.flush()
        return ticket.id

    def from_proposal(
        self,
        ticket_id: int,
        state: TicketState,
        now: datetime,
        reason: str | None = None,
        by_user_id: str | None = None,
        agent_name: str | None = None,
        agent_avatar_url: str | None = None,
    ) -> bool:
        """Move a proposal's ticket on if it still awaits a decision: answered or cancelled (ended by
        `by_user_id`), waiting (the queue), or connected (to `by_user_id`). Of racing decisions,
        on any replica, exactly one changes the row."""
        values: dict[str, Any] = {"state": state, "message_stale": True}
        if reason is not None:
            values["reason"] = reason
        if state in (TicketState.ANSWERED, TicketState.CANCELLED):
            values.update(closed_by_user_id=by_user_id, closed_at=now)
        elif state is TicketState.WAITING:
            values["waiting_since"] = now  # in the queue from now (core.reminders, core.waiting_offers)
        elif state is TicketState.CONNECTED:
            values.update(
                agent_user_id=by_user_id, agent_name=agent_name, agent_avatar_url=agent_avatar_url, claimed_at=now
            )
        return self._changed(
            update(Ticket)
            .where(col(Ticket.id) == ticket_id, col(Ticket.state) == TicketState.PROPOSED)
            .values(**values)
        )

    def cancel(self, ticket_id: int, by_user_id: str, now: datetime) -> bool:
        """Cancel the ticket if it still waits."""
        return self._changed(
            update(Ticket)
            .where(col(Ticket.id) == ticket_id, col(Ticket.state) == TicketState.WAITING)
            .values(state=TicketState.CANCELLED, closed_by_user_id=by_user_id, closed_at=now, message_stale=True)
        )

    def claim(
        self, ticket_id: int, agent_user_id: str, agent_name: str | None, agent_avatar_url: str | None, now: datetime
    ) -> bool:
        """Give the ticket to the agent if it still waits."""
        return self._changed(
            update(Ticket)
            .where(col(Ticket.id) == ticket_id, col(Ticket.state) == TicketState.WAITING)
            .values(
                state=TicketState.CONNECTED,
                agent_user_id=agent_user_id,
                agent_name=agent_name,
                agent_avatar_url=agent_avatar_url,
                claimed_at=now,
                message_stale=True,
            )
        )

    def close(self, ticket_id: int, by_user_id: str, now: datetime) -> bool:
        """Close the ticket if it is connected."""
        return self._changed(
            update(Ticket)
            .where(col(Ticket.id) == ticket_id, col(Ticket.state) == TicketState.CONNECTED)
            .values(state=TicketState.CLOSED, closed_by_user_id=by_user_id, closed_at=now, message_stale=True)
        )

    def rate(self, ticket_id: int, rating: int, by_user_id: str, now: datetime) -> bool:
        """The customer's rating (core.satisfaction) of a closed ticket, if it has none yet: once."""
        return self._changed(
            update(Ticket)
            .where(
                col(Ticket.id) == ticket_id,
                col(Ticket.state) == TicketState.CLOSED,
                col(Ticket.rating).is_(None),
            )
            .values(rating=rating, rated_by=by_user_id, rated_at=now, message_stale=True)
        )

    def comment_on_rating(self, ticket_id: int, comment: str) -> bool:
        """The customer's comment on their rating, if the ticket is rated and has none yet: once."""
        return self._changed(
            update(Ticket)
            .where(
                col(Ticket.id) == ticket_id,
                col(Ticket.rating).is_not(None),
                col(Ticket.rating_comment).is_(None),
            )
            .values(rating_comment=comment, message_stale=True)
        )

    def newer_exists(self, conversation_id: int, ticket_id: int) -> bool:
        """Whether the conversation opened another ticket after this one (the customer came back)."""
        newer = select(Ticket.id).where(col(Ticket.conversation_id) == conversation_id, col(Ticket.id) > ticket_id)
        return self._session.exec(newer.limit(1)).first() is not None

    def set_priority(self, ticket_id: int, level: Priority, by_user_id: str) -> bool:
        """An agent's choice of level, if the ticket still waits."""
        return self._changed(
            update(Ticket)
            .where(col(Ticket.id) == ticket_id, col(Ticket.state) == TicketState.WAITING)
            .values(
                priority=int(level),
                priority_source=PrioritySource.AGENT.value,
                priority_set_by=by_user_id,
                message_stale=True,
            )
        )

    def raise_priority(self, ticket_id: int, source: PrioritySource, unless: frozenset[PrioritySource]) -> bool:
        """One level up, if the ticket still waits below urgent and its level does not come from `unless`."""
        blocked = [item.value for item in unless]
        return self._changed(
            update(Ticket)
            .where(
                col(Ticket.id) == ticket_id,
                col(Ticket.state) == TicketState.WAITING,
                col(Ticket.priority) < int(Priority.URGENT),
                or_(col(Ticket.priority_source).is_(None), col(Ticket.priority_source).not_in(blocked)),
            )
            .values(priority=Ticket.priority + 1, priority_source=source.value, message_stale=True)
        )

    def mark_mood(self, ticket_id: int, signals: Sequence[str]) -> bool:
        """The open ticket's customer sounds frustrated (what fired): True if they did not already.

        A waiting ticket's message is marked stale, so the queue shows it."""
        marked = ",".join(signals)[:255] or "frustrated"
        return self._changed(
            update(Ticket)
            .where(
                col(Ticket.id) == ticket_id,
                col(Ticket.state).in_([TicketState.WAITING, TicketState.CONNECTED]),
                col(Ticket.mood_signals).is_(None),
            )
            .values(mood_signals=marked, message_stale=_STALE_IF_WAITING)
        )

    def clear_mood(self, ticket_id: int) -> None:
        """The customer sounds content again: a later spell of frustration is noted anew."""
        self._session.execute(
            update(Ticket)
            .where(col(Ticket.id) == ticket_id, col(Ticket.mood_signals).is_not(None))
            .values(mood_signals=None, message_stale=_STALE_IF_WAITING)
        )

    # -- the ticket message ---------------------------------------------------------------------

    def attach_message(self, ticket_id: int, channel_id: str, ts: str) -> None:
        self._session.execute(
            update(Ticket).where(col(Ticket.id) == ticket_id).values(message_channel_id=channel_id, message_ts=ts)
        )

    def message_to_update(self, ticket_id: int) -> None:
        """Its message is to show something new that is not the ticket's own (its customer's name)."""
        self._session.execute(update(Ticket).where(col(Ticket.id) == ticket_id).values(message_stale=True))

    def count_message_post(self, ticket_id: int) -> int:
        """Count a post of the ticket message: the posts counted before this one."""
        before = self._session.exec(select(Ticket.message_attempts).where(col(Ticket.id) == ticket_id)).one()
        self._session.execute(
            update(Ticket).where(col(Ticket.id) == ticket_id).values(message_attempts=Ticket.message_attempts + 1)
        )
        return int(before)

    def message_shown(
        self,
        ticket_id: int,
        state: TicketState,
        priority: PriorityShown | None = None,
        rating: RatingShown | None = None,
        offer_revision: int | None = None,
        sla: SlaShown | None = None,
        answer_later: bool | None = None,
    ) -> None:
        """The message shows `state` (and `priority`, `rating`, the offers as of `offer_revision`, `sla`,
        whether the customer is answered later):
        up to date, unless the ticket changed meanwhile."""
        shown = [col(Ticket.id) == ticket_id, col(Ticket.state) == state]
        if offer_revision is not None:
            shown.append(col(Ticket.offer_revision) == offer_revision)
        if priority is not None:
            level, source, set_by = priority
            shown.append(col(Ticket.priority) == level)
            shown.append(col(Ticket.priority_source).is_not_distinct_from(source))
            shown.append(col(Ticket.priority_set_by).is_not_distinct_from(set_by))
        if rating is not None:  # the customer's survey (core.satisfaction), answered while it was updated
            stars, comment = rating
            shown.append(col(Ticket.rating).is_not_distinct_from(stars))
            shown.append(col(Ticket.rating_comment).is_not_distinct_from(comment))
        if sla is not None:  # a first-response breach (core.reminders), marked while it was updated
            outcome, waited = sla
            shown.append(col(Ticket.sla_outcome).is_not_distinct_from(outcome))
            shown.append(col(Ticket.sla_waited_seconds).is_not_distinct_from(waited))
        if answer_later is not None:  # core.waiting_offers: chosen while the message was updated
            shown.append(col(Ticket.async_at).is_not(None) if answer_later else col(Ticket.async_at).is_(None))
        self._session.execute(update(Ticket).where(*shown).values(message_stale=False))

    def with_stale_message(self) -> list[int]:
        found = self._session.exec(
            select(Ticket.id)
            .where(col(Ticket.message_stale).is_(True), col(Ticket.message_ts).is_not(None))
            .order_by(col(Ticket.id))
        ).all()
        return [ticket_id for ticket_id in found if ticket_id is not None]

    def missing_their_message(self, created_before: datetime) -> list[int]:
        found = self._session.exec(
            select(Ticket.id)
            .where(col(Ticket.message_ts).is_(None), col(Ticket.created_at) < created_before)
            .order_by(col(Ticket.id))
        ).all()
        return [ticket_id for ticket_id in found if ticket_id is not None]  # stored rows all have one


def offers_changed(session: Session, ticket_id: Any) -> None:
    """A ticket's offers changed (one made or answered; `ticket_id`: an ID, or a subquery giving
    it): its message is to show them (core.views.PendingOffer), the scheduler's repair included."""
    session.execute(
        update(Ticket)
        .where(col(Ticket.id) == ticket_id)
        .values(offer_revision=Ticket.offer_revision + 1, message_stale=True)
    )
