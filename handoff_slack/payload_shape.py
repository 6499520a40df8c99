"""What a Slack payload must look like before Bolt or a listener reads it: parsing and shape checks.

Shared by both doors (HTTP, handoff_slack.request_guard; Socket Mode, handoff_slack.socket_mode).
Left alone, Bolt answers many bodies Slack never sends with a 500 (invalid JSON, a JSON list, a
`payload` that is no object, an `event` that is no object, an empty `actions` list, an ID of the
wrong type, a missing `ts` ...). `check_shape` raises `Refused` (400) unless the fields Bolt and our
listeners read have the types and sizes Slack sends.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

SLACK_TEXT_LIMIT = 40_000  # characters a person can type into one message
# A message's text counted as typed (Slack sends & < > as &amp; &lt; &gt;: 33,000 typed "&" arrive
# as 165,000 characters), with room for the markup Slack wraps around mentions and links
# (`@Jane` arrives as `<@U0123ABCD>`). Longer: `TooLong`, acked, and its sender is told.
MAX_TYPED_CHARS = 50_000
MAX_BODY_CHARS = 4 * 1024 * 1024  # no string is longer than the body that carries it
MAX_TEXT_CHARS = 160_000  # other texts (a button's value, a slash command's text), as sent
MAX_ID_CHARS = 32  # Slack IDs and timestamps, as the database stores them
MAX_EVENT_ID_CHARS = 64
MAX_NAME_CHARS = 255  # types, subtypes, action and callback IDs, commands
MAX_DEPTH = 64  # Slack's payloads nest a dozen levels deep at most
MAX_FORM_FIELDS = 100

JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"
SLACK_TS = re.compile(r"[0-9]{1,20}\.[0-9]{1,10}")

# Interactivity from the legacy (pre-Block Kit) APIs: this app sends nothing that produces them.
LEGACY_TYPES = frozenset(
    {"interactive_message", "dialog_submission", "dialog_cancellation", "dialog_suggestion", "workflow_step_edit"}
)


class Refused(Exception):
    """The request is not one Slack would send; `status` and the reason go back to the sender."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class TooLong(Refused):
    """A message (or edit) longer than anyone can type into Slack: refused, but its sender is told."""

    def __init__(self, reason: str) -> None:
        super().__init__(400, reason)


def malformed(reason: str) -> Refused:
    return Refused(400, reason)


def typed_length(text: str) -> int:
    """Characters as the person typed them: Slack's &amp; &lt; &gt; count as one each."""
    return len(text) - 4 * text.count("&amp;") - 3 * (text.count("&lt;") + text.count("&gt;"))


# -- parsing --------------------------------------------------------------------------------


def parse_body(text: str, media_type: str) -> dict[str, Any]:
    if media_type == JSON_TYPE:
        return _json_object(text, "body")
    if media_type != FORM_TYPE:
        raise Refused(415, f"expected {JSON_TYPE} or {FORM_TYPE}, not {media_type or 'no content type'}")
    try:
        fields = dict(parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS))
    except ValueError:
        raise malformed("too many form fields") from None
    if "payload" in fields:
        return _json_object(fields["payload"], "the payload")
    if "command" in fields or fields.get("ssl_check") == "1":
        return fields
    raise malformed("a form needs a payload or a slash command")


def _json_object(text: str, what: str) -> dict[str, Any]:
    if not text.strip():
        raise malformed(f"{what} is empty")
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        raise malformed(f"{what} is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise malformed(f"{what} is not a JSON object")
    return parsed


# -- shape ----------------------------------------------------------------------------------------


def check_shape(body: dict[str, Any]) -> None:
    """Raise Refused(400) unless the fields Bolt and our listeners read are as Slack sends them."""
    _check_values(body)
    if "command" in body:  # Bolt takes any body with a command for a slash command
        if "type" in body:
            raise malformed("a slash command has no type")
        _check_slash_command(body)
        return
    if "type" not in body and body.get("ssl_check") == "1":
        return  # Bolt answers Slack's certificate check before any listener
    kind = _text(body, "type", required=True, where="body", max_chars=MAX_NAME_CHARS)
    if kind in LEGACY_TYPES:
        raise malformed(f"{kind} payloads are not used by this app")
    if "event" in body and not isinstance(body["event"], dict):
        raise malformed("event is not an object")
    _check_bolt_fields(body, "body")
    check = _BY_TYPE.get(kind) if kind is not None else None
    if check is not None:
        check(body)


def _check_values(root: Any) -> None:
    """No string holds a NUL or a lone surrogate (the database refuses both), nothing nests deeply."""
    pending: list[tuple[Any, int]] = [(root, 0)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, str):
            _check_string(node)
        elif isinstance(node, (dict, list)):
            if depth >= MAX_DEPTH:
                raise malformed("the body is nested too deeply")
            if isinstance(node, dict):
                for key, value in node.items():
                    _check_string(key)
                    pending.append((value, depth + 1))
            else:
                pending.extend((item, depth + 1) for item in node)


def _check_string(value: str) -> None:
    if "\x00" in value:
        raise malformed("a string contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise malformed("a string is not valid Unicode") from None


def _check_bolt_fields(obj: dict[str, Any], where: str) -> None:
    """The IDs Bolt reads into its context (from the body, the event, and what they nest)."""
    for key in ("user", "channel", "team", "enterprise"):
        value = obj.get(key)
        if isinstance(value, dict):
            _id(value, "id", f"{where}.{key}")
        elif value is not None:
            _id(obj, key, where)
    for key in ("user_id", "channel_id", "team_id", "enterprise_id", "user_team", "thread_ts", "bot_id"):
        _id(obj, key, where)
    for key in ("function_execution_id", "bot_access_token", "subtype", "channel_type"):
        _text(obj, key, where=where, max_chars=MAX_NAME_CHARS)
    _url(obj, "response_url", where)
    for url_holder in _objects(obj, "response_urls", where):
        _url(url_holder, "response_url", f"{where}.response_urls", required=True)
    for authorization in _objects(obj, "authorizations", where):
        _check_bolt_fields(authorization, f"{where}.authorizations")
    view = _object(obj, "view", where)
    if view is not None:
        for key in ("app_installed_team_id", "team_id", "id"):
            _id(view, key, f"{where}.view")
        for key in ("type", "callback_id"):
            _text(view, key, where=f"{where}.view", max_chars=MAX_NAME_CHARS)
    for key in ("message", "previous_message", "item", "assistant_thread", "function_data"):
        nested = _object(obj, key, where)
        if nested is not None and key != "function_data":
            _check_bolt_fields(nested, f"{where}.{key}")


def _check_event_callback(body: dict[str, Any]) -> None:
    event = _object(body, "event", "body", required=True)
    assert event is not None
    kind = _text(event, "type", required=True, where="event", max_chars=MAX_NAME_CHARS)
    _text(body, "event_id", where="body", max_chars=MAX_EVENT_ID_CHARS)
    _check_bolt_fields(event, "event")
    if kind == "message":
        _check_message(event, "event", top_level=True)
    elif kind in ("member_joined_channel", "member_left_channel"):
        _id(event, "user", "event", required=True)
        _id(event, "channel", "event", required=True)


def _check_message(message: dict[str, Any], where: str, *, top_level: bool = False) -> None:
    _id(message, "channel", where, required=top_level)
    _ts(message, "ts", where, required=top_level)
    for key in ("thread_ts", "deleted_ts", "event_ts"):
        _ts(message, key, where)
    _id(message, "user", where)
    _id(message, "team", where)
    text = _text(message, "text", where=where, max_chars=MAX_BODY_CHARS)
    # The text before an edit was checked when it arrived; the body's size bounds it here.
    checked = text is not None and not where.endswith("previous_message")
    if checked and len(text or "") > MAX_TYPED_CHARS and typed_length(text or "") > MAX_TYPED_CHARS:
        raise TooLong(f"{where}.text is longer than {MAX_TYPED_CHARS} characters as typed")
    _text(message, "client_msg_id", where=where, max_chars=MAX_NAME_CHARS)
    for key in ("message", "previous_message"):
        nested = _object(message, key, where)
        if nested is not None and top_level:
            _check_message(nested, f"{where}.{key}")


def _check_block_actions(body: dict[str, Any]) -> None:
    user = _object(body, "user", "body", required=True)
    assert user is not None
    _id(user, "id", "user", required=True)
    actions = _objects(body, "actions", "body")
    if not actions:
        raise malformed("block_actions without actions")
    for action in actions:
        _text(action, "action_id", required=True, where="action", max_chars=MAX_NAME_CHARS)
        _text(action, "block_id", where="action", max_chars=MAX_NAME_CHARS)
        _text(action, "value", where="action", max_chars=MAX_TEXT_CHARS)
        _text(action, "type", where="action", max_chars=MAX_NAME_CHARS)
    container = _object(body, "container", "body")
    if container is not None:
        _id(container, "channel_id", "container")
        _ts(container, "message_ts", "container")
    _object(body, "message", "body")


def _check_view_payload(body: dict[str, Any]) -> None:
    view = _object(body, "view", "body", required=True)
    assert view is not None
    _text(view, "type", required=True, where="view", max_chars=MAX_NAME_CHARS)
    _text(view, "callback_id", required=True, where="view", max_chars=MAX_NAME_CHARS)


def _check_shortcut(body: dict[str, Any]) -> None:
    _text(body, "callback_id", required=True, where="body", max_chars=MAX_NAME_CHARS)


def _check_block_suggestion(body: dict[str, Any]) -> None:
    _text(body, "action_id", required=True, where="body", max_chars=MAX_NAME_CHARS)
    _text(body, "block_id", where="body", max_chars=MAX_NAME_CHARS)


def _check_url_verification(body: dict[str, Any]) -> None:
    _text(body, "challenge", required=True, where="body", max_chars=MAX_NAME_CHARS)


def _check_slash_command(body: dict[str, Any]) -> None:
    command = _text(body, "command", required=True, where="the command", max_chars=MAX_NAME_CHARS)
    if not command or not command.startswith("/"):
        raise malformed("a slash command starts with /")
    _id(body, "user_id", "the command", required=True)
    for key in ("channel_id", "team_id", "enterprise_id"):
        _id(body, key, "the command")
    _text(body, "text", where="the command", max_chars=MAX_TEXT_CHARS)
    _url(body, "response_url", "the command", required=True)


_BY_TYPE: dict[str, Callable[[dict[str, Any]], None]] = {
    "event_callback": _check_event_callback,
    "block_actions": _check_block_actions,
    "view_submission": _check_view_payload,
    "view_closed": _check_view_payload,
    "shortcut": _check_shortcut,
    "message_action": _check_shortcut,
    "block_suggestion": _check_block_suggestion,
    "url_verification": _check_url_verification,
}


# -- field readers (each raises Refused(400) naming the field) -------------------------------------


def _text(obj: dict[str, Any], key: str, *, where: str, max_chars: int, required: bool = False) -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise malformed(f"{where} has no {key}")
        return None
    if not isinstance(value, str):
        raise malformed(f"{where}.{key} is not a string")
    if len(value) > max_chars:
        raise malformed(f"{where}.{key} is longer than {max_chars} characters")
    if required and not value:
        raise malformed(f"{where}.{key} is empty")
    return value


def _id(obj: dict[str, Any], key: str, where: str, *, required: bool = False) -> str | None:
    return _text(obj, key, where=where, max_chars=MAX_ID_CHARS, required=required)


def _ts(obj: dict[str, Any], key: str, where: str, *, required: bool = False) -> None:
    value = _id(obj, key, where, required=required)
    if value is not None and not SLACK_TS.fullmatch(value):
        raise malformed(f"{where}.{key} is not a Slack timestamp")


def _url(obj: dict[str, Any], key: str, where: str, *, required: bool = False) -> None:
    value = _text(obj, key, where=where, max_chars=2048, required=required)
    if value is not None and not value.startswith(("https://", "http://")):
        raise malformed(f"{where}.{key} is not an http(s) URL")


def _object(obj: dict[str, Any], key: str, where: str, *, required: bool = False) -> dict[str, Any] | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise malformed(f"{where} has no {key}")
        return None
    if not isinstance(value, dict):
        raise malformed(f"{where}.{key} is not an object")
    return value


def _objects(obj: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise malformed(f"{where}.{key} is not a list of objects")
    return value
