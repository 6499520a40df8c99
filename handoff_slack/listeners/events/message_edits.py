"""Edits and deletes of relayed messages (`message_changed` / `message_deleted`) reach their copies.

In a DM, the support channel, and other channels for a message of a person of another organisation
(a customer's or a colleague's in a shared channel's thread; the copy is in the ticket's thread).
Whether a message was relayed at all is the ledger's answer (by the source's channel and ts): an edit
of a message the app never saw changes nothing and is acked quietly, and internal people's edits
in other channels are not even looked up.
"""

from __future__ import annotations

from typing import Any

from handoff_slack.core.deliveries import SourceChange
from handoff_slack.services import Services

EDIT_SUBTYPES = frozenset({"message_changed", "message_deleted"})
CHANNEL_TYPES = frozenset({"channel", "group"})  # public and private (shared channels are either)


def _changed(event: dict[str, Any]) -> dict[str, Any]:
    for key in ("message", "previous_message"):
        found = event.get(key)
        if isinstance(found, dict) and found:
            return found
    return {}


def is_relevant_edit(event: dict[str, Any], support_channel: str, home_team: str = "") -> bool:
    """An edit or delete of a message the app may have relayed. Pure. `home_team`: the installing
    team; in other channels only messages of people of another team can have been relayed."""
    if event.get("subtype") not in EDIT_SUBTYPES:
        return False
    changed = _changed(event)
    if changed.get("bot_id"):  # our own copies change when we sync them
        return False
    channel = event.get("channel")
    if event.get("channel_type") == "im" or (isinstance(channel, str) and channel == support_channel):
        return True
    team = changed.get("user_team") or changed.get("team")
    return (
        event.get("channel_type") in CHANNEL_TYPES and isinstance(team, str) and bool(home_team) and team != home_team
    )


def record(services: Services, event: dict[str, Any]) -> SourceChange:
    """Ack phase: the ledger notes the change of the source message (if it was relayed at all)."""
    ledger = services.helpdesk.deliveries
    channel = _text(event.get("channel"))
    if event["subtype"] == "message_changed":
        message = event.get("message")
        message = message if isinstance(message, dict) else {}
        return ledger.source_edited(channel, _text(message.get("ts")), _text(message.get("text")))
    return ledger.source_deleted(channel, _text(event.get("deleted_ts")))


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def sync(services: Services, change: SourceChange | None) -> None:
    """Lazy phase: the copies in Slack are updated or deleted to match."""
    if change is not None and change.needs_sync and change.conversation_id is not None:
        services.outbox.deliver(change.conversation_id)
