"""Web API clients, with slack_sdk's retry handlers for connection errors, 429 and 5xx.

Posting a relayed message is not idempotent: after a 5xx or a dropped connection Slack may have
posted it anyway, and a blind retry would show it twice. The outbox therefore posts through a
client that only repeats what is safe to repeat (429s and connections that were refused before
anything was sent) and handles ambiguous failures itself, looking for the copy before re-posting.
"""

from __future__ import annotations

import socket
import ssl
from http.client import RemoteDisconnected
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState


class RefusedConnectionRetryHandler(RetryHandler):
    """Retries only connections refused outright: the request never reached Slack."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        reason = error.reason if isinstance(error, URLError) else error
        return response is None and isinstance(reason, ConnectionRefusedError)


class TransientConnectionRetryHandler(RetryHandler):
    """Retries a connection that broke on its way, as slack_sdk's ConnectionErrorRetryHandler
    does; not one that can only fail again right away (an unknown host, a refused connection, a
    TLS failure) nor one that has already waited the whole timeout, so a misconfiguration is
    reported at once."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if error is None or response is not None:
            return False
        reason = error.reason if isinstance(error, URLError) else error
        if isinstance(reason, socket.gaierror | ConnectionRefusedError | ssl.SSLError | TimeoutError):
            return False
        return isinstance(error, URLError | ConnectionResetError | RemoteDisconnected)


def build_web_client(token: str, base_url: str, timeout: int = 15, max_retries: int = 3) -> WebClient:
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=max_retries),
            RateLimitErrorRetryHandler(max_retry_count=max_retries),  # honours Retry-After
            ServerErrorRetryHandler(max_retry_count=max_retries),
        ],
    )


def build_posting_client(token: str, base_url: str, timeout: int = 15, max_retries: int = 3) -> WebClient:
    """For non-idempotent posts: retries 429 (nothing was posted) and refused connections only."""
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[
            RefusedConnectionRetryHandler(max_retry_count=max_retries),
            RateLimitErrorRetryHandler(max_retry_count=max_retries),
        ],
    )
