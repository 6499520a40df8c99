"""A database that does not answer reaches the core's callers as StorageUnavailable, not as SQLAlchemy's errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from handoff_slack.core.errors import StorageUnavailable
from handoff_slack.storage.database import Database
from handoff_slack.storage.models import ProcessedEvent
from tests.support.migrated_template import from_migrated_template


def test_an_unreachable_database_is_storage_unavailable(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'missing-directory' / 'handoff.db'}")  # SQLite cannot open it
    try:
        with pytest.raises(StorageUnavailable, match="did not answer"), db.transaction() as session:
            session.execute(text("SELECT 1"))
        with pytest.raises(StorageUnavailable), db.autocommit() as connection:
            connection.execute(text("SELECT 1"))
    finally:
        db.dispose()


def test_a_refused_statement_is_not_storage_unavailable(database_url: str) -> None:
    from_migrated_template(database_url)
    db = Database(database_url)
    try:
        with db.transaction() as session:
            session.add(ProcessedEvent(event_id="Ev1"))
        with pytest.raises(IntegrityError), db.transaction() as session:
            session.add(ProcessedEvent(event_id="Ev1"))
            session.flush()
    finally:
        db.dispose()
