"""Automatic assignment (core.routing's strategies): offering waiting tickets, and the answers.

A ticket is offered to the agents eligible for it (core.eligibility: available with room, its
language, skills and time zone); when some agent could take it but none eligible did within
`routing.filters_fallback_after_seconds` of its round's start, its filters are dropped (once; its
thread is told) and everyone available is offered it. That is apart from `fallback_after_seconds`:
nobody at all could be offered it for that long, so the offers stop and anyone may Claim it.
A ticket released back to the queue starts a new round (core.transfers): offered afresh.

The pass itself (core.routing_pass) decides from one read and opens a transaction only for what
it stores; each of those re-checks what it read. Offering takes round robin's pointer row lock first, so the
replicas' routing passes take turns and an agent's load is read as it is; a ticket has at most one
offer pending (a unique index). Accept is a claim: the conversation is locked first (as a claim and
the customer's own steps lock it), then the agent's profile row (their accepts take turns, and
their capacity is checked there), then the offer moves on from pending with a conditional UPDATE
(of an accept, a decline and the timeout exactly one wins) and the ticket is claimed with the
claim's conditional UPDATE (of an accept and a Claim button exactly one wins).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from handoff_slack.core.audit import BOT_ACTOR, AuditAction
from handoff_slack.core.clock import as_utc
from handoff_slack.core.helpdesk_storage import HelpdeskTransaction
from handoff_slack.core.routing import OfferOutcome
from handoff_slack.core.routing_pass import ROUTING_BATCH, OfferView, RoutingPasses
from handoff_slack.core.states import TicketState
from handoff_slack.core.ticket_needs import language_of_locale


class AnswerResult(StrEnum):
    ACCEPTED = "accepted"  # the ticket is the agent's now
    DECLINED = "declined"
    MOVED_ON = "moved_on"  # answered before, timed out, or the ticket no longer waits
    TAKEN = "taken"  # someone else claimed the ticket first
    FULL = "full"  # the agent is at capacity: the offer moves on
    NOT_AN_AGENT = "not_an_agent"  # they left the team since the offer: it moves on
    NOT_YOURS = "not_yours"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class OfferAnswer:
    result: AnswerResult
    offer: OfferView | None = None
    owner_user_id: str | None = None  # who has the ticket, when taken
    conversation_id: int | None = None  # accepted: whose outbox to flush


class RoutingDesk(RoutingPasses):
    """Offers and their answers on the helpdesk's storage (core.helpdesk mixes it in)."""

    def customers_to_look_up(self, limit: int = ROUTING_BATCH) -> list[tuple[int, str]]:
        """Waiting tickets (queue order) whose customer's Slack locale and time zone are not known yet."""
        with self.storage.transaction() as tx:
            return list(tx.offers.to_look_up(limit))

    def customer_looked_up(self, ticket_id: int, locale: str | None, utc_offset: int | None) -> None:
        """What Slack said of the ticket's customer: their locale's language is the ticket's unless a
        triage answer gave it one; their UTC offset is the time-zone filter's."""
        with self.storage.transaction() as tx:
            tx.offers.looked_up(ticket_id, language_of_locale(locale), utc_offset)

    def time_out_offers(self, limit: int = ROUTING_BATCH) -> list[OfferView]:
        """End the offers nobody answered in time, and those whose ticket no longer waits."""
        now = self.clock()
        with self.storage.transaction() as tx:
            due = tx.offers.expired(now, limit)
        ended: list[OfferView] = []
        for offer_id in due:
            with self.storage.transaction() as tx:
                offer = tx.offers.get(offer_id)
                if offer is None:
                    continue
                ticket = tx.tickets.get(offer.ticket_id)
                waiting = ticket is not None and ticket.state == TicketState.WAITING
                outcome = OfferOutcome.TIMED_OUT if waiting else OfferOutcome.WITHDRAWN
                if not tx.offers.answer(offer_id, outcome, now):
                    continue  # answered meanwhile
                if outcome is OfferOutcome.TIMED_OUT:
                    tx.audit.record(
                        BOT_ACTOR,
                        AuditAction.OFFER_TIMEOUT,
                        now,
                        ticket_id=offer.ticket_id,
                        subject_user_id=offer.agent_user_id,
                    )
                fresh = tx.offers.get(offer_id, fresh=True)
                assert fresh is not None
                ended.append(OfferView.from_row(fresh))
        return ended

    def decline_offer(self, offer_id: int, agent_user_id: str) -> OfferAnswer:
        now = self.clock()
        with self.storage.transaction() as tx:
            offer = tx.offers.get(offer_id)
            if offer is None:
                return OfferAnswer(AnswerResult.NOT_FOUND)
            if offer.agent_user_id != agent_user_id:
                return OfferAnswer(AnswerResult.NOT_YOURS, OfferView.from_row(offer))
            if not tx.offers.answer(offer_id, OfferOutcome.DECLINED, now):
                return OfferAnswer(AnswerResult.MOVED_ON, self._offer(tx, offer_id))
            tx.audit.record(agent_user_id, AuditAction.DECLINE, now, ticket_id=offer.ticket_id)
            return OfferAnswer(AnswerResult.DECLINED, self._offer(tx, offer_id))

    def accept_offer(
        self,
        offer_id: int,
        agent_user_id: str,
        default_capacity: int,
        agent_name: str | None = None,
        agent_avatar_url: str | None = None,
        is_agent: bool = True,
    ) -> OfferAnswer:
        """The agent takes the offered ticket: a claim, if the offer is still theirs, they are still an
        agent (`is_agent`: the edge asked Slack) and they have room. Their availability is not looked
        at: the offer was made while they were available, and pressing Accept shows they are there
        (as a Claim does); going away only stops new offers."""
        now = self.clock()
        with self.storage.transaction() as tx:
            offer = tx.offers.get(offer_id)
            if offer is None:
                return OfferAnswer(AnswerResult.NOT_FOUND)
            if offer.agent_user_id != agent_user_id:
                return OfferAnswer(AnswerResult.NOT_YOURS, OfferView.from_row(offer))
            ticket = tx.tickets.get(offer.ticket_id)
            assert ticket is not None  # an offer's ticket stays
            tx.conversations.locked(ticket.conversation_id)  # first, as a claim locks it
            tx.tickets.reload(ticket)  # as it is now: a claim or a cancel holds the same lock to change it
            current = tx.offers.get(offer_id, fresh=True)
            assert current is not None
            if current.outcome != OfferOutcome.PENDING:  # answered before, or timed out
                return OfferAnswer(AnswerResult.MOVED_ON, OfferView.from_row(current))
            if ticket.state != TicketState.WAITING:  # claimed with the button (or cancelled) first
                tx.offers.answer(offer_id, OfferOutcome.WITHDRAWN, now)
                owner = ticket.agent_user_id if ticket.state == TicketState.CONNECTED else None
                return OfferAnswer(AnswerResult.TAKEN, self._offer(tx, offer_id), owner)
            if not is_agent:
                if tx.offers.answer(offer_id, OfferOutcome.DECLINED, now):
                    tx.audit.record(
                        agent_user_id,
                        AuditAction.DECLINE,
                        now,
                        ticket_id=offer.ticket_id,
                        details={"could_not_accept": "not_an_agent"},
                    )
                return OfferAnswer(AnswerResult.NOT_AN_AGENT, self._offer(tx, offer_id))
            capacity = tx.offers.capacity_locked(agent_user_id) or default_capacity
            late = as_utc(offer.expires_at) <= now  # its timeout has not run yet: it wins
            if late or tx.offers.connected_count(agent_user_id) >= capacity:
                outcome = OfferOutcome.TIMED_OUT if late else OfferOutcome.DECLINED
                if tx.offers.answer(offer_id, outcome, now):
                    action = AuditAction.OFFER_TIMEOUT if late else AuditAction.DECLINE
                    actor = BOT_ACTOR if late else agent_user_id
                    details = None if late else {"over_capacity": capacity}
                    tx.audit.record(
                        actor, action, now, ticket_id=offer.ticket_id, subject_user_id=agent_user_id, details=details
                    )
                result = AnswerResult.MOVED_ON if late else AnswerResult.FULL
                return OfferAnswer(result, self._offer(tx, offer_id))
            if not tx.offers.answer(offer_id, OfferOutcome.ACCEPTED, now):
                return OfferAnswer(AnswerResult.MOVED_ON, self._offer(tx, offer_id))
            if not self._claim_waiting(tx, offer.ticket_id, agent_user_id, agent_name, agent_avatar_url, now):
                # Not expected (it was waiting, and the steps that change that hold the conversation's lock).
                tx.offers.answer(offer_id, OfferOutcome.WITHDRAWN, now, from_outcome=OfferOutcome.ACCEPTED)
                return OfferAnswer(AnswerResult.TAKEN, self._offer(tx, offer_id))
            self._claimed(
                tx, ticket.conversation_id, offer.ticket_id, agent_user_id, agent_name, AuditAction.ACCEPT, now
            )
            return OfferAnswer(AnswerResult.ACCEPTED, self._offer(tx, offer_id), agent_user_id, ticket.conversation_id)

    def offer(self, offer_id: int) -> OfferView | None:
        with self.storage.transaction() as tx:
            found = tx.offers.get(offer_id)
            return None if found is None else OfferView.from_row(found)

    @staticmethod
    def _offer(tx: HelpdeskTransaction, offer_id: int) -> OfferView:
        found = tx.offers.get(offer_id, fresh=True)
        assert found is not None
        return OfferView.from_row(found)
