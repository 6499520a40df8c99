"""The emulated workspace as the page sees it: what one person sees (``state_for``), what they do
(``act``, through the emulator's user side, handoff_slack.sandbox.workspace), the bytes of shared
files, and a signal whenever any of it changes."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from typing import Any

from handoff_slack.sandbox.emulator import SlackEmulator
from handoff_slack.sandbox.people import BOT_HANDLE
from handoff_slack.sandbox.personas import Persona, Personas
from handoff_slack.sandbox.sandbox_clock import SandboxClock, TimeControl
from handoff_slack.sandbox.web.fault_panel import FaultPanel
from handoff_slack.sandbox.workspace import Acted, NotAllowed, Workspace

BOT_NAME = BOT_HANDLE  # how the page names the app (a typed "@handoff" mentions it)
MAX_TEXT = 40_000  # what a person can type into one Slack message
MAX_FILE_B64 = 40_000_000
_FILE_FIELDS = ("id", "name", "title", "mimetype", "size")
_MESSAGE_FIELDS = (
    "ts",
    "user",
    "bot_id",
    "username",
    "text",
    "blocks",
    "attachments",
    "thread_ts",
    "subtype",
    "reactions",
)
_EMOJI_NAME = re.compile(r"[a-z0-9_+'-]{1,100}")  # Slack's emoji names (custom ones too)
_LABELS = {
    "customer_1": "Customer 1",
    "customer_2": "Customer 2",
    "colleague_2": "Customer 2's colleague",
    "agent_1": "Agent 1",
    "agent_2": "Agent 2",
}


class Refused(Exception):
    """The page's request is not something the person can do; the reason goes back to the page."""


class PageModel:
    def __init__(
        self, emulator: SlackEmulator, workspace: Workspace, cast: Personas, time_control: TimeControl | None = None
    ) -> None:
        self.emulator = emulator
        self.workspace = workspace
        self.cast = cast
        self.fault_panel = FaultPanel(emulator, cast)
        # The "⏩ Time" control (sandbox_clock.py); without one, a clock nobody moves.
        self.time_control = time_control or TimeControl(SandboxClock(), lambda: None)

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        return self.emulator.subscribe(lambda change: callback())

    # ------------------------------------------------------------------ what one person sees
    def state_for(self, viewer: str, dm_customer: str) -> dict[str, Any]:
        me = self._persona(viewer) or self.cast.customer_1
        # A customer's DM with the app, or the viewer's own (an agent's: routing's offers arrive there).
        customer = self._persona(dm_customer)
        if customer is None or (customer.role != "customer" and customer != me):
            customer = me if me.role == "customer" else self.cast.customer_1
        support = self.cast.support_channel
        channel = next((c for c in self.emulator.channels() if c["id"] == support), {})
        teams = {t["id"]: t["name"] for t in self.emulator.teams()}
        users = {
            p.user_id: {"name": p.real_name, "team_name": teams.get(p.team_id, ""), "external": self._external(p)}
            for p in self.cast.all
        }
        users[self.emulator.bot_user_id] = {"name": BOT_NAME, "team_name": "", "external": False}
        dm = self.workspace.dm(customer.user_id)
        shared = self.cast.shared_channel
        shared_channel = next((c for c in self.emulator.channels() if c["id"] == shared), {})
        shared_teams = {
            self.cast.home_team,
            *(p.team_id for p in self.cast.all if p.user_id in shared_channel.get("members", [])),
        }
        return {
            "ok": True,
            "me": me.user_id,
            "bot": {"user_id": self.emulator.bot_user_id, "name": BOT_NAME},
            "personas": [self._persona_json(p, teams) for p in self.cast.all],
            "users": users,
            "channels": {c["id"]: c["name"] for c in self.emulator.channels() if not c["id"].startswith("D")},
            "dm": {"customer": customer.user_id, "channel": dm, "messages": self._conversation(dm)},
            "support": {
                "channel": support,
                "name": channel.get("name", support.lower()),
                "members": [m for m in channel.get("members", []) if m != self.emulator.bot_user_id],
                "messages": self._conversation(support),
            },
            "shared": {
                "channel": shared,
                "name": shared_channel.get("name", shared.lower()),
                "is_ext_shared": bool(shared_channel.get("is_ext_shared")),
                "teams": [teams.get(t, t) for t in sorted(shared_teams, key=lambda t: t != self.cast.home_team)],
                "members": [m for m in shared_channel.get("members", []) if m != self.emulator.bot_user_id],
                "messages": self._conversation(shared),
            },
            "ephemerals": [  # (one Slack does not show, in a thread without replies, is left out)
                _shown(m) | {"channel": m["channel"]} for m in self.emulator.ephemerals(me.user_id) if m["shown"]
            ],
            "views": self.emulator.open_views(me.user_id),
            "time": self.time_control.state(),  # the sandbox's clock, for the "⏩ Time" control
        }

    def _persona(self, user_id: str) -> Persona | None:
        return next((p for p in self.cast.all if p.user_id == user_id), None)

    def _external(self, persona: Persona) -> bool:
        return persona.team_id != self.cast.home_team

    def _persona_json(self, p: Persona, teams: dict[str, str]) -> dict[str, Any]:
        return {
            "id": p.user_id,
            "label": _LABELS.get(p.key, p.role.capitalize()),
            "name": p.real_name,
            "role": p.role,
            "team_name": teams.get(p.team_id, ""),
            "external": self._external(p),
        }

    def _conversation(self, channel: str) -> list[dict[str, Any]]:
        """Top-level messages, oldest first, each with its thread's replies."""
        shown = []
        for message in self.emulator.conversation(channel):
            top = _shown(message)
            top["replies"] = [_shown(reply) for reply in message.get("replies", [])]
            shown.append(top)
        return shown

    def file(self, file_id: str) -> tuple[bytes, str] | None:
        content = self.emulator.file_content(file_id)
        if content is None:
            return None
        return content, self._mimetype_of(file_id)

    def _mimetype_of(self, file_id: str) -> str:
        channels = [
            self.cast.support_channel,
            self.cast.shared_channel,
            *(self.workspace.dm(p.user_id) for p in self.cast.all),
        ]
        for channel in channels:
            for message in self.emulator.messages(channel):
                for file in message.get("files") or []:
                    if file.get("id") == file_id:
                        return str(file.get("mimetype") or "application/octet-stream")
        return "application/octet-stream"

    # ------------------------------------------------------------------ what one person does
    def act(self, viewer: str, request: dict[str, Any]) -> dict[str, Any]:
        who = self._persona(viewer)
        if who is None:
            return {"ok": False, "error": "unknown_person"}
        handler = _ACTS.get(str(request.get("kind")))
        if handler is None:
            return {"ok": False, "error": "unknown_act"}
        try:
            acted = handler(self, who.user_id, request)
        except (Refused, NotAllowed) as refused:
            return {"ok": False, "error": str(refused)}
        except (KeyError, TypeError, ValueError):
            return {"ok": False, "error": "invalid_request"}
        answer: dict[str, Any] = {"ok": True, "errors": acted.errors}
        if acted.reply is not None:
            answer["status"] = acted.reply.status
        return answer

    def _message_act(self, user: str, r: dict[str, Any]) -> Acted:
        text = _text(r, "text", limit=MAX_TEXT)
        if not text.strip():
            raise Refused("no_text")
        return self.workspace.post(user, _text(r, "channel"), text, thread_ts=_optional(r, "thread_ts"))

    def _edit_act(self, user: str, r: dict[str, Any]) -> Acted:
        return self.workspace.edit(user, _text(r, "channel"), _text(r, "ts"), _text(r, "text", limit=MAX_TEXT))

    def _delete_act(self, user: str, r: dict[str, Any]) -> Acted:
        return self.workspace.delete(user, _text(r, "channel"), _text(r, "ts"))

    def _file_act(self, user: str, r: dict[str, Any]) -> Acted:
        try:
            content = base64.b64decode(_text(r, "content_b64", limit=MAX_FILE_B64), validate=True)
        except (binascii.Error, ValueError):
            raise Refused("invalid_file") from None
        return self.workspace.share_file(
            user,
            _text(r, "channel"),
            _text(r, "name", limit=255).replace("/", "_") or "file",
            content,
            mimetype=str(r.get("mimetype") or "")[:100] or None,
            text=str(r.get("text") or "")[:MAX_TEXT],
            thread_ts=_optional(r, "thread_ts"),
        )

    def _react_act(self, user: str, r: dict[str, Any]) -> Acted:
        name = _text(r, "name", limit=100).strip(":")
        if not _EMOJI_NAME.fullmatch(name):
            raise Refused("invalid_name")
        add = r.get("add", True)
        if not isinstance(add, bool):
            raise Refused("invalid_add")
        return self.workspace.react(user, _text(r, "channel"), _text(r, "ts"), name, add=add)

    def _command_act(self, user: str, r: dict[str, Any]) -> Acted:
        command = _text(r, "command", limit=100)
        if not command.startswith("/") or len(command) < 2:
            raise Refused("invalid_command")
        return self.workspace.run_command(user, _text(r, "channel"), command, str(r.get("text") or "")[:MAX_TEXT])

    def _action_act(self, user: str, r: dict[str, Any]) -> Acted:
        action = r["action"]
        if not isinstance(action, dict) or not isinstance(action.get("action_id"), str):
            raise Refused("invalid_action")
        value = action.get("value") if isinstance(action.get("value"), str) else None
        option = action.get("selected_option")
        selected = option.get("value") if isinstance(option, dict) else None
        if r.get("view_id"):
            return self.workspace.click_in_view(
                user, _text(r, "view_id"), action["action_id"], value=value, selected_value=selected
            )
        return self.workspace.click(
            user, _text(r, "channel"), _text(r, "message_ts"), action["action_id"], value=value, selected_value=selected
        )

    def _submit_act(self, user: str, r: dict[str, Any]) -> Acted:
        values = r.get("values") or {}
        if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
            raise Refused("invalid_values")
        return self.workspace.submit_view(user, _text(r, "view_id"), values)

    def _close_view_act(self, user: str, r: dict[str, Any]) -> Acted:
        return self.workspace.close_view(user, _text(r, "view_id"))


_ACTS: dict[str, Callable[[PageModel, str, dict[str, Any]], Acted]] = {
    "message": PageModel._message_act,
    "edit": PageModel._edit_act,
    "delete": PageModel._delete_act,
    "file": PageModel._file_act,
    "react": PageModel._react_act,
    "command": PageModel._command_act,
    "action": PageModel._action_act,
    "submit": PageModel._submit_act,
    "close_view": PageModel._close_view_act,
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
        raise Refused(f"invalid_{key}")
    return value


def _optional(r: dict[str, Any], key: str) -> str | None:
    value = r.get(key)
    return value if isinstance(value, str) and value else None
