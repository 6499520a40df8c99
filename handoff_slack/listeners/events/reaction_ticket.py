"""The ticket emoji (`reaction_added`): an internal person's reaction to a customer's message in a
served shared channel opens a ticket quoting it (core.reaction_tickets).

Internal: the reacting person's team is the installing team (anyone of ours, not only agents: an
account manager in the customer's channel sees the question first). The customer: the message's
author is of another organisation. The emoji is the bot's YAML `shared_channels.ticket_emoji`
(`ticket` by default; skin tones don't matter).

The event does not carry the message, so it is read from Slack (`conversations.replies`, which
answers only in channels the bot is in) after the ack, in the lazy phase; the ticket is committed
there. Everything else is acked and ignored quietly: other emoji, channels not served, internal
people's messages, bots' messages, messages that no longer exist. A reaction on a thread whose
conversation already has an open ticket, or on a message that opened one before, opens none: the
person who reacted is told so, privately.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk.errors import SlackApiError

from handoff_slack.core.bot_config import SharedChannelsConfig
from handoff_slack.core.bot_turn import CustomerFacts
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.helpdesk import Customer
from handoff_slack.core.reaction_tickets import ReactionTicketOutcome, ReactionTicketResult
from handoff_slack.listeners.customers import is_external
from handoff_slack.listeners.payloads import is_direct_message
from handoff_slack.services import Services
from handoff_slack.slack.failures import failure_reason
from handoff_slack.slack.file_objects import files_from_event

logger = logging.getLogger(__name__)

REACTION_KEY = "handoff_ticket_reaction"  # where the ack phase leaves the reaction for the lazy phase
_NOT_A_CUSTOMERS = frozenset({"bot_message", "tombstone", "channel_join", "channel_leave"})


def ticket_emoji(services: Services) -> str:
    config = getattr(services.helpdesk.responder, "config", None)
    shared = getattr(config, "shared_channels", None)
    return shared.ticket_emoji if isinstance(shared, SharedChannelsConfig) else SharedChannelsConfig().ticket_emoji


def reacted_message(event: dict[str, Any], emoji: str, support_channel: str) -> tuple[str, str, str] | None:
    """(who reacted, channel, the message's ts) when the reaction is the ticket emoji on a message in a
    channel other than the support channel; None otherwise. Pure."""
    item = event.get("item")
    user, reaction = event.get("user"), event.get("reaction")
    if not isinstance(item, dict) or item.get("type") != "message":
        return None
    channel, ts = item.get("channel"), item.get("ts")
    if not (isinstance(user, str) and user and isinstance(reaction, str) and isinstance(channel, str)):
        return None
    if not (isinstance(ts, str) and ts) or is_direct_message(channel) or channel == support_channel:
        return None
    return (user, channel, ts) if reaction.split("::")[0] == emoji else None


def register(app: App, services: Services) -> None:
    emoji = ticket_emoji(services)
    support_channel = services.settings.support_channel

    def record(ack: Ack, event: dict[str, Any], context: BoltContext) -> None:
        found = reacted_message(event, emoji, support_channel)
        if found is not None and services.channels.is_served(found[1]):
            context[REACTION_KEY] = found
        ack()  # nothing to commit yet: the message itself is read from Slack after the ack

    def open_ticket(body: dict[str, Any], context: BoltContext) -> None:
        found: tuple[str, str, str] | None = context.get(REACTION_KEY)
        if found is None:
            return
        reacted_by, channel, ts = found
        if services.people.person(reacted_by).team_id != services.helpdesk.workspace_id:
            return  # not one of ours (or Slack could not tell): a customer's reaction starts nothing
        message = _message(services, channel, ts)
        if message is None:
            return
        author, team = message["user"], message.get("user_team") or message.get("team")
        if not isinstance(team, str) or not team:
            team = services.people.person(author).team_id
        if not is_external(services, team):
            return  # an internal person's message: nothing to ticket
        thread_ts = message.get("thread_ts")
        door = FrontDoor(channel, thread_ts if isinstance(thread_ts, str) and thread_ts else ts)
        customer = Customer(author, door, team, CustomerFacts())
        outcome = services.helpdesk.ticket_from_reaction(
            customer,
            ts,
            str(message.get("text") or ""),
            reacted_by,
            emoji,
            event_id=body.get("event_id"),
            files=files_from_event(message),
        )
        _after(services, outcome, reacted_by, door)

    app.event("reaction_added")(ack=record, lazy=[open_ticket])


def _message(services: Services, channel: str, ts: str) -> dict[str, Any] | None:
    """The reacted message as Slack has it now (a thread's reply too); None when it is gone, unreadable,
    or not a person's."""
    try:
        # `ts` may be a reply's: Slack answers with the thread's parent first, then the replies in the window.
        response = services.client.conversations_replies(
            channel=channel, ts=ts, oldest=ts, latest=ts, inclusive=True, limit=2
        )
    except SlackApiError as error:
        reason, _ = failure_reason(error)
        logger.info("the reacted message %s in %s could not be read (%s)", ts, channel, reason)
        return None
    found = next((m for m in response.get("messages") or () if isinstance(m, dict) and m.get("ts") == ts), None)
    if found is None or found.get("bot_id") or found.get("subtype") in _NOT_A_CUSTOMERS:
        return None
    return found if isinstance(found.get("user"), str) and found["user"] else None


def _after(services: Services, outcome: ReactionTicketOutcome, reacted_by: str, door: FrontDoor) -> None:
    if outcome.result is ReactionTicketResult.OPENED:
        assert outcome.conversation_id is not None and outcome.ticket_id is not None
        services.effects.escalated(outcome.conversation_id, outcome.ticket_id)
        return
    if outcome.result is ReactionTicketResult.ALREADY_OPEN:
        said = "This thread already has an open ticket"
        said += (
            f" (#{outcome.ticket_id}): nothing new was opened." if outcome.ticket_id else ": nothing new was opened."
        )
    elif outcome.result is ReactionTicketResult.ALREADY_TICKETED:
        said = "This message already opened a ticket: nothing new was opened."
    else:
        return  # a redelivered event: it was answered the first time
    try:  # only the person who reacted sees it
        services.client.chat_postEphemeral(
            channel=door.channel_id, user=reacted_by, thread_ts=door.thread_ts, text=said
        )
    except SlackApiError as error:
        logger.warning("could not tell %s about their reaction (%s)", reacted_by, failure_reason(error)[0])
