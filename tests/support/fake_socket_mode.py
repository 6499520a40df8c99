"""A fake Socket Mode endpoint: a real local websocket server that sends envelopes and records acks.

Point the fake Slack's `apps.connections.open` at it (`fake_slack.socket_mode_url = socket.url`);
the app's Socket Mode client then connects here. `send` puts an envelope on the connection and
returns its ID; `wait_for_ack` waits (on a condition, with a timeout) for the app's acknowledgement.
Served by aiohttp in a thread of its own.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import uuid
from typing import Any

from aiohttp import WSMsgType, web

from tests.support.slack_requests import next_event_id


class FakeSocketMode:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._acks: dict[str, dict[str, Any]] = {}  # envelope ID -> the ack as received
        self._connections: list[web.WebSocketResponse] = []
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/link/?ticket=test"

    def start(self) -> FakeSocketMode:
        self._thread = threading.Thread(target=self._loop.run_forever, name="fake-socket-mode", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(10)
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
            self._runner = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        self._loop.close()

    def __enter__(self) -> FakeSocketMode:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what a test does ------------------------------------------------------------------------------

    def wait_connected(self, timeout: float = 10.0) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: self._connections, timeout):
                raise AssertionError("the app never connected to the Socket Mode endpoint")

    def send(self, payload: Any, kind: str = "events_api", *, envelope_id: str | None = None, **extra: Any) -> str:
        """Send an envelope to the connected app; returns its ID (pass `envelope_id` for a redelivery)."""
        self.wait_connected()
        envelope_id = envelope_id or str(uuid.uuid4())
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload, **extra}
        envelope.setdefault("accepts_response_payload", kind != "events_api")
        with self._cond:
            connection = self._connections[-1]
        asyncio.run_coroutine_threadsafe(connection.send_str(json.dumps(envelope)), self._loop).result(10)
        return envelope_id

    def ack(self, envelope_id: str) -> dict[str, Any] | None:
        with self._cond:
            return self._acks.get(envelope_id)

    def wait_for_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while envelope_id not in self._acks:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no ack for envelope {envelope_id} within {timeout} s")
                self._cond.wait(left)
            return self._acks[envelope_id]

    # -- the server ------------------------------------------------------------------------------------

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_get("/link/", self._link)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.SockSite(self._runner, self._socket).start()

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        connection = web.WebSocketResponse(autoping=True)
        await connection.prepare(request)
        with self._cond:
            self._connections.append(connection)
            self._cond.notify_all()
        await connection.send_str(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {}}))
        try:
            async for message in connection:
                if message.type != WSMsgType.TEXT:
                    continue
                ack = json.loads(message.data)
                if isinstance(ack, dict) and "envelope_id" in ack:
                    with self._cond:
                        self._acks[ack["envelope_id"]] = ack
                        self._cond.notify_all()
        finally:
            with self._cond:
                self._connections.remove(connection)
        return connection


def event_callback(event: dict[str, Any], team_id: str = "T0HOME") -> dict[str, Any]:
    """An Events API payload as Socket Mode carries it (the HTTP body, without signature)."""
    event_id = next_event_id()
    return {
        "team_id": team_id,
        "api_app_id": "A0APP",
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(float(event.get("ts") or time.time())),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": "UBOT",
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{event_id}",
    }
