"""Edits and deletes of relayed messages (`message_changed` / `message_deleted`) reach their copies."""

from __future__ import annotations

from typing import Any

from handoff_slack.core.deliveries import SourceChange
from handoff_slack.services import Services

EDIT_SUBTYPES = frozenset({"message_changed", "message_deleted"})


def is_relevant_edit(event: dict[str, Any], support_channel: str) -> bool:
    if event.get("subtype") not in EDIT_SUBTYPES:
        return False
    changed = event.get("message") or event.get("previous_message") or {}
    if changed.get("bot_id"):  # our own copies change when we sync them
        return False
    return event.get("channel_type") == "im" or event.get("channel") == support_channel


def record(services: Services, event: dict[str, Any]) -> SourceChange:
    """Ack phase: the ledger notes the change of the source message (if it was relayed at all)."""
    ledger = services.helpdesk.deliveries
    channel = str(event.get("channel") or "")
    if event["subtype"] == "message_changed":
        message = event.get("message") or {}
        return ledger.source_edited(channel, str(message.get("ts") or ""), str(message.get("text") or ""))
    return ledger.source_deleted(channel, str(event.get("deleted_ts") or ""))


def sync(services: Services, change: SourceChange | None) -> None:
    """Lazy phase: the copies in Slack are updated or deleted to match."""
    if change is not None and change.needs_sync and change.conversation_id is not None:
        services.outbox.deliver(change.conversation_id)
