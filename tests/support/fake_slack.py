"""A fake Slack Web API: a real local HTTP server that answers like Slack and records every call.

Point ``slack_sdk.WebClient(base_url=fake.api_url)`` (or Bolt's ``App(client=...)``) at it.
Synchronise with ``wait_for`` (a ``threading.Condition``), never with sleeps.

Faults are scripted per method and consumed one per call, in order: ``fail`` (an error answer),
``succeed`` (a normal answer, to space faults out; ``fail(..., after_handling=True)`` lets the
call take effect and then answers the failure), ``delay`` (a slow answer; with
``after_handling=True`` the call takes effect at once and only its answer is late, like a response
lost on its way back). ``hold`` keeps calls of a method waiting, unhandled, until ``release``
(a server stuck for exactly as long as the test needs). Posted messages keep their ``metadata``;
``conversations.history`` and ``conversations.replies`` read them back in Slack's shapes.

Files: ``host_file`` hosts a private file whose ``url_private_download`` answers only the bot token;
``files_upload_v2`` works against the fake (``files.getUploadURLExternal``, the upload URL,
``files.completeUploadExternal``, ``files.info``, which reports a shared file's ``shares`` and
``channels``/``groups``/``ims`` as Slack does) and ``shared_files`` shows what was shared where.
"""

from __future__ import annotations

import base64
import contextlib
import json
import mimetypes
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote, unquote, urlsplit

Params = dict[str, Any]
_T = TypeVar("_T", "_Fault", "_Delay")
Handler = Callable[[Params], dict[str, Any]]

# Hosting of files: upload URLs handed out by files.getUploadURLExternal, and private files
# (``url_private_download``) that answer only the bot token. Both are scripted like API methods
# under these names (``fake.fail(FILE_DOWNLOAD, 500)``) and recorded as calls.
FILE_UPLOAD = "file_upload"
FILE_DOWNLOAD = "file_download"
_UPLOAD_PATH = "/upload/v1/"
_FILES_PATH = "/files-pri/"

_JSON_FORM_FIELDS = ("blocks", "attachments", "metadata", "view")

_ts_lock = threading.Lock()
_last_ts_us = 0


def new_ts() -> str:
    """A unique, strictly increasing Slack-style ts ("1700000000.000100"), close to the wall clock.

    Shared by the fake server and the event builders in ``slack_requests`` so that all
    messages in a test are globally ordered.
    """
    global _last_ts_us
    with _ts_lock:
        _last_ts_us = max(int(time.time() * 1_000_000), _last_ts_us + 1)
        return f"{_last_ts_us // 1_000_000}.{_last_ts_us % 1_000_000:06d}"


class SlackError(Exception):
    """Raised by a handler to answer ``{"ok": false, "error": <error>}`` with HTTP 200."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int
    response: dict[str, Any]
    at: float
    headers: dict[str, str] = field(default_factory=dict, repr=False)  # lower-cased request headers

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok"))

    def __str__(self) -> str:
        outcome = "ok" if self.ok else f"{self.status} {self.response.get('error')}"
        params = json.dumps(self.params, default=str)
        return f"{self.method} [{outcome}] {params[:300]}"


@dataclass
class _Fault:
    status: int
    retry_after: int | None
    error: str | None
    after_handling: bool = False  # the call takes effect; only its answer is the fault
    when: Callable[[Params], bool] | None = None  # only calls whose parameters match (see fail_when)


@dataclass
class _Delay:
    seconds: float
    after_handling: bool  # the call takes effect at once; only the answer is late
    when: Callable[[Params], bool] | None = None  # only calls whose parameters match (see delay_when)


class FakeSlack:
    def __init__(
        self,
        bot_token: str = "xoxb-test-token",
        bot_user_id: str = "UBOT",
        bot_id: str = "BBOT",
        team_id: str = "T0HOME",
    ) -> None:
        self.bot_token = bot_token
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.team_id = team_id
        # Socket Mode (tests/support/fake_socket_mode.py): apps.connections.open answers this token
        # with `socket_mode_url`.
        self.app_token = "xapp-test-token"
        self.socket_mode_url: str | None = None
        self._cond = threading.Condition()  # guards all state below
        self._calls: list[Call] = []
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._updates: dict[tuple[str, str], list[Params]] = {}
        self._members: dict[str, list[str]] = {}
        self._users: dict[str, dict[str, Any]] = {}
        self._teams: dict[str, dict[str, Any]] = {}
        self._faults: dict[str, deque[_Fault | None]] = {}  # None: answer this call normally
        self._targeted_faults: dict[str, list[_Fault]] = {}  # faults for matching calls only
        self._targeted_delays: dict[str, list[_Delay]] = {}  # delays for matching calls only
        self._delays: dict[str, deque[_Delay]] = {}
        self._answers_pending: dict[str, int] = {}  # handled calls whose answer is not sent yet
        self._holds: set[str] = set()  # methods whose calls wait for release()
        self._held: dict[str, int] = {}  # calls waiting on a hold now
        self._view_counter = 0
        self._files: dict[str, dict[str, Any]] = {}  # file id -> {file, content, redirect_to, ...}
        self._pending_uploads: dict[str, dict[str, Any]] = {}  # file id -> getUploadURLExternal params
        self._file_counter = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.add_team(team_id, "Home Co")
        self._handlers: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.open": self._conversations_open,
            "conversations.members": self._conversations_members,
            "conversations.info": self._conversations_info,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "users.info": self._users_info,
            "team.info": self._team_info,
            "views.open": self._view,
            "views.update": self._view,
            "views.push": self._view,
            "views.publish": self._view,
            "reactions.add": self._ok,
            "reactions.remove": self._ok,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
            "files.info": self._files_info,
            "apps.connections.open": self._apps_connections_open,
        }

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> FakeSlack:
        fake = self

        class _RequestHandler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                fake._handle_http(self)

            def do_GET(self) -> None:
                fake._handle_http(self)

            def log_message(self, format: str, *args: Any) -> None:  # silence stderr
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), _RequestHandler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="fake-slack", daemon=True)
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

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "FakeSlack not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"{self.base_url}/response/{name}"

    # ----------------------------------------------------------------- configuration
    def set_members(self, channel: str, user_ids: list[str]) -> None:
        with self._cond:
            self._members[channel] = list(user_ids)

    def add_user(
        self,
        id: str,
        name: str | None = None,
        real_name: str | None = None,
        display_name: str = "",
        team_id: str | None = None,
        is_bot: bool = False,
        tz: str = "Europe/Berlin",
        image_48: str | None = None,
    ) -> dict[str, Any]:
        name = name or f"user_{id.lower()}"
        real_name = real_name if real_name is not None else name
        team = team_id or self.team_id
        user = {
            "id": id,
            "team_id": team,
            "name": name,
            "real_name": real_name,
            "deleted": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "tz": tz,
            "profile": {
                "display_name": display_name,
                "real_name": real_name,
                "team": team,
                "image_48": image_48 or f"https://fake.slack.com/avatars/{id}_48.png",
            },
        }
        with self._cond:
            self._users[id] = user
        return user

    def add_team(self, id: str, name: str, domain: str | None = None) -> None:
        with self._cond:
            self._teams[id] = {"id": id, "name": name, "domain": domain or name.lower().replace(" ", "-")}

    def host_file(
        self,
        name: str,
        content: bytes,
        mimetype: str = "application/octet-stream",
        *,
        title: str | None = None,
        user: str | None = None,
        redirect_to: str | None = None,
    ) -> dict[str, Any]:
        """Host a private file; returns its Slack file object (as ``files`` of a ``file_share`` event).

        ``url_private_download`` is on this fake and answers only ``Authorization: Bearer <bot token>``
        (403 otherwise). With ``redirect_to`` an authorised download is answered with a 302 there.
        """
        with self._cond:
            return self._new_file(name, content, mimetype, title=title, user=user, redirect_to=redirect_to)

    def fail(
        self,
        method: str,
        status: int = 500,
        count: int = 1,
        retry_after: int | None = None,
        error: str | None = None,
        *,
        after_handling: bool = False,
    ) -> None:
        """The next ``count`` calls of ``method`` fail with ``status`` (or ok:false ``error`` if status 200).

        With ``after_handling=True`` (Web API methods) the call is handled first, as Slack would, and
        only its answer is the failure: the client is told it failed although it took effect.
        """
        if status == 200 and error is None:
            raise ValueError("fail(status=200) needs an error")
        with self._cond:
            self._faults.setdefault(method, deque()).extend(
                _Fault(status, retry_after, error, after_handling) for _ in range(count)
            )

    def fail_when(
        self,
        method: str,
        when: Callable[[Params], bool],
        status: int = 500,
        count: int = 1,
        retry_after: int | None = None,
        error: str | None = None,
        *,
        after_handling: bool = False,
    ) -> None:
        """Like ``fail``, for the next ``count`` calls of ``method`` whose parameters match ``when`` only
        (e.g. one kind of message among many posts); other calls are answered as usual."""
        if status == 200 and error is None:
            raise ValueError("fail_when(status=200) needs an error")
        with self._cond:
            self._targeted_faults.setdefault(method, []).extend(
                _Fault(status, retry_after, error, after_handling, when) for _ in range(count)
            )

    def targeted_faults_left(self, method: str) -> int:
        with self._cond:
            return len(self._targeted_faults.get(method, ()))

    def succeed(self, method: str, count: int = 1) -> None:
        """The next ``count`` calls of ``method`` are answered normally: spaces out faults queued after them.

        ``fake.succeed(m, 3); fake.fail(m, 500)`` lets three calls through, then fails the fourth.
        """
        with self._cond:
            self._faults.setdefault(method, deque()).extend([None] * count)

    def faults_left(self, method: str) -> int:
        """How many of ``method``'s queued answers (faults and ``succeed`` spacers) no call has taken yet."""
        with self._cond:
            return len(self._faults.get(method, ()))

    def heal(self, method: str | None = None) -> None:
        """End an outage: drop the faults still queued for ``method`` (for every method if None)."""
        with self._cond:
            if method is None:
                self._faults.clear()
                self._targeted_faults.clear()
            else:
                self._faults.pop(method, None)
                self._targeted_faults.pop(method, None)

    def delay(self, method: str, seconds: float, count: int = 1, *, after_handling: bool = False) -> None:
        """The next ``count`` calls of ``method`` are answered only after ``seconds``.

        By default the call is handled after the wait (a slow server). With ``after_handling=True``
        it is handled (and recorded) at once and only the answer waits: a client that gives up or dies
        meanwhile never learns that its message was posted.
        """
        with self._cond:
            self._delays.setdefault(method, deque()).extend(_Delay(seconds, after_handling) for _ in range(count))

    def delay_when(
        self,
        method: str,
        when: Callable[[Params], bool],
        seconds: float,
        count: int = 1,
        *,
        after_handling: bool = False,
    ) -> None:
        """Like ``delay``, for the next ``count`` calls of ``method`` whose parameters match ``when`` only."""
        with self._cond:
            self._targeted_delays.setdefault(method, []).extend(
                _Delay(seconds, after_handling, when) for _ in range(count)
            )

    def delays_left(self, method: str) -> int:
        """How many of ``method``'s delays no call has taken yet (0: the delayed call is in flight or done)."""
        with self._cond:
            return len(self._delays.get(method, ()))

    def clear_delays(self, method: str | None = None) -> None:
        """Drop the delays still queued for ``method`` (for every method if None); calls in flight keep theirs."""
        with self._cond:
            if method is None:
                self._delays.clear()
            else:
                self._delays.pop(method, None)

    def hold(self, method: str) -> None:
        """Calls of ``method`` from now on wait, not handled and not recorded yet, until ``release``."""
        with self._cond:
            self._holds.add(method)

    def release(self, method: str | None = None) -> None:
        """End the hold on ``method`` (on every method if None): the waiting calls are handled now."""
        with self._cond:
            if method is None:
                self._holds.clear()
            else:
                self._holds.discard(method)
            self._cond.notify_all()

    def held(self, method: str) -> int:
        """Calls of ``method`` waiting on a hold right now."""
        with self._cond:
            return self._held.get(method, 0)

    def answers_pending(self, method: str) -> int:
        """Calls of ``method`` that were handled but not answered yet (see ``delay(after_handling=True)``)."""
        with self._cond:
            return self._answers_pending.get(method, 0)

    # ----------------------------------------------------------------- inspection
    def calls(self, method: str | None = None, **match: Any) -> list[Call]:
        with self._cond:
            return [
                c
                for c in self._calls
                if (method is None or c.method == method)
                and all(k in c.params and c.params[k] == v for k, v in match.items())
            ]

    def wait_for(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        count: int = 1,
        timeout: float = 5.0,
    ) -> list[Call]:
        """Block until >= ``count`` successful calls of ``method`` matching ``predicate`` were recorded."""
        deadline = time.monotonic() + timeout

        def matching() -> list[Call]:
            return [c for c in self._calls if c.method == method and c.ok and (predicate is None or predicate(c))]

        with self._cond:
            found = matching()
            while len(found) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"timed out after {timeout}s waiting for {count} successful {method!r} call(s)"
                        f" matching the predicate; got {len(found)}.\n{self.dump()}"
                    )
                self._cond.wait(remaining)
                found = matching()
            return found

    def assert_no_call(self, method: str, predicate: Callable[[Call], bool] | None = None) -> None:
        bad = [c for c in self.calls(method) if predicate is None or predicate(c)]
        if bad:
            raise AssertionError(f"unexpected {method!r} call(s):\n" + "\n".join(f"  {c}" for c in bad))

    def clear_calls(self) -> None:
        with self._cond:
            self._calls.clear()

    def dump(self) -> str:
        with self._cond:
            lines = [f"  {c}" for c in self._calls]
        return "recorded calls:\n" + ("\n".join(lines) if lines else "  (none)")

    def messages(self, channel: str, thread_ts: str | None = None) -> list[dict[str, Any]]:
        with self._cond:
            msgs = self._messages.get(channel, [])
            if thread_ts is not None:
                msgs = [m for m in msgs if m.get("thread_ts") == thread_ts and m["ts"] != thread_ts]
            return [dict(m) for m in msgs]

    def updates(self, channel: str, ts: str) -> list[Params]:
        with self._cond:
            return [dict(p) for p in self._updates.get((channel, ts), [])]

    def shared_files(self, channel: str, thread_ts: str | None = None) -> list[dict[str, Any]]:
        """Files shared into ``channel`` (in the thread ``thread_ts`` if given) by files.completeUploadExternal.

        Oldest first; each is the file object plus ``content`` (the uploaded bytes), ``initial_comment``,
        ``ts`` (of the message that shared it) and ``thread_ts``.
        """
        with self._cond:
            found = []
            for msg in self._messages.get(channel, []):
                if not msg.get("upload") or (thread_ts is not None and msg.get("thread_ts") != thread_ts):
                    continue
                for file in msg.get("files", []):
                    found.append(
                        {
                            **json.loads(json.dumps(file)),
                            "content": self._files[file["id"]]["content"],
                            "initial_comment": msg.get("text", ""),
                            "ts": msg["ts"],
                            "thread_ts": msg.get("thread_ts"),
                        }
                    )
            return found

    def file_content(self, file_id: str) -> bytes | None:
        """The bytes of a hosted or uploaded file (None if unknown or not uploaded yet)."""
        with self._cond:
            hosted = self._files.get(file_id)
            if hosted is not None:
                return hosted["content"]
            pending = self._pending_uploads.get(file_id)
            return pending.get("content") if pending else None

    # ----------------------------------------------------------------- HTTP plumbing
    def _handle_http(self, req: BaseHTTPRequestHandler) -> None:
        url = urlsplit(req.path)
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in req.headers.items()}
        if url.path.startswith((_UPLOAD_PATH, _FILES_PATH)):  # raw bytes, not API parameters
            self._handle_file_http(req, url.path, raw, headers)
            return
        params = _parse_params(raw, headers.get("content-type", ""), url.query)
        if url.path.startswith("/response/"):
            method, is_api = "response_url:" + url.path[len("/response/") :], False
        elif url.path.startswith("/api/"):
            method, is_api = url.path[len("/api/") :], True
        else:
            self._send(req, 404, {"ok": False, "error": "not_found"})
            return

        with self._cond:
            if method in self._holds:
                self._held[method] = self._held.get(method, 0) + 1
                self._cond.notify_all()
                while method in self._holds:
                    self._cond.wait()
                self._held[method] -= 1
            delays, faults = self._delays.get(method), self._faults.get(method)
            delay = self._targeted(self._targeted_delays, method, params) or (delays.popleft() if delays else None)
            fault = self._targeted(self._targeted_faults, method, params) or (faults.popleft() if faults else None)
        if delay is not None and not delay.after_handling:
            time.sleep(delay.seconds)  # simulates a slow server; not test synchronisation

        extra_headers: dict[str, str] = {}
        token = params.pop("token", None) if is_api else None
        if fault is not None and fault.after_handling and is_api:
            self._dispatch(method, params)  # it happens; the answer is lost below
        if fault is not None:
            status = fault.status
            default_error = "ratelimited" if status == 429 else "internal_error" if status >= 500 else "bad_request"
            response = {"ok": False, "error": fault.error or default_error}
            if status == 429 and fault.retry_after is not None:
                extra_headers["Retry-After"] = str(fault.retry_after)
        elif not is_api:
            status, response = 200, {"ok": True}
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
                time.sleep(delay.seconds)  # the answer is slow to come back; not test synchronisation
            if is_api or fault is not None:
                self._send(req, status, response, extra_headers)
            else:
                self._send_raw(req, 200, b"ok", "text/plain")
        except OSError:
            pass  # the client gave up or died meanwhile (as Slack sees it: an answer nobody reads)
        finally:
            if late:
                with self._cond:
                    self._answers_pending[method] -= 1
                    self._cond.notify_all()

    @staticmethod
    def _targeted(queued: dict[str, list[_T]], method: str, params: Params) -> _T | None:
        """The first fault or delay queued by ``fail_when`` / ``delay_when`` for calls like this one, taken."""
        targeted = queued.get(method, [])
        for index, item in enumerate(targeted):
            assert item.when is not None
            if item.when(params):
                del targeted[index]
                return item
        return None

    def _dispatch(self, method: str, params: Params) -> dict[str, Any]:
        handler = self._handlers.get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        try:
            with self._cond:  # handlers mutate shared state; keep them atomic
                return {"ok": True, **handler(params)}
        except SlackError as e:
            return {"ok": False, "error": e.error}
        except Exception:  # a bug in the fake (or absurd params): make it visible in the dump
            return {"ok": False, "error": "fake_slack_crashed", "detail": traceback.format_exc()}

    def _send(
        self, req: BaseHTTPRequestHandler, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        self._send_raw(req, status, json.dumps(body).encode(), "application/json; charset=utf-8", headers)

    @staticmethod
    def _send_raw(
        req: BaseHTTPRequestHandler, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        req.send_response(status)
        req.send_header("Content-Type", content_type)
        req.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            req.send_header(k, v)
        req.end_headers()
        req.wfile.write(data)

    # ----------------------------------------------------------------- API handlers
    def _ok(self, p: Params) -> dict[str, Any]:
        return {}

    def _auth_test(self, p: Params) -> dict[str, Any]:
        team = self._teams[self.team_id]
        return {
            "url": f"https://{team['domain']}.fake.slack.com/",
            "team": team["name"],
            "user": "handoff-bot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _channel(self, p: Params) -> str:
        channel = p.get("channel")
        if not channel:
            raise SlackError("channel_not_found")
        if channel[0] in "UW":  # posting to a user id lands in the bot's DM with them
            channel = "D" + channel
        return channel

    def _chat_post_message(self, p: Params) -> dict[str, Any]:
        channel = self._channel(p)
        if not p.get("text") and not p.get("blocks") and not p.get("attachments"):
            raise SlackError("no_text")
        _check_metadata(p.get("metadata"))
        ts = new_ts()
        msg: dict[str, Any] = {
            "type": "message",
            "text": p.get("text", ""),
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "ts": ts,
        }
        for key in ("blocks", "attachments", "metadata", "thread_ts", "username"):
            if p.get(key):
                msg[key] = p[key]
        if p.get("icon_url") or p.get("icon_emoji"):
            msg["icons"] = {"image_48": p["icon_url"]} if p.get("icon_url") else {"emoji": p["icon_emoji"]}
        self._messages.setdefault(channel, []).append(msg)
        return {"channel": channel, "ts": ts, "message": dict(msg)}

    def _find_message(self, channel: str, ts: str | None) -> dict[str, Any]:
        for msg in self._messages.get(channel, []):
            if msg["ts"] == ts:
                return msg
        raise SlackError("message_not_found")

    def _chat_update(self, p: Params) -> dict[str, Any]:
        channel = self._channel(p)
        msg = self._find_message(channel, p.get("ts"))
        _check_metadata(p.get("metadata"))
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in p:
                msg[key] = p[key]
        msg["edited"] = {"user": self.bot_user_id, "ts": new_ts()}
        self._updates.setdefault((channel, msg["ts"]), []).append(dict(p))
        return {"channel": channel, "ts": msg["ts"], "text": msg.get("text", ""), "message": dict(msg)}

    def _chat_post_ephemeral(self, p: Params) -> dict[str, Any]:
        self._channel(p)
        if not p.get("user"):
            raise SlackError("user_not_in_channel")
        if not p.get("text") and not p.get("blocks") and not p.get("attachments"):
            raise SlackError("no_text")
        return {"message_ts": new_ts()}

    def _chat_delete(self, p: Params) -> dict[str, Any]:
        channel = self._channel(p)
        msgs = self._messages.get(channel, [])
        self._messages[channel] = [m for m in msgs if m["ts"] != p.get("ts")]
        return {"channel": channel, "ts": p.get("ts")}

    def _chat_get_permalink(self, p: Params) -> dict[str, Any]:
        channel = self._channel(p)
        ts = str(p.get("message_ts", ""))
        return {"channel": channel, "permalink": f"https://fake.slack.com/archives/{channel}/p{ts.replace('.', '')}"}

    def _conversations_open(self, p: Params) -> dict[str, Any]:
        if p.get("channel"):
            return {"channel": {"id": p["channel"]}}
        users = [u for u in str(p.get("users", "")).split(",") if u]
        if not users:
            raise SlackError("users_list_not_supplied")
        cid = "D" + users[0] if len(users) == 1 else "G" + "".join(sorted(users))
        return {"channel": {"id": cid}}

    def _conversations_members(self, p: Params) -> dict[str, Any]:
        channel = p.get("channel")
        if channel not in self._members:
            raise SlackError("channel_not_found")
        members = self._members[channel]
        limit = int(p.get("limit") or 100)
        start = _offset(p.get("cursor"))
        end = start + limit
        nxt = _cursor(end) if end < len(members) else ""
        return {"members": members[start:end], "response_metadata": {"next_cursor": nxt}}

    def _conversations_info(self, p: Params) -> dict[str, Any]:
        channel = self._channel(p)
        is_im = channel.startswith("D")
        return {
            "channel": {
                "id": channel,
                "name": channel.lower(),
                "is_channel": not is_im,
                "is_im": is_im,
                "is_private": channel.startswith("G"),
                "is_member": True,
                "context_team_id": self.team_id,
            }
        }

    def _conversations_history(self, p: Params) -> dict[str, Any]:
        """Top-level messages (thread parents included, replies not), newest first, paginated."""
        channel = self._channel(p)
        with_metadata = _flag(p.get("include_all_metadata"))
        window = _TimeWindow.from_params(p)
        msgs = self._messages.get(channel, [])
        top_level = [m for m in msgs if m.get("thread_ts") in (None, m["ts"]) and window.contains(m["ts"])]
        top_level.sort(key=lambda m: _ts_key(m["ts"]), reverse=True)
        start, limit = _offset(p.get("cursor")), _limit(p.get("limit"), default=100, maximum=999)
        page = top_level[start : start + limit]
        has_more = start + limit < len(top_level)
        response: dict[str, Any] = {
            "messages": [self._visible(channel, m, with_metadata) for m in page],
            "has_more": has_more,
            "pin_count": 0,
        }
        if has_more:
            response["response_metadata"] = {"next_cursor": _cursor(start + limit)}
        return response

    def _conversations_replies(self, p: Params) -> dict[str, Any]:
        """A thread: its parent first, then the replies oldest first, paginated (the parent only on page one).

        ``ts`` may be the parent's or any reply's; a message without replies is returned alone.
        ``oldest``/``latest`` narrow the replies; the parent is always included.
        """
        channel = self._channel(p)
        with_metadata = _flag(p.get("include_all_metadata"))
        window = _TimeWindow.from_params(p)
        msgs = self._messages.get(channel, [])
        ts = p.get("ts")
        if not ts:
            raise SlackError("invalid_arguments")
        target = next((m for m in msgs if m["ts"] == ts), None)
        if target is None:
            raise SlackError("thread_not_found")
        root_ts = target.get("thread_ts") or target["ts"]
        parent = next((m for m in msgs if m["ts"] == root_ts), None)
        if parent is None:
            raise SlackError("thread_not_found")
        replies = [m for m in msgs if m.get("thread_ts") == root_ts and m["ts"] != root_ts and window.contains(m["ts"])]
        replies.sort(key=lambda m: _ts_key(m["ts"]))
        thread = [parent, *replies]
        start, limit = _offset(p.get("cursor")), _limit(p.get("limit"), default=1000, maximum=1000)
        page = thread[start : start + limit]
        has_more = start + limit < len(thread)
        response: dict[str, Any] = {
            "messages": [self._visible(channel, m, with_metadata) for m in page],
            "has_more": has_more,
        }
        if has_more:
            response["response_metadata"] = {"next_cursor": _cursor(start + limit)}
        return response

    def _visible(self, channel: str, msg: dict[str, Any], with_metadata: bool) -> dict[str, Any]:
        """A stored message as the read methods show it: thread fields filled in, metadata only on request."""
        shown = json.loads(json.dumps(msg))
        if not with_metadata:
            shown.pop("metadata", None)
        replies = [m for m in self._messages.get(channel, []) if m.get("thread_ts") == msg["ts"] and m is not msg]
        if replies:
            users = sorted({m.get("user", "") for m in replies})
            shown.update(
                thread_ts=msg["ts"],
                reply_count=len(replies),
                reply_users=users,
                reply_users_count=len(users),
                latest_reply=max((m["ts"] for m in replies), key=_ts_key),
            )
        elif msg.get("thread_ts") not in (None, msg["ts"]):
            parent = next((m for m in self._messages.get(channel, []) if m["ts"] == msg["thread_ts"]), None)
            if parent is not None:
                shown["parent_user_id"] = parent.get("user", "")
        return shown

    def _users_info(self, p: Params) -> dict[str, Any]:
        user = self._users.get(p.get("user", ""))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": json.loads(json.dumps(user))}

    def _team_info(self, p: Params) -> dict[str, Any]:
        team = self._teams.get(p.get("team") or self.team_id)
        if team is None:
            raise SlackError("team_not_found")
        return {"team": dict(team)}

    def _view(self, p: Params) -> dict[str, Any]:
        view = p.get("view")
        if not isinstance(view, dict):
            raise SlackError("invalid_arguments")
        view_id = p.get("view_id")
        if not view_id:
            self._view_counter += 1
            view_id = f"V{self._view_counter:08d}"
        return {
            "view": {
                **view,
                "id": view_id,
                "team_id": self.team_id,
                "hash": f"h.{view_id}",
                "bot_id": self.bot_id,
                "external_id": p.get("external_id", ""),
            }
        }

    # ----------------------------------------------------------------- files
    def _new_file(
        self,
        name: str,
        content: bytes,
        mimetype: str,
        *,
        title: str | None = None,
        user: str | None = None,
        redirect_to: str | None = None,
        file_id: str | None = None,
    ) -> dict[str, Any]:
        """Store a file and return its Slack file object; the caller holds ``_cond``."""
        file_id = file_id or self._new_file_id()
        now = int(time.time())
        path = f"{self.base_url}{_FILES_PATH}{self.team_id}-{file_id}"
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else "binary"
        file = {
            "id": file_id,
            "created": now,
            "timestamp": now,
            "name": name,
            "title": title if title is not None else name,
            "mimetype": mimetype,
            "filetype": extension,
            "pretty_type": extension.upper(),
            "user": user or self.bot_user_id,
            "user_team": self.team_id,
            "editable": False,
            "size": len(content),
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": False,
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": f"{path}/{quote(name)}",
            "url_private_download": f"{path}/download/{quote(name)}",
            "permalink": f"https://fake.slack.com/files/{user or self.bot_user_id}/{file_id}/{quote(name)}",
            "permalink_public": f"https://slack-files.com/{self.team_id}-{file_id}-0000",
            "is_starred": False,
            "has_rich_preview": False,
            "file_access": "visible",
        }
        self._files[file_id] = {"file": file, "content": bytes(content), "redirect_to": redirect_to}
        return json.loads(json.dumps(file))

    def _new_file_id(self) -> str:
        self._file_counter += 1
        return f"F{self._file_counter:04d}{uuid.uuid4().hex[:6].upper()}"

    def _files_get_upload_url_external(self, p: Params) -> dict[str, Any]:
        filename = p.get("filename")
        try:
            length = int(p.get("length", ""))
        except (TypeError, ValueError):
            raise SlackError("invalid_arguments") from None
        if not filename or length <= 0:
            raise SlackError("invalid_arguments")
        file_id = self._new_file_id()
        self._pending_uploads[file_id] = {
            "filename": filename,
            "length": length,
            "alt_txt": p.get("alt_txt"),
            "snippet_type": p.get("snippet_type"),
            "content": None,
        }
        return {"upload_url": f"{self.base_url}{_UPLOAD_PATH}{file_id}", "file_id": file_id}

    def _files_complete_upload_external(self, p: Params) -> dict[str, Any]:
        """Turns uploaded bytes into files and, with ``channel_id``, shares them in one message there."""
        try:
            entries = json.loads(p.get("files") or "")
        except ValueError:
            raise SlackError("invalid_arguments") from None
        if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
            raise SlackError("invalid_arguments")
        for entry in entries:
            pending = self._pending_uploads.get(str(entry.get("id")))
            if pending is None:
                raise SlackError("file_not_found")
            if pending["content"] is None:
                raise SlackError("file_upload_not_complete")  # nothing was uploaded to its URL
        channel = self._channel({"channel": p["channel_id"]}) if p.get("channel_id") else None
        thread_ts = p.get("thread_ts") or None
        if thread_ts is not None and channel is None:
            raise SlackError("invalid_arguments")
        shared: list[dict[str, Any]] = []
        for entry in entries:
            pending = self._pending_uploads.pop(str(entry["id"]))
            file = self._new_file(
                pending["filename"],
                pending["content"],
                _mimetype_of(pending["filename"]),
                title=entry.get("title") or pending["filename"],
                file_id=str(entry["id"]),  # the file keeps the ID its upload was given
            )
            shared.append(file)
        if channel is not None:
            ts = new_ts()
            msg: dict[str, Any] = {
                "type": "message",
                "text": p.get("initial_comment") or "",
                "user": self.bot_user_id,
                "bot_id": self.bot_id,
                "ts": ts,
                "files": [json.loads(json.dumps(f)) for f in shared],
                "upload": True,
                "display_as_bot": False,
            }
            if thread_ts is not None:
                msg["thread_ts"] = thread_ts
            self._messages.setdefault(channel, []).append(msg)
            kind = "private" if channel[0] in "DG" else "public"
            for file in shared:
                share = {"ts": ts, **({"thread_ts": thread_ts} if thread_ts else {})}
                file.setdefault("shares", {}).setdefault(kind, {})[channel] = [share]
                file["ims" if channel.startswith("D") else "groups" if channel.startswith("G") else "channels"] = [
                    channel
                ]
                self._files[file["id"]]["file"] = file
        return {"files": [{"id": f["id"], "title": f["title"]} for f in shared]}

    def _apps_connections_open(self, p: Params) -> dict[str, Any]:
        if self.socket_mode_url is None:
            raise SlackError("not_allowed_token_type")
        return {"url": self.socket_mode_url}

    def _files_info(self, p: Params) -> dict[str, Any]:
        hosted = self._files.get(str(p.get("file") or ""))
        if hosted is None:
            raise SlackError("file_not_found")
        file = json.loads(json.dumps(hosted["file"]))
        return {"file": file, "comments": [], "response_metadata": {"next_cursor": ""}}

    def _handle_file_http(self, req: BaseHTTPRequestHandler, path: str, raw: bytes, headers: dict[str, str]) -> None:
        """POSTs to upload URLs store bytes; GETs of ``url_private_download`` need the bot token."""
        method = FILE_UPLOAD if path.startswith(_UPLOAD_PATH) else FILE_DOWNLOAD
        with self._cond:
            delays, faults = self._delays.get(method), self._faults.get(method)
            delay = delays.popleft() if delays else None
            fault = faults.popleft() if faults else None
        if delay is not None:
            time.sleep(delay.seconds)  # simulates a slow server; not test synchronisation
        data, content_type, extra_headers = b"", "text/plain", {}
        with self._cond:
            if fault is not None:
                status, params = fault.status, {"path": path}
                data = (fault.error or "error").encode()
            elif method == FILE_UPLOAD:
                file_id = path[len(_UPLOAD_PATH) :]
                params = {"file_id": file_id, "length": len(raw)}
                pending = self._pending_uploads.get(file_id)
                if req.command != "POST" or pending is None:
                    status, data = 404, b"not found"
                elif len(raw) != pending["length"]:
                    status, data = 400, b"length mismatch"
                else:
                    pending["content"] = bytes(raw)
                    status, data = 200, f"OK - {len(raw)}".encode()
            else:
                # /files-pri/<team>-<file id>/download/<name> (or /<name> for url_private)
                segment = unquote(path[len(_FILES_PATH) :]).split("/", 1)[0]
                file_id = segment.split("-", 1)[-1]
                params = {"file_id": file_id, "path": path}
                hosted = self._files.get(file_id)
                auth = headers.get("authorization", "")
                if hosted is None:
                    status, data = 404, b"not found"
                elif auth != f"Bearer {self.bot_token}":
                    status, data = 403, b"forbidden"
                elif hosted["redirect_to"]:
                    status, extra_headers = 302, {"Location": hosted["redirect_to"]}
                else:
                    status, data = 200, hosted["content"]
                    content_type = hosted["file"].get("mimetype") or "application/octet-stream"
            response = {"ok": status == 200, "bytes": len(data) if method == FILE_DOWNLOAD else len(raw)}
            if status != 200:
                response["error"] = data.decode("utf-8", "replace") or str(status)
            self._calls.append(Call(method, params, status, response, time.time(), headers))
            self._cond.notify_all()
        with contextlib.suppress(OSError):  # the client gave up meanwhile
            self._send_raw(req, status, data, content_type, extra_headers)


def _cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.b64decode(cursor).decode().split(":")[1])
    except (ValueError, IndexError):
        raise SlackError("invalid_cursor") from None


def _limit(raw: Any, default: int, maximum: int) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise SlackError("invalid_limit") from None
    return default if value <= 0 else min(value, maximum)


def _flag(raw: Any) -> bool:
    """Slack's booleans: slack_sdk sends "1"/"0", other clients "true"/"false"."""
    return raw is True or str(raw).lower() in ("1", "true")


def _ts_key(ts: str) -> Decimal:
    try:
        return Decimal(str(ts))
    except InvalidOperation:
        raise SlackError("invalid_ts_oldest") from None


@dataclass(frozen=True)
class _TimeWindow:
    """``oldest``/``latest``/``inclusive`` of the read methods (exclusive bounds unless ``inclusive``)."""

    oldest: Decimal | None
    latest: Decimal | None
    inclusive: bool

    @classmethod
    def from_params(cls, p: Params) -> _TimeWindow:
        oldest, latest = p.get("oldest"), p.get("latest")
        return cls(
            _ts_key(oldest) if oldest not in (None, "") else None,
            _ts_key(latest) if latest not in (None, "") else None,
            _flag(p.get("inclusive")),
        )

    def contains(self, ts: str) -> bool:
        key = _ts_key(ts)
        if self.oldest is not None and (key < self.oldest or (key == self.oldest and not self.inclusive)):
            return False
        return not (self.latest is not None and (key > self.latest or (key == self.latest and not self.inclusive)))


def _check_metadata(metadata: Any) -> None:
    """Slack refuses metadata that is not ``{"event_type": str, "event_payload": {...}}``."""
    if metadata in (None, ""):
        return
    if (
        not isinstance(metadata, dict)
        or not isinstance(metadata.get("event_type"), str)
        or not metadata["event_type"]
        or not isinstance(metadata.get("event_payload"), dict)
    ):
        raise SlackError("invalid_metadata_format")


def _parse_params(raw: bytes, content_type: str, query: str) -> Params:
    params: Params = dict(parse_qsl(query, keep_blank_values=True))
    if "application/json" in content_type:
        body = json.loads(raw or b"{}")
        if isinstance(body, dict):
            params.update(body)
        else:
            params["_json"] = body
        return params
    if "application/x-www-form-urlencoded" in content_type or not content_type:
        params.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    else:
        params["_raw"] = raw.decode("utf-8", "replace")
    for key in _JSON_FORM_FIELDS:
        value = params.get(key)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
    return params


def _mimetype_of(filename: str) -> str:
    guessed, _ = mimetypes.guess_type(filename)
    return guessed or "application/octet-stream"
