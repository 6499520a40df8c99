"""Copies the outbox posted, found again by the message ID they carry in Slack message metadata.

An attempt is recorded before its post; when an earlier attempt may have reached Slack (the app
died, or Slack's answer was lost), the destination is searched for the message's tag before
posting again, so a copy is never posted twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from slack_sdk import WebClient

from handoff_slack.core.clock import as_utc
from handoff_slack.core.deliveries import Delivery

logger = logging.getLogger(__name__)

METADATA_EVENT = "handoff_relay"


def copy_metadata(delivery: Delivery, part: int | str) -> dict[str, Any]:
    """The tag one part of a message is posted with (a number; a file's notice: "file-N")."""
    return {"event_type": METADATA_EVENT, "event_payload": {"message_id": delivery.message_id, "part": part}}


def copies_in_destination(client: WebClient, delivery: Delivery) -> dict[int | str, str]:
    """Parts of this message already in the destination: their `ts` by part."""
    found: dict[int | str, str] = {}
    for message in _destination_messages(client, delivery):
        metadata = message.get("metadata") or {}
        payload = metadata.get("event_payload") or {}
        if metadata.get("event_type") == METADATA_EVENT and payload.get("message_id") == delivery.message_id:
            found[payload.get("part", 0)] = str(message["ts"])
    if found:
        logger.info("message %s was already delivered before an interruption", delivery.message_id)
    return found


def _destination_messages(client: WebClient, delivery: Delivery) -> Iterator[dict[str, Any]]:
    # Copies are posted after the message was stored; a minute's margin covers clock skew.
    oldest = f"{as_utc(delivery.created_at).timestamp() - 60:.6f}"
    if delivery.thread_ts:
        pages = client.conversations_replies(
            channel=delivery.channel_id, ts=delivery.thread_ts, oldest=oldest, include_all_metadata=True, limit=200
        )
    else:
        pages = client.conversations_history(
            channel=delivery.channel_id, oldest=oldest, include_all_metadata=True, limit=200
        )
    for page in pages:
        yield from page.get("messages", [])
