"""Served channels (storage.served_channels) on SQLite and PostgreSQL: each row knows its workspace and
its channel's settings; turning one off tells its open tickets' threads; their migration keeps them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlmodel import col, select

from handoff_slack.core.channel_settings import ChannelSettings
from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.helpdesk import Customer, CustomerMessageAction, CustomerMessageOutcome
from handoff_slack.core.notices import Notice
from handoff_slack.core.states import Direction
from handoff_slack.storage.database import Database, alembic_config, migrate
from handoff_slack.storage.helpdesk_store import SqlHelpdesk
from handoff_slack.storage.models import Message
from handoff_slack.storage.served_channels import ServedChannels, TurnedOff
from tests.support.migrated_template import from_migrated_template

T0 = datetime(2027, 1, 12, 10, 0, tzinfo=UTC)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    from_migrated_template(database_url)
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


def test_each_channel_keeps_its_own_greeting_and_triage_switch(db: Database) -> None:
    ours, theirs = ServedChannels(db, "T0HOME"), ServedChannels(db, "TOTHER")
    assert not ours.set_greeting("CA", "Hi!") and not ours.set_triage("CA", False)  # not served: nothing to set
    assert ours.settings("CA") is None
    ours.turn_on("CA", "UADMIN", T0)
    ours.turn_on("CB", "UADMIN", T0 + timedelta(minutes=1))
    theirs.turn_on("CA", "UOTHER", T0)
    assert ours.settings("CA") == ChannelSettings() and ChannelSettings().is_default
    assert ours.set_greeting("CA", "Hi from <!channel> Acme") and ours.set_triage("CB", False)
    assert ours.settings("CA") == ChannelSettings("Hi from <!channel> Acme", None)
    assert ours.listed_with_settings() == [
        ("CA", ChannelSettings("Hi from <!channel> Acme")),
        ("CB", ChannelSettings(None, False)),
    ]
    assert theirs.settings("CA") == ChannelSettings()  # another workspace's row of the same channel
    assert ours.set_greeting("CA", None) and ours.set_triage("CB", True)
    assert ours.listed_with_settings() == [("CA", ChannelSettings()), ("CB", ChannelSettings(None, True))]
    assert ours.turn_off("CB") == TurnedOff()
    assert ours.turn_on("CB", "UADMIN", T0) and ours.settings("CB") == ChannelSettings()  # off forgets them


def test_turning_a_channel_off_tells_the_threads_with_an_open_ticket(db: Database) -> None:
    helpdesk = SqlHelpdesk(db, workspace_id="T0HOME")
    channels = ServedChannels(db, "T0HOME", helpdesk.deliveries)
    channels.turn_on("CSHARED", "UADMIN", T0)

    def writes(user: str, door: FrontDoor, text: str, ts: str) -> CustomerMessageOutcome:
        return helpdesk.receive_customer_message(Customer(user, door, "TACME"), ts=ts, text=text)

    waiting = writes("UJANE", FrontDoor("CSHARED", "1.1"), "I need a human please", "1.1")
    writes("UOMAR", FrontDoor("CSHARED", "2.1"), "hello", "2.1")  # with the bot: nothing for agents
    writes("UJANE", FrontDoor("DUJANE"), "I need a human please", "3.1")  # her DM: another door
    writes("UJANE", FrontDoor("COTHER", "4.1"), "I need a human please", "4.1")  # another channel
    assert waiting.action is CustomerMessageAction.ESCALATED and waiting.ticket_id is not None

    turned_off = channels.turn_off("CSHARED", Notice.channel_off_note("CSHARED"))
    assert turned_off == TurnedOff(((waiting.conversation_id, waiting.ticket_id),))
    assert channels.turn_off("CSHARED", Notice.channel_off_note("CSHARED")) is None  # told once
    with db.transaction() as session:
        told = session.exec(
            select(Message).where(col(Message.direction) == Direction.TO_AGENTS, col(Message.notice).is_not(None))
        ).all()
    assert [(m.conversation_id, m.ticket_id, m.notice) for m in told] == [
        (waiting.conversation_id, waiting.ticket_id, {"kind": "channel_off_note", "channel_id": "CSHARED"})
    ]
    assert not channels.is_served("CSHARED")


def channel_settings_revision(database_url: str) -> tuple[str, str]:
    """The channel settings' migration and the one before it (found by file name: merges renumber them)."""
    script = ScriptDirectory.from_config(alembic_config(database_url))
    [found] = [r for r in script.walk_revisions() if str(r.path).endswith("_channel_settings.py")]
    assert isinstance(found.down_revision, str)
    return found.revision, found.down_revision


def test_the_channel_settings_migration_keeps_the_served_channels_with_the_bots_settings(database_url: str) -> None:
    _, before = channel_settings_revision(database_url)
    command.upgrade(alembic_config(database_url), before)
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO served_channel (workspace_id, channel_id, turned_on_by_user_id, turned_on_at) "
                    "VALUES ('T0HOME', 'CSHARED', 'UADMIN', '2027-01-12 10:00:00')"
                )
            )
        migrate(database_url)
        database = Database(database_url)
        try:
            assert ServedChannels(database, "T0HOME").listed_with_settings() == [("CSHARED", ChannelSettings())]
        finally:
            database.dispose()
        command.downgrade(alembic_config(database_url), before)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT channel_id FROM served_channel")).all() == [("CSHARED",)]
    finally:
        engine.dispose()
