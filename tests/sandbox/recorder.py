"""A stand-in for the app's ``/slack/events`` that records what Slack (the emulator's people) sent.

Requests are verified with ``SECRET`` (slack_sdk's SignatureVerifier); interactivity payloads
(form-encoded ``payload``) land in ``payloads``, Events API envelopes (JSON) in ``events``. Each is
answered 200 with no body, as an app that acknowledges at once.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier

SECRET = "recorder-signing-secret"


class Recorder:
    """The app's /slack/events, reduced to what Slack sent: verified, recorded, answered 200 with no body."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []  # Events API envelopes
        self.rejected = 0
        recorder, verifier = self, SignatureVerifier(SECRET)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                content_type = self.headers.get("Content-Type", "")
                if not verifier.is_valid_request(body, dict(self.headers)):
                    recorder.rejected += 1
                    self.send_response(401)
                elif content_type.startswith("application/x-www-form-urlencoded"):
                    form = parse_qs(body.decode())
                    if "payload" in form:
                        recorder.payloads.append(json.loads(form["payload"][0]))
                    self.send_response(200)
                elif content_type.startswith("application/json"):
                    recorder.events.append(json.loads(body))
                    self.send_response(200)
                else:
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [p for p in self.payloads if p.get("type") == kind]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
