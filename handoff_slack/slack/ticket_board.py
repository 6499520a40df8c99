"""The support channel's side of a ticket: its message, posted once and kept current.

The ticket message is posted through the client that never repeats a post on its own (see
handoff_slack.slack.client) and carries the ticket's ID in Slack message metadata. Each post is
counted before it is made; when an earlier one may have reached Slack (a 5xx or a timeout after
Slack took it, or the app died), the channel is searched for the metadata before posting again,
so agents see each ticket once (a watch's read-only message too, core.watching). The customer's
name comes from users.info with the post; while Slack cannot tell it the message shows their
mention, and the next update or their next message (`name_customer`) asks again: their user ID is
never stored as the name. So with a Slack Connect customer's organisation (team.info): "another
organisation" stands in, never a placeholder with the team ID. Their ticket shows the account's
other tickets (core.accounts, by team), as they are when the message is posted or updated. A
supervised proposal is posted the same way (blocks.proposal). Updates (claimed, closed, cancelled, a proposal
decided) show the ticket's current state, so repeating one is harmless; the ticket stays marked
stale until one succeeds, and the scheduler repairs what failed. Notes in the ticket's thread are
notices (core.notices): the outbox sends them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handoff_slack.blocks import Rendered
from handoff_slack.blocks.offer import pending_offers
from handoff_slack.blocks.proposal import proposal_context, proposal_message
from handoff_slack.blocks.ticket import ticket_message
from handoff_slack.blocks.transfer import previous_owners
from handoff_slack.blocks.watch import watch_message
from handoff_slack.concurrency import KeyedLocks
from handoff_slack.core.accounts import AccountHistory
from handoff_slack.core.clock import as_utc
from handoff_slack.core.proposals import ProposalOutcome
from handoff_slack.core.states import TicketState
from handoff_slack.core.views import TicketView
from handoff_slack.slack.directory import PeopleDirectory
from handoff_slack.slack.failures import GONE_ERRORS, ambiguous, failure_reason
from handoff_slack.slack.permalinks import Permalinks
from handoff_slack.storage.helpdesk_store import SqlHelpdesk

logger = logging.getLogger(__name__)

TRANSCRIPT_LENGTH = 5
CONVERSATION_LENGTH = 10  # messages of the conversation with the bot a proposal quotes
# A proposal's ticket shows the proposal while it is pending, and once it was sent or withdrawn.
PROPOSAL_CARD = frozenset(
    {ProposalOutcome.PENDING, ProposalOutcome.APPROVED, ProposalOutcome.EDITED, ProposalOutcome.WITHDRAWN}
)
METADATA_EVENT = "handoff_ticket"
AMBIGUOUS_RETRIES = 3
AMBIGUOUS_RETRY_DELAY = 0.5  # seconds, doubled each time


class TicketBoard:
    def __init__(
        self,
        helpdesk: SqlHelpdesk,
        client: WebClient,
        people: PeopleDirectory,
        support_channel: str,
        poster: WebClient | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.helpdesk = helpdesk
        self.client = client  # look-ups and updates: idempotent, full retries
        self.poster = poster or client  # the ticket message itself: never repeated blindly
        self.people = people
        self.support_channel = support_channel
        self.sleep = sleep
        self.permalinks = Permalinks(people.lookup_client)  # the account history's links
        self._ticket_lock = KeyedLocks()  # the lazy listener and the scheduler may both publish

    def publish(self, ticket_id: int) -> TicketView | None:
        """Post the ticket message once (with who the customer is), then remember where it is.

        None when the ticket does not exist or its message could not be posted yet (the
        scheduler tries again).
        """
        with self._lock(ticket_id):
            ticket = self.helpdesk.ticket(ticket_id)
            if ticket is None or ticket.message_ts is not None:
                return ticket
            return self._post(ticket)

    def refresh(self, ticket_id: int) -> TicketView | None:
        """Show the ticket's current state on its message (claimed, closed, cancelled, its priority changed)."""
        with self._lock(ticket_id):  # after a publication in flight, never beside it
            ticket = self.helpdesk.ticket(ticket_id)
            if ticket is None:
                return None
            if ticket.message_ts is None:
                return self._post(ticket)  # never posted: posting shows the current state
            if ticket.message_stale:  # else shown already (e.g. by the scheduler's repair meanwhile)
                self._update(ticket)
            return ticket

    @contextmanager
    def _lock(self, ticket_id: int) -> Iterator[None]:
        # In this process, and across replicas and workers (the scheduler's repair of a missing
        # ticket message may run in one while the escalation's lazy listener posts in another).
        with self._ticket_lock(ticket_id), self.helpdesk.ticket_message_lock(ticket_id):
            yield

    def name_customer(self, ticket_id: int) -> None:
        """The customer wrote again while Slack had not told us their name, or their organisation's
        (Slack Connect): ask again (through the look-up client, which never retries: this runs after
        each of their messages until Slack answers) and show it on the ticket message. Nothing
        while both are known."""
        ticket = self.helpdesk.ticket(ticket_id)
        if ticket is None or ticket.message_ts is None or not any(_unknown(ticket)):
            return  # named already, or not posted yet: the post looks it up
        # Outside the ticket's lock, which a slow Slack would hold against its other updates. Stored
        # with the message marked stale: the scheduler's repair shows it if the update below fails.
        if _unknown(self._with_profile(ticket, self.people.lookup_client, show=True)) == _unknown(ticket):
            return
        with self._lock(ticket_id):
            current = self.helpdesk.ticket(ticket_id)
            if current is not None:
                self._update(current)  # even if an update meanwhile cleared the mark without the name

    def _with_profile(self, ticket: TicketView, client: WebClient | None = None, show: bool = False) -> TicketView:
        """`ticket` with its customer's name, avatar and organisation from Slack (stored), while the
        name or the organisation's is unknown. When users.info or team.info fails (an error, a 5xx,
        a timeout) what it would tell stays unknown: the message shows the customer's mention, or
        "another organisation", and the next update (or message) asks again. No ID is ever stored as
        a name: it would stick, and agents would read "U0123ABCD" as one (or find the organisation
        by "another organisation (T0123ABCD)"). `show`: mark the message stale with what was learnt
        (an update is not on its way already)."""
        customer = ticket.customer
        if not any(_unknown(ticket)):
            return ticket
        name, avatar_url, team_id, org = customer.name, customer.avatar_url, customer.team_id, customer.org_name
        try:  # Slack unreachable (a timeout): the ticket is shown all the same, with what is known
            if name is None:
                person = self.people.person(customer.user_id, client)
                name, avatar_url, team_id = person.name, person.avatar_url, person.team_id or team_id
            if org is None:
                org = self.people.external_org_name(team_id, client)
        except OSError as error:
            logger.warning("could not look up ticket %s's customer (%s)", ticket.id, type(error).__name__)
        if (name, org) == (customer.name, customer.org_name):
            return ticket  # nothing new to store
        stale = ticket.id if show else None
        self.helpdesk.set_customer_profile(ticket.conversation_id, name, avatar_url, org, stale)
        customer = replace(customer, name=name, avatar_url=avatar_url, org_name=org)
        return replace(ticket, customer=customer)

    def _post(self, ticket: TicketView) -> TicketView | None:
        ticket = self._with_profile(ticket)
        rendered = self._render(ticket)
        may_exist = self.helpdesk.begin_ticket_message(ticket.id) > 0
        for attempt in range(AMBIGUOUS_RETRIES + 1):
            try:
                channel, ts = (self._find_posted(ticket) if may_exist else None) or self._post_once(ticket, rendered)
            except (SlackApiError, OSError) as error:
                reason, permanent = failure_reason(error)
                if ambiguous(error) and attempt < AMBIGUOUS_RETRIES:
                    may_exist = True  # Slack may have posted it before failing
                    self.sleep(AMBIGUOUS_RETRY_DELAY * 2**attempt)
                    continue
                # Agents cannot see this ticket: the operator must know (e.g. the bot left the channel).
                level = logging.ERROR if permanent else logging.WARNING
                logger.log(level, "could not post ticket %s in the support channel (%s); will retry", ticket.id, reason)
                return None
            break
        self.helpdesk.attach_ticket_message(ticket.id, channel, ts)
        # The ticket may have moved on (claimed, cancelled) while the post was on its way.
        current = self.helpdesk.ticket(ticket.id)
        assert current is not None  # tickets are never deleted
        if _shown(current) != _shown(ticket):
            self._update(current)
        elif current.message_stale:  # changed before the post, which shows it
            self._mark_shown(ticket)
        return current

    def _post_once(self, ticket: TicketView, rendered: Rendered) -> tuple[str, str]:
        response = self.poster.chat_postMessage(
            channel=self.support_channel,
            text=rendered.text,
            blocks=rendered.blocks,
            unfurl_links=False,
            unfurl_media=False,
            metadata={"event_type": METADATA_EVENT, "event_payload": {"ticket_id": ticket.id}},
        )
        return str(response["channel"]), str(response["ts"])

    def _find_posted(self, ticket: TicketView) -> tuple[str, str] | None:
        """The ticket's message, if an earlier post reached the support channel."""
        # Posted after the ticket was stored; a minute's margin covers clock skew.
        oldest = f"{as_utc(ticket.created_at).timestamp() - 60:.6f}"
        pages = self.client.conversations_history(
            channel=self.support_channel, oldest=oldest, include_all_metadata=True, limit=200
        )
        for page in pages:
            for message in page.get("messages", []):
                if _is_ticket_message(message, ticket.id):
                    logger.info("ticket %s was already posted before an interruption", ticket.id)
                    return self.support_channel, str(message["ts"])
        return None

    def _update(self, ticket: TicketView) -> None:
        # A name Slack could not tell before: asked again, once (an update must not wait on retries).
        ticket = self._with_profile(ticket, self.people.lookup_client)
        assert ticket.message_channel_id is not None and ticket.message_ts is not None  # posted ones only
        rendered = self._render(ticket)
        try:
            self.client.chat_update(
                channel=ticket.message_channel_id, ts=ticket.message_ts, text=rendered.text, blocks=rendered.blocks
            )
        except (SlackApiError, OSError) as error:
            reason, _ = failure_reason(error)
            if reason not in GONE_ERRORS:  # else deleted in Slack: nothing left to show it on
                logger.warning("could not update ticket %s message (%s); will retry", ticket.id, reason)
                return
        self._mark_shown(ticket)

    def _mark_shown(self, ticket: TicketView) -> None:
        """The message shows `ticket` as it was read: up to date, unless it changed since."""
        self.helpdesk.ticket_message_shown(
            ticket.id,
            ticket.state,
            ticket.priority_shown,
            ticket.rating_shown,
            ticket.offer_revision,
            ticket.sla_shown,
            ticket.answer_later,
        )

    def _render(self, ticket: TicketView) -> Rendered:
        if ticket.state in (TicketState.WATCHED, TicketState.WATCH_ENDED):  # a watch's read-only root
            return watch_message(ticket)
        proposal = self.helpdesk.proposal(ticket.id)
        owners = previous_owners(self.helpdesk.owners(ticket))  # core.transfers: who had it before
        # Offers awaiting an answer (core.pending_offers): read after the ticket, so a change since is
        # shown here, or marks the message stale again (its offer revision) for the next update.
        owners = [*pending_offers(self.helpdesk.pending_offers(ticket)), *owners]
        if proposal is None:
            return ticket_message(
                ticket, self.helpdesk.transcript(ticket, TRANSCRIPT_LENGTH), owners, self._account(ticket)
            )
        if proposal.outcome in PROPOSAL_CARD:  # supervised mode: still (or only ever) a proposal
            return proposal_message(ticket, proposal, self.helpdesk.bot_conversation(ticket, CONVERSATION_LENGTH))
        # Rejected or timed out: a normal ticket now, with the proposal's context.
        transcript = self.helpdesk.transcript(ticket, TRANSCRIPT_LENGTH)
        return ticket_message(ticket, transcript, [*proposal_context(proposal), *owners], self._account(ticket))

    def _account(self, ticket: TicketView) -> AccountHistory | None:
        """The customer's organisation and its other tickets, linked to their messages, as they are
        now: read each time the ticket message is posted or updated (claimed, closed)."""
        history = self.helpdesk.account_history(ticket)
        return None if history is None else history.with_links(self.permalinks.link)


def _unknown(ticket: TicketView) -> tuple[bool, bool]:
    """What Slack has not told us of the ticket's customer: (their name, their organisation's)."""
    return ticket.customer.name is None, ticket.customer.org_unknown


def _shown(ticket: TicketView) -> tuple[object, ...]:
    """What of the ticket its message shows that changes: an update is due when it differs."""
    return (
        ticket.state,
        ticket.priority_shown,
        ticket.rating_shown,
        ticket.offer_revision,
        ticket.sla_shown,
        ticket.answer_later,
    )


def _is_ticket_message(message: dict[str, Any], ticket_id: int) -> bool:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return metadata.get("event_type") == METADATA_EVENT and payload.get("ticket_id") == ticket_id
