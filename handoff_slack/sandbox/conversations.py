"""Conversations, people and the workspace: ``conversations.*``, ``users.info``, ``usergroups.users.list``,
``team.info``, ``auth.test``.

Channels ("C..." public, "G..." private) exist once added (``add_channel``/``set_members``); a DM is
"D" + the user's ID and always exists (the bot is in it). Unknown channels are ``channel_not_found``;
reading a channel the bot is not in is ``not_in_channel``. ``conversations.members`` lists the
bot too when it is a member, as Slack does. The read methods page with ``cursor``/``limit``
(``has_more``, ``response_metadata.next_cursor``), filter with ``oldest``/``latest``/``inclusive``,
and return ``metadata`` only with ``include_all_metadata``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from handoff_slack.sandbox.faults import Faults
from handoff_slack.sandbox.slack_shapes import (
    Params,
    SlackError,
    TimeWindow,
    copied,
    cursor_for,
    flag,
    offset_of,
    page_limit,
    ts_key,
)

Handler = Callable[[Params], dict[str, Any]]


class Conversations(Faults):
    def _conversation_handlers(self) -> dict[str, Handler]:
        return {
            "auth.test": self._auth_test,
            "apps.connections.open": self._apps_connections_open,
            "conversations.open": self._conversations_open,
            "conversations.members": self._conversations_members,
            "conversations.info": self._conversations_info,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "users.info": self._users_info,
            "usergroups.users.list": self._usergroups_users_list,
            "team.info": self._team_info,
        }

    # ----------------------------------------------------------------- channels and their members
    def _exists(self, channel: str) -> bool:
        return channel.startswith("D") or channel in self._channels

    def _bot_is_in(self, channel: str) -> bool:
        return channel.startswith("D") or channel in self._bot_channels

    def _people_in(self, channel: str) -> list[str]:
        """The channel's members as Slack lists them (the bot included when it is in)."""
        if channel.startswith("D"):
            return [channel[1:], self.bot_user_id]
        people = list(self._members.get(channel, []))
        if channel in self._bot_channels and self.bot_user_id not in people:
            people.append(self.bot_user_id)
        return people

    def _register_channel(self, channel: str, name: str | None = None, *, is_private: bool | None = None) -> None:
        """Add ``channel`` unless known; the caller holds ``_cond``."""
        if channel.startswith("D") or channel in self._channels:
            return
        private = channel.startswith("G") if is_private is None else is_private
        self._channels[channel] = {"id": channel, "name": name or channel.lower(), "is_private": private}
        self._members.setdefault(channel, [])

    # ----------------------------------------------------------------- auth, apps
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

    def _channel(self, p: Params, key: str = "channel") -> str:
        channel = p.get(key)
        if not channel:
            raise SlackError("channel_not_found")
        channel = str(channel)
        if channel[0] in "UW":  # posting to a user id lands in the bot's DM with them
            channel = "D" + channel
        if not self._exists(channel):
            raise SlackError("channel_not_found")
        return channel

    def _readable_channel(self, p: Params) -> str:
        """The ``channel`` parameter of a read method: it exists and the bot is in it."""
        channel = self._channel(p)
        if not self._bot_is_in(channel):
            raise SlackError("not_in_channel")
        return channel

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
        channel = self._readable_channel(p)
        members = self._people_in(channel)
        limit = page_limit(p.get("limit"), default=100, maximum=1000)
        start = offset_of(p.get("cursor"))
        end = start + limit
        nxt = cursor_for(end) if end < len(members) else ""
        return {"members": members[start:end], "response_metadata": {"next_cursor": nxt}}

    def _conversations_info(self, p: Params) -> dict[str, Any]:
        channel = self._channel(p)
        return {"channel": self._channel_object(channel)}

    def _channel_object(self, channel: str) -> dict[str, Any]:
        """A conversation object as ``conversations.info`` shows it."""
        is_im = channel.startswith("D")
        known = self._channels.get(channel, {})
        teams = {self._users.get(u, {}).get("team_id", self.team_id) for u in self._people_in(channel)}
        shown: dict[str, Any] = {
            "id": channel,
            "name": known.get("name", channel.lower()),
            "is_channel": not is_im and not known.get("is_private", False),
            "is_group": not is_im and bool(known.get("is_private", False)),
            "is_im": is_im,
            "is_private": is_im or bool(known.get("is_private", False)),
            "is_member": self._bot_is_in(channel),
            "is_ext_shared": len(teams - {self.team_id}) > 0,
            "context_team_id": self.team_id,
        }
        if is_im:
            shown["user"] = channel[1:]
        return shown

    def _conversations_history(self, p: Params) -> dict[str, Any]:
        """Top-level messages (thread parents included, replies not), newest first, paginated."""
        channel = self._readable_channel(p)
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
        channel = self._readable_channel(p)
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
        """As Slack: `tz_offset` is the zone's offset now (seconds east of UTC); `locale` only with
        ``include_locale``."""
        user = self._users.get(p.get("user", ""))
        if user is None:
            raise SlackError("user_not_found")
        shown = copied(user)
        locale = shown.pop("locale", None)
        if flag(p.get("include_locale")) and locale is not None:
            shown["locale"] = locale
        tz = shown.get("tz")
        if isinstance(tz, str) and "tz_offset" not in shown:
            offset = datetime.now(ZoneInfo(tz)).utcoffset()
            shown["tz_offset"] = int(offset.total_seconds()) if offset is not None else 0
        return {"user": shown}

    def _usergroups_users_list(self, p: Params) -> dict[str, Any]:
        """A user group's members (IDs), as Slack lists them; an unknown group is ``no_such_subteam``."""
        group = str(p.get("usergroup") or "")
        if not group:
            raise SlackError("invalid_arguments")
        members = self._user_groups.get(group)
        if members is None:
            raise SlackError("no_such_subteam")
        return {"users": list(members)}

    def _team_info(self, p: Params) -> dict[str, Any]:
        team = self._teams.get(p.get("team") or self.team_id)
        if team is None:
            raise SlackError("team_not_found")
        return {"team": dict(team)}
