"""Messages: ``chat.*``, ``reactions.*``, and what an app posts to a ``response_url``.

As Slack answers them: the bot posts only where it is a member (``not_in_channel``;
``channel_not_found`` for unknown channels), with text or blocks (``no_text``), text of at most
40,000 characters (``msg_too_long``), valid blocks (``invalid_blocks``, see ``block_rules``) and
valid metadata. It updates and deletes only its own messages (``cant_update_message``,
``cant_delete_message``, ``message_not_found``). ``chat.postEphemeral`` needs the user in the
channel (``user_not_in_channel``) and stores the message for that user only; with ``thread_ts``, in
that thread, shown (``shown``) only if the thread already has replies, as Slack documents ("only
shown if there is already an active thread"; it answers ``ok`` all the same). Reactions are kept on the message
(``already_reacted``, ``no_reaction``).

A response_url issued by the workspace (``Workspace.run_command``, a button's payload) turns what the
app posts there into an ephemeral message for its user, an in-channel message
(``response_type: in_channel``), or a replacement or deletion of the original message
(``replace_original`` / ``delete_original``). An ephemeral answer there lands at the channel's top
level even when the button was pressed in a thread and the answer names its ``thread_ts``, as Slack
does (slackapi/bolt-js#963; an in-channel answer honours ``thread_ts``, as documented). As Slack
documents, a response_url takes at most 5 posts within 30 minutes (of the interaction, or of the
first post to a hand-made ``response_url(name)``); after that the emulator answers HTTP 404 ``used_url`` (5 posts) or
``expired_url`` (30 minutes), what Slack's response_url endpoint is seen answering (its status and
body are not documented).

A ``thread_ts`` that is not a timestamp (``""`` included) is ``invalid_thread_ts``. A well-formed
``thread_ts`` of no message in the channel is accepted, as Slack accepts it (``ok: true``; its
documented errors have none for it, and clients see it so): the message is stored as a reply to that
``ts`` and, like Slack's, shows neither in the channel's history nor in any thread.
"""

from __future__ import annotations

import re
import time
from typing import Any

from handoff_slack.sandbox.block_rules import check_blocks
from handoff_slack.sandbox.conversations import Conversations, Handler
from handoff_slack.sandbox.slack_shapes import Params, SlackError, check_metadata, copied, flag, new_ts
from handoff_slack.sandbox.state import Change

TEXT_MAX = 40_000
RESPONSE_URL_USES = 5
RESPONSE_URL_SECONDS = 30 * 60
RESPONSE_URL_GONE = ("used_url", "expired_url")  # answered with HTTP 404, as Slack does
_TS = re.compile(r"\d+\.\d+")


class WebApi(Conversations):
    def _message_handlers(self) -> dict[str, Handler]:
        return {
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "reactions.add": self._reactions_add,
            "reactions.remove": self._reactions_remove,
        }

    # ----------------------------------------------------------------- chat
    def _postable_channel(self, p: Params) -> str:
        channel = self._channel(p)
        if not self._bot_is_in(channel):
            raise SlackError("not_in_channel")
        return channel

    def _chat_post_message(self, p: Params) -> dict[str, Any]:
        channel = self._postable_channel(p)
        _check_content(p)
        _check_thread_ts(p)
        msg: dict[str, Any] = {"type": "message", "text": p.get("text", ""), "user": self.bot_user_id}
        msg.update(bot_id=self.bot_id, ts=new_ts(), team=self.team_id)
        for key in ("blocks", "attachments", "metadata", "thread_ts", "username"):
            if p.get(key):
                msg[key] = p[key]
        if p.get("icon_url") or p.get("icon_emoji"):
            msg["icons"] = {"image_48": p["icon_url"]} if p.get("icon_url") else {"emoji": p["icon_emoji"]}
        self._store_message(channel, msg)
        return {"channel": channel, "ts": msg["ts"], "message": dict(msg)}

    def _store_message(self, channel: str, msg: dict[str, Any]) -> None:
        """Append a message to ``channel`` and tell the subscribers; the caller holds ``_cond``."""
        self._messages.setdefault(channel, []).append(msg)
        self._changed(Change("message", channel, msg["ts"], msg.get("user", ""), {"thread_ts": msg.get("thread_ts")}))

    def _find_message(self, channel: str, ts: str | None) -> dict[str, Any]:
        for msg in self._messages.get(channel, []):
            if msg["ts"] == ts:
                return msg
        raise SlackError("message_not_found")

    def _chat_update(self, p: Params) -> dict[str, Any]:
        channel = self._channel(p)
        msg = self._find_message(channel, p.get("ts"))
        if msg.get("user") != self.bot_user_id:
            raise SlackError("cant_update_message")
        _check_content(p, require=False)
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in p:
                msg[key] = p[key]
        msg["edited"] = {"user": self.bot_user_id, "ts": new_ts()}
        self._updates.setdefault((channel, msg["ts"]), []).append(dict(p))
        self._changed(Change("message_changed", channel, msg["ts"], self.bot_user_id))
        return {"channel": channel, "ts": msg["ts"], "text": msg.get("text", ""), "message": dict(msg)}

    def _chat_delete(self, p: Params) -> dict[str, Any]:
        channel = self._channel(p)
        msg = self._find_message(channel, p.get("ts"))
        if msg.get("user") != self.bot_user_id:
            raise SlackError("cant_delete_message")
        self._remove_message(channel, msg)
        return {"channel": channel, "ts": msg["ts"]}

    def _remove_message(self, channel: str, msg: dict[str, Any]) -> None:
        self._messages[channel] = [m for m in self._messages.get(channel, []) if m is not msg]
        self._changed(Change("message_deleted", channel, msg["ts"], msg.get("user", "")))

    def _chat_post_ephemeral(self, p: Params) -> dict[str, Any]:
        channel = self._postable_channel(p)
        user = str(p.get("user") or "")
        if not user or user not in self._people_in(channel):
            raise SlackError("user_not_in_channel")
        _check_content(p)
        ts = self._add_ephemeral(channel, user, p, via="chat.postEphemeral")
        return {"message_ts": ts}

    def _add_ephemeral(self, channel: str, user: str, p: Params, *, via: str) -> str:
        """Store a message only ``user`` sees; the caller holds ``_cond``."""
        ts = new_ts()
        msg: dict[str, Any] = {"type": "message", "subtype": "ephemeral", "text": p.get("text") or ""}
        msg.update(user=self.bot_user_id, bot_id=self.bot_id, ts=ts, channel=channel, visible_to=user, via=via)
        for key in ("blocks", "attachments", "thread_ts"):
            if p.get(key):
                msg[key] = p[key]
        if msg.get("thread_ts"):  # Slack shows it in a thread only if the thread has replies already
            root = str(msg["thread_ts"])
            msg["shown"] = any(m.get("thread_ts") == root and m["ts"] != root for m in self._messages.get(channel, []))
        else:
            msg["shown"] = True
        self._ephemerals.append(msg)
        self._changed(Change("ephemeral", channel, ts, user))
        return ts

    def _chat_get_permalink(self, p: Params) -> dict[str, Any]:
        channel = self._channel(p)
        ts = str(p.get("message_ts", ""))
        self._find_message(channel, ts)
        return {"channel": channel, "permalink": f"https://fake.slack.com/archives/{channel}/p{ts.replace('.', '')}"}

    # ----------------------------------------------------------------- reactions
    def _reactions_add(self, p: Params) -> dict[str, Any]:
        return self._react(p, self.bot_user_id, add=True)

    def _reactions_remove(self, p: Params) -> dict[str, Any]:
        return self._react(p, self.bot_user_id, add=False)

    def _react(self, p: Params, user: str, *, add: bool) -> dict[str, Any]:
        """reactions.add / reactions.remove of ``user``; the caller holds ``_cond``."""
        channel = self._channel(p)
        name = str(p.get("name") or "").strip(":")
        if not name:
            raise SlackError("invalid_name")
        msg = self._find_message(channel, p.get("timestamp"))
        reactions: list[dict[str, Any]] = msg.get("reactions", [])
        reaction = next((r for r in reactions if r["name"] == name), None)
        if add:
            if reaction is not None and user in reaction["users"]:
                raise SlackError("already_reacted")
            if reaction is None:
                reaction = {"name": name, "users": [], "count": 0}
                reactions.append(reaction)
            reaction["users"].append(user)
        else:
            if reaction is None or user not in reaction["users"]:
                raise SlackError("no_reaction")
            reaction["users"].remove(user)
        reaction["count"] = len(reaction["users"])
        msg["reactions"] = [r for r in reactions if r["count"]]
        if not msg["reactions"]:
            del msg["reactions"]
        self._changed(Change("reaction", channel, msg["ts"], user, {"name": name, "added": add}))
        return {}

    # ----------------------------------------------------------------- response_url
    def _answer_response_url(self, name: str, params: Params) -> dict[str, Any]:
        """What the app posted to a response_url, applied as Slack would; unknown names are only recorded."""
        with self._cond:
            uses, first_at = self._response_url_uses.get(name, (0, time.monotonic()))
            issued = self._response_urls.get(name)
            started = issued["issued_at"] if issued is not None else first_at
            if time.monotonic() - started > RESPONSE_URL_SECONDS:
                return {"ok": False, "error": "expired_url"}
            if uses >= RESPONSE_URL_USES:
                return {"ok": False, "error": "used_url"}
            self._response_url_uses[name] = (uses + 1, first_at)
            if issued is None:
                return {"ok": True}
            channel, user, original_ts = issued["channel"], issued["user"], issued.get("message_ts")
            if issued.get("ephemeral"):  # a message only `user` sees: replaced or deleted in place, as in Slack
                mine = (m for m in self._ephemerals if m["ts"] == original_ts and m["visible_to"] == user)
                ephemeral = next(mine, None)
                if ephemeral is not None and flag(params.get("delete_original")):
                    self._ephemerals.remove(ephemeral)
                    self._changed(Change("ephemeral", channel, ephemeral["ts"], user))
                    return {"ok": True}
                has_content = bool(params.get("text") or params.get("blocks"))
                if ephemeral is not None and flag(params.get("replace_original")) and has_content:
                    for key in ("text", "blocks", "attachments"):
                        if key in params:
                            ephemeral[key] = params[key]
                    self._changed(Change("ephemeral", channel, ephemeral["ts"], user))
                    return {"ok": True}
            original = next((m for m in self._messages.get(channel, []) if m["ts"] == original_ts), None)
            if issued.get("ephemeral"):
                original = None
            if flag(params.get("delete_original")):
                if original is not None:
                    self._remove_message(channel, original)
                return {"ok": True}
            if not params.get("text") and not params.get("blocks"):
                return {"ok": False, "error": "no_text"}
            if flag(params.get("replace_original")) and original is not None:
                for key in ("text", "blocks", "attachments"):
                    if key in params:
                        original[key] = params[key]
                self._changed(Change("message_changed", channel, original["ts"], self.bot_user_id))
            elif params.get("response_type") == "in_channel":
                msg = {"type": "message", "text": params.get("text") or "", "user": self.bot_user_id}
                msg.update(bot_id=self.bot_id, ts=new_ts(), team=self.team_id)
                for key in ("blocks", "attachments", "thread_ts"):
                    if params.get(key):
                        msg[key] = copied(params[key])
                self._store_message(channel, msg)
            else:  # at the top level, whatever thread_ts says (Slack ignores it here)
                shown = {k: v for k, v in params.items() if k != "thread_ts"}
                self._add_ephemeral(channel, user, shown, via="response_url")
            return {"ok": True}


def _check_thread_ts(p: Params) -> None:
    if "thread_ts" in p and not _TS.fullmatch(str(p["thread_ts"])):
        raise SlackError("invalid_thread_ts")


def _check_content(p: Params, *, require: bool = True) -> None:
    """The message parameters Slack checks before posting or updating."""
    if require and not p.get("text") and not p.get("blocks") and not p.get("attachments"):
        raise SlackError("no_text")
    if len(str(p.get("text") or "")) > TEXT_MAX:
        raise SlackError("msg_too_long")
    check_blocks(p.get("blocks"))
    check_metadata(p.get("metadata"))
