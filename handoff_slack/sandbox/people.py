"""What people do in the emulated workspace, recorded in its state (``Workspace`` sends it to the app).

These methods change the state only; each raises ``NotAllowed`` where Slack would not let the person
do it (post where they are not a member, edit or delete someone else's message, act on a view that is
not theirs). They return copies of what was stored.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Sequence
from typing import Any

from handoff_slack.sandbox.http_server import HttpEdge
from handoff_slack.sandbox.slack_shapes import SlackError, copied, mimetype_of, new_ts
from handoff_slack.sandbox.state import Change

BOT_HANDLE = "handoff"  # the app's name in the workspace: a person types "@handoff" to mention it
# "@handoff" as a word: what Slack's client turns into a mention when the app is picked from its list.
_BOT_MENTION = re.compile(rf"(?<![\w@.-])@{BOT_HANDLE}(?![\w-])", re.IGNORECASE)


class NotAllowed(Exception):
    """Something a person cannot do in Slack (the message says what)."""


def typed_message(text: str, bot_user_id: str) -> tuple[str, list[dict[str, Any]]]:
    """The ``text`` and ``blocks`` Slack's client sends for what a person typed: ``&``, ``<`` and ``>``
    escaped in ``text`` (a typed "<!here>" or "<@U...>" is text, not a ping), and "@handoff" a mention
    of the app (``<@BOT>`` in ``text``, a ``user`` element in the rich_text block)."""
    parts = _BOT_MENTION.split(text)
    elements: list[dict[str, Any]] = []
    for index, part in enumerate(parts):
        if index:
            elements.append({"type": "user", "user_id": bot_user_id})
        if part:
            elements.append({"type": "text", "text": part})
    section = {"type": "rich_text_section", "elements": elements}
    blocks = [{"type": "rich_text", "block_id": uuid.uuid4().hex[:5], "elements": [section]}]
    return f"<@{bot_user_id}>".join(typed_as_sent(part) for part in parts), blocks


def mentions_of(message: dict[str, Any], user_id: str) -> bool:
    """Whether ``message`` mentions ``user_id`` (Slack reads the ``<@U...>`` of its ``text``)."""
    return f"<@{user_id}>" in str(message.get("text") or "")


class People(HttpEdge):
    def team_of(self, user: str) -> str:
        with self._cond:
            return str(self._users.get(user, {}).get("team_id", self.team_id))

    def can_post(self, user: str, channel: str) -> bool:
        """Whether ``user`` may write in ``channel``: their own DM with the app, or a channel they are in."""
        with self._cond:
            if channel.startswith("D"):
                return channel == f"D{user}"
            return channel in self._channels and user in self._members.get(channel, [])

    def bot_is_member(self, channel: str) -> bool:
        """Whether the app's bot user is in ``channel`` (always in its DMs)."""
        with self._cond:
            return self._bot_is_in(channel)

    def is_shared_externally(self, channel: str) -> bool:
        """Whether people of another organisation are in ``channel`` (Slack Connect)."""
        with self._cond:
            return bool(self._channel_object(channel)["is_ext_shared"]) if self._exists(channel) else False

    def find_message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """A copy of the message ``ts`` of ``channel`` (a thread reply too), or of an ephemeral one; None if gone."""
        with self._cond:
            for msg in [*self._messages.get(channel, []), *self._ephemerals]:
                if msg["ts"] == ts and msg.get("channel", channel) == channel:
                    return dict(copied(msg))
            return None

    def record_post(
        self, user: str, channel: str, text: str, *, thread_ts: str | None = None, files: Sequence[dict[str, Any]] = ()
    ) -> dict[str, Any]:
        """``user`` posts ``text`` (and ``files``, shared with it) in ``channel``; returns the stored message."""
        if not self.can_post(user, channel):
            raise NotAllowed(f"{user} is not a member of {channel}")
        with self._cond:
            if thread_ts is not None and not any(m["ts"] == thread_ts for m in self._messages.get(channel, [])):
                raise NotAllowed(f"no message {thread_ts} in {channel} to reply to")
            # Slack keeps what was typed in the blocks and sends `text` with `&`, `<`, `>` escaped: a
            # typed "<!here>" is text, not a ping, as the app must see it.
            sent, blocks = typed_message(text, self.bot_user_id)
            msg: dict[str, Any] = {"type": "message", "user": user, "text": sent, "ts": new_ts()}
            msg.update(team=self.team_of(user), client_msg_id=str(uuid.uuid4()))
            if text:
                msg["blocks"] = blocks
            if thread_ts is not None:
                msg["thread_ts"] = thread_ts
            if files:
                msg.update(subtype="file_share", files=[copied(f) for f in files], upload=True, display_as_bot=False)
            self._store_message(channel, msg)
            return dict(copied(msg))

    def record_post_as_sent(
        self, user: str, channel: str, text: str, *, thread_ts: str | None = None
    ) -> dict[str, Any]:
        """Like ``record_post``, with ``text`` exactly as Slack stores and sends it: markup a client made of
        what was typed (a real @channel is ``<!channel>``, a link with a label ``<https://…|label>``)."""
        msg = self.record_post(user, channel, "", thread_ts=thread_ts)
        with self._cond:
            stored = next(m for m in self._messages.get(channel, []) if m["ts"] == msg["ts"])
            section = {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
            block = {"type": "rich_text", "block_id": uuid.uuid4().hex[:5], "elements": [section]}
            stored.update(text=text, blocks=[block])
            return dict(copied(stored))

    def record_file(self, user: str, name: str, content: bytes, mimetype: str | None = None) -> dict[str, Any]:
        """A file ``user`` uploads (to share with ``record_post``); its ``url_private_download`` serves it."""
        with self._cond:
            return self._new_file(name, content, mimetype or mimetype_of(name), user=user)

    def record_edit(self, user: str, channel: str, ts: str, text: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """``user`` edits their message ``ts``; returns (the message before, the message after)."""
        with self._cond:
            msg = self._own_message(user, channel, ts)
            before = dict(copied(msg))
            msg["text"], msg["blocks"] = typed_message(text, self.bot_user_id)
            msg["edited"] = {"user": user, "ts": new_ts()}
            self._changed(Change("message_changed", channel, ts, user))
            return before, dict(copied(msg))

    def record_delete(self, user: str, channel: str, ts: str) -> dict[str, Any]:
        """``user`` deletes their message ``ts``; returns it as it was."""
        with self._cond:
            msg = self._own_message(user, channel, ts)
            self._remove_message(channel, msg)
            return dict(copied(msg))

    def record_reaction(self, user: str, channel: str, ts: str, name: str, *, add: bool = True) -> None:
        """``user`` adds (or removes) the reaction ``name`` on the message ``ts``."""
        with self._cond:
            try:
                self._react({"channel": channel, "timestamp": ts, "name": name}, user, add=add)
            except SlackError as error:
                raise NotAllowed(error.error) from None

    def issue_response_url(
        self, user: str, channel: str, message_ts: str | None = None, *, ephemeral: bool = False
    ) -> str:
        """A response_url for an interaction of ``user`` in ``channel`` (about ``message_ts`` if given;
        ``ephemeral``: a message only ``user`` sees, which ``replace_original`` replaces, as in Slack)."""
        name = uuid.uuid4().hex
        with self._cond:
            self._response_urls[name] = {
                "user": user,
                "channel": channel,
                "message_ts": message_ts,
                "ephemeral": ephemeral,
                "issued_at": time.monotonic(),
            }
        return self.response_url(name)

    def record_command_answer(self, user: str, channel: str, answer: dict[str, Any]) -> None:
        """The app's immediate answer to ``user``'s slash command: shown to them only, or to the channel
        with ``response_type: in_channel`` (posted by the bot)."""
        with self._cond:
            if answer.get("response_type") == "in_channel":
                msg: dict[str, Any] = {"type": "message", "text": answer.get("text") or "", "user": self.bot_user_id}
                msg.update(bot_id=self.bot_id, ts=new_ts(), team=self.team_id)
                if answer.get("blocks"):
                    msg["blocks"] = copied(answer["blocks"])
                self._store_message(channel, msg)
            else:
                self._add_ephemeral(channel, user, answer, via="command_answer")

    def view_of(self, user: str, view_id: str) -> dict[str, Any]:
        """A copy of ``user``'s open view ``view_id``; ``NotAllowed`` if it is not open for them."""
        with self._cond:
            for view in self._views.get(user, []):
                if view["id"] == view_id:
                    return dict(copied(view))
        raise NotAllowed(f"view {view_id} is not open for {user}")

    def record_view_state(self, user: str, view_id: str, values: dict[str, Any]) -> None:
        """The inputs of ``user``'s view as they filled them in (``{block_id: {action_id: {...}}}``)."""
        with self._cond:
            for view in self._views.get(user, []):
                if view["id"] == view_id:
                    view["state"] = {"values": copied(values)}
                    self._changed(Change("view_updated", user=user, detail={"view_id": view_id}))

    def record_view_answer(self, user: str, view_id: str, answer: dict[str, Any]) -> dict[str, str]:
        """Apply the app's answer to a view_submission of ``view_id`` as Slack does; returns field errors.

        ``response_action``: ``errors`` (the view stays open; the errors are returned), ``update``
        (the view is replaced), ``push`` (a view is pushed on it), ``clear`` (all views close);
        anything else closes the submitted view (and the ones pushed on it).
        """
        action = answer.get("response_action")
        with self._cond:
            stack = self._views.get(user, [])
            index = next((i for i, v in enumerate(stack) if v["id"] == view_id), None)
            if index is None:
                return {}
            if action == "errors":
                errors = answer.get("errors")
                return {str(k): str(v) for k, v in errors.items()} if isinstance(errors, dict) else {}
            if action == "update" and isinstance(answer.get("view"), dict):
                view = self._new_view({"view": answer["view"]}, root=stack[0] if index else None, view_id=view_id)
                stack[index] = view
                self._changed(Change("view_updated", user=user, detail={"view_id": view_id}))
            elif action == "push" and isinstance(answer.get("view"), dict):
                view = self._new_view({"view": answer["view"]}, root=stack[0])
                view["previous_view_id"] = stack[-1]["id"]
                stack.append(view)
                self._changed(Change("view_opened", user=user, detail={"view_id": view["id"]}))
            elif action == "clear":
                self._close_views(user)
            else:
                self._close_views(user, view_id)
            return {}

    def record_view_closed(self, user: str, view_id: str) -> dict[str, Any]:
        """``user`` closes their view ``view_id`` (with the ones pushed on it); returns it as it was."""
        view = self.view_of(user, view_id)
        with self._cond:
            self._close_views(user, view_id)
        return view

    def _own_message(self, user: str, channel: str, ts: str) -> dict[str, Any]:
        msg = next((m for m in self._messages.get(channel, []) if m["ts"] == ts), None)
        if msg is None:
            raise NotAllowed(f"no message {ts} in {channel}")
        if msg.get("user") != user or msg.get("bot_id"):
            raise NotAllowed(f"{user} can only change their own messages")
        return msg


def typed_as_sent(text: str) -> str:
    """What Slack sends as a message's `text` for what a person typed: `&`, `<` and `>` escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
