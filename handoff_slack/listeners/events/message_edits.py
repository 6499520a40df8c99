"""Edits and deletes of relayed messages (`message_changed` / `message_deleted`) reach their copies."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from handoff_slack.core.deliveries import SourceChange
from handoff_slack.listeners.payloads import OUTCOME_KEY
from handoff_slack.services import Services

EDIT_SUBTYPES = frozenset({"message_changed", "message_deleted"})


def register(app: App, services: Services) -> None:
    support_channel = services.settings.support_channel
    ledger = services.helpdesk.deliveries

    def is_relevant_edit(event: dict[str, Any]) -> bool:
        if event.get("subtype") not in EDIT_SUBTYPES:
            return False
        changed = event.get("message") or event.get("previous_message") or {}
        if changed.get("bot_id"):  # our own copies change when we sync them
            return False
        return event.get("channel_type") == "im" or event.get("channel") == support_channel

    def record(ack: Ack, event: dict[str, Any], context: BoltContext) -> None:
        channel = str(event.get("channel") or "")
        if event["subtype"] == "message_changed":
            message = event.get("message") or {}
            change = ledger.source_edited(channel, str(message.get("ts") or ""), str(message.get("text") or ""))
        else:
            change = ledger.source_deleted(channel, str(event.get("deleted_ts") or ""))
        context[OUTCOME_KEY] = change
        ack()

    def sync(context: BoltContext) -> None:
        change: SourceChange | None = context.get(OUTCOME_KEY)
        if change is not None and change.needs_sync and change.conversation_id is not None:
            services.outbox.flush(change.conversation_id)

    app.event("message", matchers=[is_relevant_edit])(ack=record, lazy=[sync])
