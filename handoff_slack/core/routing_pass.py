"""Routing passes: offering waiting tickets to the agents the strategy picks, decided from one read.

A pass reads, in one transaction under round robin's pointer lock (so no other replica's offer
lands in the middle of the read), the pointer, the agents' loads (and idle times, for least busy)
and the queue's head with each ticket's needs, round and tried agents; core.routing_plan decides
every ticket in memory, and a transaction is opened only for a ticket with something to store: an
offer (re-checked inside it, under the pointer's lock: still routable, its round as read, the agent
not tried on it and with room), its filters dropped or its round ended (decided afresh inside it,
as a pass always did). While someone free suits none of the tickets read, the pass reads the next
page of the queue (up to ROUTING_SCAN_LIMIT tickets), so a ticket further down goes to the free
agent who suits it without waiting for the head's filters to drop. A step that finds the read
stale (a claim, an accept or another replica's pass came first) stops the pass's plan: it reads
again (REPLANS times at most; the scheduler's next pass goes on).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from handoff_slack.core.agent_desk import AgentDesk
from handoff_slack.core.agent_profiles import AgentProfile
from handoff_slack.core.audit import BOT_ACTOR, AuditAction
from handoff_slack.core.clock import as_utc
from handoff_slack.core.eligibility import TicketNeeds, eligibility
from handoff_slack.core.helpdesk_storage import HelpdeskTransaction
from handoff_slack.core.notices import Audience, Notice
from handoff_slack.core.routing import OfferOutcome, RoundEnd, RoutingConfig, Strategy, candidates, choose
from handoff_slack.core.routing_plan import PassState, Step, StepKind, plan
from handoff_slack.core.routing_storage import StoredOffer

ROUTING_BATCH = 50  # waiting tickets a pass reads first (and timeouts, look-ups per run)
ROUTING_PAGE = 200  # then, while someone free suits none of them, the next ones a page at a time
ROUTING_SCAN_LIMIT = 2000  # the most waiting tickets one pass reads (the next pass starts at the head again)
REPLANS = 3  # a step found the pass's read stale (another replica or a claim won): read again, this often


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


class RoutingPasses(AgentDesk):
    """The routing pass on the helpdesk's storage (core.routing_desk adds the answers to offers)."""

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
        for _read in range(REPLANS):
            if not self._stale_pass(agents, profiles, default_capacity, utc_offsets or {}, done):
                break
        return done

    def _stale_pass(
        self,
        agents: frozenset[str],
        profiles: Mapping[str, AgentProfile],
        default_capacity: int,
        utc_offsets: Mapping[str, int],
        done: RoutingPass,
    ) -> bool:
        """One read of the queue (paged) and its steps; True when a step found the read stale."""
        now = self.clock()
        with self.storage.transaction() as tx:
            pointer = tx.offers.pointer_locked()  # first: no other replica's offer lands mid-read
            # Idle time only breaks least busy's ties (its read spans every claimed ticket).
            idle = tx.offers.last_taken() if self.routing.strategy is Strategy.LEAST_BUSY else {}
            found = candidates(agents, profiles, tx.offers.loads(), idle, default_capacity, utc_offsets)
            page = list(tx.offers.waiting(None, ROUTING_BATCH))
        state = PassState.of(found, pointer)
        scanned, limit = 0, ROUTING_BATCH
        while page:
            scanned += len(page)
            decided = plan(self.routing, page, state, now)
            for step in decided.steps:
                if not self._take(step, agents, profiles, default_capacity, utc_offsets, state, done):
                    return True
            if decided.stopped or len(page) < limit or scanned >= ROUTING_SCAN_LIMIT or not state.anyone_free:
                return False
            last, limit = page[-1], min(ROUTING_PAGE, ROUTING_SCAN_LIMIT - scanned)
            with self.storage.transaction() as tx:
                page = list(tx.offers.waiting((last.priority, last.ticket_id), limit))
        return False

    def _take(
        self,
        step: Step,
        agents: frozenset[str],
        profiles: Mapping[str, AgentProfile],
        default_capacity: int,
        utc_offsets: Mapping[str, int],
        state: PassState,
        done: RoutingPass,
    ) -> bool:
        """Store one planned step in its own transaction; False when the pass's read was stale."""
        ticket_id = step.ticket.ticket_id
        with self.storage.transaction() as tx:
            if step.kind is not StepKind.OFFER:  # rare: decided afresh, inside, as a pass always did
                offers = len(done.offered)
                if not self._route_one(tx, ticket_id, agents, profiles, default_capacity, utc_offsets, done):
                    return False
                made = done.offered[offers:]
                return [offer.agent_user_id for offer in made] == ([step.agent] if step.agent else [])
            assert step.agent is not None
            now = self.clock()
            tx.offers.pointer_locked()  # first: the replicas' passes take turns here
            found = tx.offers.rechecked(ticket_id, step.agent)
            if found is None:  # claimed, cancelled or offered meanwhile
                return False
            current, load = found
            if current.round != step.ticket.round or step.agent in current.tried:
                return False  # released, looked up or declined meanwhile
            if load >= state.agents[step.agent].capacity:
                return False  # a claim (or another pass's offer) filled their room
            return self._offered(tx, ticket_id, step.agent, now, done)

    def _offered(self, tx: HelpdeskTransaction, ticket_id: int, chosen: str, now: datetime, done: RoutingPass) -> bool:
        expires_at = now + timedelta(seconds=self.routing.offer_timeout_seconds)
        offer_id = tx.offers.add(ticket_id, chosen, now, expires_at)
        if offer_id is None:  # another pass offered it meanwhile
            return False
        tx.offers.move_pointer(chosen, now)
        tx.audit.record(BOT_ACTOR, AuditAction.OFFER, now, ticket_id=ticket_id, subject_user_id=chosen)
        done.offered.append(OfferView(offer_id, ticket_id, chosen, OfferOutcome.PENDING, expires_at))
        return True

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
            self._offered(tx, ticket_id, chosen, now, done)
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
