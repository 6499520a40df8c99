"""The load generator, in its own process: `python -m bench.load SPEC.json OUT.json`.

Sends signed Slack `event_callback` requests (customer DMs, `message.im`; and agents' replies in a
ticket's thread in the support channel) over HTTP/1.1 keep-alive connections at a fixed, open-loop
rate: event i is due at start + i / rate whatever happened to the ones before it (no waiting for
responses, so a slow server cannot slow the load down and hide its own slowness). Each event's text
carries a unique token (`tk<phase>x<seq>`) that the fake Slack's log is searched for.

Failed deliveries are redelivered like Slack does: after a 5xx answer (the app's 503 when its
backlog is full), a connection failure or a timeout, the same body (same `event_id`) goes again,
signed anew, with `X-Slack-Retry-Num` (1, 2, 3) and `X-Slack-Retry-Reason`, at most 3 times. Slack
waits about a second, a minute, then five minutes; here `RETRY_DELAYS` (1, 2, 4 s) keep a run
short. Redeliveries wait on their own timers and go over their own connections, so the first
deliveries keep their schedule. A 4xx is not redelivered: in the benchmark it means the request is
wrong, and a redelivery would only hide that.

SPEC: {"url" (or a list of URLs, used in turn), "rate", "duration", "phase", "targets": [{"kind": "dm", "user"} |
{"kind": "reply", "user", "thread_ts"}], "max_connections", "retry_delays" (optional)}. Events go to the
targets in turn.

OUT: {"records": [[seq, target, token, t_due, t_sent, t_answered, status, requests], ...], ...}: one
record per event. `t_sent` is when its first delivery was written (or failed to connect);
`t_answered` and `status` are its last request's; `requests` has one [retry_num, t_sent, t_answered,
status] per request, the first delivery (retry 0) and each redelivery. Times are `bench.common.now()`
(CLOCK_MONOTONIC, comparable with the fake Slack's), NaN when there is none; status -1 for a
connection error, a timeout, or a request still unfinished when the run ended.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
import time
import uuid
from collections import deque
from typing import Any
from urllib.parse import urlsplit

from bench.common import SUPPORT_CHANNEL, TEAM_ID, now, sign

RESPONSE_TIMEOUT = 10.0  # seconds; Slack itself gives up after 3
# Before each redelivery (X-Slack-Retry-Num 1, 2, 3). Slack's are ~immediately, 1 min and 5 min;
# these are short so that a run stays short.
RETRY_DELAYS = (1.0, 2.0, 4.0)
# Per URL, besides `max_connections` (90): waitress's connection_limit (100) counts its listening socket
# and its trigger too, and a connection past it hangs unanswered, so 90 + 8 at most.
REDELIVERY_CONNECTIONS = 8


def end_wait(retry_delays: tuple[float, ...] | list[float] = RETRY_DELAYS) -> float:
    """How long, at most, the end of a run waits for events still being delivered or redelivered
    (every request timing out, plus the delays between them)."""
    return RESPONSE_TIMEOUT * (len(retry_delays) + 1) + sum(retry_delays) + 5


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
    retry_delays = [float(d) for d in spec.get("retry_delays", RETRY_DELAYS)]
    count = max(1, int(rate * duration))
    limit = max(1, int(spec.get("max_connections", 90)) // len(urls))
    pools = [Connections(u.hostname or "127.0.0.1", u.port or 80, limit) for u in urls]
    # Redeliveries have connections of their own: waiting for one must not delay a first delivery.
    redelivery_pools = [Connections(pool.host, pool.port, REDELIVERY_CONNECTIONS) for pool in pools]
    timestamps = Timestamps()
    events: dict[int, list[Any]] = {}  # seq -> [target, token, t_due, requests (as in OUT)]
    errors: dict[str, int] = {}

    # Warm the pools so the first events do not pay for TCP handshakes.
    for pool in pools:
        warm = [await pool.acquire() for _ in range(min(16, pool.limit))]
        for conn in warm:
            pool.release(conn, True)

    async def request(pool: Connections, data: bytes, attempt: list[Any]) -> str | None:
        """One request; fills `attempt` ([retry_num, t_sent, t_answered, status]) and returns the
        X-Slack-Retry-Reason Slack would redeliver it with, or None when it would not."""
        conn = None
        try:
            conn = await pool.acquire()
            reader, writer = conn
            attempt[1] = now()
            writer.write(data)
            status, reusable = await asyncio.wait_for(read_response(reader), RESPONSE_TIMEOUT)
            attempt[2], attempt[3] = now(), status
            pool.release(conn, reusable)
            conn = None
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as error:
            name = type(error).__name__
            errors[name] = errors.get(name, 0) + 1
            if conn is not None:
                pool.release(conn, False)
            if math.isnan(attempt[1]):
                attempt[1] = now()  # no connection: this is when it was tried
            if isinstance(error, TimeoutError):  # before OSError: TimeoutError is one
                return "http_timeout"
            if isinstance(error, (OSError, asyncio.IncompleteReadError)):
                return "connection_failed"
            return "unknown_error"
        except asyncio.CancelledError:  # the run ended with this request unanswered
            if conn is not None:
                pool.release(conn, False)
            raise
        return "http_error" if status >= 500 else None

    async def deliver(seq: int) -> None:
        target_index, token, _, requests = events[seq]
        target = targets[target_index]
        url = urls[seq % len(pools)]
        pool, redelivery_pool = pools[seq % len(pools)], redelivery_pools[seq % len(pools)]
        # One body for the event and all its redeliveries (same event_id), each request signed anew.
        body = event_body(target, event_text(target, token), timestamps(), f"Ev{phase}{seq:08d}")
        head = (
            f"POST {url.path} HTTP/1.1\r\nHost: {pool.host}:{pool.port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nUser-Agent: Slackbot 1.0 (+https://api.slack.com/robots)\r\n"
        )
        reason = None
        for retry in range(len(retry_delays) + 1):
            headers: dict[str, str] = {}
            if retry:
                await asyncio.sleep(retry_delays[retry - 1])
                headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": str(reason)}
            headers.update(sign(body))
            data = (head + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode() + body
            attempt = [retry, float("nan"), float("nan"), -1]
            requests.append(attempt)
            reason = await request(redelivery_pool if retry else pool, data, attempt)
            if reason is None:
                return

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
        events[seq] = [seq % len(targets), f"tk{phase}x{seq}", due, []]
        task = asyncio.create_task(deliver(seq))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    scheduled_until = now()
    # Wait for the last answers and the outstanding redeliveries, for a bounded time.
    unfinished = 0
    if tasks:
        _, pending = await asyncio.wait(set(tasks), timeout=end_wait(retry_delays))
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
        unfinished = len(pending)
        if unfinished:
            errors["Unfinished"] = unfinished
    for pool in [*pools, *redelivery_pools]:
        for _ in range(len(pool.idle)):
            pool.idle.popleft()[1].close()
    records = []
    for seq in sorted(events):
        target_index, token, due, requests = events[seq]
        first, last = (requests[0], requests[-1]) if requests else ([0, math.nan, math.nan, -1],) * 2
        records.append([seq, target_index, token, due, first[1], last[2], last[3], requests])
    return {
        "records": records,
        "errors": errors,
        "unfinished": unfinished,
        "retry_delays": retry_delays,
        "start": start,
        "scheduled_until": scheduled_until,
        "finished": now(),
        "most_behind_schedule": behind,
        "most_connections": sum(pool.most_open for pool in pools),
        "most_redelivery_connections": sum(pool.most_open for pool in redelivery_pools),
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
