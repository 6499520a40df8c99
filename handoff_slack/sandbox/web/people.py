"""The people's side of the emulated Slack: what a person does, recorded and sent to the app as
Slack would send it (signed, through the app's /slack/events), and what only that person sees
(ephemeral messages, open modals).

Written for the sandbox's page until the emulator has a user side of its own (see the report of
issue 14): people's messages are kept here next to the emulator's (the app's) messages, ephemeral
messages and modals are read from the Web API calls the emulator recorded (chat.postEphemeral,
response_url posts, views.open/update/push), and the trigger IDs and response URLs handed to the
app say whose they are.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from handoff_slack.sandbox.emulator import SlackEmulator
from handoff_slack.sandbox.slack_client import FORM, Reply, SlackSender, channel_message, dm_message
from handoff_slack.sandbox.slack_shapes import Call, new_ts
from handoff_slack.sandbox.web.personas import HOME_TEAM, SUPPORT_CHANNEL, Persona

API_APP_ID = "A0SANDBOX"
_VIEW_METHODS = ("views.open", "views.push", "views.update")


class ActRefused(Exception):
    """The person cannot do that (not their message, no such view ...); the page shows the reason."""


class People:
    def __init__(self, emulator: SlackEmulator, sender: SlackSender, on_change: Callable[[], None]) -> None:
        self.emulator = emulator
        self.sender = sender
        self._on_change = on_change
        self._lock = threading.RLock()
        self._messages: dict[str, list[dict[str, Any]]] = {}  # channel -> people's messages, oldest first
        self._ephemerals: dict[str, list[dict[str, Any]]] = {}  # user -> what only they see
        self._views: dict[str, list[dict[str, Any]]] = {}  # user -> their modal's views, top last
        self._triggers: dict[str, str] = {}  # trigger_id -> user
        self._answers: dict[str, dict[str, Any]] = {}  # response_url name -> where its answer shows
        self._calls_seen = 0
        self._numbers = itertools.count(1)

    # ------------------------------------------------------------------ reads
    def messages(self, channel: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for m in self._messages.get(channel, [])]

    def ephemerals(self, user: str) -> list[dict[str, Any]]:
        with self._lock:
            self._catch_up()
            return [dict(m) for m in self._ephemerals.get(user, [])]

    def views(self, user: str) -> list[dict[str, Any]]:
        with self._lock:
            self._catch_up()
            return [dict(v) for v in self._views.get(user, [])]

    # ------------------------------------------------------------------ messages
    def post(
        self,
        who: Persona,
        channel: str,
        text: str,
        thread_ts: str | None = None,
        files: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        extra: dict[str, Any] = {"subtype": "file_share", "files": files, "upload": False} if files else {}
        if who.external:
            extra["user_team"] = extra["source_team"] = who.team_id
        if channel.startswith("D"):
            event = dm_message(who.id, text, channel=channel, team=who.team_id, **extra)
            if thread_ts:
                event["thread_ts"] = thread_ts
        else:
            event = channel_message(who.id, text, channel, thread_ts=thread_ts, team=who.team_id, **extra)
        stored: dict[str, Any] = {k: event[k] for k in ("type", "user", "text", "ts", "team") if k in event}
        if thread_ts:
            stored["thread_ts"] = thread_ts
        if files:
            stored["files"] = files
        with self._lock:
            self._messages.setdefault(channel, []).append(stored)
        self._on_change()
        self._deliver(event)
        return stored

    def edit(self, who: Persona, channel: str, ts: str, text: str) -> None:
        with self._lock:
            message = self._own_message(who, channel, ts)
            previous = dict(message)
            message["text"] = text
            message["edited"] = {"user": who.id, "ts": new_ts()}
            changed = dict(message)
        self._on_change()
        self._deliver(self._change_event(channel, "message_changed", message=changed, previous_message=previous))

    def delete(self, who: Persona, channel: str, ts: str) -> None:
        with self._lock:
            message = self._own_message(who, channel, ts)
            self._messages[channel].remove(message)
        self._on_change()
        self._deliver(self._change_event(channel, "message_deleted", deleted_ts=ts, previous_message=message))

    def share_file(
        self,
        who: Persona,
        channel: str,
        name: str,
        content: bytes,
        mimetype: str,
        text: str = "",
        thread_ts: str | None = None,
    ) -> dict[str, Any]:
        file = self.emulator.host_file(name, content, mimetype or "application/octet-stream", user=who.id)
        return self.post(who, channel, text, thread_ts, files=[file])

    # ------------------------------------------------------------------ commands and interactivity
    def command(self, who: Persona, channel: str, command: str, text: str) -> Reply:
        response_url = self._response_url(who.id, channel, None)
        reply = self.sender.slash_command(
            command,
            text,
            who.id,
            channel,
            response_url,
            team_id=HOME_TEAM,
            user_name=who.handle,
            api_app_id=API_APP_ID,
        )
        if reply.status != 200:
            self._add_ephemeral(who.id, channel, None, {"text": f'{command} failed with the error "dispatch_failed"'})
        elif reply.body.strip():  # an immediate answer (ack with text) shows to the person only
            try:
                answer = json.loads(reply.body)
            except ValueError:
                answer = {"text": reply.body}
            self._add_ephemeral(who.id, channel, None, answer if isinstance(answer, dict) else {"text": reply.body})
        return reply

    def press(
        self,
        who: Persona,
        action: dict[str, Any],
        *,
        channel: str | None = None,
        message_ts: str | None = None,
        is_ephemeral: bool = False,
        thread_ts: str | None = None,
        view_id: str | None = None,
        values: dict[str, Any] | None = None,
        message: dict[str, Any] | None = None,
    ) -> Reply:
        """A button, select or overflow in a message (or, with ``view_id``, in the person's open modal)."""
        trigger_id = self._trigger(who.id)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": _user(who),
            "api_app_id": API_APP_ID,
            "token": "legacy-verification-token",
            "trigger_id": trigger_id,
            "team": {"id": HOME_TEAM, "domain": HOME_TEAM.lower()},
            "enterprise": None,
            "is_enterprise_install": False,
            "actions": [{**action, "action_ts": new_ts()}],
        }
        if view_id is not None:
            view = self._view(who.id, view_id)
            payload["container"] = {"type": "view", "view_id": view_id}
            payload["view"] = {**view, "state": {"values": values or {}}}
            payload["state"] = {"values": values or {}}
        else:
            if channel is None or message_ts is None:
                raise ActRefused("an action needs its message")
            payload["container"] = {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel,
                "is_ephemeral": is_ephemeral,
            }
            payload["channel"] = {"id": channel, "name": channel.lower()}
            payload["state"] = {"values": {}}
            payload["response_url"] = self._response_url(
                who.id, channel, thread_ts, message_ts if is_ephemeral else None
            )
            if not is_ephemeral:
                payload["message"] = self._message_for_payload(channel, message_ts, message)
        return self._send_payload(payload)

    def submit(self, who: Persona, view_id: str, values: dict[str, Any]) -> dict[str, str]:
        """view_submission; returns the errors the app answered (none: the view was closed or changed)."""
        view = self._view(who.id, view_id)
        payload: dict[str, Any] = {
            "type": "view_submission",
            "team": {"id": HOME_TEAM, "domain": HOME_TEAM.lower()},
            "user": _user(who),
            "api_app_id": API_APP_ID,
            "token": "legacy-verification-token",
            "trigger_id": self._trigger(who.id),
            "view": {**view, "state": {"values": values}},
            "response_urls": [],
            "enterprise": None,
            "is_enterprise_install": False,
        }
        reply = self._send_payload(payload)
        if reply.status != 200:
            raise ActRefused(f"the app answered {reply.status}")
        answer: dict[str, Any] = {}
        if reply.body.strip():
            try:
                answer = json.loads(reply.body)
            except ValueError:
                raise ActRefused("the app's answer to the submission is not JSON") from None
        action = answer.get("response_action")
        errors = answer.get("errors") if action == "errors" else None
        with self._lock:
            stack = self._views.get(who.id, [])
            if action == "errors":
                return {str(k): str(v) for k, v in (errors or {}).items()}
            if action == "update" and isinstance(answer.get("view"), dict):
                stack[-1] = self._shown_view(answer["view"], view_id)
            elif action == "push" and isinstance(answer.get("view"), dict):
                stack.append(self._shown_view(answer["view"], f"VP{next(self._numbers):08d}"))
            elif action == "clear":
                stack.clear()
            else:
                self._drop_view(who.id, view_id)
        self._on_change()
        return {}

    def close_view(self, who: Persona, view_id: str) -> None:
        view = self._view(who.id, view_id)
        with self._lock:
            self._drop_view(who.id, view_id)
        self._on_change()
        if view.get("notify_on_close"):
            self._send_payload(
                {
                    "type": "view_closed",
                    "team": {"id": HOME_TEAM, "domain": HOME_TEAM.lower()},
                    "user": _user(who),
                    "api_app_id": API_APP_ID,
                    "token": "legacy-verification-token",
                    "view": view,
                    "is_cleared": False,
                }
            )

    # ------------------------------------------------------------------ the app's answers
    def _catch_up(self) -> None:
        """Reads the emulator's new calls: ephemeral messages, response_url answers, views."""
        calls = self.emulator.calls()
        new, self._calls_seen = calls[self._calls_seen :], len(calls)
        for call in new:
            if not call.ok and not call.method.startswith("response_url:"):
                continue
            p = call.params
            if call.method == "chat.postEphemeral":
                self._add_ephemeral(
                    str(p.get("user")),
                    _dm_or(str(p.get("channel"))),
                    p.get("thread_ts"),
                    p,
                    ts=call.response.get("message_ts"),
                )
            elif call.method.startswith("response_url:"):
                self._answer(call.method[len("response_url:") :], p)
            elif call.method in _VIEW_METHODS:
                self._view_call(call)

    def _answer(self, name: str, p: dict[str, Any]) -> None:
        where = self._answers.get(name)
        if where is None:
            return
        user, mine = where["user"], self._ephemerals.setdefault(where["user"], [])
        source = where.get("ephemeral_ts")
        if (p.get("delete_original") in (True, "true") or _flag(p.get("replace_original"))) and source:
            mine[:] = [m for m in mine if m["ts"] != source]
            if p.get("delete_original") in (True, "true"):
                return
        self._add_ephemeral(user, where["channel"], where["thread_ts"], p)

    def _view_call(self, call: Call) -> None:
        view = call.response.get("view")
        if not isinstance(view, dict):
            return
        p = call.params
        if call.method == "views.update":
            for stack in self._views.values():
                for index, shown in enumerate(stack):
                    if shown["id"] == view.get("id") or (
                        view.get("external_id") and shown.get("external_id") == view["external_id"]
                    ):
                        stack[index] = self._shown_view(view, shown["id"])
            return
        user = self._triggers.get(str(p.get("trigger_id")))
        if user is None:
            return
        stack = self._views.setdefault(user, [])
        if call.method == "views.open":
            stack.clear()
        stack.append(self._shown_view(view, str(view.get("id"))))

    @staticmethod
    def _shown_view(view: dict[str, Any], view_id: str) -> dict[str, Any]:
        shown = {**view, "id": view_id}
        shown.setdefault("hash", f"h.{view_id}.{new_ts()}")
        shown.setdefault("type", "modal")
        shown.setdefault("private_metadata", "")
        shown.setdefault("callback_id", "")
        shown.setdefault("app_id", API_APP_ID)
        shown.setdefault("root_view_id", view_id)
        return shown

    def _add_ephemeral(self, user: str, channel: str, thread_ts: Any, p: dict[str, Any], ts: Any = None) -> None:
        message = {
            "ts": str(ts or new_ts()),
            "channel": channel,
            "text": p.get("text") or "",
            "blocks": p.get("blocks") or [],
            "attachments": p.get("attachments") or [],
        }
        if thread_ts:
            message["thread_ts"] = str(thread_ts)
        self._ephemerals.setdefault(user, []).append(message)

    # ------------------------------------------------------------------ helpers
    def _own_message(self, who: Persona, channel: str, ts: str) -> dict[str, Any]:
        message = next((m for m in self._messages.get(channel, []) if m["ts"] == ts), None)
        if message is None:
            raise ActRefused("message_not_found")
        if message.get("user") != who.id:
            raise ActRefused("cant_update_message")  # Slack's answer for someone else's message
        return message

    def _message_for_payload(self, channel: str, ts: str, shown: dict[str, Any] | None) -> dict[str, Any]:
        """The message as the clicking person's Slack client holds it (Slack sends it along)."""
        with self._lock:
            found = next((m for m in self._messages.get(channel, []) if m["ts"] == ts), None)
        found = found or shown
        return dict(found) if found else {"type": "message", "ts": ts, "text": ""}

    def _view(self, user: str, view_id: str) -> dict[str, Any]:
        with self._lock:
            self._catch_up()
            view = next((v for v in self._views.get(user, []) if v["id"] == view_id), None)
        if view is None:
            raise ActRefused("view_not_found")
        return dict(view)

    def _drop_view(self, user: str, view_id: str) -> None:
        stack = self._views.get(user, [])
        self._views[user] = [v for v in stack if v["id"] != view_id]

    def _trigger(self, user: str) -> str:
        trigger_id = f"{next(self._numbers)}.{new_ts().replace('.', '')}.sandbox"
        with self._lock:
            self._triggers[trigger_id] = user
        return trigger_id

    def _response_url(self, user: str, channel: str, thread_ts: str | None, ephemeral_ts: str | None = None) -> str:
        name = f"r{next(self._numbers)}"
        with self._lock:
            self._answers[name] = {
                "user": user,
                "channel": channel,
                "thread_ts": thread_ts,
                "ephemeral_ts": ephemeral_ts,
            }
        return self.emulator.response_url(name)

    def _change_event(self, channel: str, subtype: str, **fields: Any) -> dict[str, Any]:
        ts = new_ts()
        return {
            "type": "message",
            "subtype": subtype,
            "channel": channel,
            "channel_type": "im" if channel.startswith("D") else "channel",
            "hidden": True,
            "ts": ts,
            "event_ts": ts,
            **fields,
        }

    def _deliver(self, event: dict[str, Any]) -> Reply:
        return self.sender.event(event, team_id=HOME_TEAM, api_app_id=API_APP_ID)

    def _send_payload(self, payload: dict[str, Any]) -> Reply:
        reply = self.sender.post(urlencode({"payload": json.dumps(payload)}).encode(), FORM)
        self._on_change()
        return reply


def _user(who: Persona) -> dict[str, str]:
    return {"id": who.id, "username": who.handle, "name": who.handle, "team_id": who.team_id}


def _flag(raw: Any) -> bool:
    return raw is True or str(raw).lower() in ("1", "true")


def _dm_or(channel: str) -> str:
    """chat.postEphemeral to a user ID lands in the app's DM with them, like chat.postMessage."""
    return "D" + channel if channel[:1] in ("U", "W") else channel


__all__ = ["SUPPORT_CHANNEL", "ActRefused", "People"]
