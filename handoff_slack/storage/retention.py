"""Forgetting what is no longer needed: event IDs kept for de-duplication.

`processed_event` holds the ID of every event the app handled, so that Slack's redelivery of one
(its retries come within minutes) is processed once. Rows older than the retention are deleted in
batches, each its own short transaction: on SQLite every batch holds the one write lock, and other
requests get their turn in between.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import delete, select
from sqlalchemy.engine import CursorResult
from sqlmodel import SQLModel

from handoff_slack.core.clock import as_utc
from handoff_slack.storage.database import Database
from handoff_slack.storage.models import ProcessedEvent

PRUNE_BATCH = 5000  # rows per transaction
_events = SQLModel.metadata.tables[ProcessedEvent.__tablename__]


def prune_processed_events(db: Database, older_than: datetime, batch: int = PRUNE_BATCH) -> int:
    """Delete event IDs received before `older_than`; returns how many were deleted."""
    cutoff = as_utc(older_than)
    expired = select(_events.c.event_id).where(_events.c.received_at < cutoff).limit(batch)
    statement = delete(_events).where(_events.c.event_id.in_(expired.scalar_subquery()))
    removed = 0
    while True:
        with db.transaction() as session:
            deleted = cast(CursorResult[Any], session.execute(statement)).rowcount
        removed += deleted
        if deleted < batch:
            return removed
