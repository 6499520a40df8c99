"""A reply in a ticket's thread in the support channel: relayed to the customer, or internal."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from handoff_slack.core.helpdesk import AgentMessageAction, AgentMessageOutcome
from handoff_slack.core.idle_close import SnoozeResult
from handoff_slack.listeners.payloads import has_content
from handoff_slack.services import Services
from handoff_slack.slack.file_objects import files_from_event

# Replies, replies also sent to the channel, and file shares (their files go to the customer too).
HANDLED_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})


def is_thread_reply(event: dict[str, Any], support_channel: str) -> bool:
    thread_ts = event.get("thread_ts")
    return (
        event.get("channel") == support_channel
        and bool(thread_ts)
        and thread_ts != event.get("ts")  # the thread's parent is no reply
        and event.get("subtype") in HANDLED_SUBTYPES
        and not event.get("bot_id")
        and bool(event.get("user"))
        and has_content(event)
    )


def record(
    services: Services, body: dict[str, Any], event: dict[str, Any], flushing_now: bool = True
) -> AgentMessageOutcome:
    """Ack phase: the reply is stored (to relay, or as an internal note) before Slack gets its 200.
    The owner's (or an admin's) `note: snooze` snoozes the conversation's idle auto-close (core.idle_close)."""
    outcome = services.helpdesk.receive_agent_message(
        channel_id=event["channel"],
        thread_ts=event["thread_ts"],
        user_id=event["user"],
        ts=event["ts"],
        text=event.get("text") or "",
        event_id=body.get("event_id"),
        files=files_from_event(event),
        flushing_now=flushing_now,
    )
    text, user = event.get("text") or "", event["user"]
    if outcome.action is AgentMessageAction.INTERNAL and outcome.ticket_id and services.helpdesk.is_snooze_note(text):
        snoozed = services.helpdesk.snooze_by_note(outcome.ticket_id, user, services.agents.is_admin(user))
        if snoozed.result is SnoozeResult.SNOOZED:  # the thread's note says until when: flushed next
            return replace(outcome, noted=True)
    return outcome


def relay(services: Services, outcome: AgentMessageOutcome | None) -> None:
    """Lazy phase: the owner's reply goes to the customer's DM (or the bot's note to the thread)."""
    if outcome is None or outcome.conversation_id is None:
        return
    if outcome.action is AgentMessageAction.RELAY or outcome.noted:
        services.outbox.deliver_new(outcome.conversation_id)
