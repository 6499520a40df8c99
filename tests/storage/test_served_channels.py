"""Served channels (storage.served_channels) on SQLite and PostgreSQL: each row knows its workspace."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from handoff_slack.storage.database import Database, migrate
from handoff_slack.storage.served_channels import ServedChannels

T0 = datetime(2027, 1, 12, 10, 0, tzinfo=UTC)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    migrate(database_url)
    database = Database(database_url)
    try:
        yield database
    finally:
        database.dispose()


def test_channels_are_turned_on_and_off_per_workspace(db: Database) -> None:
    ours, theirs = ServedChannels(db, "T0HOME"), ServedChannels(db, "TOTHER")
    assert ours.turn_on("CB", "UADMIN", T0 + timedelta(minutes=1))
    assert ours.turn_on("CA", "UADMIN", T0)
    assert not ours.turn_on("CA", "UADMIN", T0)  # already served
    assert ours.listed() == ["CA", "CB"]  # in the order they were turned on
    assert ours.is_served("CA") and not theirs.is_served("CA")
    assert theirs.listed() == [] and not theirs.turn_off("CA")
    assert theirs.turn_on("CA", "UOTHER", T0)
    assert ours.turn_off("CA") and not ours.turn_off("CA")
    assert not ours.is_served("CA") and theirs.is_served("CA")
    assert ours.listed() == ["CB"] and theirs.listed() == ["CA"]
