"""Writing answers on the emulator's HTTP server: JSON, raw bytes, or a dropped connection."""

from __future__ import annotations

import contextlib
import json
import socket
from http.server import BaseHTTPRequestHandler
from typing import Any


def send_json(
    req: BaseHTTPRequestHandler, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    send_bytes(req, status, json.dumps(body).encode(), "application/json; charset=utf-8", headers)


def send_bytes(
    req: BaseHTTPRequestHandler, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None
) -> None:
    req.send_response(status)
    req.send_header("Content-Type", content_type)
    req.send_header("Content-Length", str(len(data)))
    for key, value in (headers or {}).items():
        req.send_header(key, value)
    req.end_headers()
    req.wfile.write(data)


def drop_connection(req: BaseHTTPRequestHandler) -> None:
    """Close the connection without an answer, as a dropped connection looks to the client."""
    req.close_connection = True
    with contextlib.suppress(OSError):
        req.connection.shutdown(socket.SHUT_RDWR)
