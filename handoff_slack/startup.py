"""Starting without surprises: what stops start-up, the first call to Slack (`auth.test`, made
before anything is created), and Bolt's logger without a warning that reports nothing.

A failed check says what was tried (the URL), why it failed (DNS, a refused connection, TLS, a
timeout, a token Slack refuses, something that is not Slack answering) and what to do next.
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.error import URLError
from urllib.parse import urlparse

from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler

from handoff_slack.settings import DEFAULT_SLACK_API_URL, Settings
from handoff_slack.slack.client import TransientConnectionRetryHandler

START_UP_RETRIES = 2
TRY_WITHOUT_SLACK = "to try handoff-slack without a Slack workspace: python main.py sandbox"
SET_UP_SLACK = 'to connect a workspace: README.md, "Creating the Slack app"'
# auth.test errors that mean the token itself is wrong, with what to do about each.
REFUSED_TOKEN_ADVICE = {
    "invalid_auth": "it is not a valid token: copy the Bot User OAuth Token (xoxb-...) from the app's "
    "OAuth & Permissions page",
    "not_authed": "no token reached Slack: set SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-...)",
    "token_revoked": "the token was revoked: reinstall the app and copy the new Bot User OAuth Token",
    "token_expired": "the token has expired: reinstall the app and copy the new Bot User OAuth Token",
    "account_inactive": "the app was uninstalled or its workspace deleted: reinstall it and copy the new token",
}


class StartupError(RuntimeError):
    """The app cannot start; the message is what to tell the operator, one line per point."""


class _ClientCarriesTheToken(logging.Filter):
    """Drops Bolt's "As you gave `client` as well, `token` will be unused." and nothing else.

    Bolt's App reads SLACK_BOT_TOKEN from the environment whenever its `token` argument is not
    given, and warns when a `client` comes too. Ours must (it carries our base URL, timeouts and
    retry handlers) and is built from that same token, so the warning reports nothing; Bolt has
    no argument to say "the client's token only", and the variable's name is Slack's own.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


_CLIENT_CARRIES_THE_TOKEN = _ClientCarriesTheToken()


def bolt_logger() -> logging.Logger:
    """The logger for Bolt's App, without that one warning (a filter is added once only)."""
    logger = logging.getLogger("slack_bolt")
    logger.addFilter(_CLIENT_CARRIES_THE_TOKEN)
    return logger


def build_start_up_client(settings: Settings) -> WebClient:
    return WebClient(
        token=settings.bot_token,
        base_url=settings.slack_api_url,
        timeout=settings.slack_timeout_seconds,
        retry_handlers=[
            TransientConnectionRetryHandler(max_retry_count=START_UP_RETRIES),
            RateLimitErrorRetryHandler(max_retry_count=START_UP_RETRIES),  # honours Retry-After
            ServerErrorRetryHandler(max_retry_count=START_UP_RETRIES),
        ],
    )


def verify_bot_token(settings: Settings) -> dict[str, Any]:
    """auth.test: who the bot is. A refused token or an unreachable Slack is a StartupError."""
    client = build_start_up_client(settings)
    url = settings.slack_api_url + "auth.test"
    try:
        with _quiet_client_logs():
            answer = client.auth_test().data
    except SlackApiError as error:
        raise StartupError(_refused(error, url, settings)) from None
    except OSError as error:  # URLError, and what urllib raises unwrapped (timeouts, resets)
        problem = f"cannot reach the Slack Web API: {url} failed: {_why_unreachable(error, settings, client.proxy)}"
        raise StartupError("\n".join([problem, TRY_WITHOUT_SLACK, SET_UP_SLACK])) from None
    if not isinstance(answer, dict):  # JSON bytes only for file downloads: never for auth.test
        raise StartupError(f"{url} did not answer like the Slack Web API (no JSON object)")
    return dict(answer)


@contextmanager
def _quiet_client_logs() -> Iterator[None]:
    """slack_sdk logs every retry of a failing call; at start-up our lines say it all."""
    client_logger = logging.getLogger("slack_sdk.web.base_client")
    level = client_logger.level
    client_logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        client_logger.setLevel(level)


def _why_unreachable(error: OSError, settings: Settings, proxy: str | None) -> str:
    reason: object = error.reason if isinstance(error, URLError) else error
    # slack_sdk goes through the proxy named by HTTPS_PROXY (or HTTP_PROXY) when one is set.
    where = urlparse(proxy or settings.slack_api_url)
    host = where.hostname or where.netloc
    if proxy:
        host = f"the proxy {host} (HTTPS_PROXY or HTTP_PROXY)"
    check = []
    if settings.slack_api_url != DEFAULT_SLACK_API_URL:  # name only a setting the user set
        check.append(f"check SLACK_API_URL ({settings.slack_api_url})")
    if isinstance(reason, socket.gaierror):
        cause = f"the host name {host} could not be resolved (DNS: {reason.strerror or 'unknown host'})"
        check.insert(0, "is this machine offline?")
    elif isinstance(reason, ConnectionRefusedError):
        port = where.port or (443 if where.scheme == "https" else 80)
        cause = f"connection refused by {host} port {port}: nothing listens there"
    elif isinstance(reason, ssl.SSLCertVerificationError):
        cause = f"TLS: the certificate of {host} could not be verified ({reason.verify_message})"
    elif isinstance(reason, ssl.SSLError):
        cause = f"TLS failed with {host} ({reason.reason or type(reason).__name__})"
    elif isinstance(reason, TimeoutError):
        cause = f"no answer within {settings.slack_timeout_seconds} s (HANDOFF_SLACK_TIMEOUT_SECONDS)"
        check.append("is a firewall in the way?")
    elif isinstance(reason, OSError) and reason.strerror:
        cause = reason.strerror
    else:
        cause = type(reason).__name__
    return "; ".join([cause, *check])


def _refused(error: SlackApiError, url: str, settings: Settings) -> str:
    code = error.response.get("error")
    status = error.response.status_code
    if not isinstance(code, str) or code.startswith("Received a response in a non-JSON format"):
        # Not Slack's JSON envelope: SLACK_API_URL names some other web server.
        return "\n".join(
            [
                f"{url} answered HTTP {status}, which is not a Slack Web API answer; "
                f"check SLACK_API_URL ({settings.slack_api_url})",
                TRY_WITHOUT_SLACK,
            ]
        )
    advice = REFUSED_TOKEN_ADVICE.get(code)
    if advice is None:
        return f"Slack refused SLACK_BOT_TOKEN at {url}: {code}"
    return "\n".join([f"Slack refused SLACK_BOT_TOKEN at {url}: {code}: {advice}", SET_UP_SLACK, TRY_WITHOUT_SLACK])
