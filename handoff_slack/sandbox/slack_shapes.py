"""Slack's small shared shapes, as the emulator speaks them: ``ts`` values, errors, cursors, parameters.

- ``new_ts()``: a unique, strictly increasing ``ts`` close to the wall clock (process-wide).
- ``SlackError(error)``: raised by a Web API handler to answer ``{"ok": false, "error": error}``.
- ``Call``: one recorded request (method, parameters, HTTP status, the JSON answer, headers).
- Paging (``cursor_for``/``offset_of``/``page_limit``), ``TimeWindow`` (``oldest``/``latest``/
  ``inclusive``), ``flag`` (Slack's booleans), ``parse_params`` (form or JSON bodies, with the JSON
  fields of form posts decoded) and ``check_metadata``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import mimetypes
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

Params = dict[str, Any]

# Form-encoded Web API calls carry these fields as JSON strings (slack_sdk does so for lists/dicts).
_JSON_FORM_FIELDS = ("blocks", "attachments", "metadata", "view")

_ts_lock = threading.Lock()
_last_ts_us = 0


def new_ts() -> str:
    """A unique, strictly increasing Slack-style ts ("1700000000.000100"), close to the wall clock.

    Shared by the emulator and the request builders in ``slack_client`` so that all messages of a
    process are globally ordered.
    """
    global _last_ts_us
    with _ts_lock:
        _last_ts_us = max(int(time.time() * 1_000_000), _last_ts_us + 1)
        return f"{_last_ts_us // 1_000_000}.{_last_ts_us % 1_000_000:06d}"


def copied(value: Any) -> Any:
    """A deep copy of JSON-shaped state, so that callers never hold the emulator's own objects."""
    return json.loads(json.dumps(value))


class SlackError(Exception):
    """Raised by a handler to answer ``{"ok": false, "error": <error>}`` with HTTP 200."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass
class Call:
    """One request the emulator received and answered (Web API method, file transfer or response_url)."""

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


def cursor_for(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def offset_of(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.b64decode(cursor).decode().split(":")[1])
    except (ValueError, IndexError):
        raise SlackError("invalid_cursor") from None


def page_limit(raw: Any, default: int, maximum: int) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise SlackError("invalid_limit") from None
    return default if value <= 0 else min(value, maximum)


def flag(raw: Any) -> bool:
    """Slack's booleans: slack_sdk sends "1"/"0", other clients "true"/"false"."""
    return raw is True or str(raw).lower() in ("1", "true")


def ts_key(ts: str, error: str = "invalid_ts_oldest") -> Decimal:
    try:
        return Decimal(str(ts))
    except InvalidOperation:
        raise SlackError(error) from None


@dataclass(frozen=True)
class TimeWindow:
    """``oldest``/``latest``/``inclusive`` of the read methods (exclusive bounds unless ``inclusive``)."""

    oldest: Decimal | None
    latest: Decimal | None
    inclusive: bool

    @classmethod
    def from_params(cls, p: Params) -> TimeWindow:
        oldest, latest = p.get("oldest"), p.get("latest")
        return cls(
            ts_key(oldest, "invalid_ts_oldest") if oldest not in (None, "") else None,
            ts_key(latest, "invalid_ts_latest") if latest not in (None, "") else None,
            flag(p.get("inclusive")),
        )

    def contains(self, ts: str) -> bool:
        key = ts_key(ts)
        if self.oldest is not None and (key < self.oldest or (key == self.oldest and not self.inclusive)):
            return False
        return not (self.latest is not None and (key > self.latest or (key == self.latest and not self.inclusive)))


def check_metadata(metadata: Any) -> None:
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


def parse_params(raw: bytes, content_type: str, query: str) -> Params:
    """A Web API call's parameters: the query string, then a JSON or form-encoded body."""
    params: Params = dict(parse_qsl(query, keep_blank_values=True))
    if "application/json" in content_type:
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        if isinstance(body, dict):
            params.update(body)
        else:
            params["_json"] = body
        return params
    if "application/x-www-form-urlencoded" in content_type or not content_type:
        params.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    else:
        params["_raw"] = raw.decode("utf-8", "replace")
    for key in _JSON_FORM_FIELDS:
        value = params.get(key)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
    return params


def mimetype_of(filename: str) -> str:
    guessed, _ = mimetypes.guess_type(filename)
    return guessed or "application/octet-stream"
