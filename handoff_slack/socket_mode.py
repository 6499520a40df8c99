"""The Socket Mode door: Slack's envelopes over the app's websocket, through the same gate as HTTP.

slack_sdk's Socket Mode client (apps.connections.open with the app token, then a websocket)
hands each envelope's payload to `SocketModeDoor.handle`, which passes it to the request guard's
`SlackGate`: the same shape checks and backlog bound as an HTTP request, then Bolt. What the gate
answers becomes the envelope's acknowledgement:

- 200: acknowledged, with the response body as the ack's payload (a slash command's answer, a
  view's errors), as Bolt's own Socket Mode adapter does;
- 503 (the backlog is full): not acknowledged, so Slack delivers the envelope again later, as it
  redelivers an HTTP request answered 503;
- any other refusal (a payload of the wrong shape): acknowledged empty and dropped, since Slack
  would only send it again. Logged at INFO with the reason, never the payload.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from handoff_slack.request_guard import OVERLOADED, SlackGate

logger = logging.getLogger(__name__)


class SocketModeDoor:
    """Connects with the app token and serves envelopes through `gate` until `close()`."""

    def __init__(self, gate: SlackGate, app_token: str, web_client: WebClient, concurrency: int = 10) -> None:
        self.gate = gate
        self.client = SocketModeClient(
            app_token=app_token,
            web_client=web_client,  # apps.connections.open goes to SLACK_API_URL
            proxy=web_client.proxy,
            logger=logging.getLogger("slack_sdk.socket_mode"),
            concurrency=concurrency,
        )
        self.client.socket_mode_request_listeners.append(self.handle)

    def connect(self) -> None:
        self.client.connect()

    def close(self) -> None:
        self.client.close()

    def handle(self, client: Any, request: SocketModeRequest) -> None:
        payload = request.payload
        if not isinstance(payload, dict):
            logger.info("a Socket Mode envelope of type %s without a payload object: dropped", request.type)
            client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))
            return
        response = self.gate.handle(payload, retry_headers(request))
        if response.status == OVERLOADED:
            return  # no ack: Slack delivers it again
        if response.status != 200:
            logger.info("a Socket Mode %s envelope was refused (%s): dropped", request.type, response.status)
            client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))
            return
        client.send_socket_mode_response(
            SocketModeResponse(envelope_id=request.envelope_id, payload=ack_payload(response.body, response.headers))
        )


def retry_headers(request: SocketModeRequest) -> dict[str, str]:
    """Slack's redelivery count, as the HTTP headers a listener may read it from."""
    headers: dict[str, str] = {}
    if request.retry_attempt is not None:
        headers["x-slack-retry-num"] = str(request.retry_attempt)
    if request.retry_reason is not None:
        headers["x-slack-retry-reason"] = str(request.retry_reason)
    return headers


def ack_payload(body: str, headers: dict[str, Any]) -> dict[str, Any] | None:
    """A Bolt response body as the payload of a Socket Mode acknowledgement (None: an empty ack)."""
    if not body:
        return None
    content_type = headers.get("content-type", [""])[0]
    if content_type.startswith("application/json"):
        parsed = json.loads(body)
        return parsed if isinstance(parsed, dict) else None
    return {"text": body}
