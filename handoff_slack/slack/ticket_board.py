"""The support channel's side of a ticket: its message, kept current, and notes in its thread."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handoff_slack.blocks.ticket import ticket_message
from handoff_slack.concurrency import KeyedLocks
from handoff_slack.core.helpdesk import Helpdesk
from handoff_slack.slack.directory import PeopleDirectory
from handoff_slack.storage.models import Ticket

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
        with self._ticket_lock(ticket_id):
            found = self.helpdesk.ticket(ticket_id)
            if found is None:
                return None
            ticket, conversation = found
            if ticket.message_ts is not None:
                return ticket
            if conversation.customer_name is None:
                person = self.people.person(conversation.customer_user_id)
                org = self.people.external_org_name(person.team_id or conversation.customer_team_id)
                self.helpdesk.set_customer_profile(conversation.id, person.name, person.avatar_url, org)  # type: ignore[arg-type]
                ticket, conversation = self.helpdesk.ticket(ticket_id)  # type: ignore[misc]
            transcript = self.helpdesk.recent_customer_messages(
                conversation.id,
                TRANSCRIPT_LENGTH,
                until=ticket.created_at,  # type: ignore[arg-type]
            )
            rendered = ticket_message(ticket, conversation, transcript)
            response = self.client.chat_postMessage(
                channel=self.support_channel,
                text=rendered.text,
                blocks=rendered.blocks,
                unfurl_links=False,
                unfurl_media=False,
            )
            self.helpdesk.attach_ticket_message(ticket_id, str(response["channel"]), str(response["ts"]))
            ticket.message_channel_id, ticket.message_ts = str(response["channel"]), str(response["ts"])
            return ticket

    def refresh(self, ticket_id: int) -> None:
        """Show the ticket's current state on its message (claimed, closed, cancelled)."""
        found = self.helpdesk.ticket(ticket_id)
        if found is None:
            return
        ticket, conversation = found
        if ticket.message_ts is None or ticket.message_channel_id is None:
            self.publish(ticket_id)  # never posted: posting now shows the current state
            return
        transcript = self.helpdesk.recent_customer_messages(
            conversation.id,
            TRANSCRIPT_LENGTH,
            until=ticket.created_at,  # type: ignore[arg-type]
        )
        rendered = ticket_message(ticket, conversation, transcript)
        try:
            self.client.chat_update(
                channel=ticket.message_channel_id, ts=ticket.message_ts, text=rendered.text, blocks=rendered.blocks
            )
        except SlackApiError as error:
            logger.warning("could not update ticket %s message: %s", ticket_id, error.response.get("error"))

    def note_in_thread(self, ticket: Ticket, text: str) -> None:
        if ticket.message_ts is None or ticket.message_channel_id is None:
            return
        try:
            self.client.chat_postMessage(channel=ticket.message_channel_id, thread_ts=ticket.message_ts, text=text)
        except SlackApiError as error:
            logger.warning("could not post in ticket %s thread: %s", ticket.id, error.response.get("error"))

    def tell_agent(self, user_id: str, text: str) -> None:
        """An ephemeral line in the support channel, seen only by that user."""
        try:
            self.client.chat_postEphemeral(channel=self.support_channel, user=user_id, text=text)
        except SlackApiError as error:
            logger.warning("could not post ephemeral to %s: %s", user_id, error.response.get("error"))
