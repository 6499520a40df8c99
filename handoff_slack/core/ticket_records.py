"""Reads of tickets and the queue, and the bookkeeping of each ticket's support-channel message."""

from __future__ import annotations

from datetime import datetime

from handoff_slack.core.accounts import AccountHistory, OrgQueue, account_history, org_queue
from handoff_slack.core.handoff_steps import HandoffSteps
from handoff_slack.core.states import TicketState
from handoff_slack.core.views import (
    PriorityShown,
    QueueEntry,
    QueueSnapshot,
    RatingShown,
    SlaShown,
    TicketView,
    TranscriptLine,
)


class TicketRecords(HandoffSteps):
    # -- the ticket message ---------------------------------------------------------------------

    def attach_ticket_message(self, ticket_id: int, channel_id: str, ts: str) -> None:
        with self.storage.transaction() as tx:
            tx.tickets.attach_message(ticket_id, channel_id, ts)

    def begin_ticket_message(self, ticket_id: int) -> int:
        """Count a post of the ticket message before it is made; the posts begun before this one.

        More than none: an earlier post may have reached Slack (its answer lost, or the app died),
        so the channel is searched for it before posting again.
        """
        with self.storage.transaction() as tx:
            return tx.tickets.count_message_post(ticket_id)

    def set_customer_profile(
        self,
        conversation_id: int,
        name: str | None,
        avatar_url: str | None,
        org_name: str | None,
        show_on: int | None = None,
    ) -> None:
        """The customer's profile as Slack told it; `name` and `org_name` None while Slack could not
        (never their user ID, nor a placeholder with their team ID: the ticket board asks again).
        `show_on`: a posted ticket message now to show it, marked stale with the profile, so the
        scheduler's repair updates it if the board's update fails."""
        with self.storage.transaction() as tx:
            tx.conversations.set_profile(conversation_id, name, avatar_url, org_name, self.clock())
            if show_on is not None:
                tx.tickets.message_to_update(show_on)

    def ticket_message_shown(
        self,
        ticket_id: int,
        state: TicketState,
        priority: PriorityShown | None = None,
        rating: RatingShown | None = None,
        offer_revision: int | None = None,
        sla: SlaShown | None = None,
        answer_later: bool | None = None,
    ) -> None:
        """The ticket message shows `state` (and `priority`, `rating`, the offers as of `offer_revision`,
        `sla`, `answer_later`): up to date, unless the ticket moved on meanwhile (e.g. the customer rated
        it while the update was on its way)."""
        with self.storage.transaction() as tx:
            tx.tickets.message_shown(ticket_id, state, priority, rating, offer_revision, sla, answer_later)

    def tickets_with_stale_message(self) -> list[int]:
        """Posted ticket messages that show an older state than their ticket's (an update failed)."""
        with self.storage.transaction() as tx:
            return tx.tickets.with_stale_message()

    def ticket(self, ticket_id: int) -> TicketView | None:
        with self.storage.transaction() as tx:
            ticket = tx.tickets.get(ticket_id)
            if ticket is None:
                return None
            return TicketView.from_rows(ticket, tx.conversations.get(ticket.conversation_id))

    def transcript(self, ticket: TicketView, limit: int = 5) -> list[TranscriptLine]:
        """What the customer said to the bot before this ticket, since any earlier ticket ended."""
        with self.storage.transaction() as tx:
            previous_end = tx.tickets.previous_end(ticket.conversation_id, ticket.id)
            rows = tx.messages.said_to_bot(ticket.conversation_id, ticket.created_at, previous_end, limit)
            customer = ticket.customer.user_id  # a colleague's line (in a shared channel's thread) names its author
            return [
                TranscriptLine.from_row(
                    row.text, row.files, row.author_name if row.author_user_id != customer else None
                )
                for row in reversed(rows)
            ]

    def tickets_missing_their_message(self, created_before: datetime) -> list[int]:
        """Tickets whose support-channel message was never posted (e.g. the app died mid-way)."""
        with self.storage.transaction() as tx:
            return tx.tickets.missing_their_message(created_before)

    # -- the queue ------------------------------------------------------------------------------

    def queue(self, limit: int = 20) -> QueueSnapshot:
        with self.storage.transaction() as tx:
            total = tx.tickets.waiting_count()
            rows = tx.tickets.waiting(limit)
            entries = tuple(
                QueueEntry(i + 1, TicketView.from_rows(ticket, conversation))
                for i, (ticket, conversation) in enumerate(rows)
            )
            return QueueSnapshot(entries, total)

    def org_queue(self, asked: str, limit: int = 20) -> tuple[OrgQueue, QueueSnapshot]:
        """The waiting tickets of customers of the organisation named `asked` (case-insensitive) or of
        the team with that ID (core.accounts.org_queue), each with its place in the whole queue."""
        with self.storage.transaction() as tx:
            orgs = org_queue(asked, tx.accounts.waiting_orgs())
            total, rows = tx.accounts.waiting_of_teams(orgs.teams, limit)
            entries = tuple(
                QueueEntry(place, TicketView.from_rows(ticket, conversation)) for place, ticket, conversation in rows
            )
            return orgs, QueueSnapshot(entries, total)

    # -- accounts -------------------------------------------------------------------------------

    def account_history(self, ticket: TicketView) -> AccountHistory | None:
        """The ticket's account (core.accounts), by its customer's team whether or not Slack has told
        us its name: None for a customer of the installing team."""
        customer = ticket.customer
        if not customer.external:
            return None
        with self.storage.transaction() as tx:
            return account_history(tx.accounts, customer.team_id, customer.org_name, ticket.id)
