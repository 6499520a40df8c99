"""A customer's message in a served shared channel (`message.channels` / `message.groups`).

A customer is a person of another organisation: the event's `user_team` differs from the installing
team (Slack Connect). Their top-level message in a channel an admin turned on (`/handoff-channel on`)
starts a conversation whose door is that message's thread (core.front_doors); their replies in a
thread the app started continue it, and so do their colleagues' (anyone of another organisation
writing there: each message is shown to agents under its own author's name, core.message_authors).
A reply also sent to the channel (`thread_broadcast`) is a reply like any other, and a mention of
the app (`app_mention`, listeners.events.app_mentions) comes here too. Everything else is acked and
ignored quietly: internal people (same team, or no `user_team` at all), channels that are not
served, threads the app did not start; in an Enterprise Grid org, also people of another of its
workspaces (the channel is not shared with another organisation, conversations.info says).
The bot's answers then go to the thread, as they go to a DM (the outbox delivers to the door).
"""

from __future__ import annotations

from typing import Any

from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.helpdesk import Customer, CustomerMessageOutcome
from handoff_slack.listeners.customers import author_of, facts_about, is_external
from handoff_slack.listeners.events.customer_message import HANDLED_SUBTYPES
from handoff_slack.listeners.payloads import has_content, in_enterprise, is_direct_message, text_of
from handoff_slack.services import Services
from handoff_slack.slack.file_objects import files_from_event

CHANNEL_TYPES = frozenset({"channel", "group"})  # public and private channels (shared ones are either)
# As in a DM, and a thread reply also sent to the channel (one event, with the reply's own ts).
CHANNEL_SUBTYPES = HANDLED_SUBTYPES | {"thread_broadcast"}


def is_channel_message(event: dict[str, Any], support_channel: str, home_team: str) -> bool:
    """A message of a person of another organisation than `home_team` (the installing team) in a
    channel other than the support channel: maybe a customer's, if the channel is served. Pure."""
    channel, team = event.get("channel"), event.get("user_team")
    return (
        event.get("channel_type") in CHANNEL_TYPES
        and isinstance(team, str)
        and bool(team)
        and bool(home_team)
        and team != home_team
        and isinstance(channel, str)
        and channel != support_channel
        and not is_direct_message(channel)
        and event.get("subtype") in CHANNEL_SUBTYPES
        and not event.get("bot_id")
        and isinstance(event.get("user"), str)
        and bool(event.get("user"))
        and isinstance(event.get("ts"), str)
        and has_content(event)
    )


def door_of(services: Services, event: dict[str, Any]) -> FrontDoor | None:
    """The conversation's door for a customer's channel message, or None when the app stays out:
    a channel not served, or a reply in a thread the app did not start."""
    channel, ts = event["channel"], event["ts"]
    thread_ts = event.get("thread_ts")
    if not services.channels.is_served(channel):
        return None
    if not isinstance(thread_ts, str) or not thread_ts or thread_ts == ts:
        return FrontDoor(channel, ts)  # a top-level message: its thread is the new door
    door = FrontDoor(channel, thread_ts)
    return door if services.helpdesk.storage.bot_state(door) is not None else None


def record(
    services: Services, body: dict[str, Any], event: dict[str, Any], flushing_now: bool = True
) -> CustomerMessageOutcome | None:
    """Ack phase: the customer's message and the bot's step at the thread's door, committed before
    Slack gets its 200; None (nothing stored, nothing said) when the message is not for the app."""
    team = event.get("user_team")
    if not is_external(services, team):
        return None
    door = door_of(services, event)
    if door is None or (in_enterprise(body) and services.people.is_ext_shared(door.channel_id) is False):
        return None  # (in a Grid org another team may be ours: only a Slack Connect channel tells)
    user = event["user"]
    channel = services.channels.settings_at(door)  # its greeting and triage switch: a read by primary key
    customer = Customer(user, door, team, facts_about(services, user, team), author_of(services, user, team), channel)
    return services.helpdesk.receive_customer_message(
        customer,
        ts=event["ts"],
        text=text_of(event),
        event_id=body.get("event_id"),
        files=files_from_event(event),
        flushing_now=flushing_now,
    )
