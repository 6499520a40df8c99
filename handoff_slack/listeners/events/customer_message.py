"""A customer's DM to the app (`message.im`)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext

from handoff_slack.core.helpdesk import CustomerMessageOutcome
from handoff_slack.listeners.customers import customer_from_event
from handoff_slack.listeners.payloads import OUTCOME_KEY, has_content
from handoff_slack.services import Services
from handoff_slack.slack.file_relay import files_from_event

logger = logging.getLogger(__name__)

# Plain messages, and file shares (their text may be empty; the files are stored with the message).
HANDLED_SUBTYPES = frozenset({None, "file_share"})


def is_customer_message(event: dict[str, Any]) -> bool:
    return (
        event.get("channel_type") == "im"
        and event.get("subtype") in HANDLED_SUBTYPES
        and not event.get("bot_id")
        and bool(event.get("user"))
        and has_content(event)
    )


def register(app: App, services: Services) -> None:
    def record(ack: Ack, body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        customer = customer_from_event(services, event)
        context[OUTCOME_KEY] = services.helpdesk.receive_customer_message(
            customer,
            ts=event["ts"],
            text=event.get("text") or "",
            event_id=body.get("event_id"),
            files=files_from_event(event),
        )
        ack()

    def respond(event: dict[str, Any], context: BoltContext) -> None:
        outcome: CustomerMessageOutcome | None = context.get(OUTCOME_KEY)
        if outcome is not None:
            services.effects.after_customer_message(outcome, event["channel"])

    app.event("message", matchers=[is_customer_message])(ack=record, lazy=[respond])
