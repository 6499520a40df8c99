"""The Web API client, with slack_sdk's retry handlers for connection errors, 429 and 5xx."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)


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
