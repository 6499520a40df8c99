"""``SlackEmulator``: a local Slack, stateful and Slack-shaped; the test suite's fake and the sandbox's Slack.

A real HTTP server on loopback that answers Slack's Web API (``api_url``, for ``SLACK_API_URL`` or
``WebClient(base_url=...)``) with Slack's envelopes and error codes, hosts files, and records every
call. Its parts: ``web_api`` (the methods), ``files`` (upload flow, ``url_private_download``),
``faults`` (errors, slow answers, held calls, dropped connections, per method and channel),
``http_server`` (the edge). ``workspace`` adds the people's side (posting, clicking, commands) and
sends it to the app through ``slack_client``.

Tests:
    emulator = SlackEmulator().start()
    emulator.add_user("U1", name="jane"); emulator.set_members("CSUPPORT", ["UAGENT"])
    ... the app posts ...
    emulator.wait_for("chat.postMessage", lambda call: call.params["channel"] == "D1")
    emulator.stop()

Synchronise with ``wait_for`` (a ``threading.Condition``), never with sleeps. ``subscribe`` tells a
listener (the sandbox's page) about every change of the workspace.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from handoff_slack.sandbox.people import People
from handoff_slack.sandbox.slack_shapes import Call, Params, copied
from handoff_slack.sandbox.state import Change, Subscriber


class SlackEmulator(People):
    def __init__(
        self,
        bot_token: str = "xoxb-test-token",
        bot_user_id: str = "UBOT",
        bot_id: str = "BBOT",
        team_id: str = "T0HOME",
        team_name: str = "Home Co",
    ) -> None:
        super().__init__(bot_token, bot_user_id, bot_id, team_id)
        self.add_team(team_id, team_name)

    def start(self, port: int = 0) -> SlackEmulator:
        super().start(port)
        return self

    def __enter__(self) -> SlackEmulator:
        return self.start()

    # ----------------------------------------------------------------- configuration
    def add_channel(
        self,
        channel: str,
        name: str | None = None,
        members: list[str] | tuple[str, ...] = (),
        *,
        is_private: bool | None = None,
        bot_member: bool = True,
    ) -> None:
        """Create a channel ("C..." public, "G..." private unless ``is_private`` says otherwise).

        ``members`` are its people; the bot is a member too unless ``bot_member=False`` (then the app's
        posts there are answered ``not_in_channel``, as Slack does).
        """
        with self._cond:
            self._register_channel(channel, name, is_private=is_private)
            self._members[channel] = list(members)
            (self._bot_channels.add if bot_member else self._bot_channels.discard)(channel)
            self._changed(Change("channel", channel))

    def set_members(self, channel: str, user_ids: list[str]) -> None:
        """The people of ``channel`` (created, with the bot in it, if it does not exist yet)."""
        with self._cond:
            if channel not in self._channels:
                self._register_channel(channel)
                self._bot_channels.add(channel)
            self._members[channel] = list(user_ids)
            self._changed(Change("member", channel))

    def set_user_group(self, group_id: str, user_ids: list[str]) -> None:
        """A user group ("S...") and its members (``usergroups.users.list``)."""
        with self._cond:
            self._user_groups[group_id] = list(user_ids)
            self._changed(Change("member", detail={"user_group": group_id}))

    def add_user(
        self,
        id: str,
        name: str | None = None,
        real_name: str | None = None,
        display_name: str = "",
        team_id: str | None = None,
        is_bot: bool = False,
        tz: str = "Europe/Berlin",
        image_48: str | None = None,
        locale: str = "en-US",
    ) -> dict[str, Any]:
        name = name or f"user_{id.lower()}"
        real_name = real_name if real_name is not None else name
        team = team_id or self.team_id
        user = {
            "id": id,
            "team_id": team,
            "name": name,
            "real_name": real_name,
            "deleted": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "tz": tz,
            "locale": locale,  # users.info shows it only with include_locale, as Slack does
            "profile": {
                "display_name": display_name,
                "real_name": real_name,
                "team": team,
                "image_48": image_48 or f"https://fake.slack.com/avatars/{id}_48.png",
            },
        }
        with self._cond:
            self._users[id] = user
            self._changed(Change("user", user=id))
        return dict(copied(user))

    def add_team(self, id: str, name: str, domain: str | None = None) -> None:
        with self._cond:
            self._teams[id] = {"id": id, "name": name, "domain": domain or name.lower().replace(" ", "-")}
            self._changed(Change("team", detail={"team": id}))

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(change)`` after every change of the workspace; returns the unsubscribe function.

        The callback runs in the thread that made the change, with the emulator's lock held: it must
        return quickly (queue the change for a web page's stream, for instance).
        """
        with self._cond:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._cond:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    # ----------------------------------------------------------------- inspection (tests)
    def calls(self, method: str | None = None, **match: Any) -> list[Call]:
        with self._cond:
            return [
                c
                for c in self._calls
                if (method is None or c.method == method)
                and all(k in c.params and c.params[k] == v for k, v in match.items())
            ]

    def wait_for(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        count: int = 1,
        timeout: float = 15.0,
    ) -> list[Call]:
        """Block until >= ``count`` successful calls of ``method`` matching ``predicate`` were recorded."""
        deadline = time.monotonic() + timeout

        def matching() -> list[Call]:
            return [c for c in self._calls if c.method == method and c.ok and (predicate is None or predicate(c))]

        with self._cond:
            found = matching()
            while len(found) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"timed out after {timeout}s waiting for {count} successful {method!r} call(s)"
                        f" matching the predicate; got {len(found)}.\n{self.dump()}"
                    )
                self._cond.wait(remaining)
                found = matching()
            return found

    def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Block until ``condition()`` (checked after every change of the workspace) is true; False on
        timeout. ``condition`` runs with the emulator's lock held and may read its state."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not condition():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def assert_no_call(self, method: str, predicate: Callable[[Call], bool] | None = None) -> None:
        bad = [c for c in self.calls(method) if predicate is None or predicate(c)]
        if bad:
            raise AssertionError(f"unexpected {method!r} call(s):\n" + "\n".join(f"  {c}" for c in bad))

    def clear_calls(self) -> None:
        with self._cond:
            self._calls.clear()

    def dump(self) -> str:
        with self._cond:
            lines = [f"  {c}" for c in self._calls]
        return "recorded calls:\n" + ("\n".join(lines) if lines else "  (none)")

    def messages(self, channel: str, thread_ts: str | None = None) -> list[dict[str, Any]]:
        """Messages of ``channel`` as stored, oldest first (the replies of ``thread_ts`` if given)."""
        with self._cond:
            msgs = self._messages.get(channel, [])
            if thread_ts is not None:
                msgs = [m for m in msgs if m.get("thread_ts") == thread_ts and m["ts"] != thread_ts]
            return [dict(m) for m in msgs]

    def ephemerals(self, user: str, channel: str | None = None) -> list[dict[str, Any]]:
        """The ephemeral messages ``user`` was shown (in ``channel`` if given), oldest first.

        Each has ``channel``, ``ts``, ``text``, ``blocks`` (if any), ``thread_ts`` (if any), ``via``
        (``chat.postEphemeral``, ``response_url`` or ``command_answer``) and ``shown`` (False for one
        Slack accepted but does not show: in a thread that had no replies yet).
        """
        with self._cond:
            shown = [m for m in self._ephemerals if m["visible_to"] == user and channel in (None, m["channel"])]
            return [dict(copied(m)) for m in shown]

    def open_views(self, user: str) -> list[dict[str, Any]]:
        """``user``'s open modals, the root first and the one on top last (empty when none is open)."""
        with self._cond:
            return [dict(copied(v)) for v in self._views.get(user, [])]

    def home_view(self, user: str) -> dict[str, Any] | None:
        """The App Home view published for ``user`` (views.publish), if any."""
        with self._cond:
            view = self._home_views.get(user)
            return dict(copied(view)) if view else None

    def users(self) -> list[dict[str, Any]]:
        """Every user as ``users.info`` shows them."""
        with self._cond:
            return [dict(copied(u)) for u in self._users.values()]

    def user(self, user_id: str) -> dict[str, Any] | None:
        with self._cond:
            found = self._users.get(user_id)
            return dict(copied(found)) if found else None

    def teams(self) -> list[dict[str, Any]]:
        """Every team (the home team first) as ``team.info`` shows them."""
        with self._cond:
            return [dict(t) for t in self._teams.values()]

    def channels(self, user: str | None = None) -> list[dict[str, Any]]:
        """Channels and DMs with messages or members, as ``conversations.info`` shows them, plus
        ``members`` (the bot included when it is in); only those ``user`` is in if given."""
        with self._cond:
            ids = list(self._channels) + sorted(c for c in self._messages if c.startswith("D"))
            found = []
            for channel in ids:
                people = self._people_in(channel)
                if user is None or user in people:
                    found.append({**self._channel_object(channel), "members": people})
            return found

    def dm_channel(self, user: str) -> str:
        """The ID of the DM between ``user`` and the app."""
        return f"D{user}"

    def conversation(self, channel: str) -> list[dict[str, Any]]:
        """The top-level messages of ``channel``, oldest first, as ``conversations.history`` shows them
        (``reply_count``, ``latest_reply``... on thread parents, metadata included), each with
        ``replies``: its thread's replies, oldest first."""
        with self._cond:
            msgs = self._messages.get(channel, [])
            top_level = [m for m in msgs if m.get("thread_ts") in (None, m["ts"])]
            shown = []
            for msg in top_level:
                replies = [m for m in msgs if m.get("thread_ts") == msg["ts"] and m is not msg]
                shown.append(
                    {
                        **self._visible(channel, msg, with_metadata=True),
                        "replies": [self._visible(channel, r, with_metadata=True) for r in replies],
                    }
                )
            return shown

    def updates(self, channel: str, ts: str) -> list[Params]:
        """The parameters of every chat.update of the message ``ts``, in order."""
        with self._cond:
            return [dict(p) for p in self._updates.get((channel, ts), [])]
