"""The page's "Slack faults" drawer: what the visitor arms on the emulated Slack, and what is armed.

``state()`` lists the methods and channels a fault can target and what is armed now (the emulator's
``armed()``); ``arm(request)`` arms one kind of fault through the emulator's fault API (``fail``,
``fail_in``, ``delay``, ``delay_in``); ``heal()`` ends them all. A request is

    {"method": "chat.postMessage", "channel": "" or a channel ID, "kind": "429" | "500" | "slow" | "drop",
     "count": 1..1000 or null (until healed), "retry_after": seconds (429), "seconds": seconds (slow)}

and anything else is refused with the reason (``invalid_<field>``), never half-armed.
"""

from __future__ import annotations

from typing import Any

from handoff_slack.sandbox.emulator import SlackEmulator
from handoff_slack.sandbox.faults import DROP
from handoff_slack.sandbox.personas import Personas

KINDS = ("429", "500", "slow", "drop")
MAX_COUNT = 1000
MAX_RETRY_AFTER = 60
MAX_SLOW_SECONDS = 30.0  # slower than the app's client timeout is a dropped answer anyway
# Shown first in the drawer's list: the methods the help desk's traffic goes through.
COMMON_METHODS = (
    "chat.postMessage",
    "chat.update",
    "chat.postEphemeral",
    "chat.delete",
    "conversations.history",
    "conversations.replies",
    "users.info",
    "views.open",
    "files.getUploadURLExternal",
    "files.completeUploadExternal",
    "file_upload",
    "file_download",
)


class Refused(Exception):
    """An arm request the drawer cannot carry out; the message is the reason."""


class FaultPanel:
    def __init__(self, emulator: SlackEmulator, cast: Personas) -> None:
        self.emulator = emulator
        self.cast = cast

    def state(self) -> dict[str, Any]:
        methods = self.emulator.methods()
        common = [m for m in COMMON_METHODS if m in methods]
        return {
            "ok": True,
            "kinds": list(KINDS),
            "methods": common + [m for m in methods if m not in common],
            "channels": self._channels(),
            "armed": self.emulator.armed(),
        }

    def arm(self, request: dict[str, Any]) -> dict[str, Any]:
        try:
            self._arm(request)
        except Refused as refused:
            return {"ok": False, "error": str(refused)}
        return self.state()

    def heal(self) -> dict[str, Any]:
        self.emulator.heal()
        self.emulator.clear_delays()
        return self.state()

    def _channels(self) -> list[dict[str, str]]:
        support = {"id": self.cast.support_channel, "label": "#support"}
        dms = [
            {"id": self.emulator.dm_channel(p.user_id), "label": f"DM of {p.real_name}"}
            for p in self.cast.all
            if p.role == "customer"
        ]
        name = next((c["name"] for c in self.emulator.channels() if c["id"] == self.cast.shared_channel), "shared")
        shared = {"id": self.cast.shared_channel, "label": f"#{name} (Slack Connect)"}
        return [support, shared, *dms]

    def _arm(self, r: dict[str, Any]) -> None:
        method = r.get("method")
        if not isinstance(method, str) or method not in self.emulator.methods():
            raise Refused("invalid_method")
        channel = r.get("channel") or None
        if channel is not None and channel not in {c["id"] for c in self._channels()}:
            raise Refused("invalid_channel")
        kind = r.get("kind")
        if kind not in KINDS:
            raise Refused("invalid_kind")
        count = r.get("count", 1)  # null: until healed
        if count is not None and (not _is_int(count) or not 1 <= count <= MAX_COUNT):
            raise Refused("invalid_count")
        if kind == "slow":
            seconds = r.get("seconds")
            if not isinstance(seconds, int | float) or isinstance(seconds, bool) or not 0 < seconds <= MAX_SLOW_SECONDS:
                raise Refused("invalid_seconds")
            if channel is None:
                self.emulator.delay(method, float(seconds), count)
            else:
                self.emulator.delay_in(channel, method, float(seconds), count)
            return
        retry_after = None
        if kind == "429":
            retry_after = r.get("retry_after", 1)
            if not _is_int(retry_after) or not 0 <= retry_after <= MAX_RETRY_AFTER:
                raise Refused("invalid_retry_after")
        status = {"429": 429, "500": 500, "drop": DROP}[kind]
        if channel is None:
            self.emulator.fail(method, status, count, retry_after)
        else:
            self.emulator.fail_in(channel, method, status, count, retry_after)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
