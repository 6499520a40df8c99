"""People of the emulated workspace acting as in Slack; what they do reaches the app as Slack sends it.

    workspace = Workspace(emulator, events_url="http://127.0.0.1:3001/slack/events", signing_secret="...")
    posted = workspace.post("UCUST1", workspace.dm("UCUST1"), "I need a human")
    workspace.click("UAGENT1", "CSUPPORT", ticket_ts, "claim_ticket")

Each action is recorded in the emulator first (subscribers see it at once), then sent to the app as a
signed request (``slack_client``) and returns ``Acted``: the app's HTTP ``reply`` and what the action
made (``ts``, ``message``, ``view``, ``errors``). An action Slack would not allow raises ``NotAllowed``.

Actions (``user`` is a user ID, ``channel`` a channel ID; ``dm(user)`` is the user's DM with the app):
- ``post(user, channel, text, *, thread_ts=None)``: a message (a thread reply with ``thread_ts``).
  A typed "@handoff" mentions the app (``<@BOT>`` in ``text``): in a channel the app is a member of
  (not a DM), Slack's ``app_mention`` event follows the ``message`` event (``Acted.mention``), after
  an edit that leaves the mention in too (with ``edited``), as Slack does.
- ``edit(user, channel, ts, text)`` / ``delete(user, channel, ts)``: ``message_changed`` /
  ``message_deleted``.
- ``share_file(user, channel, name, content, *, mimetype=None, text="", thread_ts=None)``: the file is
  stored in the emulator (``url_private_download`` serves it to the bot) and shared in a
  ``file_share`` message.
- ``click(user, channel, message_ts, action_id, *, value=None, selected_value=None)``: a
  ``block_actions`` payload from the message (an ephemeral one too) with the message, a fresh
  ``trigger_id`` and a ``response_url``. ``selected_value`` picks an option of a select or overflow.
- ``click_in_view(user, view_id, action_id, *, value=None, selected_value=None)``: the same in a modal.
- ``submit_view(user, view_id, values)``: ``view_submission`` with ``values`` as
  ``{block_id: {action_id: "text" or Slack's value object}}``; the app's answer is applied (errors stay
  on the open view and come back in ``Acted.errors``; ``update``/``push``/``clear``; else it closes).
- ``close_view(user, view_id)``: the view closes (``view_closed`` is sent if it asked for
  ``notify_on_close``).
- ``run_command(user, channel, command, text="")``: a slash command with a ``response_url``; the app's
  immediate answer and what it posts to the response_url become ephemeral messages for the user (or
  an in-channel message with ``response_type: in_channel``).
- ``react(user, channel, ts, name, *, add=True)``: a reaction, stored on the message
  (``reaction_added``; ``add=False`` takes it off: ``reaction_removed``), sent as Slack does: ``user``,
  ``reaction``, ``item_user`` (who wrote the message), ``item`` (``type: message``, ``channel``, ``ts``).

Slack sends the app the events of a conversation only if its bot user is in it: a person's DM with
the app always; a channel once the app was added (``/invite @handoff``; ``add_channel`` adds it
unless ``bot_member=False``). Elsewhere the action is recorded (the channel's people see it) and
nothing is sent: ``Acted.reply`` is None (``Acted.delivered`` False).

Events of a channel shared with another organisation (Slack Connect) carry the author's team as
``team``, ``user_team`` and ``source_team``, and the envelope ``is_ext_shared_channel: true`` with
``authorizations`` naming the installing team's bot.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from handoff_slack.sandbox.emulator import SlackEmulator
from handoff_slack.sandbox.people import NotAllowed, mentions_of
from handoff_slack.sandbox.slack_client import Reply, SlackSender
from handoff_slack.sandbox.slack_shapes import new_ts

__all__ = ["Acted", "NotAllowed", "Workspace"]


@dataclass
class Acted:
    """The outcome of a person's action: the app's HTTP answer and what the action made."""

    reply: Reply | None
    ts: str | None = None
    message: dict[str, Any] | None = None
    view: dict[str, Any] | None = None
    errors: dict[str, str] = field(default_factory=dict)  # view_submission: block_id -> error
    mention: Reply | None = None  # the app's answer to the app_mention sent with a message that mentions it

    @property
    def delivered(self) -> bool:
        """Whether Slack sent the app anything (it does only where its bot user is a member)."""
        return self.reply is not None

    @property
    def accepted(self) -> bool:
        """Whether the app acknowledged the request (HTTP 2xx), as Slack requires within 3 seconds."""
        return self.reply is not None and 200 <= self.reply.status < 300


class Workspace:
    def __init__(
        self, emulator: SlackEmulator, events_url: str, signing_secret: str, *, api_app_id: str = "A0APP"
    ) -> None:
        self.emulator = emulator
        self.api_app_id = api_app_id
        self.sender = SlackSender(events_url, signing_secret)

    def dm(self, user: str) -> str:
        """The channel ID of ``user``'s DM with the app."""
        return self.emulator.dm_channel(user)

    # ----------------------------------------------------------------- messages
    def post(self, user: str, channel: str, text: str, *, thread_ts: str | None = None) -> Acted:
        msg = self.emulator.record_post(user, channel, text, thread_ts=thread_ts)
        return self._sent_message(channel, msg)

    def share_file(
        self,
        user: str,
        channel: str,
        name: str,
        content: bytes,
        *,
        mimetype: str | None = None,
        text: str = "",
        thread_ts: str | None = None,
    ) -> Acted:
        if not self.emulator.can_post(user, channel):
            raise NotAllowed(f"{user} is not a member of {channel}")
        file = self.emulator.record_file(user, name, content, mimetype)
        msg = self.emulator.record_post(user, channel, text, thread_ts=thread_ts, files=[file])
        return self._sent_message(channel, msg)

    def edit(self, user: str, channel: str, ts: str, text: str) -> Acted:
        before, after = self.emulator.record_edit(user, channel, ts, text)
        event_ts = new_ts()
        event = {
            "type": "message",
            "subtype": "message_changed",
            "hidden": True,
            "channel": channel,
            "channel_type": _channel_type(channel),
            "ts": event_ts,
            "event_ts": event_ts,
            "message": after,
            "previous_message": before,
        }
        acted = Acted(self._send_event(channel, event), ts, after)
        # Slack sends an edited mention again, with `edited`.
        if acted.delivered and self._hears_mention(channel, after):
            acted.mention = self._send_event(channel, _app_mention(self._message_event(channel, after), event_ts))
        return acted

    def delete(self, user: str, channel: str, ts: str) -> Acted:
        before = self.emulator.record_delete(user, channel, ts)
        event_ts = new_ts()
        event = {
            "type": "message",
            "subtype": "message_deleted",
            "hidden": True,
            "channel": channel,
            "channel_type": _channel_type(channel),
            "ts": event_ts,
            "event_ts": event_ts,
            "deleted_ts": ts,
            "previous_message": before,
        }
        return Acted(self._send_event(channel, event), ts)

    def react(self, user: str, channel: str, ts: str, name: str, *, add: bool = True) -> Acted:
        if not self.emulator.can_post(user, channel):
            raise NotAllowed(f"{user} is not a member of {channel}")
        name = name.strip(":")
        self.emulator.record_reaction(user, channel, ts, name, add=add)
        msg = self.emulator.find_message(channel, ts) or {}
        event: dict[str, Any] = {"type": "reaction_added" if add else "reaction_removed", "user": user}
        event["reaction"] = name
        if msg.get("user"):  # Slack leaves it out for messages no user wrote (incoming webhooks)
            event["item_user"] = msg["user"]
        event.update(item={"type": "message", "channel": channel, "ts": ts}, event_ts=new_ts())
        return Acted(self._send_event(channel, event), ts, msg)

    # ----------------------------------------------------------------- interactivity
    def click(
        self,
        user: str,
        channel: str,
        message_ts: str,
        action_id: str,
        *,
        value: str | None = None,
        selected_value: str | None = None,
    ) -> Acted:
        msg = self.emulator.find_message(channel, message_ts)
        if msg is None:
            raise NotAllowed(f"no message {message_ts} in {channel}")
        ephemeral = msg.get("subtype") == "ephemeral"
        if ephemeral and msg.get("visible_to") != user:
            raise NotAllowed(f"{user} cannot see that message")
        if not ephemeral and not self.emulator.can_post(user, channel):
            raise NotAllowed(f"{user} is not a member of {channel}")
        action = _action(msg.get("blocks") or [], action_id, value, selected_value)
        shown = {k: v for k, v in msg.items() if k not in ("channel", "visible_to", "via", "shown")}
        reply = self.sender.block_action(
            user,
            action_id,
            action.get("value"),
            team_id=self.emulator.team_of(user),
            channel_id=channel,
            message_ts=message_ts,
            block_id=action["block_id"],
            response_url=self.emulator.issue_response_url(user, channel, message_ts, ephemeral=ephemeral),
            trigger_id=self.emulator.issue_trigger(user),
            message=shown,
            api_app_id=self.api_app_id,
            action=action,
            user_name=self._user_name(user),
            is_ephemeral=ephemeral,
            thread_ts=msg.get("thread_ts"),  # a message in a thread: Slack says so in the container
        )
        return Acted(reply, message_ts, msg)

    def click_in_view(
        self, user: str, view_id: str, action_id: str, *, value: str | None = None, selected_value: str | None = None
    ) -> Acted:
        view = self.emulator.view_of(user, view_id)
        action = _action(view.get("blocks") or [], action_id, value, selected_value)
        reply = self.sender.block_action(
            user,
            action_id,
            action.get("value"),
            team_id=self.emulator.team_of(user),
            trigger_id=self.emulator.issue_trigger(user),
            api_app_id=self.api_app_id,
            action=action,
            user_name=self._user_name(user),
            view=view,
        )
        return Acted(reply, view=view)

    def submit_view(self, user: str, view_id: str, values: dict[str, dict[str, Any]]) -> Acted:
        view = self.emulator.view_of(user, view_id)
        self.emulator.record_view_state(user, view_id, _state_values(values))
        reply = self.sender.view_submission(
            user,
            view.get("callback_id", ""),
            values,
            view.get("private_metadata", ""),
            team_id=self.emulator.team_of(user),
            api_app_id=self.api_app_id,
            view=view,
            user_name=self._user_name(user),
            trigger_id=self.emulator.issue_trigger(user),
        )
        answer = _json_body(reply)
        errors = self.emulator.record_view_answer(user, view_id, answer) if 200 <= reply.status < 300 else {}
        return Acted(reply, view=view, errors=errors)

    def close_view(self, user: str, view_id: str) -> Acted:
        view = self.emulator.record_view_closed(user, view_id)
        if not view.get("notify_on_close"):
            return Acted(None, view=view)
        payload = {
            "type": "view_closed",
            "team": {"id": self.emulator.team_of(user), "domain": self.emulator.team_of(user).lower()},
            "user": {"id": user, "name": self._user_name(user), "team_id": self.emulator.team_of(user)},
            "api_app_id": self.api_app_id,
            "token": "legacy-verification-token",
            "view": view,
            "is_cleared": False,
        }
        return Acted(self.sender.interaction(payload), view=view)

    def run_command(self, user: str, channel: str, command: str, text: str = "") -> Acted:
        if not self.emulator.can_post(user, channel):
            raise NotAllowed(f"{user} is not a member of {channel}")
        reply = self.sender.slash_command(
            command,
            text,
            user,
            channel,
            self.emulator.issue_response_url(user, channel),
            team_id=self.emulator.team_of(user),
            user_name=self._user_name(user),
            api_app_id=self.api_app_id,
            trigger_id=self.emulator.issue_trigger(user),
        )
        answer = _json_body(reply)
        if not answer and 200 <= reply.status < 300 and reply.body.strip():
            answer = {"text": reply.body}  # a plain-text answer is shown as is
        if answer.get("text") or answer.get("blocks"):
            self.emulator.record_command_answer(user, channel, answer)
        return Acted(reply)

    # ----------------------------------------------------------------- helpers
    def _sent_message(self, channel: str, msg: dict[str, Any]) -> Acted:
        """The ``message`` event of a new message, then its ``app_mention`` if it mentions the app."""
        event = self._message_event(channel, msg)
        acted = Acted(self._send_event(channel, event), msg["ts"], msg)
        if acted.delivered and self._hears_mention(channel, msg):
            acted.mention = self._send_event(channel, _app_mention(event, msg["ts"]))
        return acted

    def _hears_mention(self, channel: str, msg: dict[str, Any]) -> bool:
        """Whether Slack sends ``app_mention`` for ``msg``: it mentions the app, in a channel the app is
        in (never a DM: those come as ``message.im``)."""
        in_channel = not channel.startswith("D") and self.emulator.bot_is_member(channel)
        return in_channel and mentions_of(msg, self.emulator.bot_user_id)

    def _message_event(self, channel: str, msg: dict[str, Any]) -> dict[str, Any]:
        event = {**msg, "channel": channel, "event_ts": msg["ts"], "channel_type": _channel_type(channel)}
        team = msg.get("team") or self.emulator.team_id
        # Slack Connect: the author's organisation, on every message of a shared channel and on any
        # message of a person of another organisation (their DM with the app too).
        if team != self.emulator.team_id or self.emulator.is_shared_externally(channel):
            event.update(user_team=team, source_team=team)
        if msg.get("thread_ts"):
            parent = self.emulator.find_message(channel, msg["thread_ts"])
            event["parent_user_id"] = (parent or {}).get("user", "")
        return event

    def _send_event(self, channel: str, event: dict[str, Any]) -> Reply | None:
        """``event`` sent to the app as Slack does, if the app is in ``channel`` (None: not sent)."""
        if not self.emulator.bot_is_member(channel):  # (always in its DMs)
            return None
        return self.sender.event(
            event,
            team_id=self.emulator.team_id,
            api_app_id=self.api_app_id,
            authorizations_user=self.emulator.bot_user_id,
            is_ext_shared_channel=self.emulator.is_shared_externally(channel),
        )

    def _user_name(self, user: str) -> str:
        found = self.emulator.user(user)
        return str(found["name"]) if found else user.lower()


def _app_mention(message_event: dict[str, Any], event_ts: str) -> dict[str, Any]:
    """``app_mention`` as Slack sends it: the message event's fields (``user``, ``text``, ``ts``,
    ``channel``, ``thread_ts`` and ``parent_user_id`` in a thread, ``team``/``user_team``/``source_team``,
    ``blocks``, ``files``, ``edited``...) under its own type, without ``channel_type`` or the
    ``file_share`` subtype; ``event_ts`` is the message's, or the edit's for an edited mention."""
    event = {k: v for k, v in message_event.items() if k != "channel_type"}
    if event.get("subtype") == "file_share":
        del event["subtype"]
    return {**event, "type": "app_mention", "event_ts": event_ts}


def _channel_type(channel: str) -> str:
    return "im" if channel.startswith("D") else "group" if channel.startswith("G") else "channel"


def _elements(blocks: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """Every interactive element of ``blocks`` with its block's ID."""
    found: list[tuple[str, dict[str, Any]]] = []
    for index, block in enumerate(blocks):
        block_id = str(block.get("block_id") or f"b{index}")
        candidates = list(block.get("elements") or []) if block.get("type") == "actions" else []
        for key in ("accessory", "element"):
            if isinstance(block.get(key), dict):
                candidates.append(block[key])
        found.extend((block_id, e) for e in candidates if isinstance(e, dict) and e.get("action_id"))
    return found


def _action(
    blocks: list[dict[str, Any]], action_id: str, value: str | None, selected_value: str | None
) -> dict[str, Any]:
    """The ``actions[0]`` of a block_actions payload for a click on ``action_id`` in ``blocks``."""
    for block_id, element in _elements(blocks):
        if element["action_id"] != action_id:
            continue
        action: dict[str, Any] = {"action_id": action_id, "block_id": block_id, "type": element.get("type")}
        action["action_ts"] = new_ts()
        if element.get("type") == "button":
            action.update(text=element.get("text"), value=value if value is not None else element.get("value"))
            if element.get("style"):
                action["style"] = element["style"]
        else:
            options = [o for group in element.get("option_groups") or [] for o in group.get("options", [])]
            options += element.get("options") or []
            chosen = next((o for o in options if o.get("value") == selected_value), None)
            if chosen is None:
                raise NotAllowed(f"{action_id} has no option {selected_value!r}")
            action["selected_option"] = chosen
        return action
    raise NotAllowed(f"no element {action_id!r} in those blocks")


def _state_values(values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        block: {a: ({"type": "plain_text_input", "value": v} if isinstance(v, str) else v) for a, v in actions.items()}
        for block, actions in values.items()
    }


def _json_body(reply: Reply) -> dict[str, Any]:
    try:
        body = json.loads(reply.body) if reply.body.strip() else {}
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
