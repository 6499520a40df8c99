"""The support channel's side of a ticket: its message, kept current, and notes in its thread."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handoff_slack.blocks import Rendered
from handoff_slack.blocks.ticket import ticket_message
from handoff_slack.concurrency import KeyedLocks
from handoff_slack.core.helpdesk import Helpdesk
from handoff_slack.slack.directory import PeopleDirectory
from handoff_slack.storage.locks import TICKET_MESSAGE, replica_lock
from handoff_slack.storage.models import Conversation, Ticket

logger = logging.getLogger(__name__)

TRANSCRIPT_LENGTH = 5


class TicketBoard:
    def __init__(self, helpdesk: Helpdesk, client: WebClient, people: PeopleDirectory, support_channel: str) -> None:
        self.helpdesk = helpdesk
        self.client = client
        self.people = people
        self.support_channel = support_channel
        self._ticket_lock = KeyedLocks()  # the lazy listener and the scheduler may both publish

    def publish(self, ticket_id: int) -> Ticket | None:
        """Post the ticket message once (with who the customer is), then remember where it is."""
        with self._lock(ticket_id):
            found = self.helpdesk.ticket(ticket_id)
            if found is None or found[0].message_ts is not None:
                return found[0] if found else None
            return self._post(*found)

    def refresh(self, ticket_id: int) -> Ticket | None:
        """Show the ticket's current state on its message (claimed, closed, cancelled)."""
        with self._lock(ticket_id):  # after a publication in flight, never beside it
            found = self.helpdesk.ticket(ticket_id)
            if found is None:
                return None
            ticket, conversation = found
            if ticket.message_ts is None:
                return self._post(ticket, conversation)  # never posted: posting shows the current state
            self._update(ticket, conversation)
            return ticket

    @contextmanager
    def _lock(self, ticket_id: int) -> Iterator[None]:
        # In this process, and across replicas and workers (the scheduler's repair of a missing
        # ticket message may run in one while the escalation's lazy listener posts in another).
        with self._ticket_lock(ticket_id), replica_lock(self.helpdesk.db, TICKET_MESSAGE, ticket_id):
            yield

    def _post(self, ticket: Ticket, conversation: Conversation) -> Ticket:
        assert ticket.id is not None and conversation.id is not None
        if conversation.customer_name is None:
            person = self.people.person(conversation.customer_user_id)
            org = self.people.external_org_name(person.team_id or conversation.customer_team_id)
            self.helpdesk.set_customer_profile(conversation.id, person.name, person.avatar_url, org)
            conversation.customer_name, conversation.customer_avatar_url = person.name, person.avatar_url
            conversation.customer_org_name = org
        rendered = self._render(ticket, conversation)
        response = self.client.chat_postMessage(
            channel=self.support_channel,
            text=rendered.text,
            blocks=rendered.blocks,
            unfurl_links=False,
            unfurl_media=False,
        )
        self.helpdesk.attach_ticket_message(ticket.id, str(response["channel"]), str(response["ts"]))
        # The ticket may have moved on (claimed, cancelled) while the post was on its way.
        current, conversation = self.helpdesk.ticket(ticket.id)  # type: ignore[misc]
        if current.state != ticket.state:
            self._update(current, conversation)
        return current

    def _update(self, ticket: Ticket, conversation: Conversation) -> None:
        assert ticket.message_channel_id is not None and ticket.message_ts is not None  # posted: see callers
        rendered = self._render(ticket, conversation)
        try:
            self.client.chat_update(
                channel=ticket.message_channel_id, ts=ticket.message_ts, text=rendered.text, blocks=rendered.blocks
            )
        except SlackApiError as error:
            logger.warning("could not update ticket %s message: %s", ticket.id, error.response.get("error"))

    def _render(self, ticket: Ticket, conversation: Conversation) -> Rendered:
        return ticket_message(ticket, conversation, self.helpdesk.transcript(ticket, TRANSCRIPT_LENGTH))

    def note_in_thread(self, ticket: Ticket, text: str) -> None:
        if ticket.message_ts is None or ticket.message_channel_id is None:
            return
        try:
            self.client.chat_postMessage(channel=ticket.message_channel_id, thread_ts=ticket.message_ts, text=text)
        except SlackApiError as error:
            logger.warning("could not post in ticket %s thread: %s", ticket.id, error.response.get("error"))
