"""The sandbox's one URL: the page, its JSON API and live updates, and the app's Slack edge.

A small threaded HTTP server on loopback. ``/slack/events`` and ``/healthz`` are passed, unchanged,
to the app's own HTTP server (waitress, its real edge), so one URL serves everything; the rest is
the page: ``/`` and ``/static/*`` (files shipped in the package), ``/api/state`` (what one person
sees), ``/api/act`` (something that person does), ``/api/events`` (server-sent events: "something
changed", the page then reads its state again), ``/api/files/<id>`` (a shared file's bytes) and
``/api/faults`` (the "Slack faults" drawer, ``fault_panel``: GET what is armed, POST arms one,
POST ``/api/faults/heal`` ends them all) and ``/api/time`` (the "⏩ Time" control,
handoff_slack.sandbox.sandbox_clock: GET the sandbox's time, POST ``{"minutes": n}`` moves it on and
runs the timers at once).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from handoff_slack.sandbox.sandbox_clock import TimeControl
    from handoff_slack.sandbox.web.fault_panel import FaultPanel

log = logging.getLogger(__name__)

APP_PATHS = ("/slack/events", "/healthz")  # the app's own edge, passed through
MAX_ACT_BYTES = 30 * 1024 * 1024  # a file attached in the page arrives base64-encoded in one act
MAX_FAULT_BYTES = 4096  # also a time jump's request
KEEPALIVE_SECONDS = 15.0
_STATIC_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
}
# Nothing outside the machine: scripts, styles, images and connections only from this server.
_CSP = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"


class PageBackend(Protocol):
    """What the page needs from the emulated workspace (handoff_slack.sandbox.web.workspace)."""

    def state_for(self, viewer: str, dm_customer: str) -> dict[str, Any]: ...

    def act(self, viewer: str, request: dict[str, Any]) -> dict[str, Any]: ...

    def file(self, file_id: str) -> tuple[bytes, str] | None: ...

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]: ...

    @property
    def fault_panel(self) -> FaultPanel: ...

    @property
    def time_control(self) -> TimeControl: ...


class ChangeFeed:
    """A counter of workspace changes that the event streams wait on."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.version = 0
        self.closed = False

    def bump(self) -> None:
        with self._cond:
            self.version += 1
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def wait_past(self, version: int, timeout: float) -> int:
        """The version once it is past ``version`` (or unchanged after ``timeout``, or when closed)."""
        with self._cond:
            self._cond.wait_for(lambda: self.version != version or self.closed, timeout)
            return self.version


class PageServer:
    """Bound at construction (a taken port fails before anything else starts); serving from ``start``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 3000) -> None:
        self.backend: PageBackend | None = None
        self.app = urlsplit("http://127.0.0.1:0")  # the app's own server, set by ``start``
        self.feed = ChangeFeed()
        self._unsubscribe: Callable[[], None] | None = None
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True  # open event streams never hold up the stop
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start(self, backend: PageBackend, app_url: str) -> PageServer:
        self.backend = backend
        self.app = urlsplit(app_url)
        self._unsubscribe = backend.subscribe(self.feed.bump)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.2,), name="sandbox-page")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        self.feed.close()  # event streams end their loops
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
        self._server.server_close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        page = self

        class Handler(_PageHandler):
            server_page = page

        return Handler


class _PageHandler(BaseHTTPRequestHandler):
    server_page: PageServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # message bodies stay out of logs
        pass

    # ------------------------------------------------------------------ routing
    def do_GET(self) -> None:
        url = urlsplit(self.path)
        path = url.path
        if path in APP_PATHS:
            self._pass_to_app()
        elif path == "/":
            self._static("index.html")
        elif path == "/favicon.ico":
            self._send(204, b"", "image/x-icon")
        elif path.startswith("/static/"):
            self._static(path[len("/static/") :])
        elif path == "/api/state":
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            self._json(200, self._backend().state_for(query.get("as", ""), query.get("dm", "")))
        elif path == "/api/events":
            self._events()
        elif path.startswith("/api/files/"):
            self._file(path[len("/api/files/") :])
        elif path == "/api/faults":
            self._json(200, self._backend().fault_panel.state())
        elif path == "/api/time":
            self._json(200, self._backend().time_control.state())
        else:
            self._json(404, {"ok": False, "error": "not_found"})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        if path in APP_PATHS:
            self._pass_to_app()
        elif path == "/api/act":
            self._act()
        elif path == "/api/faults":
            self._arm_fault()
        elif path == "/api/faults/heal":
            self._body(limit=MAX_ACT_BYTES)  # whatever was sent is not needed
            self._json(200, self._backend().fault_panel.heal())
        elif path == "/api/time":
            self._move_time()
        else:
            self._json(404, {"ok": False, "error": "not_found"})

    # ------------------------------------------------------------------ the app's edge
    def _pass_to_app(self) -> None:
        """Slack's request, byte for byte, to the app's server; its answer, byte for byte, back."""
        body = self._body(limit=None)
        app = self.server_page.app
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        connection = http.client.HTTPConnection(app.hostname or "127.0.0.1", app.port, timeout=30)
        try:
            connection.request(self.command, self.path, body=body or None, headers=headers)
            answer = connection.getresponse()
            data = answer.read()
            self.send_response(answer.status, answer.reason)
            for key, value in answer.getheaders():
                if key.lower() not in ("content-length", "connection", "transfer-encoding", "server", "date"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self._json(502, {"ok": False, "error": "app_unreachable"})
        finally:
            connection.close()

    # ------------------------------------------------------------------ the page
    def _static(self, name: str) -> None:
        suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
        if "/" in name or name.startswith(".") or suffix not in _STATIC_TYPES:
            self._json(404, {"ok": False, "error": "not_found"})
            return
        resource = resources.files("handoff_slack.sandbox.web").joinpath("static", name)
        if not resource.is_file():
            self._json(404, {"ok": False, "error": "not_found"})
            return
        self._send(200, resource.read_bytes(), _STATIC_TYPES[suffix], {"Cache-Control": "no-cache"})

    def _json_object(self, limit: int) -> dict[str, Any] | None:
        """The request's body as a JSON object; else the error is answered and None returned."""
        try:
            request = json.loads(self._body(limit=limit) or b"{}")
        except ValueError:
            self._json(400, {"ok": False, "error": "invalid_json"})
            return None
        except _TooLarge:
            self.close_connection = True  # the body was not read
            self._json(413, {"ok": False, "error": "too_large"})
            return None
        if not isinstance(request, dict):
            self._json(400, {"ok": False, "error": "invalid_request"})
            return None
        return request

    def _act(self) -> None:
        request = self._json_object(MAX_ACT_BYTES)
        if request is None:
            return
        if not isinstance(request.get("as"), str):
            self._json(400, {"ok": False, "error": "invalid_request"})
            return
        try:
            answer = self._backend().act(request["as"], request)
        except Exception:  # a bug in the sandbox: the page says so, the server goes on
            log.exception("the sandbox failed to carry out an act")
            answer = {"ok": False, "error": "sandbox_failed"}
        self._json(200 if answer.get("ok") else 400, answer)

    def _arm_fault(self) -> None:
        request = self._json_object(MAX_FAULT_BYTES)
        if request is None:
            return
        answer = self._backend().fault_panel.arm(request)
        self._json(200 if answer.get("ok") else 400, answer)

    def _move_time(self) -> None:
        request = self._json_object(MAX_FAULT_BYTES)
        if request is None:
            return
        answer = self._backend().time_control.forward(request)
        if answer.get("ok"):
            self.server_page.feed.bump()  # every open page reads the new time
        self._json(200 if answer.get("ok") else 400, answer)

    def _file(self, file_id: str) -> None:
        found = self._backend().file(file_id)
        if found is None:
            self._json(404, {"ok": False, "error": "file_not_found"})
            return
        content, mimetype = found
        # Shown as a download unless it is an image: an HTML file shared in the sandbox never runs here.
        disposition = "inline" if mimetype.startswith("image/") and mimetype != "image/svg+xml" else "attachment"
        self._send(
            200,
            content,
            mimetype if disposition == "inline" else "application/octet-stream",
            {"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
        )

    def _events(self) -> None:
        """Server-sent events: one ``data`` line per change (the page reads its state again)."""
        feed = self.server_page.feed
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        version = feed.version
        try:
            self.wfile.write(f"retry: 1000\ndata: {version}\n\n".encode())
            self.wfile.flush()
            while not feed.closed:
                now = feed.wait_past(version, KEEPALIVE_SECONDS)
                if feed.closed:
                    break
                message = f"data: {now}\n\n" if now != version else ": keep-alive\n\n"
                version = now
                self.wfile.write(message.encode())
                self.wfile.flush()
        except OSError:
            pass  # the page went away

    # ------------------------------------------------------------------ plumbing
    def _backend(self) -> PageBackend:
        backend = self.server_page.backend
        assert backend is not None, "requests are served only after start()"
        return backend

    def _body(self, limit: int | None) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if limit is not None and length > limit:
            raise _TooLarge
        return self.rfile.read(length) if length else b""

    def _json(self, status: int, body: dict[str, Any]) -> None:
        self._send(status, json.dumps(body).encode(), "application/json; charset=utf-8", {"Cache-Control": "no-store"})

    def _send(self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Content-Security-Policy", _CSP)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        with contextlib.suppress(OSError):  # the browser went away
            self.wfile.write(data)


class _TooLarge(Exception):
    pass
