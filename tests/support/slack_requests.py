"""Slack's signed requests to the app: moved to ``handoff_slack.sandbox.slack_client`` (re-exported here)."""

from handoff_slack.sandbox.slack_client import (
    FORM,
    JSON,
    Reply,
    SlackSender,
    bot_message,
    channel_message,
    dm_message,
    next_event_id,
    sign,
)

__all__ = [
    "FORM",
    "JSON",
    "Reply",
    "SlackSender",
    "bot_message",
    "channel_message",
    "dm_message",
    "next_event_id",
    "sign",
]
