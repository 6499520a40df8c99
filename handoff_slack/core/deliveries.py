"""What the outbox delivers, as plain values: messages to pass on, their files, stale copies.

The ledger that stores and reads them (every SQL statement) is handoff_slack.storage.delivery_ledger.
A message relayed as it arrives has its first attempt counted when it is stored, and *reserved* in
this process (`FirstAttempts`): the flush that makes that attempt needs no write of its own before
posting. A reservation lives only in memory, so after a crash, or in another replica, the count says
an attempt may have been made, and the copy is looked for first: safe, at the cost of one look-up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from handoff_slack.core.notices import Notice
from handoff_slack.core.states import Direction, TicketState


@dataclass(frozen=True)
class SharedFile:
    """A file shared with a message, as Slack described it when the message arrived."""

    id: str
    name: str
    title: str | None = None
    mimetype: str | None = None
    size: int | None = None  # bytes, as Slack reported it
    url_private_download: str | None = None
    mode: str | None = None  # hosted, snippet, external, tombstone, hidden_by_limit, ...

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "title": self.title,
            "mimetype": self.mimetype,
            "size": self.size,
            "url_private_download": self.url_private_download,
            "mode": self.mode,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SharedFile:
        size = data.get("size")
        return cls(
            id=str(data.get("id") or ""),
            name=str(data.get("name") or data.get("id") or "file"),
            title=data.get("title") if isinstance(data.get("title"), str) else None,
            mimetype=data.get("mimetype") if isinstance(data.get("mimetype"), str) else None,
            size=size if isinstance(size, int) and not isinstance(size, bool) else None,
            url_private_download=data.get("url_private_download")
            if isinstance(data.get("url_private_download"), str)
            else None,
            mode=data.get("mode") if isinstance(data.get("mode"), str) else None,
        )


def files_to_json(files: Sequence[SharedFile]) -> list[dict[str, Any]] | None:
    return [file.to_json() for file in files] or None


def files_from_json(data: Any) -> tuple[SharedFile, ...]:
    if not isinstance(data, list):
        return ()
    return tuple(SharedFile.from_json(item) for item in data if isinstance(item, Mapping))


def has_text_part(text: str, files: Sequence[SharedFile]) -> bool:
    """A file share without words is only its files; any other message has a text to post."""
    return bool(text.strip()) or not files


@dataclass(frozen=True)
class Delivery:
    """One stored message to show on the other side, with where and as whom.

    A message with files is passed on in steps: its text (if any), then each file in order. What
    an earlier flush already did is in `text_ts` (the text's copy) and `files_done`.
    """

    message_id: int
    conversation_id: int
    ticket_id: int | None  # None: the bot's reply to a customer with no ticket
    direction: Direction
    text: str
    channel_id: str
    thread_ts: str | None
    sender_name: str | None
    sender_avatar_url: str | None
    attempts: int
    created_at: datetime
    files: tuple[SharedFile, ...] = ()
    files_done: int = 0
    text_ts: tuple[str, ...] = ()  # the text's copy (all parts) once posted; () before
    file_pending_id: str | None = None  # Slack's ID of an upload of file `files_done` that may have been shared
    notice: Notice | None = None  # the bot's own notice (direction to_customer / to_agents)
    ticket_state: TicketState | None = None  # its ticket's state now (a notice may no longer be true)

    @property
    def has_text_part(self) -> bool:
        return has_text_part(self.text, self.files)


@dataclass(frozen=True)
class StaleCopy:
    """A delivered copy whose source was edited or deleted since."""

    message_id: int
    direction: Direction
    text: str
    channel_id: str
    thread_ts: str | None
    ts: str
    extra_ts: tuple[str, ...]
    deleted: bool
    conversation_id: int
    ticket_id: int
    sender_name: str | None
    sender_avatar_url: str | None
    created_at: datetime
    notice: Notice | None = None  # a notice of the bot's that says something new now: shown anew

    def as_delivery(self) -> Delivery:
        """The message as a delivery to the copy's place: for parts an edit adds, posted like the first."""
        return Delivery(
            message_id=self.message_id,
            conversation_id=self.conversation_id,
            ticket_id=self.ticket_id,
            direction=self.direction,
            text=self.text,
            channel_id=self.channel_id,
            thread_ts=self.thread_ts,
            sender_name=self.sender_name,
            sender_avatar_url=self.sender_avatar_url,
            attempts=1,
            created_at=self.created_at,
        )


@dataclass(frozen=True)
class SourceChange:
    """What an edit or delete of a stored message means for its copy."""

    conversation_id: int | None  # None: not a message we relayed or kept
    needs_sync: bool = False


class FirstAttempts:
    """Messages whose first attempt is counted but not made yet: reserved by this process.

    Bounded: a reservation dropped (or never taken, e.g. another replica delivered the message)
    only costs the next sender a look for the copy.
    """

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self._reserved: dict[int, None] = {}  # insertion-ordered: the oldest is dropped first
        self._lock = threading.Lock()

    def reserve(self, message_id: int) -> None:
        with self._lock:
            self._reserved[message_id] = None
            if len(self._reserved) > self.limit:
                del self._reserved[next(iter(self._reserved))]

    def take(self, message_id: int) -> bool:
        """End the reservation (the attempt is made now, or the count was never stored); False: none."""
        with self._lock:
            return self._reserved.pop(message_id, False) is None

    def holds(self, message_id: int) -> bool:
        return message_id in self._reserved

    @contextmanager
    def reserving(self) -> Iterator[Callable[[int], None]]:
        """Reserve from inside a transaction (enter this first): dropped unless it commits."""
        reserved: list[int] = []

        def reserve(message_id: int) -> None:
            self.reserve(message_id)
            reserved.append(message_id)

        try:
            yield reserve
        except BaseException:
            for message_id in reserved:  # SQLite may give a rolled-back row's ID to the next one
                self.take(message_id)
            raise
