"""What `/handoff-queue`'s pages need from storage (implemented by storage.queue_pages)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from handoff_slack.core.queue_filter import QueueFilter


class QueuePages(Protocol):
    def page(self, cut: QueueFilter, offset: int, limit: int) -> tuple[int, Sequence[tuple[int, Any, Any]]]:
        """How many waiting tickets match `cut`, and `limit` of them after the first `offset`, in the
        queue's order, each with its place in the whole queue: (position, ticket row, conversation row)."""
        ...

    def waiting_count(self) -> int: ...

    def filters_dropped(self, ticket_ids: Sequence[int]) -> set[int]:
        """Those of `ticket_ids` whose filters routing dropped (offered to everyone available)."""
        ...
