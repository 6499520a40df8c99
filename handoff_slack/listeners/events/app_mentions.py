"""A mention of the app (`app_mention`) in a served shared channel: a customer's message like any other.

Slack sends a message that mentions the app twice: as `app_mention` and as a `message` event of the
channel, under different event IDs. Whichever comes first starts (or continues) the conversation in
the message's thread; the other finds the message stored at its source (channel, ts) and is a
duplicate (core.customer_intake), so the bot answers once. Internal people's mentions, mentions in
channels that are not served and in threads the app did not start are acked and ignored quietly,
as their `message` twins are (listeners.events.shared_channel_message).

The request guard checks a `message` event's fields before any listener runs; an `app_mention` is
read here with the same limits (a Slack timestamp, a text no longer than anyone can type), and one
that does not fit is ignored: its `message` twin is checked (and, if fine, handled) on its own.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from handoff_slack.listeners.events import customer_message, shared_channel_message
from handoff_slack.listeners.payloads import OUTCOME_KEY
from handoff_slack.payload_shape import MAX_TYPED_CHARS, SLACK_TS, typed_length
from handoff_slack.services import Services


def as_channel_message(event: dict[str, Any]) -> dict[str, Any] | None:
    """The mention as the channel's `message` event would carry it, or None when it is not shaped
    like one Slack sends. (`app_mention` has no `channel_type`; public or private reads the same.)"""
    ts, thread_ts, text = event.get("ts"), event.get("thread_ts"), event.get("text")
    if not (isinstance(ts, str) and SLACK_TS.fullmatch(ts)):
        return None
    if thread_ts is not None and not (isinstance(thread_ts, str) and SLACK_TS.fullmatch(thread_ts)):
        return None
    if isinstance(text, str) and len(text) > MAX_TYPED_CHARS and typed_length(text) > MAX_TYPED_CHARS:
        return None
    return {**event, "channel_type": "channel"}


def register(app: App, services: Services) -> None:
    support_channel = services.settings.support_channel
    home_team = services.helpdesk.workspace_id

    def record(ack: Ack, body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        message = as_channel_message(event)
        if message is not None and shared_channel_message.is_channel_message(message, support_channel, home_team):
            deferring = services.lazy_work.full()  # as for the `message` twin (listeners.events.message_routing)
            outcome = shared_channel_message.record(services, body, message, flushing_now=not deferring)
            context[OUTCOME_KEY] = outcome
            if deferring and (outcome is None or services.effects.only_flushes(outcome)):
                services.lazy_work.defer_next()
        ack()  # only after the step is committed: a failure above gets Slack's 500 and its retry

    def respond(event: dict[str, Any], context: BoltContext) -> None:
        customer_message.respond(services, event, context.get(OUTCOME_KEY))

    app.event("app_mention")(ack=record, lazy=[respond])
