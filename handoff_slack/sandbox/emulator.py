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

from handoff_slack.sandbox.http_server import HttpEdge
from handoff_slack.sandbox.slack_shapes import Call, Params, copied
from handoff_slack.sandbox.state import Change, Subscriber


class SlackEmulator(HttpEdge):
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
    def set_members(self, channel: str, user_ids: list[str]) -> None:
        with self._cond:
            self._members[channel] = list(user_ids)
            self._changed(Change("member", channel))

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
        timeout: float = 5.0,
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

    def updates(self, channel: str, ts: str) -> list[Params]:
        """The parameters of every chat.update of the message ``ts``, in order."""
        with self._cond:
            return [dict(p) for p in self._updates.get((channel, ts), [])]
