"""Routing on Slack: a routing pass (who is offered which waiting ticket, core.routing_desk), the
offers' DMs, and their updates once answered or moved on. A pass first asks Slack (users.info,
cached) for what the filters need: the waiting customers' locales and time zones (once per ticket)
and, with routing.time_zone_hours, the available agents' time zones.

An offer's DM is posted at most once (its post is not repeated after an ambiguous failure): an
offer lives `offer_timeout_seconds`, and a lost DM only means it times out and moves on to the
next agent, while a late or doubled one would offer what has moved on. The ticket thread's note
when offers stop is a notice (core.notices): the outbox sends it with the conversation's messages.
Updates of an ended offer's DM are best effort: a click on a stale button is answered anyway.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handoff_slack.blocks.offer import offer_ended, offer_message
from handoff_slack.core.agent_profiles import AgentProfile, Availability
from handoff_slack.core.routing import OfferOutcome, RoutingConfig
from handoff_slack.core.routing_pass import OfferView, RoutingPass
from handoff_slack.slack.directory import AgentCheckUnavailable, AgentDirectory, PeopleDirectory
from handoff_slack.slack.failures import failure_reason
from handoff_slack.slack.outbox import Outbox
from handoff_slack.slack.ticket_board import TicketBoard
from handoff_slack.storage.agent_profiles import AgentProfiles
from handoff_slack.storage.helpdesk_store import SqlHelpdesk
from handoff_slack.storage.offers import OfferRepository

logger = logging.getLogger(__name__)


class OfferDesk:
    def __init__(
        self,
        helpdesk: SqlHelpdesk,
        agents: AgentDirectory,
        profiles: AgentProfiles,
        client: WebClient,
        outbox: Outbox,
        default_capacity: int,
        poster: WebClient | None = None,
        people: PeopleDirectory | None = None,
        board: TicketBoard | None = None,
    ) -> None:
        self.helpdesk = helpdesk
        self.people = people or PeopleDirectory(client, None)  # customers' locales, everyone's time zone
        self.agents = agents
        self.profiles = profiles
        self.client = client  # updates: idempotent, full retries
        self.poster = poster or client  # the offer itself: never repeated blindly
        self.outbox = outbox
        self.default_capacity = default_capacity
        self.board = board  # the ticket messages show pending offers (else the scheduler's repair shows them)
        self._pass = threading.Lock()  # one pass at a time in this process (replicas take turns in the database)

    @property
    def config(self) -> RoutingConfig:
        return self.helpdesk.routing

    def route(self) -> RoutingPass:
        """Offer what waits to whom the strategy picks; post the offers; tell the threads of ended rounds."""
        if not self.config.offers:
            return RoutingPass()
        with self._pass:
            try:
                agent_ids = self.agents.agent_ids() | self.agents.admins
            except AgentCheckUnavailable:
                logger.warning("routing skipped: the agents' list is unavailable; will retry")
                return RoutingPass()
            self._look_up_customers()
            profiles = self.profiles.profiles()
            done = self.helpdesk.route_waiting(
                agent_ids, profiles, self.default_capacity, self._agents_offsets(agent_ids, profiles)
            )
        for offer in done.offered:
            self._post(offer)
            self.show_on_ticket(offer.ticket_id)
        for ticket_id in [*(ended for ended, _reason in done.ended), *done.unfiltered]:
            ticket = self.helpdesk.ticket(ticket_id)
            if ticket is not None:
                self.outbox.deliver(ticket.conversation_id)
        return done

    def _look_up_customers(self) -> None:
        """The Slack locale and time zone of the customers waiting (users.info, cached): a ticket's
        language when triage gave none, and the time-zone filter's. Asked here, in the routing pass,
        never while Slack waits for an ack. Slack unreachable: the next pass asks again; an error
        answer (logged) leaves them unknown (the ticket is routed without them)."""
        for ticket_id, customer in self.helpdesk.customers_to_look_up():
            try:
                person = self.people.person(customer)
            except OSError:
                return
            self.helpdesk.customer_looked_up(ticket_id, person.locale, person.utc_offset)

    def _agents_offsets(self, agent_ids: Iterable[str], profiles: Mapping[str, AgentProfile]) -> dict[str, int]:
        """The UTC offsets of the available agents (users.info, cached), when the time-zone filter is on."""
        if self.config.filters.time_zone_hours is None:
            return {}
        offsets: dict[str, int] = {}
        for user_id in agent_ids:
            profile = profiles.get(user_id)
            if profile is None or profile.availability is not Availability.AVAILABLE:
                continue
            try:
                offset = self.people.person(user_id).utc_offset
            except OSError:
                continue  # unknown: the filter lets them through
            if offset is not None:
                offsets[user_id] = offset
        return offsets

    def show_on_ticket(self, ticket_id: int) -> None:
        """The ticket message shows its offers as they are now (best effort: the ticket stays marked
        stale until an update succeeds, and the scheduler's repair retries)."""
        if self.board is None:
            return
        try:
            self.board.refresh(ticket_id)
        except Exception:  # the repair job shows it; an offer's work must go on
            logger.exception("could not show the offers of ticket %s on its message", ticket_id)

    def time_out(self) -> list[OfferView]:
        """End the offers past their time (and those whose ticket no longer waits), then route again."""
        if not self.config.offers:
            return []
        ended = self.helpdesk.time_out_offers()
        for offer in ended:
            self.show_ended(offer)
            self.show_on_ticket(offer.ticket_id)
        return ended

    def _post(self, offer: OfferView) -> None:
        ticket = self.helpdesk.ticket(offer.ticket_id)
        if ticket is None:
            return
        rendered = offer_message(offer, ticket)
        try:
            response = self.poster.chat_postMessage(
                channel=offer.agent_user_id,  # the app's DM with the agent
                text=rendered.text,
                blocks=rendered.blocks,
                unfurl_links=False,
                unfurl_media=False,
            )
        except (SlackApiError, OSError) as error:
            reason, _ = failure_reason(error)
            logger.warning("could not post offer %s (%s); it moves on when it times out", offer.id, reason)
            return
        with self.helpdesk.db.transaction() as session:
            OfferRepository(session, self.helpdesk.workspace_id).shown(
                offer.id, str(response["channel"]), str(response["ts"])
            )
        # Answered or timed out while the post was on its way: its update found no DM to change.
        now = self.helpdesk.offer(offer.id)
        if now is not None and now.outcome is not OfferOutcome.PENDING:
            self.show_ended(now)

    def show_ended(self, offer: OfferView) -> None:
        """Replace an ended offer's buttons with what became of it (best effort)."""
        if offer.dm_channel_id is None or offer.dm_ts is None:
            return
        rendered = offer_ended(offer)
        try:
            self.client.chat_update(
                channel=offer.dm_channel_id, ts=offer.dm_ts, text=rendered.text, blocks=rendered.blocks
            )
        except (SlackApiError, OSError) as error:
            reason, _ = failure_reason(error)
            logger.warning("could not update offer %s (%s)", offer.id, reason)
