"""The doors in front of Bolt: only well-formed Slack payloads reach a listener, by either door.

`SlackGate` holds what both doors check, in this order, and then lets Bolt dispatch:

1. shape: the fields Bolt and our listeners read have the types and sizes Slack sends (400;
   handoff_slack.payload_shape). A message longer than anyone can type (counted as typed) is
   the exception: acknowledged, not dispatched, and its sender told (`tell_sender`),
2. overload: while the backlog of lazy work is full (`HANDOFF_MAX_BACKLOG`, see
   handoff_slack.lazy_work), requests whose work only a lazy listener would do (buttons, slash
   commands, forms; not Slack's messages, whose relays the scheduler also delivers) get a 503
   before Bolt runs a listener: nothing is committed, and Slack or the person tries again. At
   twice the backlog every request but Slack's URL verification gets it.

A request nothing handles is acknowledged with a 200 (an unknown slash command gets a short
answer) instead of Bolt's 404. A listener that fails in its ack phase still gets Slack's 500 (and
so its retry): only well-formed input gets that far.

The HTTP door (`SlackRequestGuard`, POST /slack/events) first checks, cheaply and in this order:
size (413 over `MAX_BODY_BYTES`, room for the largest body Slack can send; waitress refuses
those before us too), signature and timestamp
with slack_sdk's `SignatureVerifier` (401, like Bolt; only Slack's unsigned `ssl_check` ping is
answered without one), content type (415 unless JSON or a form), parsing (400 unless a JSON
object, or a form with a `payload` object or a slash command). The Socket Mode door
(handoff_slack.socket_mode) receives payloads already parsed over the app's own connection.

Bolt gets the payload as parsed here, through BoltRequest's public constructor with a parsed body
(`mode="socket_mode"`, the form Bolt's own Socket Mode adapter uses), so both agree on what the
request says (Bolt's parser takes any form mentioning "payload", a slash command's text say, for an
interactivity payload). In that form Bolt does not verify a signature again: the HTTP door did.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from slack_sdk.signature import SignatureVerifier

from handoff_slack.lazy_work import LazyWork
from handoff_slack.payload_shape import FORM_TYPE, Refused, TooLong, check_shape, malformed, parse_body

logger = logging.getLogger(__name__)

# The largest body Slack can send, measured, with room: an edit of a thread broadcast carries the
# message, the previous message and the thread's root, each with 40,000 characters of text and the
# same again in its blocks, every character a JSON escape (an emoji is 12 bytes): 2.75 MiB.
MAX_BODY_BYTES = 4 * 1024 * 1024
UNHANDLED = 404  # Bolt's answer when no listener matched
OVERLOADED = 503  # Slack redelivers the event later (with X-Slack-Retry-Num)
MALFORMED = 400

Headers = Mapping[str, str | Sequence[str]]


class SlackGate:
    """What both doors check before Bolt dispatches a parsed payload, and Bolt's dispatch itself.

    `lazy_work`, when given, is the bounded executor of the lazy listeners (overload refusals).
    `tell_sender`, when given, is told the message event whose text is too long to take
    (handoff_slack.sender_notices): such a message is acknowledged, since Slack would retry a 400
    and then drop it with nobody told.
    """

    def __init__(
        self,
        bolt: App,
        lazy_work: LazyWork | None = None,
        tell_sender: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.bolt = bolt
        self.lazy_work = lazy_work
        self.tell_sender = tell_sender
        self.overload = OverloadEpisodes()

    def handle(self, body: dict[str, Any], headers: Headers | None = None, query: str | None = None) -> BoltResponse:
        try:
            check_shape(body)
        except TooLong as refused:
            event = body.get("event")
            if body.get("type") != "event_callback" or not isinstance(event, dict):
                return BoltResponse(status=refused.status, body={"error": refused.reason})
            logger.info("a message event was too long to take (%s); its sender is told", refused.reason)
            if self.tell_sender is not None:
                self.tell_sender(event)
            return BoltResponse(status=200, body="")
        except Refused as refused:
            return BoltResponse(status=refused.status, body={"error": refused.reason})
        if self.lazy_work is not None:
            # Checked before the submit, so concurrent requests may overshoot the limit by at most
            # one lazy task per thread: a bound on memory, not an exact count.
            if self._refused_for_overload(body, self.lazy_work):
                self.overload.refused()
                return BoltResponse(status=OVERLOADED, body={"error": "overloaded, try again later"})
            self.overload.accepted()
            self.lazy_work.forget_deferral()
        try:
            request = BoltRequest(body=body, query=query, headers=dict(headers or {}), mode="socket_mode")
        except (AttributeError, IndexError, KeyError, TypeError, ValueError):
            # Bolt could not read its IDs from a body that passed the checks above: still not Slack's.
            return BoltResponse(status=MALFORMED, body={"error": "the payload's fields are not where Slack puts them"})
        response = self.bolt.dispatch(request)
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


class SlackRequestGuard:
    """WSGI app for POST /slack/events: checks the HTTP request, then hands the payload to the gate."""

    def __init__(
        self,
        bolt: App,
        signing_secret: str,
        lazy_work: LazyWork | None = None,
        tell_sender: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.gate = SlackGate(bolt, lazy_work, tell_sender)
        self.verifier = SignatureVerifier(signing_secret)

    @property
    def overload(self) -> OverloadEpisodes:
        return self.gate.overload

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        response = self.handle(environ)
        wsgi_response = WsgiHttpResponse(status=response.status, headers=response.headers, body=response.body)
        start_response(wsgi_response.status, wsgi_response.get_headers())
        return wsgi_response.get_body()

    def handle(self, environ: dict[str, Any]) -> BoltResponse:
        request = WsgiHttpRequest(environ)
        try:
            raw = read_body(environ)
            media_type = _media_type(environ.get("CONTENT_TYPE"))
            if media_type == FORM_TYPE and is_ssl_check(raw):
                return BoltResponse(status=200, body="")  # Slack's certificate check comes unsigned
            text = self._verified_text(raw, environ)
            if text is None:
                return BoltResponse(status=401, body={"error": "invalid request"})
            body = parse_body(text, media_type)
        except Refused as refused:
            return BoltResponse(status=refused.status, body={"error": refused.reason})
        return self.gate.handle(body, request.get_headers(), request.query_string)

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


# -- the HTTP request -----------------------------------------------------------------------------


def read_body(environ: Mapping[str, Any]) -> bytes:
    length_header = environ.get("CONTENT_LENGTH") or "0"
    if not (length_header.isascii() and length_header.isdigit()):
        raise malformed("invalid Content-Length")
    length = int(length_header)
    if length > MAX_BODY_BYTES:
        raise Refused(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
    raw = environ["wsgi.input"].read(length) if length else b""
    if len(raw) != length:
        raise malformed("the body is shorter than its Content-Length")
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


# -- what nothing handles -------------------------------------------------------------------------


def unhandled_answer(body: dict[str, Any]) -> BoltResponse:
    """Acknowledge what no listener handles (Slack would retry a 404), answering unknown commands."""
    command = body.get("command") if "type" not in body else None
    if isinstance(command, str):
        shown = command[:40].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        text = f"Sorry, I don't know the command {shown}. Try `/handoff-queue help`."
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": text})
    return BoltResponse(status=200, body="")
