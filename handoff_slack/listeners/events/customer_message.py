"""A customer's DM to the app (`message.im`)."""

from __future__ import annotations

from typing import Any

from handoff_slack.core.helpdesk import CustomerMessageAction, CustomerMessageOutcome
from handoff_slack.listeners.customers import customer_from_event
from handoff_slack.listeners.payloads import has_content
from handoff_slack.services import Services
from handoff_slack.slack.file_objects import files_from_event

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


def record(
    services: Services, body: dict[str, Any], event: dict[str, Any], flushing_now: bool = True
) -> CustomerMessageOutcome:
    """Ack phase: the message and the bot's step, committed before Slack gets its 200."""
    customer = customer_from_event(services, event)
    return services.helpdesk.receive_customer_message(
        customer,
        ts=event["ts"],
        text=event.get("text") or "",
        event_id=body.get("event_id"),
        files=files_from_event(event),
        flushing_now=flushing_now,
    )


def respond(services: Services, event: dict[str, Any], outcome: CustomerMessageOutcome | None) -> None:
    """Lazy phase: the bot's answer, the queue notice or the relay into the ticket's thread."""
    if outcome is not None:
        services.effects.after_customer_message(outcome)
        suggest_reply(services, event, outcome)
        name_customer(services, outcome)


def name_customer(services: Services, outcome: CustomerMessageOutcome) -> None:
    """While Slack has not told us the customer's name (users.info failed when their ticket message
    was posted), their next message asks again, last (a look-up that may be slow): the ticket
    message and the queue show the name from then on. Not while they flood (one look-up per
    message would follow them); a known name costs nothing here."""
    if outcome.customer_unnamed and not outcome.quiet and outcome.ticket_id is not None:
        services.board.name_customer(outcome.ticket_id)


def suggest_reply(services: Services, event: dict[str, Any], outcome: CustomerMessageOutcome) -> None:
    """Agent assist (core.assist), once the relay is on its way: a connected customer's message that
    matches a fixed answer gets a suggested reply in the ticket's thread, after the message."""
    helpdesk = services.helpdesk
    if outcome.action is not CustomerMessageAction.RELAY or outcome.quiet or not helpdesk.assists:
        return  # only while connected, not while flooding: most messages stop at this line
    if outcome.conversation_id is None or outcome.ticket_id is None:
        return
    if helpdesk.suggest_reply(outcome.conversation_id, outcome.ticket_id, event.get("text") or ""):
        services.outbox.deliver_new(outcome.conversation_id)
