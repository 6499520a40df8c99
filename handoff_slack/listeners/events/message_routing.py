"""The one `message` listener: each event is classified once, then handed to its module.

Bolt evaluates every listener's matchers in turn for each event (each call building its kwargs),
so one listener with a plain classifier costs less than a listener per kind. The kinds' handlers
stay in their own modules (customer_message, support_thread_reply, message_edits).

Every other message event (bot posts, joins, top-level posts, other channels, empty messages) is
acked quietly: without that Bolt answers 404, Slack retries, and repeated failures can disable the
app's events.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from slack_bolt import Ack, App, BoltContext

from handoff_slack.listeners.events import customer_message, message_edits, shared_channel_message, support_thread_reply
from handoff_slack.listeners.payloads import OUTCOME_KEY
from handoff_slack.services import Services

KIND_KEY = "handoff_message_kind"  # where the ack phase leaves the classification for the lazy phase


class MessageKind(Enum):
    CUSTOMER_MESSAGE = "customer_message"  # a customer's DM to the app
    AGENT_THREAD_REPLY = "agent_thread_reply"  # a reply in a thread of the support channel
    EDIT = "edit"  # an edit or delete of a message we may have relayed
    CHANNEL_MESSAGE = "channel_message"  # a message in another channel: a customer's in a served one?
    UNHANDLED = "unhandled"


def classify_message(event: dict[str, Any], support_channel: str, home_team: str = "") -> MessageKind:
    """What a `message` event is to us. Pure; the order is the one Bolt's listeners had.
    `home_team`: the installing team; people of other teams writing in channels may be customers."""
    if customer_message.is_customer_message(event):
        return MessageKind.CUSTOMER_MESSAGE
    if support_thread_reply.is_thread_reply(event, support_channel):
        return MessageKind.AGENT_THREAD_REPLY
    if message_edits.is_relevant_edit(event, support_channel, home_team):
        return MessageKind.EDIT
    if shared_channel_message.is_channel_message(event, support_channel, home_team):
        return MessageKind.CHANNEL_MESSAGE
    return MessageKind.UNHANDLED


def register(app: App, services: Services) -> None:
    support_channel = services.settings.support_channel
    home_team = services.helpdesk.workspace_id

    def record(ack: Ack, body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        kind = classify_message(event, support_channel, home_team)
        context[KIND_KEY] = kind
        # Decided before the step: a relay left to the scheduler is stored as such (no first attempt
        # counted, so any replica delivers it without looking for a copy first).
        deferring = services.lazy_work.full()
        only_flushes = True  # the lazy phase at most flushes the outbox, as the delivery retry job does
        if kind is MessageKind.CUSTOMER_MESSAGE:
            outcome = customer_message.record(services, body, event, flushing_now=not deferring)
            context[OUTCOME_KEY] = outcome
            only_flushes = services.effects.only_flushes(outcome)
        elif kind is MessageKind.AGENT_THREAD_REPLY:
            context[OUTCOME_KEY] = support_thread_reply.record(services, body, event, flushing_now=not deferring)
        elif kind is MessageKind.EDIT:
            context[OUTCOME_KEY] = message_edits.record(services, event)
        elif kind is MessageKind.CHANNEL_MESSAGE:
            # None: not a customer's, or not in a served channel's thread of ours (ignored quietly).
            in_channel = shared_channel_message.record(services, body, event, flushing_now=not deferring)
            context[OUTCOME_KEY] = in_channel
            only_flushes = in_channel is None or services.effects.only_flushes(in_channel)
        if only_flushes and deferring:
            # Committed: the scheduler or the conversation's next flush delivers it, instead of a
            # task waiting in memory (handoff_slack.lazy_work).
            services.lazy_work.defer_next()
        ack()  # only after the step is committed: a failure above gets Slack's 500 and its retry

    def respond(event: dict[str, Any], context: BoltContext) -> None:
        kind: MessageKind | None = context.get(KIND_KEY)
        outcome = context.get(OUTCOME_KEY)
        if kind in (MessageKind.CUSTOMER_MESSAGE, MessageKind.CHANNEL_MESSAGE):
            customer_message.respond(services, event, outcome)
        elif kind is MessageKind.AGENT_THREAD_REPLY:
            support_thread_reply.relay(services, outcome)
        elif kind is MessageKind.EDIT:
            message_edits.sync(services, outcome)

    app.event("message")(ack=record, lazy=[respond])
