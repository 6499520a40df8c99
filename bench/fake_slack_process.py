"""A lean fake Slack Web API in its own process, for the benchmark: `python -m bench.fake_slack_process`.

It answers like Slack for the calls the app and the bare Bolt app make (auth.test, users.info,
team.info, conversations.members/open/history/replies, chat.postMessage/update/postEphemeral/delete,
response_url posts) and timestamps every call on arrival with the benchmark's shared clock
(`bench.common.now`, CLOCK_MONOTONIC). The log of message-carrying calls is read back over HTTP:

    GET /bench/log?since=N   -> {"next": M, "entries": [[t, method, channel, thread_ts, ts, text], ...]}
    GET /bench/stats         -> calls per method
    GET /bench/health        -> ok

Why not tests/support/fake_slack.py: that one is built for assertions (a thread per connection,
every call kept with its parameters and headers, one lock around everything, linear searches over
all messages of a channel). Under a few hundred calls per second on two shared cores its own cost
would show up in the latencies being measured. This one is a single asyncio loop with a hand-written
HTTP/1.1 parser: ~50 microseconds of work per call.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bench.common import AGENTS, BOT_TOKEN, BOT_USER_ID, ROSTER, TEAM_ID, now

LOGGED = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral"})
MAX_TEXT = 400  # characters of each logged text (tokens and setup markers are near the start)


class FakeSlack:
    def __init__(self, members: int = len(AGENTS)) -> None:
        self.members = ROSTER[:members]  # the support channel's (the agents')
        self.log: list[list[Any]] = []
        self.stats: dict[str, int] = {}
        self._last_ts_us = 0
        # Posts that carry metadata, per channel: what conversations.history/replies can return.
        self._with_metadata: dict[str, list[dict[str, Any]]] = {}

    def new_ts(self) -> str:
        self._last_ts_us = max(int(time.time() * 1_000_000), self._last_ts_us + 1)
        return f"{self._last_ts_us // 1_000_000}.{self._last_ts_us % 1_000_000:06d}"

    # -- dispatch ----------------------------------------------------------------------------------
    def handle(self, verb: str, target: str, headers: dict[str, str], body: bytes, arrived: float) -> tuple[int, Any]:
        url = urlsplit(target)
        path = url.path
        if path.startswith("/api/"):
            method = path[5:]
            params = self._params(url.query, headers.get("content-type", ""), body)
            auth = headers.get("authorization", "")
            self.stats[method] = self.stats.get(method, 0) + 1
            if auth != f"Bearer {BOT_TOKEN}" and params.get("token") != BOT_TOKEN:
                return 200, {"ok": False, "error": "invalid_auth"}
            response = self.api(method, params)
            if method in LOGGED:
                self.log.append(
                    [
                        arrived,
                        method,
                        response.get("channel") or params.get("channel"),
                        params.get("thread_ts") or None,
                        response.get("ts") or response.get("message_ts"),
                        str(params.get("text") or "")[:MAX_TEXT],
                    ]
                )
            return 200, response
        if path.startswith("/response/"):
            name = "response_url:" + path[len("/response/") :]
            params = self._params(url.query, headers.get("content-type", ""), body)
            self.stats[name] = self.stats.get(name, 0) + 1
            self.log.append([arrived, name, None, None, None, str(params.get("text") or "")[:MAX_TEXT]])
            return 200, "ok"
        if path == "/bench/log":
            since = int(dict(parse_qsl(url.query)).get("since", 0))
            return 200, {"next": len(self.log), "entries": self.log[since:]}
        if path == "/bench/stats":
            return 200, self.stats
        if path == "/bench/health":
            return 200, {"ok": True}
        return 404, {"ok": False, "error": "not_found"}

    @staticmethod
    def _params(query: str, content_type: str, body: bytes) -> dict[str, Any]:
        params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        if not body:
            return params
        if "json" in content_type:
            parsed = json.loads(body)
            if isinstance(parsed, dict):
                params.update(parsed)
        else:
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            metadata = params.get("metadata")
            if isinstance(metadata, str) and metadata.startswith("{"):
                params["metadata"] = json.loads(metadata)
        return params

    # -- the Web API ---------------------------------------------------------------------------------
    def api(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        if method == "chat.postMessage":
            channel = str(p.get("channel") or "")
            if not channel:
                return {"ok": False, "error": "channel_not_found"}
            if channel[0] in "UW":
                channel = "D" + channel
            if not p.get("text") and not p.get("blocks") and not p.get("attachments"):
                return {"ok": False, "error": "no_text"}
            ts = self.new_ts()
            message = {"type": "message", "text": p.get("text", ""), "user": BOT_USER_ID, "bot_id": "BBOT", "ts": ts}
            if p.get("thread_ts"):
                message["thread_ts"] = p["thread_ts"]
            if p.get("metadata"):
                message["metadata"] = p["metadata"]
                self._with_metadata.setdefault(channel, []).append(message)
            return {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method == "chat.update":
            return {"ok": True, "channel": p.get("channel"), "ts": p.get("ts"), "text": p.get("text", "")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self.new_ts()}
        if method == "chat.delete":
            return {"ok": True, "channel": p.get("channel"), "ts": p.get("ts")}
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://bench.fake.slack.com/",
                "team": "Bench Co",
                "user": "handoff-bot",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": "BBOT",
                "is_enterprise_install": False,
            }
        if method == "users.info":
            user_id = str(p.get("user") or "")
            if not user_id:
                return {"ok": False, "error": "user_not_found"}
            name = ("Agent " if user_id.startswith("UAGENT") else "Customer ") + user_id
            return {
                "ok": True,
                "user": {
                    "id": user_id,
                    "team_id": TEAM_ID,
                    "name": user_id.lower(),
                    "real_name": name,
                    "deleted": False,
                    "is_bot": False,
                    "profile": {
                        "display_name": name,
                        "real_name": name,
                        "team": TEAM_ID,
                        "image_48": f"https://fake.slack.com/avatars/{user_id}_48.png",
                    },
                },
            }
        if method == "team.info":
            team = str(p.get("team") or TEAM_ID)
            return {"ok": True, "team": {"id": team, "name": f"Team {team}", "domain": team.lower()}}
        if method == "conversations.members":
            return {"ok": True, "members": list(self.members), "response_metadata": {"next_cursor": ""}}
        if method == "conversations.open":
            users = [u for u in str(p.get("users") or "").split(",") if u]
            return {"ok": True, "channel": {"id": p.get("channel") or ("D" + users[0] if users else "DUNKNOWN")}}
        if method in ("conversations.history", "conversations.replies"):
            channel = str(p.get("channel") or "")
            oldest = float(p.get("oldest") or 0)
            found = [m for m in self._with_metadata.get(channel, []) if float(m["ts"]) >= oldest]
            if method == "conversations.replies":
                found = [m for m in found if m.get("thread_ts") == p.get("ts")]
            else:
                found = [m for m in found if not m.get("thread_ts")]
            return {"ok": True, "messages": found, "has_more": False}
        return {"ok": True}


async def serve(fake: FakeSlack, host: str, port: int, ready: asyncio.Future[int]) -> None:
    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                verb, target, version = lines[0].split(" ", 2)
                headers: dict[str, str] = {}
                for line in lines[1:]:
                    if line:
                        key, _, value = line.partition(":")
                        headers[key.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                body = await reader.readexactly(length) if length else b""
                arrived = now()
                try:
                    status, payload = fake.handle(verb, target, headers, body, arrived)
                except Exception as error:  # a bug here must show, not hang the client
                    status, payload = 500, {"ok": False, "error": f"fake_crashed: {type(error).__name__}: {error}"}
                if isinstance(payload, str):
                    data, content_type = payload.encode(), "text/plain"
                else:
                    data, content_type = json.dumps(payload).encode(), "application/json; charset=utf-8"
                keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
                writer.write(
                    f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
                    f"Content-Type: {content_type}\r\nContent-Length: {len(data)}\r\n"
                    f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n".encode()
                    + data
                )
                await writer.drain()
                if not keep_alive:
                    return
        except ConnectionError:
            return
        finally:
            writer.close()

    server = await asyncio.start_server(connection, host, port, backlog=1024)
    ready.set_result(server.sockets[0].getsockname()[1])
    async with server:
        await server.serve_forever()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--members", type=int, default=len(AGENTS), help=f"agents in the support channel (up to {len(ROSTER)})"
    )
    args = parser.parse_args()

    loop = asyncio.new_event_loop()
    fake = FakeSlack(args.members)
    ready: asyncio.Future[int] = loop.create_future()
    ready.add_done_callback(lambda f: print(f"READY {f.result()}", flush=True))
    task = loop.create_task(serve(fake, args.host, args.port, ready))
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
    try:
        loop.run_until_complete(task)
    except asyncio.CancelledError:
        pass
    finally:
        loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
