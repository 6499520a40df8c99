"""The tests' PostgreSQL schemas made from the migrated template (tests/support/migrated_template.py)
are what the migrations make: the same structure, no rows, sequences as new, when replayed and when
an earlier test's schema is emptied and handed on."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from handoff_slack.core.front_doors import FrontDoor
from handoff_slack.core.helpdesk import Customer
from handoff_slack.storage.database import Database, migrate
from handoff_slack.storage.helpdesk_store import SqlHelpdesk
from tests.support.migrated_template import STRUCTURE_LINES, from_migrated_template, recycle

pytestmark = pytest.mark.postgres

JANE = Customer(user_id="UJANE", door=FrontDoor("DJANE"), team_id="T1")
SEQUENCES = "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = current_schema() ORDER BY 1"


@pytest.fixture
def another_schema(postgres_database_url: str) -> Iterator[str]:
    """A second empty schema beside the test's, dropped afterwards (whatever it holds by then)."""
    server = make_url(postgres_database_url).difference_update_query(["options"])
    name = f"handoff_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield server.update_query_dict({"options": f"-csearch_path={name}"}).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


def read(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


def test_a_schema_from_the_template_is_what_the_migrations_make(
    postgres_database_url: str, another_schema: str
) -> None:
    migrate(another_schema)
    from_migrated_template(postgres_database_url)

    assert read(postgres_database_url, STRUCTURE_LINES) == read(another_schema, STRUCTURE_LINES)


def test_a_used_schema_is_handed_on_empty_with_its_sequences_as_new(
    postgres_database_url: str, another_schema: str
) -> None:
    from_migrated_template(postgres_database_url)
    fresh_sequences = read(postgres_database_url, SEQUENCES)
    db = Database(postgres_database_url)
    outcome = SqlHelpdesk(db).receive_customer_message(JANE, "1700000000.000001", "I want a human")  # rows in 3 tables
    db.dispose()
    assert outcome.ticket_id == 1
    structure = read(postgres_database_url, STRUCTURE_LINES)

    assert recycle(postgres_database_url)  # emptied and kept: the next test's schema takes its place
    from_migrated_template(another_schema)

    assert read(another_schema, STRUCTURE_LINES) == structure
    tables = [
        row[0] for row in read(another_schema, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    ]
    assert {table: read(another_schema, f'SELECT count(*) FROM "{table}"')[0][0] for table in tables} == {
        table: 1 if table == "alembic_version" else 0 for table in tables
    }
    assert read(another_schema, SEQUENCES) == fresh_sequences
