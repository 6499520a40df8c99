"""Slack events already handled: recording an event ID once. (Pruning old ones: storage.retention.)"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from handoff_slack.storage.database import InsertIfAbsent
from handoff_slack.storage.models import ProcessedEvent

_record_event = InsertIfAbsent(ProcessedEvent)


class EventRepository:
    """Processed events, inside one transaction (`session`)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def first_delivery(self, event_id: str, received_at: datetime) -> bool:
        """Record the event ID; False when it was recorded before (Slack retried the delivery).

        One INSERT … ON CONFLICT DO NOTHING: a concurrent delivery of the same event (another
        thread or replica) inserts nothing and waits for, or sees, the first one's row.
        """
        return _record_event(self._session, {"event_id": event_id, "received_at": received_at}) is not None
