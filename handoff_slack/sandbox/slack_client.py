"""Slack's side of the app's HTTP edge: signed event, interactivity and slash-command requests.

``SlackSender(events_url, signing_secret)`` POSTs to the app's ``/slack/events`` as Slack does:
``event`` (an Events API envelope), ``block_action``, ``view_submission``, ``slash_command``; ``post``
sends any body, signed or not (to test the app's checks). The builders ``dm_message``,
``channel_message`` and ``bot_message`` make message events. Independent of Bolt: the signature is
computed here with hmac/hashlib.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from handoff_slack.sandbox.slack_shapes import new_ts

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

_event_ids = itertools.count(1)
_event_ids_lock = threading.Lock()


def sign(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Slack's request-signing headers for ``body``."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    base = f"v0:{ts}:".encode() + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


def next_event_id() -> str:
    with _event_ids_lock:
        return f"Ev{next(_event_ids):010d}"


@dataclass
class Reply:
    status: int
    body: str
    headers: dict[str, str]  # keys lower-cased
    event_id: str | None = None

    def json(self) -> Any:
        return json.loads(self.body)


class SlackSender:
    def __init__(self, url: str, signing_secret: str, timeout: float = 10.0) -> None:
        self.url = url
        self.signing_secret = signing_secret
        self.timeout = timeout

    def post(
        self,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
        sign: bool = True,
        timestamp: int | None = None,
        secret: str | None = None,
    ) -> Reply:
        """Raw POST. Never raises on non-2xx. ``sign=False`` sends no signature headers at all."""
        all_headers = {"Content-Type": content_type, "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)"}
        if sign:
            all_headers.update(_sign(body, secret or self.signing_secret, timestamp))
        all_headers.update(headers or {})
        request = urllib.request.Request(self.url, data=body, headers=all_headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                return Reply(resp.status, resp.read().decode("utf-8", "replace"), _lower(resp.headers.items()))
        except urllib.error.HTTPError as e:
            with e:
                return Reply(e.code, e.read().decode("utf-8", "replace"), _lower(e.headers.items()))

    def event(
        self,
        event: dict[str, Any],
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        team_id: str = "T0HOME",
        api_app_id: str = "A0APP",
        authorizations_user: str = "UBOT",
        is_ext_shared_channel: bool = False,
    ) -> Reply:
        event_id = event_id or next_event_id()
        envelope = {
            "token": "legacy-verification-token",
            "team_id": team_id,
            "api_app_id": api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(float(event.get("event_ts") or event.get("ts") or time.time())),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team_id,
                    "user_id": authorizations_user,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": is_ext_shared_channel,
            "event_context": f"4-{event_id}",
        }
        headers: dict[str, str] = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        reply = self.post(json.dumps(envelope).encode(), JSON, headers=headers)
        reply.event_id = event_id
        return reply

    def block_action(
        self,
        user_id: str,
        action_id: str,
        value: str | None,
        *,
        team_id: str = "T0HOME",
        channel_id: str | None = None,
        message_ts: str | None = None,
        block_id: str = "b",
        response_url: str | None = None,
        trigger_id: str = "trig",
        message: dict[str, Any] | None = None,
        api_app_id: str = "A0APP",
        action: dict[str, Any] | None = None,
        user_name: str | None = None,
        is_ephemeral: bool = False,
        view: dict[str, Any] | None = None,
        thread_ts: str | None = None,
    ) -> Reply:
        """A ``block_actions`` payload: a click on ``action_id`` in a message (or in ``view``, a modal).

        ``thread_ts``: the message is a reply in that thread (Slack says so in the container and the message).

        ``action`` is the whole action object as Slack sends it (for selects: ``selected_option``);
        without it, a button with ``value``.
        """
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": _user(user_id, team_id, user_name),
            "api_app_id": api_app_id,
            "token": "legacy-verification-token",
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel_id,
                "is_ephemeral": is_ephemeral,
            },
            "trigger_id": trigger_id,
            "team": {"id": team_id, "domain": team_id.lower()},
            "enterprise": None,
            "is_enterprise_install": False,
            "message": message if message is not None else {"ts": message_ts, "text": ""},
            "state": {"values": {}},
            "response_url": response_url,
            "actions": [
                action
                or {
                    "action_id": action_id,
                    "block_id": block_id,
                    "value": value,
                    "type": "button",
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        if channel_id is not None:
            payload["channel"] = {"id": channel_id, "name": channel_id.lower()}
        if thread_ts is not None:
            payload["container"]["thread_ts"] = thread_ts
            payload["message"] = {**payload["message"], "thread_ts": thread_ts}
        if view is not None:  # a click inside a modal: no message, no channel, no response_url
            payload["container"] = {"type": "view", "view_id": view.get("id")}
            payload["view"] = view
            payload["state"] = view.get("state") or {"values": {}}
            for key in ("message", "channel", "response_url"):
                payload.pop(key, None)
        return self._post_payload(payload)

    def view_submission(
        self,
        user_id: str,
        callback_id: str,
        values: dict[str, Any],
        private_metadata: str = "",
        team_id: str = "T0HOME",
        api_app_id: str = "A0APP",
        view: dict[str, Any] | None = None,
        user_name: str | None = None,
        trigger_id: str = "trig",
    ) -> Reply:
        """``values`` is Slack's ``{block_id: {action_id: {...}}}``; a plain str leaf becomes a text input.

        ``view`` is the open view as the emulator holds it (its id, blocks, hash...); without it, a
        minimal modal with ``callback_id`` and ``private_metadata``.
        """
        state = {
            block: {
                action: ({"type": "plain_text_input", "value": v} if isinstance(v, str) else v)
                for action, v in actions.items()
            }
            for block, actions in values.items()
        }
        view_id = f"V{uuid.uuid4().hex[:10].upper()}"
        payload: dict[str, Any] = {
            "type": "view_submission",
            "team": {"id": team_id, "domain": team_id.lower()},
            "user": _user(user_id, team_id, user_name),
            "api_app_id": api_app_id,
            "token": "legacy-verification-token",
            "trigger_id": trigger_id,
            "view": {
                "id": view_id,
                "team_id": team_id,
                "type": "modal",
                "callback_id": callback_id,
                "private_metadata": private_metadata,
                "state": {"values": state},
                "hash": f"h.{view_id}",
                "title": {"type": "plain_text", "text": "Modal"},
                "blocks": [],
                "app_id": api_app_id,
                "bot_id": "BBOT",
                "root_view_id": view_id,
                "previous_view_id": None,
                "external_id": "",
            },
            "response_urls": [],
            "enterprise": None,
            "is_enterprise_install": False,
        }
        if view is not None:
            payload["view"] = {**view, "state": {"values": state}}
        return self._post_payload(payload)

    def slash_command(
        self,
        command: str,
        text: str,
        user_id: str,
        channel_id: str,
        response_url: str,
        team_id: str = "T0HOME",
        user_name: str = "someone",
        api_app_id: str = "A0APP",
        trigger_id: str = "trig",
    ) -> Reply:
        form = {
            "token": "legacy-verification-token",
            "team_id": team_id,
            "team_domain": team_id.lower(),
            "channel_id": channel_id,
            "channel_name": channel_id.lower(),
            "user_id": user_id,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": api_app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
        return self.post(urlencode(form).encode(), FORM)

    def interaction(self, payload: dict[str, Any]) -> Reply:
        """Any interactivity payload (``view_closed``, ``shortcut``...), posted as Slack does."""
        return self._post_payload(payload)

    def _post_payload(self, payload: dict[str, Any]) -> Reply:
        return self.post(urlencode({"payload": json.dumps(payload)}).encode(), FORM)


_sign = sign  # SlackSender.post has a ``sign`` parameter that shadows the function


def _lower(items: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in items}


def _user(user_id: str, team_id: str, user_name: str | None = None) -> dict[str, str]:
    name = user_name or user_id.lower()
    return {"id": user_id, "username": name, "name": name, "team_id": team_id}


# ----------------------------------------------------------------------------- event builders
def dm_message(
    user: str, text: str, channel: str | None = None, ts: str | None = None, team: str = "T0HOME", **extra: Any
) -> dict[str, Any]:
    ts = ts or new_ts()
    event = {
        "type": "message",
        "channel": channel or f"D{user}",
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "im",
        "team": team,
        "client_msg_id": str(uuid.uuid4()),
    }
    return {**event, **extra}


def channel_message(
    user: str,
    text: str,
    channel: str,
    ts: str | None = None,
    thread_ts: str | None = None,
    team: str = "T0HOME",
    **extra: Any,
) -> dict[str, Any]:
    ts = ts or new_ts()
    event: dict[str, Any] = {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "channel",
        "team": team,
        "client_msg_id": str(uuid.uuid4()),
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return {**event, **extra}


def bot_message(
    text: str,
    channel: str,
    bot_id: str = "BOTHER",
    ts: str | None = None,
    thread_ts: str | None = None,
    team: str = "T0HOME",
    **extra: Any,
) -> dict[str, Any]:
    ts = ts or new_ts()
    channel_type = "im" if channel.startswith("D") else "channel"
    event: dict[str, Any] = {
        "type": "message",
        "subtype": "bot_message",
        "bot_id": bot_id,
        "text": text,
        "channel": channel,
        "ts": ts,
        "event_ts": ts,
        "channel_type": channel_type,
        "team": team,
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return {**event, **extra}
