"""Small readers for Slack payload fields shared by several listeners.

They never raise: a field that is missing or of the wrong type reads as absent (the request guard
refuses such bodies before any listener runs; these readers don't rely on it).
"""

from __future__ import annotations

from typing import Any, TypeGuard

from slack_bolt import Respond

from handoff_slack.core.front_doors import FrontDoor

OUTCOME_KEY = "handoff_outcome"  # where the ack phase leaves its result for the lazy phase
MAX_TICKET_ID = 2**31 - 1  # ticket IDs are INTEGER in the database


def _field(body: dict[str, Any], key: str, name: str) -> str:
    part = body.get(key)
    value = part.get(name) if isinstance(part, dict) else None
    return value if isinstance(value, str) else ""


def action_value(body: dict[str, Any]) -> str:
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions else None
    value = first.get("value") if isinstance(first, dict) else None
    return value if isinstance(value, str) else ""


def ticket_id_from_action(body: dict[str, Any]) -> int | None:
    """The ticket ID a button carries: a plain decimal number the database can hold, else None."""
    value = action_value(body)
    if not (value.isascii() and value.isdigit() and len(value) <= 10):  # "١٢" is a digit to Python
        return None
    number = int(value)
    return number if 0 < number <= MAX_TICKET_ID else None


def acting_user(body: dict[str, Any]) -> str:
    return _field(body, "user", "id")


def acting_team(body: dict[str, Any]) -> str | None:
    return _field(body, "user", "team_id") or None


def action_channel(body: dict[str, Any]) -> str | None:
    return _field(body, "channel", "id") or _field(body, "container", "channel_id") or None


def action_door(body: dict[str, Any]) -> FrontDoor | None:
    """Where a button was pressed, as a conversation's door: the DM (a thread inside a DM is still the
    DM), or the thread of a channel the message is in (its root's `ts`). None when Slack didn't say."""
    channel = action_channel(body)
    if channel is None:
        return None
    if is_direct_message(channel):
        return FrontDoor(channel)
    thread_ts = _field(body, "container", "thread_ts") or _field(body, "message", "thread_ts")
    return FrontDoor(channel, thread_ts) if thread_ts else None


def pressed_in_thread(body: dict[str, Any]) -> str | None:
    """The root `ts` of the thread whose reply held the button pressed; None at a DM's or a channel's
    top level (a thread's root message included: Slack gives it the thread's ts too, its own)."""
    if body.get("type") != "block_actions" or is_direct_message(action_channel(body)):
        return None
    thread_ts = _field(body, "container", "thread_ts") or _field(body, "message", "thread_ts")
    pressed = _field(body, "container", "message_ts") or _field(body, "message", "ts")
    return thread_ts if thread_ts and thread_ts != pressed else None


def is_direct_message(channel_id: str | None) -> TypeGuard[str]:
    """Slack's IDs of direct-message channels start with D."""
    return channel_id is not None and channel_id.startswith("D")


def tell(respond: Respond, text: str) -> None:
    """An ephemeral answer to whoever pressed the button or ran the command, if Slack gave us where."""
    if respond.response_url:
        respond(text=text, response_type="ephemeral", replace_original=False)


def can_respond(respond: Respond) -> Respond:
    """`respond`, or for a payload without a response_url one that does nothing (instead of raising)."""
    return respond if respond.response_url else _NoRespond()  # type: ignore[return-value]


class _NoRespond:
    response_url = None

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        return None


def has_content(event: dict[str, Any]) -> bool:
    """A message with something to read or pass on; empty ones are ignored quietly."""
    text = event.get("text")
    files = event.get("files")
    return (isinstance(text, str) and bool(text.strip())) or (isinstance(files, list) and bool(files))


def in_enterprise(body: dict[str, Any]) -> bool:
    """The app is installed in an Enterprise Grid org (the event's authorizations, or the body, say
    which): there, a person of another team may be of the same organisation (another workspace)."""
    authorizations = body.get("authorizations")
    found = (
        [a.get("enterprise_id") for a in authorizations if isinstance(a, dict)]
        if isinstance(authorizations, list)
        else []
    )
    return any(isinstance(e, str) and e for e in [*found, body.get("enterprise_id")])


def text_of(event: dict[str, Any]) -> str:
    """A message's text; a text of the wrong type reads as none."""
    text = event.get("text")
    return text if isinstance(text, str) else ""
