"""The HTTP edge in front of Bolt: only signed, well-formed Slack requests reach a listener.

Left alone, Bolt answers many bodies Slack never sends with a 500 (invalid JSON or UTF-8, a JSON
list, a `payload` that is no object, an `event` that is no object, an empty `actions` list, an ID
of the wrong type, a missing `ts` ...) and whatever no listener handles with a 404 that Slack
retries. Here every POST to /slack/events is checked, cheaply and in this order:

1. size (413 over `MAX_BODY_BYTES`; waitress refuses those before us too),
2. signature and timestamp with slack_sdk's `SignatureVerifier` (401, like Bolt; only Slack's
   unsigned `ssl_check` ping is answered without one), so unsigned junk learns nothing more,
3. content type (415 unless JSON or a form),
4. parsing (400 unless a JSON object, or a form with a `payload` object or a slash command),
5. shape: the fields Bolt and our listeners read have the types and sizes Slack sends (400).

Then, while the backlog of lazy work is full (`HANDOFF_MAX_BACKLOG`, see handoff_slack.lazy_work),
requests whose work only a lazy listener would do (buttons, slash commands, forms; not Slack's
messages, whose relays the scheduler also delivers) get a 503 before Bolt runs a listener: nothing
is committed, and Slack or the person tries again. At twice the backlog every request but
Slack's URL verification gets it.

Bolt then verifies the signature again and dispatches the body exactly as parsed here, so both
agree on what the request says. A request nothing handles is acknowledged with a 200 (an unknown
slash command gets a short answer) instead of Bolt's 404. A listener that fails in its ack phase
still gets Slack's 500 (and so its retry): only well-formed input gets that far.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from slack_bolt.request.internals import build_context
from slack_sdk.signature import SignatureVerifier

from handoff_slack.lazy_work import LazyWork

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 2 * 1024 * 1024  # Slack's payloads are far smaller; anything bigger is not Slack
MAX_TEXT_CHARS = 160_000  # Slack allows 40,000 characters; its &amp; &lt; &gt; escapes can make that longer
MAX_ID_CHARS = 32  # Slack IDs and timestamps, as the database stores them
MAX_EVENT_ID_CHARS = 64
MAX_NAME_CHARS = 255  # types, subtypes, action and callback IDs, commands
MAX_DEPTH = 64  # Slack's payloads nest a dozen levels deep at most
MAX_FORM_FIELDS = 100

JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"
SLACK_TS = re.compile(r"[0-9]{1,20}\.[0-9]{1,10}")
UNHANDLED = 404  # Bolt's answer when no listener matched
OVERLOADED = 503  # Slack redelivers the event later (with X-Slack-Retry-Num)

# Interactivity from the legacy (pre-Block Kit) APIs: this app sends nothing that produces them.
LEGACY_TYPES = frozenset(
    {"interactive_message", "dialog_submission", "dialog_cancellation", "dialog_suggestion", "workflow_step_edit"}
)


class Refused(Exception):
    """The request is not one Slack would send; `status` and the reason go back to the sender."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _malformed(reason: str) -> Refused:
    return Refused(400, reason)


class SlackRequestGuard:
    """WSGI app for POST /slack/events: checks the request, then lets Bolt dispatch it.

    `lazy_work`, when given, is the bounded executor of the lazy listeners (overload refusals).
    """

    def __init__(self, bolt: App, signing_secret: str, lazy_work: LazyWork | None = None) -> None:
        self.bolt = bolt
        self.verifier = SignatureVerifier(signing_secret)
        self.lazy_work = lazy_work
        self.overload = OverloadEpisodes()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        response = self.handle(environ)
        wsgi_response = WsgiHttpResponse(status=response.status, headers=response.headers, body=response.body)
        start_response(wsgi_response.status, wsgi_response.get_headers())
        return wsgi_response.get_body()

    def handle(self, environ: dict[str, Any]) -> BoltResponse:
        request = WsgiHttpRequest(environ)
        headers = request.get_headers()
        try:
            raw = read_body(environ)
            media_type = _media_type(environ.get("CONTENT_TYPE"))
            if media_type == FORM_TYPE and is_ssl_check(raw):
                return BoltResponse(status=200, body="")  # Slack's certificate check comes unsigned
            text = self._verified_text(raw, environ)
            if text is None:
                return BoltResponse(status=401, body={"error": "invalid request"})
            body = parse_body(text, media_type)
            check_shape(body)
        except Refused as refused:
            return BoltResponse(status=refused.status, body={"error": refused.reason})
        if self.lazy_work is not None:
            # Checked before the submit, so concurrent requests may overshoot the limit by at most
            # one lazy task per HTTP thread: a bound on memory, not an exact count.
            if self._refused_for_overload(body, self.lazy_work):
                self.overload.refused()
                return BoltResponse(status=OVERLOADED, body={"error": "overloaded, try again later"})
            self.overload.accepted()
            self.lazy_work.forget_deferral()
        try:
            bolt_request = ParsedBoltRequest(raw_body=text, body=body, query=request.query_string, headers=headers)
        except (AttributeError, IndexError, KeyError, TypeError, ValueError):
            # Bolt could not read its IDs from a body that passed the checks above: still not Slack's.
            return BoltResponse(status=400, body={"error": "the payload's fields are not where Slack puts them"})
        response = self.bolt.dispatch(bolt_request)
        if response.status == UNHANDLED:
            return unhandled_answer(body)
        return response

    @staticmethod
    def _refused_for_overload(body: Mapping[str, Any], lazy_work: LazyWork) -> bool:
        if body.get("type") == "url_verification":  # Slack's handshake starts no work
            return False
        event = body.get("event")
        if body.get("type") == "event_callback" and isinstance(event, Mapping) and event.get("type") == "message":
            # Committed before the ack, and relayed by the scheduler if not by a lazy listener.
            return lazy_work.overflowing()
        return lazy_work.full()

    def _verified_text(self, raw: bytes, environ: Mapping[str, Any]) -> str | None:
        """The body as text if its signature and timestamp are valid, else None."""
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE")
        if not (timestamp and timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            return None
        if not (signature and signature.isascii()):  # hmac.compare_digest refuses other strings
            return None
        try:
            text = raw.decode("utf-8")  # Slack signs UTF-8 text; other bytes cannot carry its signature
        except UnicodeDecodeError:
            return None
        return text if self.verifier.is_valid(text, timestamp, signature) else None


class OverloadEpisodes:
    """One warning when the app starts refusing work for a full backlog, one line when it stops.

    Not one per request: under overload that would be thousands of lines (and log I/O is work too).
    A backlog hovering at its limit starts and ends an episode many times a second, so a warning
    is logged at most once per `WARN_EVERY_SECONDS`; the episodes in between are counted into
    the next "has room again" line.
    """

    WARN_EVERY_SECONDS = 60.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._refusing = False
        self._announced = False  # this run of episodes got its warning
        self._last_warning: float | None = None
        self._refused = 0

    def refused(self) -> None:
        with self._lock:
            self._refused += 1
            if self._refusing:
                return
            self._refusing = True
            now = self._clock()
            warn = self._last_warning is None or now - self._last_warning >= self.WARN_EVERY_SECONDS
            if warn:
                self._last_warning, self._announced = now, True
        if warn:
            logger.warning("the lazy backlog reached HANDOFF_MAX_BACKLOG: answering Slack 503 until it drains")

    def accepted(self) -> None:
        if not self._refusing:  # the usual case: no lock on the way to Bolt
            return
        with self._lock:
            if not self._refusing:
                return
            self._refusing = False
            if not self._announced:
                return  # a short relapse: counted into the next line
            refused, self._announced, self._refused = self._refused, False, 0
        logger.info("the lazy backlog has room again; %d request(s) were answered 503 meanwhile", refused)


class ParsedBoltRequest(BoltRequest):
    """A BoltRequest with the body as the guard parsed it (the raw body is kept for verification).

    Bolt's own parser takes any form mentioning "payload" (a slash command's text, say) for an
    interactivity payload and then sees an empty body, and any body starting with "{" for JSON.
    """

    def __init__(
        self,
        *,
        raw_body: str,
        body: dict[str, Any],
        query: str | Mapping[str, Sequence[str]] | None,
        headers: Mapping[str, str | Sequence[str]],
        context: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(body="", query=query, headers=dict(headers), context=context)  # type: ignore[arg-type]
        self.raw_body = raw_body
        self.body = body
        self.context = build_context(BoltContext(context or {}), body)

    def to_copyable(self) -> BoltRequest:  # lazy listeners get a copy: it must keep our body
        return ParsedBoltRequest(
            raw_body=self.raw_body,
            body=self.body,
            query=self.query,
            headers=self.headers,
            context=self.context.to_copyable(),
        )


# -- reading and parsing --------------------------------------------------------------------------


def read_body(environ: Mapping[str, Any]) -> bytes:
    length_header = environ.get("CONTENT_LENGTH") or "0"
    if not (length_header.isascii() and length_header.isdigit()):
        raise _malformed("invalid Content-Length")
    length = int(length_header)
    if length > MAX_BODY_BYTES:
        raise Refused(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
    raw = environ["wsgi.input"].read(length) if length else b""
    if len(raw) != length:
        raise _malformed("the body is shorter than its Content-Length")
    return bytes(raw)


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_ssl_check(raw: bytes) -> bool:
    """Slack's unsigned `ssl_check=1` ping (with its verification token at most), nothing else."""
    if len(raw) > 1024:
        return False
    try:
        fields = parse_qsl(raw.decode("ascii"), keep_blank_values=True, max_num_fields=2)
    except (UnicodeDecodeError, ValueError):
        return False
    names = [name for name, _ in fields]
    return ("ssl_check", "1") in fields and len(set(names)) == len(names) and set(names) <= {"ssl_check", "token"}


def parse_body(text: str, media_type: str) -> dict[str, Any]:
    if media_type == JSON_TYPE:
        return _json_object(text, "body")
    if media_type != FORM_TYPE:
        raise Refused(415, f"expected {JSON_TYPE} or {FORM_TYPE}, not {media_type or 'no content type'}")
    try:
        fields = dict(parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS))
    except ValueError:
        raise _malformed("too many form fields") from None
    if "payload" in fields:
        return _json_object(fields["payload"], "the payload")
    if "command" in fields or fields.get("ssl_check") == "1":
        return fields
    raise _malformed("a form needs a payload or a slash command")


def _json_object(text: str, what: str) -> dict[str, Any]:
    if not text.strip():
        raise _malformed(f"{what} is empty")
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        raise _malformed(f"{what} is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise _malformed(f"{what} is not a JSON object")
    return parsed


# -- shape ----------------------------------------------------------------------------------------


def check_shape(body: dict[str, Any]) -> None:
    """Raise Refused(400) unless the fields Bolt and our listeners read are as Slack sends them."""
    _check_values(body)
    if "command" in body:  # Bolt takes any body with a command for a slash command
        if "type" in body:
            raise _malformed("a slash command has no type")
        _check_slash_command(body)
        return
    if "type" not in body and body.get("ssl_check") == "1":
        return  # Bolt answers Slack's certificate check before any listener
    kind = _text(body, "type", required=True, where="body", max_chars=MAX_NAME_CHARS)
    if kind in LEGACY_TYPES:
        raise _malformed(f"{kind} payloads are not used by this app")
    if "event" in body and not isinstance(body["event"], dict):
        raise _malformed("event is not an object")
    _check_bolt_fields(body, "body")
    check = _BY_TYPE.get(kind)  # type: ignore[arg-type]
    if check is not None:
        check(body)


def _check_values(root: Any) -> None:
    """No string holds a NUL or a lone surrogate (the database refuses both), nothing nests deeply."""
    pending: list[tuple[Any, int]] = [(root, 0)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, str):
            _check_string(node)
        elif isinstance(node, (dict, list)):
            if depth >= MAX_DEPTH:
                raise _malformed("the body is nested too deeply")
            if isinstance(node, dict):
                for key, value in node.items():
                    _check_string(key)
                    pending.append((value, depth + 1))
            else:
                pending.extend((item, depth + 1) for item in node)


def _check_string(value: str) -> None:
    if "\x00" in value:
        raise _malformed("a string contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _malformed("a string is not valid Unicode") from None


def _check_bolt_fields(obj: dict[str, Any], where: str) -> None:
    """The IDs Bolt reads into its context (from the body, the event, and what they nest)."""
    for key in ("user", "channel", "team", "enterprise"):
        value = obj.get(key)
        if isinstance(value, dict):
            _id(value, "id", f"{where}.{key}")
        elif value is not None:
            _id(obj, key, where)
    for key in ("user_id", "channel_id", "team_id", "enterprise_id", "user_team", "thread_ts", "bot_id"):
        _id(obj, key, where)
    for key in ("function_execution_id", "bot_access_token", "subtype", "channel_type"):
        _text(obj, key, where=where, max_chars=MAX_NAME_CHARS)
    _url(obj, "response_url", where)
    for url_holder in _objects(obj, "response_urls", where):
        _url(url_holder, "response_url", f"{where}.response_urls", required=True)
    for authorization in _objects(obj, "authorizations", where):
        _check_bolt_fields(authorization, f"{where}.authorizations")
    view = _object(obj, "view", where)
    if view is not None:
        for key in ("app_installed_team_id", "team_id", "id"):
            _id(view, key, f"{where}.view")
        for key in ("type", "callback_id"):
            _text(view, key, where=f"{where}.view", max_chars=MAX_NAME_CHARS)
    for key in ("message", "previous_message", "item", "assistant_thread", "function_data"):
        nested = _object(obj, key, where)
        if nested is not None and key != "function_data":
            _check_bolt_fields(nested, f"{where}.{key}")


def _check_event_callback(body: dict[str, Any]) -> None:
    event = _object(body, "event", "body", required=True)
    assert event is not None
    kind = _text(event, "type", required=True, where="event", max_chars=MAX_NAME_CHARS)
    _text(body, "event_id", where="body", max_chars=MAX_EVENT_ID_CHARS)
    _check_bolt_fields(event, "event")
    if kind == "message":
        _check_message(event, "event", top_level=True)
    elif kind in ("member_joined_channel", "member_left_channel"):
        _id(event, "user", "event", required=True)
        _id(event, "channel", "event", required=True)


def _check_message(message: dict[str, Any], where: str, *, top_level: bool = False) -> None:
    _id(message, "channel", where, required=top_level)
    _ts(message, "ts", where, required=top_level)
    for key in ("thread_ts", "deleted_ts", "event_ts"):
        _ts(message, key, where)
    _id(message, "user", where)
    _id(message, "team", where)
    _text(message, "text", where=where, max_chars=MAX_TEXT_CHARS)
    _text(message, "client_msg_id", where=where, max_chars=MAX_NAME_CHARS)
    for key in ("message", "previous_message"):
        nested = _object(message, key, where)
        if nested is not None and top_level:
            _check_message(nested, f"{where}.{key}")


def _check_block_actions(body: dict[str, Any]) -> None:
    user = _object(body, "user", "body", required=True)
    assert user is not None
    _id(user, "id", "user", required=True)
    actions = _objects(body, "actions", "body")
    if not actions:
        raise _malformed("block_actions without actions")
    for action in actions:
        _text(action, "action_id", required=True, where="action", max_chars=MAX_NAME_CHARS)
        _text(action, "block_id", where="action", max_chars=MAX_NAME_CHARS)
        _text(action, "value", where="action", max_chars=MAX_TEXT_CHARS)
        _text(action, "type", where="action", max_chars=MAX_NAME_CHARS)
    container = _object(body, "container", "body")
    if container is not None:
        _id(container, "channel_id", "container")
        _ts(container, "message_ts", "container")
    _object(body, "message", "body")


def _check_view_payload(body: dict[str, Any]) -> None:
    view = _object(body, "view", "body", required=True)
    assert view is not None
    _text(view, "type", required=True, where="view", max_chars=MAX_NAME_CHARS)
    _text(view, "callback_id", required=True, where="view", max_chars=MAX_NAME_CHARS)


def _check_shortcut(body: dict[str, Any]) -> None:
    _text(body, "callback_id", required=True, where="body", max_chars=MAX_NAME_CHARS)


def _check_block_suggestion(body: dict[str, Any]) -> None:
    _text(body, "action_id", required=True, where="body", max_chars=MAX_NAME_CHARS)
    _text(body, "block_id", where="body", max_chars=MAX_NAME_CHARS)


def _check_url_verification(body: dict[str, Any]) -> None:
    _text(body, "challenge", required=True, where="body", max_chars=MAX_NAME_CHARS)


def _check_slash_command(body: dict[str, Any]) -> None:
    command = _text(body, "command", required=True, where="the command", max_chars=MAX_NAME_CHARS)
    if not command or not command.startswith("/"):
        raise _malformed("a slash command starts with /")
    _id(body, "user_id", "the command", required=True)
    for key in ("channel_id", "team_id", "enterprise_id"):
        _id(body, key, "the command")
    _text(body, "text", where="the command", max_chars=MAX_TEXT_CHARS)
    _url(body, "response_url", "the command", required=True)


_BY_TYPE: dict[str, Callable[[dict[str, Any]], None]] = {
    "event_callback": _check_event_callback,
    "block_actions": _check_block_actions,
    "view_submission": _check_view_payload,
    "view_closed": _check_view_payload,
    "shortcut": _check_shortcut,
    "message_action": _check_shortcut,
    "block_suggestion": _check_block_suggestion,
    "url_verification": _check_url_verification,
}


# -- field readers (each raises Refused(400) naming the field) -------------------------------------


def _text(obj: dict[str, Any], key: str, *, where: str, max_chars: int, required: bool = False) -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise _malformed(f"{where} has no {key}")
        return None
    if not isinstance(value, str):
        raise _malformed(f"{where}.{key} is not a string")
    if len(value) > max_chars:
        raise _malformed(f"{where}.{key} is longer than {max_chars} characters")
    if required and not value:
        raise _malformed(f"{where}.{key} is empty")
    return value


def _id(obj: dict[str, Any], key: str, where: str, *, required: bool = False) -> str | None:
    return _text(obj, key, where=where, max_chars=MAX_ID_CHARS, required=required)


def _ts(obj: dict[str, Any], key: str, where: str, *, required: bool = False) -> None:
    value = _id(obj, key, where, required=required)
    if value is not None and not SLACK_TS.fullmatch(value):
        raise _malformed(f"{where}.{key} is not a Slack timestamp")


def _url(obj: dict[str, Any], key: str, where: str, *, required: bool = False) -> None:
    value = _text(obj, key, where=where, max_chars=2048, required=required)
    if value is not None and not value.startswith(("https://", "http://")):
        raise _malformed(f"{where}.{key} is not an http(s) URL")


def _object(obj: dict[str, Any], key: str, where: str, *, required: bool = False) -> dict[str, Any] | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise _malformed(f"{where} has no {key}")
        return None
    if not isinstance(value, dict):
        raise _malformed(f"{where}.{key} is not an object")
    return value


def _objects(obj: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise _malformed(f"{where}.{key} is not a list of objects")
    return value


# -- what nothing handles -------------------------------------------------------------------------


def unhandled_answer(body: dict[str, Any]) -> BoltResponse:
    """Acknowledge what no listener handles (Slack would retry a 404), answering unknown commands."""
    command = body.get("command") if "type" not in body else None
    if isinstance(command, str):
        shown = command[:40].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        text = f"Sorry, I don't know the command {shown}. Try `/handoff-queue help`."
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": text})
    return BoltResponse(status=200, body="")
