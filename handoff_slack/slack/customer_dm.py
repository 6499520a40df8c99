"""Sending the bot's own words (menus, queue notices) to a customer's DM."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handoff_slack.blocks import Rendered

logger = logging.getLogger(__name__)


class CustomerDM:
    def __init__(self, client: WebClient) -> None:
        self.client = client

    def send(self, channel_id: str, message: Rendered) -> bool:
        try:
            self.client.chat_postMessage(
                channel=channel_id,
                text=message.text,
                blocks=message.blocks or None,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as error:
            # A lost notice is unfortunate but not fatal: the customer's own messages are stored.
            logger.warning("could not message customer channel %s: %s", channel_id, error.response.get("error"))
            return False
        return True
