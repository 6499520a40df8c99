"""What the benchmark's processes share: the workspace's names (users, channel, secrets), event tokens,
the clock and request signing. Starting and stopping processes: `bench.processes`."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

SIGNING_SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-bench-token"
BOT_USER_ID = "UBOT"
TEAM_ID = "T0HOME"
SUPPORT_CHANNEL = "CSUPPORT"
ADMIN = "UADMIN"
# The support channel's members: 200 agents in the queue-scale and routing phases (`bench.seed`
# gives them profiles); the load phases' conversations are claimed by the first 20.
ROSTER = [f"UAGENT{i:02d}" for i in range(1, 201)]
AGENTS = ROSTER[:20]

# Every benchmark event's text carries one unique token; the fake Slack's log is searched for it.
TOKEN_RE = re.compile(r"\btk[0-9a-z]+x[0-9]+\b")


def now() -> float:
    """The benchmark's shared clock: CLOCK_MONOTONIC is system-wide on Linux, so the load generator's
    send times and the fake Slack's arrival times (other processes) are directly comparable."""
    return time.monotonic()


def sign(body: bytes, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}
