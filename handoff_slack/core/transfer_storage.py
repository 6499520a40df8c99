"""What transfer and release need from storage (implemented by storage.transfers)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from handoff_slack.core.transfer_values import StoredOffer


class StoredOwnerPeriod(Protocol):
    @property
    def id(self) -> int | None: ...
    @property
    def agent_user_id(self) -> str: ...
    @property
    def agent_name(self) -> str | None: ...
    @property
    def began_how(self) -> str: ...
    @property
    def began_at(self) -> datetime | None: ...
    @property
    def ended_how(self) -> str | None: ...
    @property
    def ended_at(self) -> datetime | None: ...


class TransferStore(Protocol):
    """A ticket's owners and the offers of it, and the ticket's changes of hands."""

    def hand_over(
        self,
        ticket_id: int,
        from_user_id: str,
        to_user_id: str,
        agent_name: str | None,
        agent_avatar_url: str | None,
        now: datetime,
    ) -> bool:
        """Give a connected ticket of `from_user_id`'s to another agent; False when it is no longer
        connected with them (of racing changes, exactly one wins)."""
        ...

    def release(self, ticket_id: int, owner_user_id: str, now: datetime) -> bool:
        """Put a connected ticket of `owner_user_id`'s back in the queue, keeping its place."""
        ...

    def current_period(self, ticket_id: int) -> StoredOwnerPeriod | None: ...
    def begin_period(self, row: dict[str, Any]) -> None: ...
    def end_period(self, period_id: int, how: str, by_user_id: str, now: datetime) -> None: ...
    def periods(self, ticket_id: int) -> Sequence[StoredOwnerPeriod]: ...

    def add_offer(self, row: dict[str, Any]) -> int: ...
    def set_offer_notice(self, offer_id: int, notice_id: int) -> None: ...
    def offer(self, offer_id: int, fresh: bool = False) -> StoredOffer | None: ...
    def decide_offer(self, offer_id: int, state: str, now: datetime) -> bool:
        """Answer a pending offer; False when it was answered (or went stale) already."""
        ...

    def pending_offers(self, ticket_id: int) -> Sequence[StoredOffer]: ...
    def lapsing_offers(self, made_before: datetime, limit: int) -> list[int]:
        """Pending offers made before `made_before`, oldest first."""
        ...
