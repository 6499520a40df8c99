"""Slack's file objects (in message events and files.info answers) as the relay keeps them.

Anything not shaped like a Slack file is skipped, texts are cut to what a column holds, and a
download link that is not http(s) is not kept. Listeners read a file share's files with it; the
file relay reads files.info's answer with it.
"""

from __future__ import annotations

from typing import Any

from handoff_slack.core.deliveries import SharedFile

MAX_FILES_PER_MESSAGE = 20  # Slack attaches at most 10 to a message
MAX_NAME_CHARS = 255


def files_from_event(event: dict[str, Any]) -> list[SharedFile]:
    """The files of a `file_share` message event; anything not shaped like a Slack file is skipped."""
    raw = event.get("files")
    if not isinstance(raw, list):
        return []
    return [file for file in (shared_file(item) for item in raw[:MAX_FILES_PER_MESSAGE]) if file is not None]


def shared_file(obj: Any) -> SharedFile | None:
    """A Slack file object as the fields the relay needs (None unless it has an ID)."""
    if not isinstance(obj, dict):
        return None
    file_id = obj.get("id")
    if not isinstance(file_id, str) or not file_id:
        return None

    def text(key: str) -> str | None:
        value = obj.get(key)
        return value[:MAX_NAME_CHARS] if isinstance(value, str) and value else None

    size = obj.get("size")
    url = obj.get("url_private_download")
    return SharedFile(
        id=file_id[:64],
        name=text("name") or text("title") or file_id[:64],
        title=text("title"),
        mimetype=text("mimetype"),
        size=size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None,
        url_private_download=url if isinstance(url, str) and url.startswith(("https://", "http://")) else None,
        mode=text("mode"),
    )
