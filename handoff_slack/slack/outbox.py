"""Delivering stored messages to the other side, in order, once.

Messages are committed before Slack's request is acknowledged; this sends what is still pending.
Per conversation one flush runs at a time, oldest message first; the first failure stops the
flush so nothing later overtakes it, and the scheduler tries again.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handoff_slack.concurrency import KeyedLocks
from handoff_slack.core.helpdesk import Delivery, Helpdesk
from handoff_slack.core.states import Direction
from handoff_slack.slack.mrkdwn import neutralise_pings

logger = logging.getLogger(__name__)

FALLBACK_SENDER = {Direction.FROM_CUSTOMER: "Customer", Direction.FROM_AGENT: "Support"}


class Outbox:
    def __init__(self, helpdesk: Helpdesk, client: WebClient) -> None:
        self.helpdesk = helpdesk
        self.client = client
        self._conversation_lock = KeyedLocks()

    def flush(self, conversation_id: int) -> int:
        """Send the conversation's pending messages; returns how many were delivered."""
        delivered = 0
        with self._conversation_lock(conversation_id):
            for delivery in self.helpdesk.pending_deliveries(conversation_id):
                try:
                    ts = self._send(delivery)
                except SlackApiError as error:
                    code = str(error.response.get("error") or error.response.status_code)
                    self.helpdesk.mark_delivery_failed(delivery.message_id, code)
                    logger.warning("delivery of message %s failed (%s); will retry", delivery.message_id, code)
                    break
                except OSError as error:  # connection trouble the retry handlers could not cure
                    self.helpdesk.mark_delivery_failed(delivery.message_id, type(error).__name__)
                    logger.warning("delivery of message %s failed (%s); will retry", delivery.message_id, error)
                    break
                self.helpdesk.mark_delivered(delivery.message_id, delivery.channel_id, ts)
                delivered += 1
        return delivered

    def flush_all(self) -> int:
        return sum(
            self.flush(conversation_id) for conversation_id in self.helpdesk.conversations_with_pending_messages()
        )

    def _send(self, delivery: Delivery) -> str:
        from_customer = delivery.direction is Direction.FROM_CUSTOMER
        text = neutralise_pings(delivery.text, keep_user_mentions=not from_customer)
        response = self.client.chat_postMessage(
            channel=delivery.channel_id,
            thread_ts=delivery.thread_ts,
            text=text or " ",
            username=delivery.sender_name or FALLBACK_SENDER[delivery.direction],
            icon_url=delivery.sender_avatar_url,
            parse="none",
            link_names=False,
            unfurl_links=False,
            unfurl_media=False,
        )
        return str(response["ts"])
