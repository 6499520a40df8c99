"""Modals and App Home: ``views.open``, ``views.push``, ``views.update``, ``views.publish``.

Each user has a stack of open modals (at most 3; ``push_limit_reached``). ``views.open`` and
``views.push`` need a ``trigger_id`` (``invalid_arguments`` without), as Slack documents it: one
the emulator issued (``issue_trigger``, with every interaction the workspace sends: block_actions,
slash commands, view_submission), else ``invalid_trigger_id``; within 3 seconds of the interaction,
else ``expired_trigger_id``; and exchanged once only, else ``exchanged_trigger_id``. The view opens
for the trigger's user. A test that sends a hand-made payload passes
``trigger_id=emulator.issue_trigger(user)`` when the app is to open a modal. ``views.update`` finds the view by
``view_id`` or ``external_id`` (``not_found``) and refuses a stale ``hash`` (``hash_conflict``).
Views are checked like messages' blocks (at most 100 blocks) and need a ``type`` and, for modals,
a plain-text ``title``.
"""

from __future__ import annotations

import time
from typing import Any

from handoff_slack.sandbox.block_rules import check_blocks
from handoff_slack.sandbox.conversations import Handler
from handoff_slack.sandbox.slack_shapes import Params, SlackError, copied
from handoff_slack.sandbox.state import Change
from handoff_slack.sandbox.web_api import WebApi

TRIGGER_SECONDS = 3.0
MAX_STACK = 3


class Views(WebApi):
    def _view_handlers(self) -> dict[str, Handler]:
        return {
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
        }

    def issue_trigger(self, user: str) -> str:
        """A fresh ``trigger_id`` for an interaction of ``user`` (valid for 3 seconds)."""
        with self._cond:
            trigger = f"{len(self._triggers) + 1}.{int(time.time())}.{user.lower()}"
            self._triggers[trigger] = (user, time.monotonic())
            return trigger

    def _trigger_user(self, p: Params) -> str:
        trigger = str(p.get("trigger_id") or "")
        if not trigger:
            raise SlackError("invalid_arguments")
        issued = self._triggers.get(trigger)
        if issued is None:
            raise SlackError("invalid_trigger_id")
        user, at = issued
        if time.monotonic() - at > TRIGGER_SECONDS:
            raise SlackError("expired_trigger_id")
        if trigger in self._used_triggers:
            raise SlackError("exchanged_trigger_id")
        return user

    def _new_view(self, p: Params, *, root: dict[str, Any] | None = None, view_id: str | None = None) -> dict[str, Any]:
        view = p.get("view")
        if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
            raise SlackError("invalid_arguments")
        if view["type"] == "modal":
            title = view.get("title")
            if not isinstance(title, dict) or not str(title.get("text") or "").strip():
                raise SlackError("invalid_arguments")
        check_blocks(view.get("blocks") or [], maximum=100)
        if view_id is None:
            self._view_counter += 1
            view_id = f"V{self._view_counter:08d}"
        shown: dict[str, Any] = {
            "callback_id": "",
            "private_metadata": "",
            "clear_on_close": False,
            "notify_on_close": False,
            **copied(view),
            "id": view_id,
            "team_id": self.team_id,
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{self._view_counter:08d}",
            "app_id": "A0APP",
            "bot_id": self.bot_id,
            "external_id": view.get("external_id") or p.get("external_id") or "",
            "root_view_id": root["id"] if root else view_id,
            "previous_view_id": None,
        }
        return shown

    def _views_open(self, p: Params) -> dict[str, Any]:
        user = self._trigger_user(p)
        view = self._new_view(p)
        self._used_triggers.add(str(p["trigger_id"]))
        self._views[user] = [view]
        self._changed(Change("view_opened", user=user, detail={"view_id": view["id"]}))
        return {"view": copied(view)}

    def _views_push(self, p: Params) -> dict[str, Any]:
        user = self._trigger_user(p)
        stack = self._views.get(user) or []
        if not stack:
            raise SlackError("not_found")
        if len(stack) >= MAX_STACK:
            raise SlackError("push_limit_reached")
        view = self._new_view(p, root=stack[0])
        self._used_triggers.add(str(p["trigger_id"]))
        view["previous_view_id"] = stack[-1]["id"]
        stack.append(view)
        self._changed(Change("view_opened", user=user, detail={"view_id": view["id"]}))
        return {"view": copied(view)}

    def _views_update(self, p: Params) -> dict[str, Any]:
        view_id, external_id = p.get("view_id"), p.get("external_id")
        if not view_id and not external_id:
            raise SlackError("invalid_arguments")
        for user, stack in self._views.items():
            for index, old in enumerate(stack):
                if old["id"] == view_id or (external_id and old["external_id"] == external_id):
                    if p.get("hash") and p["hash"] != old["hash"]:
                        raise SlackError("hash_conflict")
                    root = stack[0] if index else None
                    view = self._new_view(p, root=root, view_id=old["id"])
                    view["previous_view_id"] = old["previous_view_id"]
                    stack[index] = view
                    self._changed(Change("view_updated", user=user, detail={"view_id": view["id"]}))
                    return {"view": copied(view)}
        raise SlackError("not_found")

    def _views_publish(self, p: Params) -> dict[str, Any]:
        user = str(p.get("user_id") or "")
        if user not in self._users:
            raise SlackError("user_not_found")
        view = self._new_view(p)
        self._home_views[user] = view
        self._changed(Change("view_updated", user=user, detail={"view_id": view["id"], "home": True}))
        return {"view": copied(view)}

    # ----------------------------------------------------------------- used by the workspace
    def _close_views(self, user: str, view_id: str | None = None) -> None:
        """Close ``view_id`` and the views pushed on it (all of ``user``'s if None); holds ``_cond``."""
        stack = self._views.get(user, [])
        index = next((i for i, v in enumerate(stack) if v["id"] == view_id), 0) if view_id else 0
        del stack[index:]
        self._changed(Change("view_closed", user=user, detail={"view_id": view_id or ""}))
