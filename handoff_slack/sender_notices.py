"""Telling a person that their message was too long to pass on (the request guard acked it instead of a 400).

A customer's DM gets a notice in the DM; an agent's reply in a ticket thread gets an ephemeral
notice in that thread (only the agent sees it). In a served shared channel, a customer (or their
colleague) writing in a thread the app started gets an ephemeral notice in that thread, and one
writing a top-level message gets it in the channel: the rest of the channel sees nothing, and
nobody is told where the app would not have answered (internal people, channels not served,
threads the app did not start, a channel Slack says is not shared with another organisation).
Messages of bots (the app's own included) and anywhere else get nothing. The notice is posted
after the ack, on the lazy listeners' executor.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handoff_slack.blocks.notices import render_notice
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.helpdesk import Customer
from handoff_slack.core.notices import Notice
from handoff_slack.listeners.customers import is_external
from handoff_slack.listeners.events.shared_channel_message import CHANNEL_TYPES, door_of
from handoff_slack.payload_shape import SLACK_TEXT_LIMIT
from handoff_slack.services import Services

logger = logging.getLogger(__name__)

# As the customer sees it (core.notices); the agent's ephemeral says the same.
TOO_LONG = render_notice(Notice.too_long(SLACK_TEXT_LIMIT), note_prefix="").text
AUTHORED_SUBTYPES = (None, "file_share", "thread_broadcast", "message_changed")


class TooLongNotices:
    """`SlackGate.tell_sender`: tells the author of a message event the guard could not take."""

    def __init__(self, services: Services, client: WebClient) -> None:
        self.services = services
        self.client = client

    def __call__(self, event: dict[str, Any]) -> None:
        if event.get("subtype") not in AUTHORED_SUBTYPES:
            return
        # An edit's author is the edited message's.
        message = event.get("message") if event.get("subtype") == "message_changed" else event
        channel = event.get("channel")
        if not isinstance(message, dict) or not isinstance(channel, str):
            return
        user, thread_ts = message.get("user"), message.get("thread_ts")
        if message.get("bot_id") or not isinstance(user, str):
            return  # bots, the app itself among them, are not told
        if event.get("channel_type") == "im":
            team = message.get("team") if isinstance(message.get("team"), str) else None
            self.services.lazy_work.submit(self._tell_customer, Customer(user, FrontDoor(channel), team))
        elif channel == self.services.settings.support_channel and isinstance(thread_ts, str):
            self.services.lazy_work.submit(self._tell_agent, channel, user, thread_ts)
        elif event.get("channel_type") in CHANNEL_TYPES and isinstance(message.get("ts"), str):
            team = message.get("user_team") or message.get("team") or event.get("user_team")
            if is_external(self.services, team):
                where = {"channel": channel, "ts": message["ts"], "thread_ts": thread_ts}
                self.services.lazy_work.submit(self._tell_in_shared_channel, where, user)

    def _tell_customer(self, customer: Customer) -> None:
        # Through the outbox, like every notice: once, in order, retried.
        conversation_id = self.services.helpdesk.tell_customer(customer, Notice.too_long(SLACK_TEXT_LIMIT))
        self.services.outbox.deliver(conversation_id)

    def _tell_agent(self, channel_id: str, user_id: str, thread_ts: str) -> None:
        self._tell_ephemerally(channel_id, user_id, thread_ts, "an agent")

    def _tell_in_shared_channel(self, where: dict[str, Any], user_id: str) -> None:
        """A customer's message in a shared channel: told where the app would have answered them."""
        door = door_of(self.services, where)  # served, and (for a reply) a thread the app started
        if door is None or self.services.people.is_ext_shared(door.channel_id) is False:
            return  # (in a Grid org, a person of another of its workspaces is no customer)
        in_thread = door.thread_ts if door.thread_ts != where["ts"] else None  # a top-level message: the channel
        self._tell_ephemerally(door.channel_id, user_id, in_thread, "a customer")

    def _tell_ephemerally(self, channel_id: str, user_id: str, thread_ts: str | None, who: str) -> None:
        try:
            self.client.chat_postEphemeral(channel=channel_id, user=user_id, thread_ts=thread_ts, text=TOO_LONG)
        except (SlackApiError, OSError) as error:
            reason = error.response.get("error") if isinstance(error, SlackApiError) else type(error).__name__
            logger.warning("could not tell %s in %s their message was too long: %s", who, channel_id, reason)
