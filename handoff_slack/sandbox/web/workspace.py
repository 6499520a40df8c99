"""The emulated workspace as the page sees it: what one person sees (``state_for``), what they do
(``act``), the bytes of shared files, and a signal whenever any of it changes."""

from __future__ import annotations

import base64
import binascii
import logging
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from handoff_slack.sandbox.emulator import SlackEmulator
from handoff_slack.sandbox.slack_client import SlackSender
from handoff_slack.sandbox.web.people import ActRefused, People
from handoff_slack.sandbox.web.personas import (
    PERSONAS,
    SUPPORT_CHANNEL,
    SUPPORT_CHANNEL_NAME,
    SUPPORT_MEMBERS,
    Persona,
    persona,
)

log = logging.getLogger(__name__)

BOT_NAME = "handoff"
MAX_TEXT = 40_000  # what a person can type into one Slack message
WATCH_SECONDS = 0.2  # how often new Web API calls (ephemeral answers, modals) are looked for
_FILE_FIELDS = ("id", "name", "title", "mimetype", "size")
_MESSAGE_FIELDS = ("ts", "user", "bot_id", "username", "text", "blocks", "attachments", "thread_ts", "subtype")


class Workspace:
    def __init__(self, emulator: SlackEmulator, sender: SlackSender) -> None:
        self.emulator = emulator
        self._subscribers: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self.people = People(emulator, sender, self._changed)
        self._unsubscribe = emulator.subscribe(lambda change: self._changed())
        self._stop = threading.Event()
        self._watcher = threading.Thread(target=self._watch_calls, name="sandbox-watch", daemon=True)
        self._watcher.start()

    def close(self) -> None:
        self._stop.set()
        self._unsubscribe()
        self._watcher.join(2)

    # ------------------------------------------------------------------ change signal
    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def _changed(self) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            callback()

    def _watch_calls(self) -> None:
        """Answers that reach the emulator as Web API calls without a change notice of their own
        (ephemeral messages, response_url posts, modals) are noticed here."""
        seen = 0
        while not self._stop.wait(WATCH_SECONDS):
            count = len(self.emulator.calls())
            if count != seen:
                seen = count
                self._changed()

    # ------------------------------------------------------------------ what one person sees
    def state_for(self, viewer: str, dm_customer: str) -> dict[str, Any]:
        me = persona(viewer) or PERSONAS[0]
        customers = [p for p in PERSONAS if p.role == "customer"]
        customer = persona(dm_customer) if dm_customer else None
        if customer is None or customer.role != "customer":
            customer = me if me.role == "customer" else customers[0]
        users = {p.id: {"name": p.name, "team_name": p.team_name, "external": p.external} for p in PERSONAS}
        users[self.emulator.bot_user_id] = {"name": BOT_NAME, "team_name": "", "external": False}
        return {
            "ok": True,
            "me": me.id,
            "bot": {"user_id": self.emulator.bot_user_id, "name": BOT_NAME},
            "personas": [p.as_json() for p in PERSONAS],
            "users": users,
            "dm": {
                "customer": customer.id,
                "channel": customer.dm_channel,
                "messages": self._conversation(customer.dm_channel),
            },
            "support": {
                "channel": SUPPORT_CHANNEL,
                "name": SUPPORT_CHANNEL_NAME,
                "members": list(SUPPORT_MEMBERS),
                "messages": self._conversation(SUPPORT_CHANNEL),
            },
            "ephemerals": [_shown(m) | {"channel": m["channel"]} for m in self.people.ephemerals(me.id)],
            "views": self.people.views(me.id),
        }

    def _conversation(self, channel: str) -> list[dict[str, Any]]:
        """Top-level messages, oldest first, each with its thread's replies."""
        everything = sorted(
            [*self.emulator.messages(channel), *self.people.messages(channel)], key=lambda m: Decimal(m["ts"])
        )
        top = [_shown(m) for m in everything if m.get("thread_ts") in (None, m["ts"])]
        by_ts = {m["ts"]: m for m in top}
        for message in everything:
            parent = by_ts.get(message.get("thread_ts") or "")
            if parent is not None and message["ts"] != parent["ts"]:
                parent["replies"].append(_shown(message))
        return top

    def _message(self, channel: str, ts: str) -> dict[str, Any] | None:
        return next((m for m in self.emulator.messages(channel) if m["ts"] == ts), None)

    def file(self, file_id: str) -> tuple[bytes, str] | None:
        content = self.emulator.file_content(file_id)
        if content is None:
            return None
        return content, self._mimetype_of(file_id)

    def _mimetype_of(self, file_id: str) -> str:
        for channel in (SUPPORT_CHANNEL, *(p.dm_channel for p in PERSONAS)):
            for message in [*self.emulator.messages(channel), *self.people.messages(channel)]:
                for file in message.get("files") or []:
                    if file.get("id") == file_id:
                        return str(file.get("mimetype") or "application/octet-stream")
        return "application/octet-stream"

    # ------------------------------------------------------------------ what one person does
    def act(self, viewer: str, request: dict[str, Any]) -> dict[str, Any]:
        who = persona(viewer)
        if who is None:
            return {"ok": False, "error": "unknown_person"}
        kind = request.get("kind")
        handler = _ACTS.get(str(kind))
        if handler is None:
            return {"ok": False, "error": "unknown_act"}
        try:
            return {"ok": True, **(handler(self, who, request) or {})}
        except ActRefused as refused:
            return {"ok": False, "error": str(refused)}
        except (KeyError, TypeError, ValueError):
            return {"ok": False, "error": "invalid_request"}

    def _may_write(self, who: Persona, channel: str) -> None:
        if channel == who.dm_channel or (channel == SUPPORT_CHANNEL and who.id in SUPPORT_MEMBERS):
            return
        raise ActRefused("not_in_channel")

    def _message_act(self, who: Persona, r: dict[str, Any]) -> None:
        channel, text = _text(r, "channel"), _text(r, "text", limit=MAX_TEXT)
        self._may_write(who, channel)
        if not text.strip():
            raise ActRefused("no_text")
        self.people.post(who, channel, _escaped(text), _optional(r, "thread_ts"))

    def _edit_act(self, who: Persona, r: dict[str, Any]) -> None:
        self.people.edit(who, _text(r, "channel"), _text(r, "ts"), _escaped(_text(r, "text", limit=MAX_TEXT)))

    def _delete_act(self, who: Persona, r: dict[str, Any]) -> None:
        self.people.delete(who, _text(r, "channel"), _text(r, "ts"))

    def _file_act(self, who: Persona, r: dict[str, Any]) -> None:
        channel = _text(r, "channel")
        self._may_write(who, channel)
        try:
            content = base64.b64decode(_text(r, "content_b64", limit=40_000_000), validate=True)
        except (binascii.Error, ValueError):
            raise ActRefused("invalid_file") from None
        name = _text(r, "name", limit=255).replace("/", "_") or "file"
        mimetype = str(r.get("mimetype") or "application/octet-stream")[:100]
        text = _escaped(str(r.get("text") or "")[:MAX_TEXT])
        self.people.share_file(who, channel, name, content, mimetype, text, _optional(r, "thread_ts"))

    def _command_act(self, who: Persona, r: dict[str, Any]) -> dict[str, Any]:
        channel, command = _text(r, "channel"), _text(r, "command", limit=100)
        if not command.startswith("/") or len(command) < 2:
            raise ActRefused("invalid_command")
        reply = self.people.command(who, channel, command, str(r.get("text") or "")[:MAX_TEXT])
        return {"status": reply.status}

    def _action_act(self, who: Persona, r: dict[str, Any]) -> dict[str, Any]:
        action = r["action"]
        if not isinstance(action, dict) or not isinstance(action.get("action_id"), str):
            raise ActRefused("invalid_action")
        if r.get("view_id"):
            values = r.get("values") or {}
            reply = self.people.press(
                who, action, view_id=_text(r, "view_id"), values=values if isinstance(values, dict) else {}
            )
        else:
            channel, ts = _text(r, "channel"), _text(r, "message_ts")
            ephemeral = r.get("is_ephemeral") is True
            reply = self.people.press(
                who,
                action,
                channel=channel,
                message_ts=ts,
                is_ephemeral=ephemeral,
                thread_ts=_optional(r, "thread_ts"),
                message=None if ephemeral else self._message(channel, ts),
            )
        return {"status": reply.status}

    def _submit_act(self, who: Persona, r: dict[str, Any]) -> dict[str, Any]:
        values = r.get("values") or {}
        if not isinstance(values, dict):
            raise ActRefused("invalid_values")
        return {"errors": self.people.submit(who, _text(r, "view_id"), values)}

    def _close_view_act(self, who: Persona, r: dict[str, Any]) -> None:
        self.people.close_view(who, _text(r, "view_id"))


_ACTS: dict[str, Callable[[Workspace, Persona, dict[str, Any]], dict[str, Any] | None]] = {
    "message": Workspace._message_act,
    "edit": Workspace._edit_act,
    "delete": Workspace._delete_act,
    "file": Workspace._file_act,
    "command": Workspace._command_act,
    "action": Workspace._action_act,
    "submit": Workspace._submit_act,
    "close_view": Workspace._close_view_act,
}


def _shown(message: dict[str, Any]) -> dict[str, Any]:
    """A message as the page draws it: no metadata, files served by the page."""
    shown: dict[str, Any] = {k: message[k] for k in _MESSAGE_FIELDS if k in message}
    shown["edited"] = bool(message.get("edited"))
    shown["files"] = [
        {**{k: f.get(k) for k in _FILE_FIELDS}, "url": f"/api/files/{f.get('id')}"} for f in message.get("files") or []
    ]
    shown["replies"] = []
    return shown


def _text(r: dict[str, Any], key: str, limit: int = 64) -> str:
    value = r[key]
    if not isinstance(value, str) or len(value) > limit:
        raise ActRefused(f"invalid_{key}")
    return value


def _optional(r: dict[str, Any], key: str) -> str | None:
    value = r.get(key)
    return value if isinstance(value, str) and value else None


def _escaped(text: str) -> str:
    """What Slack sends for typed text: &, < and > as entities (links and mentions are markup)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
