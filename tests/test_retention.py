"""Retention of processed event IDs: old ones are pruned, recent ones still stop redeliveries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from handoff_slack.scheduler import PRUNE_INTERVAL, PRUNE_JOB, prune_old_event_ids
from handoff_slack.settings import SettingsError, load_settings
from handoff_slack.storage.database import Database
from handoff_slack.storage.models import ProcessedEvent
from handoff_slack.storage.retention import prune_processed_events
from tests.conftest import CUSTOMER
from tests.support.app_under_test import AppUnderTest
from tests.support.journeys import stored_messages
from tests.support.migrated_template import from_migrated_template
from tests.support.slack_requests import dm_message

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def event_ids(db: Database) -> set[str]:
    with db.transaction() as session:
        return set(session.exec(select(col(ProcessedEvent.event_id))).all())


def add_events(db: Database, received: dict[str, datetime]) -> None:
    with db.transaction() as session:
        session.add_all(ProcessedEvent(event_id=event_id, received_at=at) for event_id, at in received.items())


def test_only_ids_older_than_the_cutoff_are_deleted_in_batches(database_url: str) -> None:
    from_migrated_template(database_url)
    db = Database(database_url)
    try:
        old = {f"Ev-old-{i}": NOW - timedelta(hours=25, minutes=i) for i in range(7)}
        kept = {"Ev-at-cutoff": NOW - timedelta(hours=24), "Ev-recent": NOW - timedelta(minutes=5)}
        add_events(db, {**old, **kept})

        removed = prune_processed_events(db, NOW - timedelta(hours=24), batch=3)  # 3 + 3 + 1

        assert removed == 7
        assert event_ids(db) == set(kept)
        assert prune_processed_events(db, NOW - timedelta(hours=24)) == 0
    finally:
        db.dispose()


def test_the_hourly_job_forgets_old_ids_and_redeliveries_are_still_caught(app: AppUnderTest) -> None:
    assert app.app is not None
    job = app.app.scheduler.get_job(PRUNE_JOB)
    assert job is not None and job.trigger.interval == PRUNE_INTERVAL
    retention = timedelta(hours=app.settings.event_retention_hours)
    add_events(app.app.db, {"Ev-long-ago": datetime.now(UTC) - retention - timedelta(minutes=1)})
    event = dm_message(CUSTOMER, "hello, is anyone there?")
    first = app.slack.event(event)
    assert first.status == 200

    prune_old_event_ids(app.app.services)

    assert event_ids(app.app.db) == {first.event_id}
    redelivered = app.slack.event(event, event_id=first.event_id, retry_num=1)
    assert redelivered.status == 200
    assert len(stored_messages(app, "hello, is anyone there?")) == 1  # decided in the ack: no wait needed


REQUIRED = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "HANDOFF_SUPPORT_CHANNEL": "C0SUPPORT"}


def test_the_retention_setting_has_a_default_and_is_checked() -> None:
    assert load_settings(REQUIRED).event_retention_hours == 24
    assert load_settings({**REQUIRED, "HANDOFF_EVENT_RETENTION_HOURS": "48"}).event_retention_hours == 48
    for bad in ("0", "-1", "1.5", "a day", "9000"):
        with pytest.raises(SettingsError, match=r"^HANDOFF_EVENT_RETENTION_HOURS must"):
            load_settings({**REQUIRED, "HANDOFF_EVENT_RETENTION_HOURS": bad})
