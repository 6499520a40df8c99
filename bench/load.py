"""The load generator, in its own process: `python -m bench.load SPEC.json OUT.json`.

Sends signed Slack `event_callback` requests (customer DMs, `message.im`; and agents' replies in a
ticket's thread in the support channel) over HTTP/1.1 keep-alive connections at a fixed, open-loop
rate: event i is due at start + i / rate whatever happened to the ones before it (no waiting for
responses, so a slow server cannot slow the load down and hide its own slowness). Each event's text
carries a unique token (`tk<phase>x<seq>`) that the fake Slack's log is searched for.

SPEC: {"url" (or a list of URLs, used in turn), "rate", "duration", "phase", "targets": [{"kind": "dm", "user"} |
{"kind": "reply", "user", "thread_ts"}], "max_connections"}. Events go to the targets in turn.

OUT: {"records": [[seq, target, token, t_due, t_sent, t_answered, status], ...], ...}; times are
`bench.common.now()` (CLOCK_MONOTONIC, comparable with the fake Slack's), status -1 for a
connection error or a timeout.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from collections import deque
from typing import Any
from urllib.parse import urlsplit

from bench.common import SUPPORT_CHANNEL, TEAM_ID, now, sign

RESPONSE_TIMEOUT = 10.0  # seconds; Slack itself gives up after 3


class Timestamps:
    """Unique, increasing Slack message timestamps close to the wall clock."""

    def __init__(self) -> None:
        self.last = 0

    def __call__(self) -> str:
        self.last = max(int(time.time() * 1_000_000), self.last + 1)
        return f"{self.last // 1_000_000}.{self.last % 1_000_000:06d}"


def event_body(target: dict[str, Any], text: str, ts: str, event_id: str) -> bytes:
    if target["kind"] == "dm":
        event = {
            "type": "message",
            "channel": f"D{target['user']}",
            "user": target["user"],
            "text": text,
            "ts": ts,
            "event_ts": ts,
            "channel_type": "im",
            "team": TEAM_ID,
            "client_msg_id": str(uuid.uuid4()),
        }
    else:
        event = {
            "type": "message",
            "channel": SUPPORT_CHANNEL,
            "user": target["user"],
            "text": text,
            "ts": ts,
            "event_ts": ts,
            "thread_ts": target["thread_ts"],
            "channel_type": "channel",
            "team": TEAM_ID,
            "client_msg_id": str(uuid.uuid4()),
        }
    envelope = {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": "A0APP",
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(float(ts)),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM_ID,
                "user_id": "UBOT",
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{event_id}",
    }
    return json.dumps(envelope).encode()


def event_text(target: dict[str, Any], token: str) -> str:
    if target["kind"] == "dm":
        return f"{token} Hello, my order has not arrived yet, could you check it please?"
    return f"{token} Thanks for waiting, I am looking into it right now."


class Connections:
    """Keep-alive connections to the app, opened on demand up to a limit."""

    def __init__(self, host: str, port: int, limit: int) -> None:
        self.host, self.port, self.limit = host, port, limit
        self.idle: deque[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = deque()
        self.open = 0
        self.waiters: deque[asyncio.Future[None]] = deque()
        self.most_open = 0

    async def acquire(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        while True:
            if self.idle:
                return self.idle.popleft()
            if self.open < self.limit:
                self.open += 1
                self.most_open = max(self.most_open, self.open)
                try:
                    return await asyncio.open_connection(self.host, self.port)
                except OSError:
                    self.open -= 1
                    raise
            waiter = asyncio.get_running_loop().create_future()
            self.waiters.append(waiter)
            await waiter

    def release(self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], reusable: bool) -> None:
        if reusable:
            self.idle.append(conn)
        else:
            self.open -= 1
            conn[1].close()
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                break


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if line:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        length = int(headers.get("content-length") or 0)
        if length:
            await reader.readexactly(length)
    return status, headers.get("connection", "").lower() != "close"


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    # Several URLs (replicas of the app): events go to them in turn, like a round-robin balancer.
    urls = [urlsplit(u) for u in ([spec["url"]] if isinstance(spec["url"], str) else spec["url"])]
    rate, duration, phase = float(spec["rate"]), float(spec["duration"]), spec["phase"]
    targets = spec["targets"]
    count = max(1, int(rate * duration))
    limit = max(1, int(spec.get("max_connections", 90)) // len(urls))
    pools = [Connections(u.hostname or "127.0.0.1", u.port or 80, limit) for u in urls]
    timestamps = Timestamps()
    records: list[list[Any]] = []
    errors: dict[str, int] = {}

    # Warm the pools so the first events do not pay for TCP handshakes.
    for pool in pools:
        warm = [await pool.acquire() for _ in range(min(16, pool.limit))]
        for conn in warm:
            pool.release(conn, True)

    async def send(seq: int, due: float) -> None:
        target_index = seq % len(targets)
        target = targets[target_index]
        pool, url = pools[seq % len(pools)], urls[seq % len(pools)]
        host, port, path = pool.host, pool.port, url.path
        token = f"tk{phase}x{seq}"
        body = event_body(target, event_text(target, token), timestamps(), f"Ev{phase}{seq:08d}")
        request = (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nUser-Agent: Slackbot 1.0 (+https://api.slack.com/robots)\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in sign(body).items())
            + "\r\n"
        ).encode() + body
        sent = answered = float("nan")
        status = -1
        conn = None
        try:
            conn = await pool.acquire()
            reader, writer = conn
            sent = now()
            writer.write(request)
            status, reusable = await asyncio.wait_for(read_response(reader), RESPONSE_TIMEOUT)
            answered = now()
            pool.release(conn, reusable)
            conn = None
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as error:
            name = type(error).__name__
            errors[name] = errors.get(name, 0) + 1
            if conn is not None:
                pool.release(conn, False)
        records.append([seq, target_index, token, due, sent, answered, status])

    tasks: set[asyncio.Task[None]] = set()
    start = now() + 0.05
    behind = 0.0
    for seq in range(count):
        due = start + seq / rate
        delay = due - now()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            behind = max(behind, -delay)
        task = asyncio.create_task(send(seq, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    scheduled_until = now()
    if tasks:
        await asyncio.wait(set(tasks), timeout=RESPONSE_TIMEOUT + 5)
    for pool in pools:
        for _ in range(len(pool.idle)):
            pool.idle.popleft()[1].close()
    records.sort()
    return {
        "records": records,
        "errors": errors,
        "start": start,
        "scheduled_until": scheduled_until,
        "most_behind_schedule": behind,
        "most_connections": sum(pool.most_open for pool in pools),
    }


def main(argv: list[str]) -> int:
    spec_path, out_path = argv[1], argv[2]
    with open(spec_path) as f:
        spec = json.load(f)
    result = asyncio.run(run(spec))
    with open(out_path, "w") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
