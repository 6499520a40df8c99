"""Automatic assignment (core.routing's strategies): offering waiting tickets, and the answers.

A ticket is offered to the agents eligible for it (core.eligibility: available with room, its
language, skills and time zone); when some agent could take it but none eligible did within
`routing.filters_fallback_after_seconds` of its round's start, its filters are dropped (once; its
thread is told) and everyone available is offered it. That is apart from `fallback_after_seconds`:
nobody at all could be offered it for that long, so the offers stop and anyone may Claim it.
A ticket released back to the queue starts a new round (core.transfers): offered afresh.

Each decision is one transaction. Offering takes round robin's pointer row lock first, so the
replicas' routing passes take turns and an agent's load is read as it is; a ticket has at most one
offer pending (a unique index). Accept is a claim: the conversation is locked first (as a claim and
the customer's own steps lock it), then the agent's profile row (their accepts take turns, and
their capacity is checked there), then the offer moves on from pending with a conditional UPDATE
(of an accept, a decline and the timeout exactly one wins) and the ticket is claimed with the
claim's conditional UPDATE (of an accept and a Claim button exactly one wins).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from handoff_slack.core.agent_desk import AgentDesk
from handoff_slack.core.agent_profiles import AgentProfile
from handoff_slack.core.audit import BOT_ACTOR, AuditAction
from handoff_slack.core.clock import as_utc
from handoff_slack.core.eligibility import TicketNeeds, eligibility
from handoff_slack.core.helpdesk_storage import HelpdeskTransaction
from handoff_slack.core.notices import Audience, Notice
from handoff_slack.core.routing import OfferOutcome, RoundEnd, RoutingConfig, Strategy, candidates, choose
from handoff_slack.core.routing_storage import StoredOffer
from handoff_slack.core.states import TicketState
from handoff_slack.core.ticket_needs import language_of_locale

ROUTING_BATCH = 50  # waiting tickets looked at per routing pass (the next pass takes the rest)


@dataclass(frozen=True)
class OfferView:
    """An offer as the Slack edge shows it (its DM) and updates it."""

    id: int
    ticket_id: int
    agent_user_id: str
    outcome: OfferOutcome
    expires_at: datetime
    dm_channel_id: str | None = None
    dm_ts: str | None = None

    @classmethod
    def from_row(cls, row: StoredOffer) -> OfferView:
        assert row.id is not None
        return cls(
            row.id,
            row.ticket_id,
            row.agent_user_id,
            OfferOutcome(row.outcome),
            as_utc(row.expires_at),
            row.dm_channel_id,
            row.dm_ts,
        )


@dataclass(frozen=True)
class RoutingPass:
    """What one pass did: offers made (their DMs to post) and rounds ended (their threads were told)."""

    offered: list[OfferView] = field(default_factory=list)
    ended: list[tuple[int, RoundEnd]] = field(default_factory=list)
    unfiltered: list[int] = field(default_factory=list)  # filters dropped: their threads were told


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


class RoutingDesk(AgentDesk):
    """Offers and their answers on the helpdesk's storage (core.helpdesk mixes it in)."""

    routing: RoutingConfig = RoutingConfig()

    def route_waiting(
        self,
        agent_ids: Iterable[str],
        profiles: Mapping[str, AgentProfile],
        default_capacity: int,
        utc_offsets: Mapping[str, int] | None = None,
    ) -> RoutingPass:
        """Offer waiting tickets, in queue order, to the eligible agents the strategy picks (filters
        dropped for a ticket nobody eligible took in `filters.fallback_after_seconds`); end the rounds
        of those nobody is left to offer. Stops at the first ticket nobody at all can be offered yet
        that has not waited `fallback_after_seconds`: the later ones would find nobody either.
        `utc_offsets`: the agents' (seconds east of UTC), for the time-zone filter."""
        done = RoutingPass()
        if not self.routing.offers:
            return done
        agents = frozenset(agent_ids)
        with self.storage.transaction() as tx:
            waiting = tx.offers.to_route(ROUTING_BATCH)
        for ticket_id, _created_at in waiting:
            with self.storage.transaction() as tx:
                if not self._route_one(tx, ticket_id, agents, profiles, default_capacity, utc_offsets or {}, done):
                    break
        return done

    def _route_one(
        self,
        tx: HelpdeskTransaction,
        ticket_id: int,
        agents: frozenset[str],
        profiles: Mapping[str, AgentProfile],
        default_capacity: int,
        utc_offsets: Mapping[str, int],
        done: RoutingPass,
    ) -> bool:
        """Offer one ticket or end its round; False when nobody at all can be offered it yet."""
        now = self.clock()
        pointer = tx.offers.pointer_locked()  # first: the replicas' passes take turns here
        if not tx.offers.is_routable(ticket_id):  # claimed, cancelled or offered meanwhile
            return True
        current = tx.offers.round_of(ticket_id)
        tried = tx.offers.tried(ticket_id, current.started_at)
        # Idle time only breaks least busy's ties (its read spans every claimed ticket).
        idle = tx.offers.last_taken() if self.routing.strategy is Strategy.LEAST_BUSY else {}
        found = candidates(agents, profiles, tx.offers.loads(), idle, default_capacity, utc_offsets)
        free = [agent for agent in found if agent.available and agent.has_room and agent.user_id not in tried]
        pool = free
        if not current.filters_dropped:
            filters = self.routing.filters
            pool = [agent for agent in free if eligibility(current.needs, agent, filters.time_zone_hours).eligible]
            if free and not pool:  # someone could take it, but nobody eligible: wait, then everyone
                if current.started_at + timedelta(seconds=filters.fallback_after_seconds) > now:
                    return True  # a later ticket may have eligible agents
                if tx.offers.drop_filters(ticket_id, current.started_at, now):
                    self._filters_dropped(tx, ticket_id, current.needs, now, done)
                pool = free
        chosen = choose(self.routing.strategy, pool, tried, pointer)
        if chosen is not None:
            expires_at = now + timedelta(seconds=self.routing.offer_timeout_seconds)
            offer_id = tx.offers.add(ticket_id, chosen, now, expires_at)
            if offer_id is None:  # another pass offered it meanwhile
                return True
            tx.offers.move_pointer(chosen, now)
            tx.audit.record(BOT_ACTOR, AuditAction.OFFER, now, ticket_id=ticket_id, subject_user_id=chosen)
            done.offered.append(OfferView(offer_id, ticket_id, chosen, OfferOutcome.PENDING, expires_at))
            return True
        if tried:
            reason = RoundEnd.FULL_ROUND
        elif current.started_at + timedelta(seconds=self.routing.fallback_after_seconds) <= now:
            reason = RoundEnd.FALLBACK
        else:
            return False
        if tx.offers.end_round(ticket_id, reason, now):
            ticket = tx.tickets.get(ticket_id)
            assert ticket is not None
            self._notify(tx, ticket.conversation_id, ticket_id, Audience.AGENTS, Notice.open_to_all(str(reason)))
            done.ended.append((ticket_id, reason))
        return True

    def _filters_dropped(
        self, tx: HelpdeskTransaction, ticket_id: int, needs: TicketNeeds, now: datetime, done: RoutingPass
    ) -> None:
        """Nobody eligible took the ticket in time: its thread is told (once) it goes to everyone."""
        ticket = tx.tickets.get(ticket_id)
        assert ticket is not None
        filters = self.routing.filters
        notice = Notice.filters_dropped(needs, filters.fallback_after_seconds, filters.time_zone_hours)
        self._notify(tx, ticket.conversation_id, ticket_id, Audience.AGENTS, notice)
        details = {"language": needs.language, "skills": list(needs.skills), "utc_offset": needs.utc_offset}
        tx.audit.record(BOT_ACTOR, AuditAction.FILTERS_DROPPED, now, ticket_id=ticket_id, details=details)
        done.unfiltered.append(ticket_id)

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
            if not tx.tickets.claim(offer.ticket_id, agent_user_id, agent_name, agent_avatar_url, now):
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
