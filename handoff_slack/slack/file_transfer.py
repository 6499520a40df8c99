"""Moving a file's bytes to and from Slack's file servers, and where the bot token may go.

A download sends the bot token only to Slack's file servers: https to files.slack.com or
files.slack-gov.com, or to the API's own host as SLACK_API_URL names it (and `files.` under it);
a `url_private_download` pointing anywhere else is refused before any request. Redirects are
followed by hand, at most a few, http(s) only, and without the token once they leave the URL's
host. Downloads stream and stop at the size cap. An upload POSTs the bytes to the URL that
files.getUploadURLExternal returned (the public external upload flow's second step).
"""

from __future__ import annotations

import http.client
import ssl
import time
from collections.abc import Callable, Collection
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urljoin, urlsplit
from urllib.request import (
    HTTPRedirectHandler,
    HTTPSHandler,
    OpenerDirector,
    ProxyHandler,
    Request,
    build_opener,
)

MAX_REDIRECTS = 3
DOWNLOAD_SOCKET_TIMEOUT = 30  # seconds without progress
DOWNLOAD_DEADLINE = 300  # seconds for a whole download
CHUNK_BYTES = 64 * 1024

REFUSED = "Slack did not let the app download it"
NOT_ON_SLACK = "its download link does not point to Slack's file servers"
# Where Slack serves private files (commercial Slack, GovSlack); the bot token goes nowhere else
# but these (over https) and the host of SLACK_API_URL (see token_origins).
SLACK_FILE_HOSTS = ("files.slack.com", "files.slack-gov.com")

Origin = tuple[str, str, int]  # scheme, host, port


class FileProblem(Exception):
    """This file cannot be passed on, however often it is tried; `why` completes "could not be passed on: …"."""

    def __init__(self, why: str, too_large_size: str | None = None) -> None:
        super().__init__(why)
        self.why = why
        self.too_large_size = too_large_size  # set when the file is over the cap: its size as shown

    @property
    def too_large(self) -> bool:
        return self.too_large_size is not None


class TransientFileError(OSError):
    """A download failed in a way that may pass (5xx, 429, timeout, dropped connection)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def format_size(size: int) -> str:
    """Sizes as Slack shows them (binary units, named KB and MB)."""
    if size < 1024:
        return f"{size} bytes"
    for unit, factor in (("KB", 1024), ("MB", 1024**2), ("GB", 1024**3)):
        value = size / factor
        if value < 1024 or unit == "GB":
            shown = f"{value:.0f}" if value >= 10 else f"{value:.1f}".removesuffix(".0")
            return f"{shown} {unit}"
    raise AssertionError("unreachable")


class _NoRedirects(HTTPRedirectHandler):
    """Redirects come back as HTTPError so `download` decides where the token may go."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def token_origins(api_url: str) -> frozenset[Origin]:
    """Where the bot token may be sent: Slack's file hosts over https, and the API's own host.

    The API's host is taken as SLACK_API_URL gives it (scheme and port too: the tests' fake Slack
    serves plain http on a local port), with `files.` under it for an https API
    (https://slack-gov.com/api/ -> files.slack-gov.com).
    """
    origins = {("https", host, 443) for host in SLACK_FILE_HOSTS}
    api = _origin(api_url)
    if api is not None:
        origins.add(api)
        scheme, host, port = api
        if scheme == "https":
            origins.add((scheme, f"files.{host}", port))
    return frozenset(origins)


def _origin(url: str) -> Origin | None:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        return None
    return scheme, parts.hostname.lower(), port


def download(
    url: str,
    token: str,
    max_bytes: int,
    *,
    expected_mimetype: str | None = None,
    ssl_context: ssl.SSLContext | None = None,
    too_large: Callable[[str], FileProblem] | None = None,
    token_origins: Collection[Origin] = token_origins("https://slack.com/api/"),
    socket_timeout: float = DOWNLOAD_SOCKET_TIMEOUT,
    deadline_seconds: float = DOWNLOAD_DEADLINE,
) -> bytes:
    """GET a private Slack file with the bot token, at most `max_bytes` of it.

    Only from `token_origins` (FileProblem otherwise, before any request is made).
    """
    too_large = too_large or (lambda shown: FileProblem(f"it is larger than {format_size(max_bytes)}", shown))
    origin = _origin(url)
    if origin is None:
        raise FileProblem(REFUSED)
    if origin not in token_origins:
        raise FileProblem(NOT_ON_SLACK)
    handlers: list[Any] = [_NoRedirects()]
    if ssl_context is not None:
        handlers.append(HTTPSHandler(context=ssl_context))
    opener: OpenerDirector = build_opener(*handlers)
    deadline = time.monotonic() + deadline_seconds
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        hop = _origin(current)
        if hop is None:
            raise FileProblem(REFUSED)
        headers = {"User-Agent": "handoff-slack"}
        if hop == origin:
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = opener.open(Request(current, headers=headers, method="GET"), timeout=socket_timeout)
        except HTTPError as error:
            with error:
                location = error.headers.get("Location") if error.headers else None
                if error.code in (301, 302, 303, 307, 308) and location:
                    current = urljoin(current, location)
                    continue
                raise _http_problem(error.code) from None
        except (URLError, TimeoutError, ConnectionError, http.client.HTTPException) as error:
            raise TransientFileError(f"download_{type(error).__name__}") from None
        except ValueError:  # a URL http.client refuses (control characters, a bad port)
            raise FileProblem(REFUSED) from None
        with response:
            return _read_capped(response, max_bytes, expected_mimetype, deadline, too_large)
    raise FileProblem(REFUSED)


def upload_bytes(
    url: str, data: bytes, *, timeout: float, ssl_context: ssl.SSLContext | None = None, proxy: str | None = None
) -> None:
    """Step 2 of the external upload: POST the bytes to the URL files.getUploadURLExternal gave.

    The URL carries its own authorisation (no token is sent). Any failure is transient: the
    upload's ID is recorded, so the retry asks files.info before uploading again.
    """
    if _origin(url) is None:
        raise TransientFileError("upload_url_unusable")
    handlers: list[Any] = [_NoRedirects()]
    if ssl_context is not None:
        handlers.append(HTTPSHandler(context=ssl_context))
    if proxy:
        handlers.append(ProxyHandler({"http": proxy, "https": proxy}))
    opener = build_opener(*handlers)
    request = Request(
        url,
        data=data,
        method="POST",
        headers={"Content-Type": "application/octet-stream", "User-Agent": "handoff-slack"},
    )
    try:
        with opener.open(request, timeout=timeout) as response:
            response.read()
    except HTTPError as error:
        with error:
            raise TransientFileError(f"upload_http_{error.code}") from None
    except (URLError, TimeoutError, ConnectionError, http.client.HTTPException) as error:
        raise TransientFileError(f"upload_{type(error).__name__}") from None
    except ValueError:  # a URL http.client refuses
        raise TransientFileError("upload_url_unusable") from None


def _http_problem(status: int) -> Exception:
    if status in (408, 425, 429) or status >= 500:
        return TransientFileError(f"download_http_{status}")
    if status in (404, 410):
        return FileProblem("it is no longer available")
    return FileProblem(REFUSED)


def _read_capped(
    response: Any,
    max_bytes: int,
    expected_mimetype: str | None,
    deadline: float,
    too_large: Callable[[str], FileProblem],
) -> bytes:
    content_type = (response.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
    if content_type == "text/html" and (expected_mimetype or "").lower() != "text/html":
        # Slack answers a download it refuses with its sign-in page.
        raise FileProblem(REFUSED)
    length = response.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > max_bytes:
        raise too_large(format_size(int(length)))
    chunks: list[bytes] = []
    total = 0
    try:
        while True:
            chunk = response.read(CHUNK_BYTES)
            if not chunk:
                break
            total += len(chunk)
            if total > max_bytes:
                raise too_large(f"over {format_size(max_bytes)}")
            if time.monotonic() > deadline:
                raise TransientFileError("download_too_slow")
            chunks.append(chunk)
    except (TimeoutError, ConnectionError, http.client.HTTPException) as error:
        raise TransientFileError(f"download_{type(error).__name__}") from None
    return b"".join(chunks)
