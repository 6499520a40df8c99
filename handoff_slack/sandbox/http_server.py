"""The emulator's HTTP edge: Slack's Web API at ``/api/<method>``, file transfers, response_urls.

A ``ThreadingHTTPServer`` on loopback (a free port unless one is given). Each request is recorded as a
``Call`` after it is answered or handled; scripted faults, delays and holds (``faults``) apply here.
Web API calls need the bot token (``Authorization: Bearer`` or a ``token`` parameter) and are
answered with Slack's envelope: HTTP 200 and ``{"ok": true, ...}`` or ``{"ok": false, "error": ...}``.
"""

from __future__ import annotations

import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from handoff_slack.sandbox.conversations import Handler
from handoff_slack.sandbox.faults import DROP, FILE_DOWNLOAD, FILE_UPLOAD
from handoff_slack.sandbox.files import FILES_PATH, UPLOAD_PATH, Files
from handoff_slack.sandbox.http_replies import drop_connection, send_bytes, send_json
from handoff_slack.sandbox.slack_shapes import Call, Params, SlackError, parse_params
from handoff_slack.sandbox.web_api import RESPONSE_URL_GONE

RESPONSE_PATH = "/response/"


class HttpEdge(Files):
    def start(self, port: int = 0) -> Any:
        """Serve on 127.0.0.1:``port`` (a free port by default) in a daemon thread; returns self."""
        handle = self._handle_http

        class _RequestHandler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                handle(self)

            def do_GET(self) -> None:
                handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # silence stderr
                pass

        server = ThreadingHTTPServer(("127.0.0.1", port), _RequestHandler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="slack-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release()  # a call still held would keep its client waiting for its timeout
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def response_url(self, name: str = "cmd") -> str:
        """A response_url on the emulator; what is posted there is recorded as ``response_url:<name>``."""
        return f"{self.base_url}{RESPONSE_PATH}{name}"

    # ----------------------------------------------------------------- requests
    def _handle_http(self, req: BaseHTTPRequestHandler) -> None:
        url = urlsplit(req.path)
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in req.headers.items()}
        if url.path.startswith((UPLOAD_PATH, FILES_PATH)):  # raw bytes, not API parameters
            self._handle_file_http(req, url.path, raw, headers)
            return
        params = parse_params(raw, headers.get("content-type", ""), url.query)
        if url.path.startswith(RESPONSE_PATH):
            method, is_api = "response_url:" + url.path[len(RESPONSE_PATH) :], False
        elif url.path.startswith("/api/"):
            method, is_api = url.path[len("/api/") :], True
        else:
            send_json(req, 404, {"ok": False, "error": "not_found"})
            return

        with self._cond:
            self._wait_while_held(method)
            delay, fault = self._take_delay_and_fault(method, params)
        if delay is not None and not delay.after_handling:
            time.sleep(delay.seconds)  # simulates a slow server; not test synchronisation

        extra_headers: dict[str, str] = {}
        token = params.pop("token", None) if is_api else None
        if fault is not None and fault.after_handling:
            self._handle_unfaulted(method, params, is_api)  # it happens; the answer is lost below
        if fault is not None:
            status, response = fault.status, {"ok": False, "error": fault.error_code}
            if fault.status == 429 and fault.retry_after is not None:
                extra_headers["Retry-After"] = str(fault.retry_after)
        elif not is_api:
            status, response = 200, self._handle_unfaulted(method, params, is_api)
        else:
            auth = headers.get("authorization", "")
            bearer = auth[len("Bearer ") :] if auth.startswith("Bearer ") else None
            expected = self.app_token if method.startswith("apps.connections.") else self.bot_token
            if expected not in (bearer, token):
                status, response = 200, {"ok": False, "error": "invalid_auth"}
            else:
                status, response = 200, self._dispatch(method, params)

        call = Call(method, params, status, response, time.time(), headers)
        late = delay is not None and delay.after_handling
        with self._cond:
            self._calls.append(call)
            if late:
                self._answers_pending[method] = self._answers_pending.get(method, 0) + 1
            self._cond.notify_all()
        try:
            if late:
                assert delay is not None
                time.sleep(delay.seconds)  # the answer is slow to come back; not test synchronisation
            if fault is not None and fault.status == DROP:
                drop_connection(req)
            elif is_api or fault is not None:
                send_json(req, status, response, extra_headers)
            elif response.get("ok"):
                send_bytes(req, 200, b"ok", "text/plain")
            else:  # a response_url refusing what was posted (404 once used up or expired, as Slack)
                error = str(response.get("error"))
                send_bytes(req, 404 if error in RESPONSE_URL_GONE else 400, error.encode(), "text/plain")
        except OSError:
            pass  # the client gave up or died meanwhile (as Slack sees it: an answer nobody reads)
        finally:
            if late:
                with self._cond:
                    self._answers_pending[method] -= 1
                    self._cond.notify_all()

    def methods(self) -> list[str]:
        """Every Web API method the emulator answers, sorted, then the file transfers (fault targets)."""
        return [*sorted(self._api_handlers()), FILE_UPLOAD, FILE_DOWNLOAD]

    def _api_handlers(self) -> dict[str, Handler]:
        """Every Web API method the emulator answers, by name."""
        return {
            **self._conversation_handlers(),
            **self._message_handlers(),
            **self._view_handlers(),
            **self._file_handlers(),
        }

    def _handle_unfaulted(self, method: str, params: Params, is_api: bool) -> dict[str, Any]:
        if is_api:
            return self._dispatch(method, params)
        return self._answer_response_url(method[len("response_url:") :], params)

    def _dispatch(self, method: str, params: Params) -> dict[str, Any]:
        handler = self._api_handlers().get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        try:
            with self._cond:  # handlers mutate shared state; keep them atomic
                return {"ok": True, **handler(params)}
        except SlackError as e:
            return {"ok": False, "error": e.error}
        except Exception:  # a bug in the emulator (or absurd params): make it visible in the dump
            return {"ok": False, "error": "emulator_crashed", "detail": traceback.format_exc()}
