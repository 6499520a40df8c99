"""Signed Slack requests for the benchmark's set-up and single timed steps (synchronous, keep-alive).

The load itself comes from `bench.load` (another process); this is for what the orchestrator does
one request at a time: escalations and claims that connect conversations, `/handoff-queue`, a
claim and an escalation against the queue-scale data set.
"""

from __future__ import annotations

import http.client
import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode, urlsplit

from bench.common import SUPPORT_CHANNEL, TEAM_ID, now, sign
from bench.load import event_body

CLAIM_TICKET = "handoff.claim_ticket"  # handoff_slack.blocks.action_ids.CLAIM_TICKET


class SlackEdge:
    """Signed POSTs to one app's /slack/events; returns (status, sent, answered) in `now()` time."""

    def __init__(self, events_url: str, timeout: float = 10) -> None:
        parts = urlsplit(events_url)
        self.host, self.port, self.path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None
        self._last_ts = 0
        self._events = 0

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def post(self, body: bytes, content_type: str) -> tuple[int, float, float]:
        headers = {"Content-Type": content_type, **sign(body)}
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                sent = now()
                self._conn.request("POST", self.path, body=body, headers=headers)
                response = self._conn.getresponse()
                response.read()
                return response.status, sent, now()
            except (http.client.HTTPException, ConnectionError):
                self.close()  # a keep-alive connection the server had closed: once more on a new one
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def new_ts(self) -> str:
        self._last_ts = max(int(time.time() * 1_000_000), self._last_ts + 1)
        return f"{self._last_ts // 1_000_000}.{self._last_ts % 1_000_000:06d}"

    def dm(self, user: str, text: str) -> tuple[int, float, float]:
        ts = self.new_ts()
        self._events += 1
        event_id = f"EvSetup{uuid.uuid4().hex[:12]}"
        return self.post(event_body({"kind": "dm", "user": user}, text, ts, event_id), "application/json")

    def claim(self, agent: str, ticket_id: int, message_ts: str, response_url: str) -> tuple[int, float, float]:
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": agent, "username": agent.lower(), "name": agent.lower(), "team_id": TEAM_ID},
            "api_app_id": "A0APP",
            "token": "legacy-verification-token",
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": SUPPORT_CHANNEL,
                "is_ephemeral": False,
            },
            "trigger_id": "trig",
            "team": {"id": TEAM_ID, "domain": TEAM_ID.lower()},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": SUPPORT_CHANNEL, "name": SUPPORT_CHANNEL.lower()},
            "message": {"ts": message_ts, "text": ""},
            "state": {"values": {}},
            "response_url": response_url,
            "actions": [
                {
                    "action_id": CLAIM_TICKET,
                    "block_id": "ticket",
                    "value": str(ticket_id),
                    "type": "button",
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        return self.post(urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded")

    def slash_command(self, command: str, text: str, user: str, response_url: str) -> tuple[int, float, float]:
        form = {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "team_domain": TEAM_ID.lower(),
            "channel_id": SUPPORT_CHANNEL,
            "channel_name": SUPPORT_CHANNEL.lower(),
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0APP",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": "trig",
        }
        return self.post(urlencode(form).encode(), "application/x-www-form-urlencoded")
