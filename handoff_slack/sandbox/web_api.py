"""The Web API methods the emulator answers, in Slack's shapes and with Slack's error codes.

``chat.*`` (postMessage, update, delete, postEphemeral, getPermalink), ``conversations.*`` (open,
members, info, history, replies), ``users.info``, ``team.info``, ``views.*``, ``reactions.*``,
``auth.test`` and ``apps.connections.open``. The file methods are in ``files``. Every handler runs
with the state's lock held and either returns the answer's fields or raises ``SlackError``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from handoff_slack.sandbox.faults import Faults
from handoff_slack.sandbox.slack_shapes import (
    Params,
    SlackError,
    TimeWindow,
    check_metadata,
    copied,
    cursor_for,
    flag,
    new_ts,
    offset_of,
    page_limit,
    ts_key,
)
from handoff_slack.sandbox.state import Change

Handler = Callable[[Params], dict[str, Any]]


class WebApi(Faults):
    def _api_handlers(self) -> dict[str, Handler]:
        return {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.open": self._conversations_open,
            "conversations.members": self._conversations_members,
            "conversations.info": self._conversations_info,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "users.info": self._users_info,
            "team.info": self._team_info,
            "views.open": self._view,
            "views.update": self._view,
            "views.push": self._view,
            "views.publish": self._view,
            "reactions.add": self._ok,
            "reactions.remove": self._ok,
            "apps.connections.open": self._apps_connections_open,
        }

    def _answer_response_url(self, name: str, params: Params) -> dict[str, Any]:
        """What the app posted to a response_url; answered ``ok``."""
        return {"ok": True}

    # ----------------------------------------------------------------- auth, apps
    def _ok(self, p: Params) -> dict[str, Any]:
        return {}

    def _auth_test(self, p: Params) -> dict[str, Any]:
        team = self._teams[self.team_id]
        return {
            "url": f"https://{team['domain']}.fake.slack.com/",
            "team": team["name"],
            "user": "handoff-bot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, p: Params) -> dict[str, Any]:
        if self.socket_mode_url is None:
            raise SlackError("not_allowed_token_type")
        return {"url": self.socket_mode_url}

    # ----------------------------------------------------------------- chat
    def _channel(self, p: Params, key: str = "channel") -> str:
        channel = p.get(key)
        if not channel:
            raise SlackError("channel_not_found")
        if channel[0] in "UW":  # posting to a user id lands in the bot's DM with them
            channel = "D" + channel
        return str(channel)

    def _chat_post_message(self, p: Params) -> dict[str, Any]:
        channel = self._channel(p)
        if not p.get("text") and not p.get("blocks") and not p.get("attachments"):
            raise SlackError("no_text")
        check_metadata(p.get("metadata"))
        ts = new_ts()
        msg: dict[str, Any] = {
            "type": "message",
            "text": p.get("text", ""),
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "ts": ts,
        }
        for key in ("blocks", "attachments", "metadata", "thread_ts", "username"):
            if p.get(key):
                msg[key] = p[key]
        if p.get("icon_url") or p.get("icon_emoji"):
            msg["icons"] = {"image_48": p["icon_url"]} if p.get("icon_url") else {"emoji": p["icon_emoji"]}
        self._messages.setdefault(channel, []).append(msg)
        self._changed(Change("message", channel, ts, self.bot_user_id))
        return {"channel": channel, "ts": ts, "message": dict(msg)}

    def _find_message(self, channel: str, ts: str | None) -> dict[str, Any]:
        for msg in self._messages.get(channel, []):
            if msg["ts"] == ts:
                return msg
        raise SlackError("message_not_found")

    def _chat_update(self, p: Params) -> dict[str, Any]:
        channel = self._channel(p)
        msg = self._find_message(channel, p.get("ts"))
        check_metadata(p.get("metadata"))
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in p:
                msg[key] = p[key]
        msg["edited"] = {"user": self.bot_user_id, "ts": new_ts()}
        self._updates.setdefault((channel, msg["ts"]), []).append(dict(p))
        self._changed(Change("message_changed", channel, msg["ts"], self.bot_user_id))
        return {"channel": channel, "ts": msg["ts"], "text": msg.get("text", ""), "message": dict(msg)}

    def _chat_post_ephemeral(self, p: Params) -> dict[str, Any]:
        self._channel(p)
        if not p.get("user"):
            raise SlackError("user_not_in_channel")
        if not p.get("text") and not p.get("blocks") and not p.get("attachments"):
            raise SlackError("no_text")
        return {"message_ts": new_ts()}

    def _chat_delete(self, p: Params) -> dict[str, Any]:
        channel = self._channel(p)
        msgs = self._messages.get(channel, [])
        self._messages[channel] = [m for m in msgs if m["ts"] != p.get("ts")]
        self._changed(Change("message_deleted", channel, str(p.get("ts") or "")))
        return {"channel": channel, "ts": p.get("ts")}

    def _chat_get_permalink(self, p: Params) -> dict[str, Any]:
        channel = self._channel(p)
        ts = str(p.get("message_ts", ""))
        return {"channel": channel, "permalink": f"https://fake.slack.com/archives/{channel}/p{ts.replace('.', '')}"}

    # ----------------------------------------------------------------- conversations
    def _conversations_open(self, p: Params) -> dict[str, Any]:
        if p.get("channel"):
            return {"channel": {"id": p["channel"]}}
        users = [u for u in str(p.get("users", "")).split(",") if u]
        if not users:
            raise SlackError("users_list_not_supplied")
        cid = "D" + users[0] if len(users) == 1 else "G" + "".join(sorted(users))
        return {"channel": {"id": cid}}

    def _conversations_members(self, p: Params) -> dict[str, Any]:
        channel = p.get("channel")
        if channel not in self._members:
            raise SlackError("channel_not_found")
        members = self._members[channel]
        limit = int(p.get("limit") or 100)
        start = offset_of(p.get("cursor"))
        end = start + limit
        nxt = cursor_for(end) if end < len(members) else ""
        return {"members": members[start:end], "response_metadata": {"next_cursor": nxt}}

    def _conversations_info(self, p: Params) -> dict[str, Any]:
        channel = self._channel(p)
        is_im = channel.startswith("D")
        return {
            "channel": {
                "id": channel,
                "name": channel.lower(),
                "is_channel": not is_im,
                "is_im": is_im,
                "is_private": channel.startswith("G"),
                "is_member": True,
                "context_team_id": self.team_id,
            }
        }

    def _conversations_history(self, p: Params) -> dict[str, Any]:
        """Top-level messages (thread parents included, replies not), newest first, paginated."""
        channel = self._channel(p)
        with_metadata = flag(p.get("include_all_metadata"))
        window = TimeWindow.from_params(p)
        msgs = self._messages.get(channel, [])
        top_level = [m for m in msgs if m.get("thread_ts") in (None, m["ts"]) and window.contains(m["ts"])]
        top_level.sort(key=lambda m: ts_key(m["ts"]), reverse=True)
        start, limit = offset_of(p.get("cursor")), page_limit(p.get("limit"), default=100, maximum=999)
        page = top_level[start : start + limit]
        has_more = start + limit < len(top_level)
        response: dict[str, Any] = {
            "messages": [self._visible(channel, m, with_metadata) for m in page],
            "has_more": has_more,
            "pin_count": 0,
        }
        if has_more:
            response["response_metadata"] = {"next_cursor": cursor_for(start + limit)}
        return response

    def _conversations_replies(self, p: Params) -> dict[str, Any]:
        """A thread: its parent first, then the replies oldest first, paginated (the parent only on page one).

        ``ts`` may be the parent's or any reply's; a message without replies is returned alone.
        ``oldest``/``latest`` narrow the replies; the parent is always included.
        """
        channel = self._channel(p)
        with_metadata = flag(p.get("include_all_metadata"))
        window = TimeWindow.from_params(p)
        msgs = self._messages.get(channel, [])
        ts = p.get("ts")
        if not ts:
            raise SlackError("invalid_arguments")
        target = next((m for m in msgs if m["ts"] == ts), None)
        if target is None:
            raise SlackError("thread_not_found")
        root_ts = target.get("thread_ts") or target["ts"]
        parent = next((m for m in msgs if m["ts"] == root_ts), None)
        if parent is None:
            raise SlackError("thread_not_found")
        replies = [m for m in msgs if m.get("thread_ts") == root_ts and m["ts"] != root_ts and window.contains(m["ts"])]
        replies.sort(key=lambda m: ts_key(m["ts"]))
        thread = [parent, *replies]
        start, limit = offset_of(p.get("cursor")), page_limit(p.get("limit"), default=1000, maximum=1000)
        page = thread[start : start + limit]
        has_more = start + limit < len(thread)
        response: dict[str, Any] = {
            "messages": [self._visible(channel, m, with_metadata) for m in page],
            "has_more": has_more,
        }
        if has_more:
            response["response_metadata"] = {"next_cursor": cursor_for(start + limit)}
        return response

    def _visible(self, channel: str, msg: dict[str, Any], with_metadata: bool) -> dict[str, Any]:
        """A stored message as the read methods show it: thread fields filled in, metadata only on request."""
        shown: dict[str, Any] = copied(msg)
        if not with_metadata:
            shown.pop("metadata", None)
        replies = [m for m in self._messages.get(channel, []) if m.get("thread_ts") == msg["ts"] and m is not msg]
        if replies:
            users = sorted({m.get("user", "") for m in replies})
            shown.update(
                thread_ts=msg["ts"],
                reply_count=len(replies),
                reply_users=users,
                reply_users_count=len(users),
                latest_reply=max((m["ts"] for m in replies), key=ts_key),
            )
        elif msg.get("thread_ts") not in (None, msg["ts"]):
            parent = next((m for m in self._messages.get(channel, []) if m["ts"] == msg["thread_ts"]), None)
            if parent is not None:
                shown["parent_user_id"] = parent.get("user", "")
        return shown

    # ----------------------------------------------------------------- users, teams, views
    def _users_info(self, p: Params) -> dict[str, Any]:
        user = self._users.get(p.get("user", ""))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": copied(user)}

    def _team_info(self, p: Params) -> dict[str, Any]:
        team = self._teams.get(p.get("team") or self.team_id)
        if team is None:
            raise SlackError("team_not_found")
        return {"team": dict(team)}

    def _view(self, p: Params) -> dict[str, Any]:
        view = p.get("view")
        if not isinstance(view, dict):
            raise SlackError("invalid_arguments")
        view_id = p.get("view_id")
        if not view_id:
            self._view_counter += 1
            view_id = f"V{self._view_counter:08d}"
        return {
            "view": {
                **view,
                "id": view_id,
                "team_id": self.team_id,
                "hash": f"h.{view_id}",
                "bot_id": self.bot_id,
                "external_id": p.get("external_id", ""),
            }
        }
