"""A ticket's owners: every period it spent with one agent (`ticket_owner`), and the steps each change
of hands shares (an accepted transfer, an admin's assignment; a release ends a period only).

A period that began with a claim or a take-over has no row until it ends (the ticket itself says
who has it): `owners` and `_end_period` fill it in from the ticket. The new owner is told in the
ticket's thread first, then the customer, in plain words (a name, never an ID, never the note).
"""

from __future__ import annotations

from datetime import datetime

from handoff_slack.core.helpdesk_storage import HelpdeskTransaction, StoredConversation, StoredTicket
from handoff_slack.core.notices import Audience, Notice
from handoff_slack.core.pending_offers import PendingOffers
from handoff_slack.core.states import EscalationReason
from handoff_slack.core.transfer_offers import end_pending_offers
from handoff_slack.core.transfer_values import OfferEnd, OwnerPeriod, OwnershipEnd, OwnershipStart, handed_note
from handoff_slack.core.views import TicketView

NOTE_LIMIT = 3000  # characters of a note for the next agent (the modal allows as many)


def kept_note(note: str | None) -> str | None:
    """A note for the next agent as it is kept: trimmed, at most NOTE_LIMIT characters; None if empty."""
    cleaned = (note or "").strip()[:NOTE_LIMIT]
    return cleaned or None


class TicketOwners(PendingOffers):
    """The Helpdesk's record of who had a ticket, and the steps that hand it to someone else (a mixin
    of Transfers' parts: core.transfer_desk, core.releases, core.assignments)."""

    def owners(self, ticket: TicketView) -> tuple[OwnerPeriod, ...]:
        """Every owner the ticket had, oldest first (the current one last, with no end)."""
        with self.storage.transaction() as tx:
            periods = [OwnerPeriod.from_row(row) for row in tx.transfers.periods(ticket.id)]
        if ticket.agent_user_id and not any(p.ended_how is None for p in periods):
            # Claimed (or taken over) since the last change: that period has no row until it ends.
            periods.append(self._claim_period(ticket, None, None))
        return tuple(periods)

    # -- the steps every change of hands shares ----------------------------------------------------

    def _locked_view(
        self, tx: HelpdeskTransaction, ticket_id: int
    ) -> tuple[StoredTicket, StoredConversation | None, TicketView] | None:
        """The ticket about to change hands, locked as `_locked_ticket` locks it, and as its view."""
        found = self._locked_ticket(tx, ticket_id)
        if found is None:
            return None
        ticket, conversation = found
        return ticket, conversation, TicketView.from_rows(ticket, conversation)

    def _changed_hands(
        self,
        tx: HelpdeskTransaction,
        before: TicketView,
        to_user_id: str,
        agent_name: str | None,
        by_user_id: str,
        start: OwnershipStart,
        end: OwnershipEnd,
        note: str | None,
    ) -> None:
        now = self.clock()
        self._end_period(tx, before, end, by_user_id)
        self._begin_period(tx, before.id, to_user_id, agent_name, start, now)
        end_pending_offers(tx, before.id, OfferEnd.CHANGED_HANDS, now)
        self._tell_new_owner(tx, before, before.agent_user_id, to_user_id, agent_name, by_user_id, start, note)

    def _tell_new_owner(
        self,
        tx: HelpdeskTransaction,
        ticket: TicketView,
        from_user_id: str | None,
        to_user_id: str,
        agent_name: str | None,
        by_user_id: str,
        start: OwnershipStart,
        note: str | None,
    ) -> None:
        # The thread first: the new owner may reply before the customer's notice is out.
        said = handed_note(from_user_id, to_user_id, by_user_id, start, note)
        self._notify(tx, ticket.conversation_id, ticket.id, Audience.AGENTS, said)
        self._notify(tx, ticket.conversation_id, ticket.id, Audience.CUSTOMER, Notice.connected(agent_name))

    def _end_period(self, tx: HelpdeskTransaction, before: TicketView, how: OwnershipEnd, by_user_id: str) -> None:
        """End the current owner's period (written now if it began with a claim or a take-over)."""
        now = self.clock()
        current = tx.transfers.current_period(before.id)
        if current is not None and current.id is not None:
            tx.transfers.end_period(current.id, how.value, by_user_id, now)
            return
        period = self._claim_period(before, how, now)
        tx.transfers.begin_period(
            {
                "ticket_id": before.id,
                "agent_user_id": period.agent_user_id,
                "agent_name": period.agent_name,
                "began_how": period.began_how.value,
                "began_at": period.began_at,
                "ended_how": how.value,
                "ended_at": now,
                "ended_by_user_id": by_user_id,
            }
        )

    @staticmethod
    def _claim_period(ticket: TicketView, how: OwnershipEnd | None, ended_at: datetime | None) -> OwnerPeriod:
        began = OwnershipStart.TAKEN_OVER if ticket.reason == EscalationReason.TAKEN_OVER else OwnershipStart.CLAIMED
        return OwnerPeriod(
            ticket.agent_user_id or "",
            ticket.agent_name,
            began,
            ticket.claimed_at,
            how,
            ended_at,
        )

    @staticmethod
    def _begin_period(
        tx: HelpdeskTransaction, ticket_id: int, user_id: str, name: str | None, how: OwnershipStart, now: datetime
    ) -> None:
        row = {"ticket_id": ticket_id, "agent_user_id": user_id, "agent_name": name, "began_how": how.value}
        tx.transfers.begin_period({**row, "began_at": now})
